// The coordinator's state (DESIGN.md §3, §7): the snapshot a ready replica
// serves from, the state machine driven by the signed `latest` in the store
// (the watch loop and following `latest`), alarms, Status and Attest, and
// the Coordinator facade over Coordinator::Impl. The other jobs live beside
// it: freshness_lease.cc, peer_sync.cc, manifest_set.cc, recovery.cc,
// mesh.cc, audit.cc.
#include "concord/coordinator/coordinator.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/status_macros.h"
#include "concord/coordinator/internal/impl.h"
#include "concord/history/objects.h"

namespace concord::coordinator {
namespace {

using history::TransitionKind;
using history::VerifiedHistory;
using internal::IsTransient;
using internal::kMaxPeerRetry;
using internal::Prefixed;
using internal::Short;

// Most alarm texts kept for Status(); the counter keeps counting past it.
constexpr size_t kMaxActiveAlarms = 16;

}  // namespace

absl::string_view StateName(State state) {
  switch (state) {
    case State::kUninitialized:
      return "uninitialized";
    case State::kRecovery:
      return "recovery";
    case State::kReady:
      return "ready";
    case State::kStale:
      return "stale";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// State, alarms, the serving snapshot.

void Coordinator::Impl::SetState(State next, absl::string_view why) {
  if (state_ == next) {
    return;
  }
  deps_.log.Info("coordinator state changed", {{"replica", options_.replica_name},
                                               {"from", std::string(StateName(state_))},
                                               {"to", std::string(StateName(next))},
                                               {"reason", std::string(why)}});
  state_ = next;
  Kick();  // the HA loop's duty depends on the state
}

void Coordinator::Impl::RaiseAlarm(const std::string& text) {
  // An alarm still active is not raised again when the watch and the lease
  // round both see the same bad `latest`: the count and the log say how often
  // something went wrong, not how often it was looked at.
  {
    absl::MutexLock lock(&mu_);
    if (std::find(alarms_.begin(), alarms_.end(), text) != alarms_.end()) {
      return;
    }
    ++alarms_raised_;
    if (alarms_.size() < kMaxActiveAlarms) {
      alarms_.push_back(text);
    }
  }
  deps_.log.Warning("store alarm", {{"replica", options_.replica_name}, {"alarm", text}});
}

void Coordinator::Impl::ClearAlarms() {
  absl::MutexLock lock(&mu_);
  alarms_.clear();
}

absl::Status Coordinator::Impl::WrongState(absl::string_view operation, State state) const {
  switch (state) {
    case State::kUninitialized:
      return absl::FailedPreconditionError(absl::StrCat(
          operation, ": state uninitialized: set the first manifest with `concord set`"));
    case State::kRecovery:
      return absl::FailedPreconditionError(absl::StrCat(
          operation, ": state recovery: this replica holds no secrets; run `concord recover`"));
    case State::kStale:
      return absl::FailedPreconditionError(
          absl::StrCat(operation,
                       ": state stale: this replica cannot follow the store's history; run "
                       "`concord recover` or restart it to recover from a ready peer"));
    case State::kReady:
      return absl::FailedPreconditionError(absl::StrCat(operation, ": state ready"));
  }
  return absl::InternalError(absl::StrCat(operation, ": unknown state"));
}

absl::StatusOr<ca::CaBundle> Coordinator::Impl::ReadBundle(const crypto::Sha256Digest& hash) const {
  CONCORD_ASSIGN_OR_RETURN(Bytes bytes,
                           history::ReadObject(deps_.store, history::ObjectType::kCaBundle, hash));
  absl::StatusOr<ca::CaBundle> bundle = ca::CaBundle::Parse(bytes);
  if (!bundle.ok()) {
    return absl::DataLossError(absl::StrCat(
        history::ObjectKey(history::ObjectType::kCaBundle, hash), ": ", bundle.status().message()));
  }
  return bundle;
}

absl::StatusOr<std::shared_ptr<const Coordinator::Impl::Active>> Coordinator::Impl::BuildActive(
    VerifiedHistory history, std::shared_ptr<const seed::SeedSecrets> seed,
    std::shared_ptr<const seed::MeshSecret> mesh, const ca::CaBundle& bundle,
    const Active* previous) const {
  const history::Transition& head = history.head().transition;
  CONCORD_ASSIGN_OR_RETURN(
      crypto::PrivateKey mesh_key,
      mesh->DeriveMeshCaKey(head.generation, head.previous_hash, head.manifest_hash));
  if (mesh_key.public_key().spki_der() != bundle.mesh_ca_public_key().spki_der()) {
    return absl::FailedPreconditionError(
        absl::StrCat("generation ", head.generation,
                     ": the stored mesh CA was not made with this replica's mesh secret"));
  }
  std::optional<crypto::PublicKey> history_public;
  std::shared_ptr<const crypto::PrivateKey> root_key;
  if (previous != nullptr && previous->seed == seed && previous->root_key != nullptr) {
    history_public = previous->history_key;
    root_key = previous->root_key;
  } else {
    CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey history_key, seed->DeriveHistoryKey());
    history_public = history_key.public_key();
    CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey derived, seed->DeriveRootCaKey());
    root_key = std::make_shared<const crypto::PrivateKey>(std::move(derived));
  }
  if (bundle.root_public_key().spki_der() != root_key->public_key().spki_der()) {
    return absl::DataLossError(absl::StrCat("generation ", head.generation,
                                            ": the stored root CA does not match the seed"));
  }
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<ca::Issuer> issuer,
      ca::Issuer::Create(std::move(mesh_key), bundle, ca::Issuer::Deps{deps_.clock, deps_.random}));
  auto active = std::make_shared<Active>(
      Active{std::move(history), std::move(seed), std::move(mesh), std::move(issuer),
             *std::move(history_public), std::move(root_key), std::make_shared<Memo>()});
  active->root_ca_spki_sha256 = active->issuer->bundle().root_public_key().SpkiSha256();
  return std::shared_ptr<const Active>(std::move(active));
}

absl::StatusOr<Coordinator::Impl::UnverifiedHead> Coordinator::Impl::ReadUnverifiedHead(
    ByteView latest_bytes) const {
  CONCORD_ASSIGN_OR_RETURN(history::Latest latest, history::ParseLatest(latest_bytes));
  UnverifiedHead head;
  head.generation = latest.generation;
  head.transition_hash = latest.transition_hash;
  absl::StatusOr<Bytes> encoded =
      history::ReadObject(deps_.store, history::ObjectType::kTransition, latest.transition_hash);
  if (!encoded.ok()) {
    if (IsTransient(encoded.status())) {
      return encoded.status();
    }
    return head;  // reported without a manifest hash; the alarm names it
  }
  absl::StatusOr<history::Transition> transition = history::ParseTransition(*encoded);
  if (transition.ok() && transition->generation == latest.generation) {
    head.manifest_hash = transition->manifest_hash;
  }
  return head;
}

std::optional<crypto::Sha256Digest> Coordinator::Impl::RootCaSpkiSha256() const {
  std::shared_ptr<const Active> snapshot = active();
  if (snapshot == nullptr) {
    return std::nullopt;
  }
  return snapshot->root_ca_spki_sha256;
}

// ---------------------------------------------------------------------------
// Start, Stop, watch: following `latest`.

absl::Status Coordinator::Impl::Start() {
  {
    absl::MutexLock lock(&queue_mu_);
    if (started_) {
      return absl::FailedPreconditionError("coordinator: already started");
    }
    started_ = true;
  }
  if (deps_.peers != nullptr) {
    CONCORD_RETURN_IF_ERROR(LearnOwnIdentity());
  }
  if (RefreshOrRetry()) {
    deps_.log.Warning("store unavailable at start; retrying in the background",
                      {{"replica", options_.replica_name}});
  }
  deps_.log.Info("coordinator started",
                 {{"replica", options_.replica_name}, {"state", std::string(StateName(state()))}});
  if (options_.step_rounds_for_test) {
    ResetHaRound();
    return absl::OkStatus();
  }
  thread_ = std::thread([this] { WatchLoop(); });
  ha_thread_ = std::thread([this] { HaLoop(); });
  return absl::OkStatus();
}

void Coordinator::Impl::Stop() {
  {
    absl::MutexLock lock(&queue_mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  if (ha_thread_.joinable()) {
    ha_thread_.join();
  }
}

void Coordinator::Impl::Kick() {
  absl::MutexLock lock(&queue_mu_);
  ha_kick_ = true;
}

void Coordinator::Impl::WatchLoop() {
  std::unique_ptr<store::WatchHandle> handle;
  auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return stop_ || event_; };
  for (;;) {
    if (handle == nullptr) {
      absl::StatusOr<std::unique_ptr<store::WatchHandle>> watch =
          deps_.store.Watch(store::kLatestKey, [this](const absl::StatusOr<Bytes>&) {
            absl::MutexLock lock(&queue_mu_);
            event_ = true;  // Refresh() re-reads the value itself
          });
      if (watch.ok()) {
        handle = *std::move(watch);
        // A change made between the last read and the watch's start fires
        // no event: read once more now that the watch is in place.
        absl::MutexLock lock(&queue_mu_);
        event_ = true;
      } else {
        deps_.log.Warning(
            "cannot watch latest; retrying",
            {{"replica", options_.replica_name}, {"error", std::string(watch.status().message())}});
      }
    }
    bool refresh = false;
    {
      absl::MutexLock lock(&queue_mu_);
      const bool need_timer = reread_ || handle == nullptr;
      if (need_timer) {
        queue_mu_.AwaitWithTimeout(absl::Condition(&has_work), options_.watch_retry);
      } else {
        queue_mu_.Await(absl::Condition(&has_work));
      }
      if (stop_) {
        break;
      }
      // Without a watch, poll.
      refresh = event_ || reread_ || handle == nullptr;
      event_ = false;
      reread_ = false;
    }
    if (refresh) {
      RefreshOrRetry();
    }
  }
  handle.reset();  // waits for a running callback, which only takes queue_mu_
}

bool Coordinator::Impl::RefreshOrRetry() {
  if (!Refresh()) {
    return false;
  }
  absl::MutexLock lock(&queue_mu_);
  reread_ = true;
  return true;
}

bool Coordinator::Impl::RunWatchRound() {
  {
    absl::MutexLock lock(&queue_mu_);
    event_ = false;
    reread_ = false;
  }
  return RefreshOrRetry();
}

bool Coordinator::Impl::Refresh() {
  absl::MutexLock write_lock(&write_mu_);
  BeginStoreRound();
  return OnLatest(deps_.store.Get(store::kLatestKey));
}

bool Coordinator::Impl::OnLatest(const absl::StatusOr<Bytes>& latest_state) {
  if (!latest_state.ok() && latest_state.status().code() != absl::StatusCode::kNotFound) {
    return true;  // the store cannot be read now
  }
  const State current = state();
  if (!latest_state.ok()) {
    if (current != State::kUninitialized) {
      RaiseAlarm("latest disappeared from the store (keeping this replica's state)");
    }
    return false;
  }
  const Bytes& latest = *latest_state;
  switch (current) {
    case State::kUninitialized: {
      if (pending_ != nullptr) {
        absl::StatusOr<VerifiedHistory> ours = pending_->verifier->VerifyLatest(latest);
        if (ours.ok() && ours->generation() == 1) {
          absl::StatusOr<manifest::Manifest> m = manifest::Manifest::Parse(pending_->manifest);
          absl::StatusOr<ca::CaBundle> stored = ReadBundle(ours->head().transition.ca_bundle_hash);
          if (m.ok() && stored.ok() &&
              AdoptFirstSet(*std::move(ours), *m, *std::move(stored)).ok()) {
            return false;
          }
        } else if (!ours.ok() && IsTransient(ours.status())) {
          return true;
        }
      }
      return NoteUnverifiedHead(latest, State::kRecovery);
    }
    case State::kRecovery:
      return NoteUnverifiedHead(latest, State::kRecovery);
    case State::kStale:
      return NoteUnverifiedHead(latest, State::kStale);
    case State::kReady:
      return FollowLatest(latest);
  }
  return false;
}

bool Coordinator::Impl::NoteUnverifiedHead(const Bytes& latest, State next) {
  absl::StatusOr<UnverifiedHead> head = ReadUnverifiedHead(latest);
  if (!head.ok() && IsTransient(head.status())) {
    return true;
  }
  if (!head.ok()) {
    RaiseAlarm(absl::StrCat("latest is malformed: ", head.status().message()));
  } else {
    ClearAlarms();
  }
  absl::MutexLock lock(&mu_);
  if (head.ok()) {
    unverified_ = *head;
  }
  SetState(next, next == State::kRecovery ? "a history exists; no secrets held"
                                          : "cannot follow the store's history");
  return false;
}

bool Coordinator::Impl::FollowLatest(const Bytes& latest) {
  std::shared_ptr<const Active> current = active();
  if (current == nullptr) {
    return false;
  }
  if (latest == current->history.latest_bytes) {
    ClearAlarms();
    absl::MutexLock lock(&mu_);
    if (state_ == State::kReady && active_ == current) {
      ConfirmLeaseFromStore();
    }
    return false;
  }
  absl::StatusOr<VerifiedHistory> verified = verifier_->VerifyLatest(latest);
  if (!verified.ok()) {
    if (IsTransient(verified.status()) && verified.status().code() != absl::StatusCode::kInternal) {
      return true;
    }
    RaiseAlarm(absl::StrCat("latest does not verify: ", verified.status().message()));
    return false;
  }
  const uint64_t our_generation = current->history.generation();
  if (verified->generation() < our_generation ||
      verified->transitions[our_generation - 1]->hash != current->history.head().hash) {
    RaiseAlarm(absl::StrCat("latest moved backwards or rewrote history: store generation ",
                            verified->generation(), ", this replica's generation ", our_generation,
                            " (", Short(current->history.head().hash), ")"));
    return false;
  }
  ClearAlarms();
  auto go_stale = [&](const std::string& why) {
    deps_.log.Warning("cannot follow latest", {{"replica", options_.replica_name},
                                               {"generation", absl::StrCat(verified->generation())},
                                               {"transition", Short(verified->head().hash)},
                                               {"reason", why}});
    absl::MutexLock lock(&mu_);
    unverified_ = UnverifiedHead{verified->generation(), verified->head().hash,
                                 verified->head().transition.manifest_hash};
    SetState(State::kStale, why);
    return false;
  };
  for (uint64_t g = our_generation + 1; g <= verified->generation(); ++g) {
    if (verified->transitions[g - 1]->transition.kind == TransitionKind::kRecovery) {
      return go_stale(absl::StrCat("recovery transition at generation ", g,
                                   " made by another replica (new mesh secret)"));
    }
  }
  absl::StatusOr<ca::CaBundle> bundle = ReadBundle(verified->head().transition.ca_bundle_hash);
  if (!bundle.ok()) {
    if (IsTransient(bundle.status())) {
      return true;
    }
    return go_stale(std::string(bundle.status().message()));
  }
  if (bundle->root_der() != current->issuer->bundle().root_der()) {
    return go_stale("the new CA bundle has a different root CA certificate");
  }
  const uint64_t generation = verified->generation();
  const crypto::Sha256Digest head_hash = verified->head().hash;
  absl::StatusOr<std::shared_ptr<const Active>> next =
      BuildActive(*std::move(verified), current->seed, current->mesh, *bundle, current.get());
  if (!next.ok()) {
    return go_stale(std::string(next.status().message()));
  }
  deps_.log.Info("followed manifest update", {{"replica", options_.replica_name},
                                              {"generation", absl::StrCat(generation)},
                                              {"transition", Short(head_hash)}});
  absl::MutexLock lock(&mu_);
  active_ = *std::move(next);
  ConfirmLeaseFromStore();
  return false;
}

// ---------------------------------------------------------------------------
// Status, attestation, history export.

StatusInfo Coordinator::Impl::Status() const {
  absl::MutexLock lock(&mu_);
  StatusInfo info;
  info.state = state_;
  info.replica = options_.replica_name;
  info.alarms = alarms_;
  info.alarms_raised = alarms_raised_;
  if (state_ == State::kUninitialized) {
    info.genesis_challenge = genesis_challenge_;
  }
  if (state_ == State::kReady && active_ != nullptr) {
    const history::VerifiedTransition& head = active_->history.head();
    info.generation = active_->history.generation();
    info.transition_hash = head.hash;
    info.manifest_hash = head.transition.manifest_hash;
  } else if (unverified_.has_value()) {
    info.head_unverified = true;
    info.generation = unverified_->generation;
    info.transition_hash = unverified_->transition_hash;
    info.manifest_hash = unverified_->manifest_hash;
  }
  const absl::Time now = deps_.clock.Now();
  info.serving = state_ == State::kReady && active_ != nullptr && lease_.Valid(now);
  info.lease = options_.freshness_lease;
  info.lease_confirmed_at = lease_.confirmed_at();
  if (lease_.confirmed_at().has_value()) {
    info.lease_expires_at = *lease_.confirmed_at() + options_.freshness_lease;
  }
  info.lease_confirmed_by = lease_.confirmed_by();
  info.lease_store_confirmed_at = lease_.store_confirmed_at();
  info.lease_confirmations = lease_.confirmations();
  return info;
}

absl::StatusOr<AttestResult> Coordinator::Impl::Attest(const atls::Nonce& nonce) {
  const auto [current, snapshot] = StateAndActive();
  AttestResult result;
  result.statement.nonce = nonce;
  result.statement.state = std::string(StateName(current));
  if (snapshot != nullptr) {
    const ca::CaBundle& bundle = snapshot->issuer->bundle();
    result.statement.generation = snapshot->history.generation();
    result.statement.transition_hash = snapshot->history.head().hash;
    result.statement.history_key_spki_sha256 = snapshot->history_key.SpkiSha256();
    result.statement.root_ca_spki_sha256 = bundle.root_public_key().SpkiSha256();
    result.statement.mesh_ca_spki_sha256 = bundle.mesh_ca_public_key().SpkiSha256();
    result.bundle = bundle;
    result.history_key = snapshot->history_key;
  }
  absl::StatusOr<attest::Evidence> evidence =
      deps_.attester.Attest(atls::AttestStatementReportData(result.statement));
  if (!evidence.ok()) {
    return Prefixed("attest", evidence.status());
  }
  result.evidence = *std::move(evidence);
  return result;
}

absl::StatusOr<HistoryExport> Coordinator::Impl::ExportHistory() {
  const auto [current, snapshot] = StateAndActive();
  if (current == State::kReady && snapshot != nullptr) {
    Memo& memo = *snapshot->memo;
    absl::MutexLock lock(&memo.mu);
    if (memo.exported == nullptr) {
      CONCORD_ASSIGN_OR_RETURN(HistoryExport built, BuildExport(*snapshot));
      memo.exported = std::make_shared<const HistoryExport>(std::move(built));
    }
    return *memo.exported;
  }
  if (current == State::kRecovery || current == State::kStale) {
    return absl::UnavailableError(absl::StrCat("manifests: state ", StateName(current),
                                               ": this replica cannot serve the history now"));
  }
  if (current != State::kReady || snapshot == nullptr) {
    return WrongState("manifests", current);
  }
  return absl::InternalError("manifests: unreachable");
}

absl::StatusOr<HistoryExport> Coordinator::Impl::BuildExport(const Active& active) const {
  const Active* snapshot = &active;
  HistoryExport out{snapshot->history.latest_bytes, {}, {}, {}, snapshot->history_key};
  for (const auto& entry : snapshot->history.transitions) {
    CONCORD_ASSIGN_OR_RETURN(
        Bytes encoded,
        history::ReadObject(deps_.store, history::ObjectType::kTransition, entry->hash));
    out.transitions.push_back(HistoryExport::Entry{entry->hash, std::move(encoded)});
    const crypto::Sha256Digest& manifest_hash = entry->transition.manifest_hash;
    if (std::none_of(out.manifests.begin(), out.manifests.end(),
                     [&](const auto& m) { return m.first == manifest_hash; })) {
      out.manifests.emplace_back(manifest_hash, entry->manifest->bytes());
    }
    const crypto::Sha256Digest& bundle_hash = entry->transition.ca_bundle_hash;
    if (std::none_of(out.ca_bundles.begin(), out.ca_bundles.end(),
                     [&](const auto& b) { return b.first == bundle_hash; })) {
      CONCORD_ASSIGN_OR_RETURN(
          Bytes bundle,
          history::ReadObject(deps_.store, history::ObjectType::kCaBundle, bundle_hash));
      out.ca_bundles.emplace_back(bundle_hash, std::move(bundle));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Coordinator: forwards to Impl.

absl::StatusOr<std::unique_ptr<Coordinator>> Coordinator::Create(Options options, Deps deps) {
  if (options.leaf_lifetime <= absl::ZeroDuration() ||
      options.leaf_lifetime > ca::kMaxLeafLifetime) {
    return absl::InvalidArgumentError("coordinator: leaf_lifetime: want (0, 397 days]");
  }
  if (options.watch_retry <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("coordinator: watch_retry: want a positive duration");
  }
  if (options.freshness_lease <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("coordinator: freshness_lease: want a positive duration");
  }
  if (options.peer_retry <= absl::ZeroDuration() || options.peer_retry > kMaxPeerRetry) {
    return absl::InvalidArgumentError("coordinator: peer_retry: want (0, 1s]");
  }
  const manifest::AllowedPlatforms& p = options.launch.platforms;
  if (!p.snp && !p.tdx && !p.simulated) {
    return absl::InvalidArgumentError("coordinator: launch config allows no platform");
  }
  if (options.replica_name.empty()) {
    return absl::InvalidArgumentError("coordinator: replica_name: want a non-empty name");
  }
  if (p.simulated) {
    deps.log.Warning("INSECURE: simulated platform enabled; for development and CI only",
                     {{"replica", options.replica_name}});
  }
  return std::unique_ptr<Coordinator>(
      new Coordinator(std::make_unique<Impl>(std::move(options), deps)));
}

Coordinator::Coordinator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Coordinator::~Coordinator() { Stop(); }

absl::Status Coordinator::Start() { return impl_->Start(); }
void Coordinator::Stop() { impl_->Stop(); }
State Coordinator::state() const { return impl_->state(); }
StatusInfo Coordinator::Status() const { return impl_->Status(); }

absl::StatusOr<TransitionResult> Coordinator::SetManifest(const SetManifestRequest& request) {
  return impl_->AuditedSetManifest(request);
}
absl::StatusOr<seed::SeedSharesDocument> Coordinator::SeedShare(const crypto::PublicKey& caller) {
  return impl_->AuditedSeedShare(caller);
}
absl::StatusOr<TransitionResult> Coordinator::Recover(const RecoverRequest& request) {
  return impl_->AuditedRecover(request);
}
absl::StatusOr<HistoryExport> Coordinator::ExportHistory() { return impl_->ExportHistory(); }
absl::StatusOr<AttestResult> Coordinator::Attest(const atls::Nonce& nonce) {
  return impl_->Attest(nonce);
}
std::optional<crypto::Sha256Digest> Coordinator::RootCaSpkiSha256() const {
  return impl_->RootCaSpkiSha256();
}
absl::StatusOr<attest::Claims> Coordinator::CheckWorkloadEvidence(
    const attest::Evidence& evidence, const std::array<uint8_t, 64>& report_data) const {
  return impl_->CheckWorkloadEvidence(evidence, report_data);
}
absl::StatusOr<WorkloadCertificate> Coordinator::IssueMeshCertificate(
    const AttestedCaller& caller, const crypto::PublicKey& key,
    std::optional<absl::Duration> lifetime) {
  return impl_->IssueMeshCertificate(caller, key, lifetime);
}
bool Coordinator::Serving() const { return impl_->Serving(); }
absl::StatusOr<PeerRecoveryGrant> Coordinator::ServePeerRecovery(const AttestedCaller& caller) {
  return impl_->ServePeerRecovery(caller);
}
absl::StatusOr<PeerHead> Coordinator::ServePeerHead(const AttestedCaller& caller,
                                                    const Bytes& caller_latest) {
  return impl_->ServePeerHead(caller, caller_latest);
}

}  // namespace concord::coordinator
