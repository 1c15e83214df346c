#include "concord/coordinator/coordinator.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "concord/ca/ca_certs.h"
#include "concord/common/hex.h"
#include "concord/coordinator/authorization.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/hash.h"
#include "concord/history/objects.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/seed/secrets.h"

namespace concord::coordinator {
namespace {

using history::TransitionKind;
using history::VerifiedHistory;

// Most alarm texts kept for Status(); the counter keeps counting past it.
constexpr size_t kMaxActiveAlarms = 16;

// Upper bound of the peer-recovery backoff (DESIGN §8: sub-second retries,
// bounded) and of the pause before re-trying a failed lease confirmation.
constexpr absl::Duration kMaxPeerRetry = absl::Seconds(1);
constexpr absl::Duration kMaxLeaseRetry = absl::Seconds(1);

// Report data of the evidence a replica verifies about itself at Start to
// learn its own identity (measurement, policy hash) for the peer rule.
constexpr absl::string_view kOwnIdentityLabel = "concord-coordinator-own-identity-v1";

// Head-exchange states (PeerHead::state) of a serving replica: its head was
// confirmed from the store within the lease, or only through peers.
constexpr absl::string_view kPeerStateReady = "ready";
constexpr absl::string_view kPeerStateReadyViaPeers = "ready-peer-confirmed";

bool IsReadyPeerState(absl::string_view state) {
  return state == kPeerStateReady || state == kPeerStateReadyViaPeers;
}

// First 16 hex characters of a hash, for log lines.
std::string Short(const crypto::Sha256Digest& hash) { return HexEncode(ByteView(hash.data(), 8)); }

bool IsZero(const crypto::Sha256Digest& hash) {
  return std::all_of(hash.begin(), hash.end(), [](uint8_t b) { return b == 0; });
}

bool SameAuthorization(const std::optional<history::Authorization>& a,
                       const std::optional<history::Authorization>& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  return !a.has_value() ||
         (a->owner_key.spki_der() == b->owner_key.spki_der() && a->signature == b->signature);
}

// Store errors that a later read may not repeat.
bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded ||
         status.code() == absl::StatusCode::kInternal;
}

absl::Status Prefixed(absl::string_view operation, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(operation, ": ", status.message()));
}

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

class Coordinator::Impl {
 public:
  Impl(Options options, Deps deps)
      : options_(std::move(options)), deps_(deps), genesis_challenge_(NewChallenge(deps.random)) {}
  ~Impl() { Stop(); }

  absl::Status Start();
  void Stop();
  State state() const {
    absl::MutexLock lock(&mu_);
    return state_;
  }
  StatusInfo Status() const;
  absl::StatusOr<TransitionResult> SetManifest(const SetManifestRequest& request);
  absl::StatusOr<seed::SeedSharesDocument> SeedShare(const crypto::PublicKey& caller);
  absl::StatusOr<TransitionResult> Recover(const RecoverRequest& request);
  absl::StatusOr<HistoryExport> ExportHistory();
  // Cheap checks of a manual-recovery caller against the store's unverified
  // head (its key, its signature, seed-share ownership), made before any
  // peer round trip or seed derivation. The full checks follow under
  // write_mu_ on the verified head.
  absl::Status PrecheckRecoveryCaller(const RecoverRequest& request) const;
  absl::StatusOr<AttestResult> Attest(const atls::Nonce& nonce);
  std::optional<crypto::Sha256Digest> RootCaSpkiSha256() const;
  absl::StatusOr<attest::Claims> CheckWorkloadEvidence(
      const attest::Evidence& evidence, const std::array<uint8_t, 64>& report_data) const;
  absl::StatusOr<WorkloadCertificate> IssueMeshCertificate(const AttestedCaller& caller,
                                                           const crypto::PublicKey& key,
                                                           std::optional<absl::Duration> lifetime);
  bool Serving() const;
  absl::StatusOr<PeerRecoveryGrant> ServePeerRecovery(const AttestedCaller& caller);
  absl::StatusOr<PeerHead> ServePeerHead(const AttestedCaller& caller, const Bytes& caller_latest);

 private:
  // Everything a ready replica serves from. Replaced as a whole on every
  // transition, so readers copy one pointer under mu_ and then work without
  // locks; shared because in-flight requests may still hold the old one.
  // Answers an unauthenticated caller can ask for repeatedly, made once per
  // head and then served from memory: GET /v1/manifests, and the seed
  // shares of a retried first set (the genesis request is public, so anyone
  // can replay it; each share is an RSA encryption).
  struct Memo {
    absl::Mutex mu;
    std::shared_ptr<const HistoryExport> exported ABSL_GUARDED_BY(mu);
    std::shared_ptr<const seed::SeedSharesDocument> retried_shares ABSL_GUARDED_BY(mu);
  };
  struct Active {
    VerifiedHistory history;
    std::shared_ptr<const seed::SeedSecrets> seed;
    std::shared_ptr<const seed::MeshSecret> mesh;
    std::shared_ptr<const ca::Issuer> issuer;
    crypto::PublicKey history_key;
    // Derived from `seed` once and kept with it: a P-384 derivation costs
    // about 1.5 ms, and every transition signs with the root key
    // (docs/performance.md, manifest set on etcd).
    std::shared_ptr<const crypto::PrivateKey> root_key;
    std::shared_ptr<Memo> memo;
    // What the replica's TLS evidence binds (RootCaSpkiSha256), once.
    crypto::Sha256Digest root_ca_spki_sha256{};
  };


  // The store's head as read, not verified (recovery and stale).
  struct UnverifiedHead {
    uint64_t generation = 0;
    crypto::Sha256Digest transition_hash{};
    std::optional<crypto::Sha256Digest> manifest_hash;
  };

  // A first set whose commit outcome is unknown (store error after the
  // request was sent): its secrets are kept so that a retry re-sends the same
  // objects and a `latest` that turns out to be ours is adopted, not
  // mistaken for another coordinator's.
  struct PendingFirstSet {
    Bytes manifest;
    std::vector<Bytes> policies;
    std::optional<history::Authorization> authorization;
    std::optional<crypto::Sha256Digest> genesis_challenge;
    std::shared_ptr<const seed::SeedSecrets> seed;
    std::shared_ptr<const seed::MeshSecret> mesh;
    Bytes bundle;
    std::unique_ptr<history::HistoryWriter> writer;
    std::unique_ptr<history::HistoryVerifier> verifier;
  };

  history::AuthorizationOptions AuthOptions() const {
    return history::AuthorizationOptions{options_.launch.genesis_owner_keys,
                                         &verified_authorizations_};
  }

  std::shared_ptr<const Active> active() const {
    absl::MutexLock lock(&mu_);
    return active_;
  }


  // The state and what a ready replica serves from, read together.
  std::pair<State, std::shared_ptr<const Active>> StateAndActive() const {
    absl::MutexLock lock(&mu_);
    return {state_, active_};
  }

  void SetState(State next, absl::string_view why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Freshness lease. `by` is "store" or "peer <name>"; `as_of` is when the
  // confirming read or exchange began, never when its answer arrived: an
  // answer that took long confirms only what was true when it was asked.
  // A confirmation never moves the lease backwards.
  void ConfirmLease(const std::string& by, absl::Time as_of) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ConfirmLease("store") for the store round holding write_mu_.
  void ConfirmLeaseFromStore() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_, write_mu_) {
    ConfirmLease("store", store_round_started_);
  }
  // Called on taking write_mu_: notes when this store round began.
  void BeginStoreRound() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    store_round_started_ = deps_.clock.Now();
  }
  bool LeaseValid(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LeaseExpired(absl::string_view operation, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The active snapshot if this replica serves (ready, valid lease), else
  // Unavailable naming the state or the expired lease. `store_fresh`: the
  // head was confirmed from the store within the lease.
  absl::StatusOr<std::shared_ptr<const Active>> ServingActive(absl::string_view operation,
                                                              bool* store_fresh) const;
  // The one place that decides whether a mesh caller may do `op` now
  // (DESIGN §5a): its claims, verified again when older than
  // Options::max_claims_age, against `active` and the launch config
  // (coordinator/authorization.h). Every refusal of a peer operation is an
  // audit event. Returns the manifest entry the caller acts as.
  absl::StatusOr<const manifest::PolicyEntry*> Authorize(MeshOperation op,
                                                         const AttestedCaller& caller,
                                                         const Active& active) const;
  // `caller.claims`, or the claims of its evidence verified again now when
  // they are past the maximum age or their signer's validity.
  absl::StatusOr<attest::Claims> CurrentClaims(const AttestedCaller& caller) const;
  // The peer identity rule (DESIGN §5a) for a peer this replica called.
  absl::Status AcceptPeer(const attest::Claims& claims) const;
  // One structured audit event (DESIGN §5a; docs/security.md): `event`,
  // outcome "granted" or "refused", never a secret.
  void Audit(absl::string_view event, const absl::Status& outcome, LogFields fields) const;

 public:
  // The privileged operations with their audit events: who authorized
  // (key or peer identity), the head before and after, the outcome.
  absl::StatusOr<TransitionResult> AuditedSetManifest(const SetManifestRequest& request);
  absl::StatusOr<seed::SeedSharesDocument> AuditedSeedShare(const crypto::PublicKey& caller);
  absl::StatusOr<TransitionResult> AuditedRecover(const RecoverRequest& request);

 private:
  // The head this replica knows (verified or not), for audit events.
  std::string HeadForAudit() const;
  absl::Status LearnOwnIdentity();
  void Kick() ABSL_LOCKS_EXCLUDED(queue_mu_);

  // The HA loop: lease confirmation while ready, peer recovery while in
  // recovery or stale.
  void HaLoop();
  // One lease confirmation round: the store, else the peers. True when the
  // head was confirmed.
  bool CheckLease(const std::shared_ptr<const Active>& snapshot) ABSL_LOCKS_EXCLUDED(write_mu_);
  bool ConfirmFromPeers(const std::shared_ptr<const Active>& snapshot);
  absl::Status TryPeerRecovery() ABSL_LOCKS_EXCLUDED(write_mu_);
  absl::Status AdoptGrant(const FromPeer<PeerRecoveryGrant>& grant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Ready peers (by the identity rule) answering a head exchange.
  std::vector<std::string> ReadyPeers();
  void RaiseAlarm(const std::string& text);
  void ClearAlarms();
  absl::Status WrongState(absl::string_view operation, State state) const;

  // The serving state for `history` with these secrets. The seed-derived
  // keys are taken from `previous` when it holds the same seed, else derived
  // (and checked against the bundle's root).
  absl::StatusOr<std::shared_ptr<const Active>> BuildActive(
      VerifiedHistory history, std::shared_ptr<const seed::SeedSecrets> seed,
      std::shared_ptr<const seed::MeshSecret> mesh, const ca::CaBundle& bundle,
      const Active* previous = nullptr) const;
  absl::StatusOr<HistoryExport> BuildExport(const Active& active) const;
  absl::StatusOr<ca::CaBundle> ReadBundle(const crypto::Sha256Digest& hash) const;
  absl::StatusOr<UnverifiedHead> ReadUnverifiedHead(ByteView latest_bytes) const;

  absl::StatusOr<TransitionResult> FirstSet(const SetManifestRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // While uninitialized: FailedPrecondition (and an alarm) when a peer that
  // passes the identity rule reports a history, so a lost `latest` cannot
  // start a second deployment beside the first (DESIGN §5a).
  absl::Status CheckNoPeerHasAHistory(const SetManifestRequest& request)
      ABSL_LOCKS_EXCLUDED(write_mu_);
  absl::StatusOr<std::unique_ptr<PendingFirstSet>> PrepareFirstSet(
      const SetManifestRequest& request, const manifest::Manifest& manifest) const;
  absl::StatusOr<TransitionResult> AdoptFirstSet(VerifiedHistory history,
                                                 const manifest::Manifest& manifest,
                                                 ca::CaBundle bundle)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::StatusOr<TransitionResult> RetriedFirstSet(const Active& current);
  absl::StatusOr<TransitionResult> Update(const SetManifestRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Reads `latest` and acts on it. Returns true if it should be read again
  // after options_.watch_retry (a transient store error). A watch event only
  // triggers a read: the value is re-read under write_mu_, so an event that
  // predates this replica's own commit cannot be mistaken for a change.
  bool Refresh() ABSL_LOCKS_EXCLUDED(write_mu_);
  bool OnLatest(const absl::StatusOr<Bytes>& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  bool FollowLatest(const Bytes& latest) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  bool NoteUnverifiedHead(const Bytes& latest, State next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void WatchLoop();

  // A fresh random challenge (not a secret: it only has to be unique).
  static crypto::Sha256Digest NewChallenge(RandomSource& random) {
    crypto::Sha256Digest challenge{};
    if (!random.Fill(challenge).ok()) {
      // Without randomness the replica cannot make a seed either; a zero
      // challenge is refused by FirstSet below.
      challenge.fill(0);
    }
    return challenge;
  }

  const Options options_;
  // One check of an authorization serves the pre-checks here and the
  // history writer's check before it commits.
  mutable history::VerifiedAuthorizations verified_authorizations_;
  const Deps deps_;
  // The challenge a first set on this replica signs over (DESIGN §6).
  const crypto::Sha256Digest genesis_challenge_;

  // Serialises everything that changes the history or the state: writes and
  // the watch loop's processing. Never held while the loop waits.
  absl::Mutex write_mu_;
  std::unique_ptr<history::HistoryVerifier> verifier_ ABSL_GUARDED_BY(write_mu_);
  std::unique_ptr<history::HistoryWriter> writer_ ABSL_GUARDED_BY(write_mu_);
  std::unique_ptr<PendingFirstSet> pending_ ABSL_GUARDED_BY(write_mu_);
  // When the store round holding write_mu_ began (BeginStoreRound).
  absl::Time store_round_started_ ABSL_GUARDED_BY(write_mu_) = absl::InfinitePast();

  // Guards the state snapshot that readers use; held only briefly.
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kUninitialized;
  std::shared_ptr<const Active> active_ ABSL_GUARDED_BY(mu_);
  std::optional<UnverifiedHead> unverified_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> alarms_ ABSL_GUARDED_BY(mu_);
  uint64_t alarms_raised_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Time> confirmed_at_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> store_confirmed_at_ ABSL_GUARDED_BY(mu_);
  std::string confirmed_by_ ABSL_GUARDED_BY(mu_);
  uint64_t confirmations_ ABSL_GUARDED_BY(mu_) = 0;

  // The watch loop's inbox.
  absl::Mutex queue_mu_;
  bool started_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool stop_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool reread_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool event_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool ha_kick_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread thread_;
  std::thread ha_thread_;
};

// ---------------------------------------------------------------------------
// State, alarms, helpers.

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
  auto active = std::make_shared<Active>(Active{std::move(history), std::move(seed),
                                                std::move(mesh), std::move(issuer),
                                                *std::move(history_public), std::move(root_key),
                                                std::make_shared<Memo>()});
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

// ---------------------------------------------------------------------------
// Start, Stop, watch.

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
  if (Refresh()) {
    deps_.log.Warning("store unavailable at start; retrying in the background",
                      {{"replica", options_.replica_name}});
    absl::MutexLock lock(&queue_mu_);
    reread_ = true;
  }
  deps_.log.Info("coordinator started",
                 {{"replica", options_.replica_name}, {"state", std::string(StateName(state()))}});
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
    if (refresh && Refresh()) {
      absl::MutexLock lock(&queue_mu_);
      reread_ = true;
    }
  }
  handle.reset();  // waits for a running callback, which only takes queue_mu_
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
// Status and attestation.

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
  info.serving = state_ == State::kReady && active_ != nullptr && LeaseValid(now);
  info.lease = options_.freshness_lease;
  info.lease_confirmed_at = confirmed_at_;
  if (confirmed_at_.has_value()) {
    info.lease_expires_at = *confirmed_at_ + options_.freshness_lease;
  }
  info.lease_confirmed_by = confirmed_by_;
  info.lease_store_confirmed_at = store_confirmed_at_;
  info.lease_confirmations = confirmations_;
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

// ---------------------------------------------------------------------------
// High availability: freshness lease, peer identity, peer recovery, head
// exchange (DESIGN §7, §8; decisions 0016, 0017).

void Coordinator::Impl::Kick() {
  absl::MutexLock lock(&queue_mu_);
  ha_kick_ = true;
}

void Coordinator::Impl::ConfirmLease(const std::string& by, absl::Time as_of) {
  // An older answer arriving late moves nothing backwards.
  if (!confirmed_at_.has_value() || as_of >= *confirmed_at_) {
    confirmed_at_ = as_of;
    confirmed_by_ = by;
  }
  if (by == "store" && (!store_confirmed_at_.has_value() || as_of > *store_confirmed_at_)) {
    store_confirmed_at_ = as_of;
  }
  ++confirmations_;
}

bool Coordinator::Impl::LeaseValid(absl::Time now) const {
  return confirmed_at_.has_value() && now - *confirmed_at_ < options_.freshness_lease;
}

absl::Status Coordinator::Impl::LeaseExpired(absl::string_view operation, absl::Time now) const {
  const std::string ago = confirmed_at_.has_value()
                              ? absl::StrCat(absl::FormatDuration(now - *confirmed_at_), " ago")
                              : std::string("never");
  return absl::UnavailableError(absl::StrCat(operation,
                                             ": freshness lease expired (last confirmed ", ago,
                                             "): store and peers unreachable"));
}

absl::StatusOr<std::shared_ptr<const Coordinator::Impl::Active>> Coordinator::Impl::ServingActive(
    absl::string_view operation, bool* store_fresh) const {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kReady || active_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(operation, ": state ", StateName(state_), ": not ready"));
  }
  const absl::Time now = deps_.clock.Now();
  if (!LeaseValid(now)) {
    return LeaseExpired(operation, now);
  }
  if (store_fresh != nullptr) {
    *store_fresh =
        store_confirmed_at_.has_value() && now - *store_confirmed_at_ < options_.freshness_lease;
  }
  return active_;
}

bool Coordinator::Impl::Serving() const { return ServingActive("serving", nullptr).ok(); }

absl::Status Coordinator::Impl::LearnOwnIdentity() {
  // Verified locally, so the report data need not be fresh; a fixed label
  // keeps Start from consuming the injected randomness.
  const crypto::Sha512Digest report_data = crypto::Sha512(AsBytes(kOwnIdentityLabel));
  absl::StatusOr<attest::Evidence> evidence = deps_.attester.Attest(report_data);
  if (!evidence.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("coordinator: own evidence: ", evidence.status().message()));
  }
  attest::VerifyOptions verify;
  verify.at = deps_.clock.Now();
  verify.report_data = report_data;
  verify.check_reference_values = false;
  absl::StatusOr<attest::Claims> claims = deps_.verifier.Verify(*evidence, verify);
  if (!claims.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("coordinator: own evidence does not verify: ", claims.status().message()));
  }
  const manifest::PolicyHash& launch_hash = options_.launch.policy_hash;
  if (claims->host_data != Bytes(launch_hash.begin(), launch_hash.end())) {
    return absl::FailedPreconditionError(
        absl::StrCat("coordinator: own evidence: host data ", HexEncode(claims->host_data),
                     " is not the launch config's policy hash ", HexEncode(launch_hash)));
  }
  // Peers run the same launch config: if this replica's own evidence fails
  // the peer identity rule, so will theirs, and no peer will be recognised.
  const absl::Status as_peer = CheckPeerIdentity(*claims, options_.launch);
  if (!as_peer.ok()) {
    deps_.log.Warning("own evidence fails the peer identity rule; peers running this launch "
                      "config will not be recognised",
                      {{"replica", options_.replica_name},
                       {"error", std::string(as_peer.message())}});
  }
  deps_.log.Info("own identity for peer recovery",
                 {{"replica", options_.replica_name},
                  {"policy", HexEncode(claims->host_data)},
                  {"measurement", HexEncode(claims->measurement)}});
  return absl::OkStatus();
}

absl::Status Coordinator::Impl::AcceptPeer(const attest::Claims& claims) const {
  return CheckPeerIdentity(claims, options_.launch);
}

void Coordinator::Impl::HaLoop() {
  const absl::Duration interval = options_.freshness_lease / 3;
  absl::Duration backoff = options_.peer_retry;
  // Clock time before which no new lease round starts.
  absl::Time next_round = absl::InfinitePast();
  bool was_serving = Serving();
  for (;;) {
    const auto [current, snapshot] = StateAndActive();
    absl::Duration wait = options_.watch_retry;
    if (current == State::kReady && snapshot != nullptr) {
      backoff = options_.peer_retry;
      std::optional<absl::Time> confirmed;
      {
        absl::MutexLock lock(&mu_);
        confirmed = confirmed_at_;
      }
      const absl::Time now = deps_.clock.Now();
      const absl::Time due =
          std::max(confirmed.has_value() ? *confirmed + interval : now, next_round);
      if (now >= due) {
        if (!CheckLease(snapshot)) {
          next_round = now + std::min(interval, kMaxLeaseRetry);
        }
      } else {
        // The injected clock cannot wake us: poll it, at most every
        // watch_retry of real time.
        wait = std::min(wait, due - now);
      }
      const bool serving = Serving();
      if (serving != was_serving) {
        absl::MutexLock lock(&mu_);
        const absl::Time at = deps_.clock.Now();
        if (serving) {
          deps_.log.Info("freshness lease confirmed; serving",
                         {{"replica", options_.replica_name}, {"by", confirmed_by_}});
        } else if (state_ == State::kReady) {
          deps_.log.Warning(
              "freshness lease expired; not serving",
              {{"replica", options_.replica_name},
               {"last_confirmed",
                confirmed_at_.has_value() ? absl::FormatDuration(at - *confirmed_at_) : "never"}});
        }
      }
      was_serving = serving;
    } else if ((current == State::kRecovery || current == State::kStale) &&
               deps_.peers != nullptr) {
      was_serving = false;
      const absl::Status attempt = TryPeerRecovery();
      if (attempt.ok()) {
        backoff = options_.peer_retry;
        wait = absl::ZeroDuration();
      } else {
        wait = backoff;
        backoff = std::min(backoff * 2, std::max(options_.peer_retry, kMaxPeerRetry));
      }
    } else {
      was_serving = false;
    }
    absl::MutexLock lock(&queue_mu_);
    auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return stop_ || ha_kick_; };
    if (wait > absl::ZeroDuration()) {
      queue_mu_.AwaitWithTimeout(absl::Condition(&has_work), wait);
    }
    if (stop_) {
      break;
    }
    ha_kick_ = false;
  }
}

bool Coordinator::Impl::CheckLease(const std::shared_ptr<const Active>& snapshot) {
  uint64_t before = 0;
  {
    absl::MutexLock lock(&mu_);
    before = confirmations_;
  }
  // A verified read equal to the head, or a newer head followed, confirms
  // (FollowLatest); a rolled-back, forged or missing latest does not.
  Refresh();
  {
    absl::MutexLock lock(&mu_);
    if (confirmations_ != before && store_confirmed_at_ == confirmed_at_) {
      return true;
    }
    if (state_ != State::kReady || active_ != snapshot) {
      return true;  // the state moved on (followed or stale): nothing to confirm
    }
  }
  return ConfirmFromPeers(snapshot);
}

bool Coordinator::Impl::ConfirmFromPeers(const std::shared_ptr<const Active>& snapshot) {
  if (deps_.peers == nullptr) {
    return false;
  }
  const Bytes& own_latest = snapshot->history.latest_bytes;
  const uint64_t own_generation = snapshot->history.generation();
  const absl::Time asked_at = deps_.clock.Now();
  std::vector<FromPeer<PeerHead>> heads = deps_.peers->ExchangeHeads(own_latest);
  for (const FromPeer<PeerHead>& head : heads) {
    absl::Status identity = AcceptPeer(head.claims);
    if (!identity.ok()) {
      deps_.log.Warning("peer head ignored", {{"replica", options_.replica_name},
                                              {"peer", head.peer},
                                              {"error", std::string(identity.message())}});
      continue;
    }
    absl::StatusOr<history::Latest> latest = history::ParseLatest(head.value.latest);
    if (!latest.ok() || !history::VerifyLatest(snapshot->history_key, *latest).ok()) {
      RaiseAlarm(absl::StrCat("peer ", head.peer,
                              " sent a head that is not signed by this deployment's history key"));
      continue;
    }
    if (latest->generation > own_generation) {
      // A peer knows a newer head: it must be in the store; re-read it.
      absl::MutexLock lock(&queue_mu_);
      event_ = true;
      continue;
    }
    if (head.value.state != kPeerStateReady || head.value.latest != own_latest) {
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (state_ == State::kReady && active_ == snapshot) {
      ConfirmLease(absl::StrCat("peer ", head.peer), asked_at);
      return true;
    }
  }
  return false;
}

std::vector<std::string> Coordinator::Impl::ReadyPeers() {
  Bytes own_latest;
  {
    absl::MutexLock lock(&mu_);
    if (active_ != nullptr) {
      own_latest = active_->history.latest_bytes;
    }
  }
  std::vector<std::string> ready;
  for (const FromPeer<PeerHead>& head : deps_.peers->ExchangeHeads(own_latest)) {
    if (IsReadyPeerState(head.value.state) && AcceptPeer(head.claims).ok()) {
      ready.push_back(head.peer);
    }
  }
  return ready;
}

absl::Status Coordinator::Impl::TryPeerRecovery() {
  absl::StatusOr<FromPeer<PeerRecoveryGrant>> grant = deps_.peers->RequestRecovery(
      [this](const attest::Claims& claims) { return AcceptPeer(claims); });
  if (!grant.ok()) {
    deps_.log.Debug(
        "peer recovery attempt failed",
        {{"replica", options_.replica_name}, {"error", std::string(grant.status().message())}});
    return grant.status();
  }
  // The network promised to apply the rule; it is only a carrier, so check.
  CONCORD_RETURN_IF_ERROR(AcceptPeer(grant->claims));
  absl::MutexLock write_lock(&write_mu_);
  BeginStoreRound();
  const State current = state();
  if (current != State::kRecovery && current != State::kStale) {
    return absl::OkStatus();  // recovered meanwhile (manual recovery)
  }
  absl::Status adopted = AdoptGrant(*grant);
  if (!adopted.ok()) {
    deps_.log.Warning("peer recovery grant refused", {{"replica", options_.replica_name},
                                                      {"peer", grant->peer},
                                                      {"error", std::string(adopted.message())}});
  }
  return adopted;
}

absl::Status Coordinator::Impl::AdoptGrant(const FromPeer<PeerRecoveryGrant>& grant) {
  const std::string from = absl::StrCat("peer recovery from ", grant.peer);
  absl::StatusOr<seed::SeedSecrets> secrets =
      seed::SeedSecrets::FromBytes(grant.value.seed, grant.value.salt);
  if (!secrets.ok()) {
    return Prefixed(from, secrets.status());
  }
  absl::StatusOr<seed::MeshSecret> mesh_secret =
      seed::MeshSecret::FromBytes(grant.value.mesh_secret);
  if (!mesh_secret.ok()) {
    return Prefixed(from, mesh_secret.status());
  }
  auto seed = std::make_shared<const seed::SeedSecrets>(*std::move(secrets));
  auto mesh = std::make_shared<const seed::MeshSecret>(*std::move(mesh_secret));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey history_key, seed->DeriveHistoryKey());
  const crypto::PublicKey history_public = history_key.public_key();

  absl::StatusOr<history::Latest> granted = history::ParseLatest(grant.value.latest);
  if (!granted.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(from, ": latest: ", granted.status().message()));
  }
  if (!history::VerifyLatest(history_public, *granted).ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat(from, ": the peer's latest is not signed by the granted seed's history key"));
  }
  absl::StatusOr<Bytes> stored = deps_.store.Get(store::kLatestKey);
  if (!stored.ok()) {
    if (stored.status().code() == absl::StatusCode::kNotFound) {
      RaiseAlarm(
          absl::StrCat("store head differs from peer's head: possible rollback (store has "
                       "no latest, peer ",
                       grant.peer, " generation ", granted->generation, ")"));
      return absl::FailedPreconditionError(absl::StrCat(from, ": the store holds no latest"));
    }
    return Prefixed(from, stored.status());
  }
  if (*stored != grant.value.latest) {
    absl::StatusOr<history::Latest> store_latest = history::ParseLatest(*stored);
    if (store_latest.ok() && history::VerifyLatest(history_public, *store_latest).ok() &&
        store_latest->generation > granted->generation) {
      // The peer answered before a newer commit reached it: not a rollback.
      return absl::UnavailableError(absl::StrCat(
          from, ": the store's head (generation ", store_latest->generation,
          ") is newer than the peer's (generation ", granted->generation, "); retrying"));
    }
    RaiseAlarm(absl::StrCat(
        "store head differs from peer's head: possible rollback (store generation ",
        store_latest.ok() ? absl::StrCat(store_latest->generation) : std::string("unreadable"),
        ", peer ", grant.peer, " generation ", granted->generation, ")"));
    return absl::FailedPreconditionError(
        absl::StrCat(from, ": store head differs from peer's head: possible rollback; refused"));
  }
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<history::HistoryVerifier> verifier,
      history::HistoryVerifier::Create(deps_.store, history_public, AuthOptions()));
  absl::StatusOr<VerifiedHistory> verified = verifier->VerifyLatest(*stored);
  if (!verified.ok()) {
    if (verified.status().code() == absl::StatusCode::kDataLoss) {
      RaiseAlarm(absl::StrCat("stored history does not verify: ", verified.status().message()));
    }
    return Prefixed(from, verified.status());
  }
  absl::StatusOr<ca::CaBundle> bundle = ReadBundle(verified->head().transition.ca_bundle_hash);
  if (!bundle.ok()) {
    return Prefixed(from, bundle.status());
  }
  // BuildActive checks the mesh secret against the stored mesh CA and the
  // seed against the stored root.
  absl::StatusOr<std::shared_ptr<const Active>> next =
      BuildActive(*std::move(verified), seed, mesh, *bundle);
  if (!next.ok()) {
    return Prefixed(from, next.status());
  }
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<history::HistoryWriter> writer,
      history::HistoryWriter::Create(deps_.store, std::move(history_key), AuthOptions()));
  verifier_ = std::move(verifier);
  writer_ = std::move(writer);
  pending_.reset();
  const uint64_t generation = (*next)->history.generation();
  const crypto::Sha256Digest head_hash = (*next)->history.head().hash;
  deps_.log.Info("recovered from peer", {{"replica", options_.replica_name},
                                         {"peer", grant.peer},
                                         {"generation", absl::StrCat(generation)},
                                         {"transition", Short(head_hash)}});
  ClearAlarms();
  absl::MutexLock lock(&mu_);
  active_ = *std::move(next);
  unverified_.reset();
  ConfirmLeaseFromStore();
  SetState(State::kReady, absl::StrCat("recovered from peer ", grant.peer));
  return absl::OkStatus();
}

absl::StatusOr<PeerRecoveryGrant> Coordinator::Impl::ServePeerRecovery(
    const AttestedCaller& caller) {
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> snapshot,
                           ServingActive("peer recovery", nullptr));
  CONCORD_RETURN_IF_ERROR(Authorize(MeshOperation::kPeerRecovery, caller, *snapshot).status());
  Audit("peer recovery", absl::OkStatus(),
        {{"peer_policy", HexEncode(caller.claims.host_data)},
         {"peer_measurement", HexEncode(caller.claims.measurement)},
         {"generation", absl::StrCat(snapshot->history.generation())},
         {"head", Short(snapshot->history.head().hash)}});
  return PeerRecoveryGrant{snapshot->seed->seed(), snapshot->seed->salt(), snapshot->mesh->secret(),
                           snapshot->history.latest_bytes};
}

absl::StatusOr<PeerHead> Coordinator::Impl::ServePeerHead(const AttestedCaller& caller,
                                                          const Bytes& caller_latest) {
  if (state() == State::kUninitialized) {
    return absl::FailedPreconditionError("peer head: state uninitialized: no history yet");
  }
  bool store_fresh = false;
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> snapshot,
                           ServingActive("peer head", &store_fresh));
  CONCORD_RETURN_IF_ERROR(Authorize(MeshOperation::kPeerHead, caller, *snapshot).status());
  if (!caller_latest.empty()) {
    absl::StatusOr<history::Latest> latest = history::ParseLatest(caller_latest);
    if (!latest.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer head: latest: ", latest.status().message()));
    }
    if (!history::VerifyLatest(snapshot->history_key, *latest).ok()) {
      return absl::InvalidArgumentError(
          "peer head: latest: not signed by this deployment's history key");
    }
    if (latest->generation > snapshot->history.generation()) {
      absl::MutexLock lock(&queue_mu_);
      event_ = true;  // the watch loop re-reads the store and follows
    }
  }
  return PeerHead{options_.replica_name, snapshot->history.latest_bytes,
                  std::string(store_fresh ? kPeerStateReady : kPeerStateReadyViaPeers)};
}

// ---------------------------------------------------------------------------
// Manifest sets.

absl::StatusOr<TransitionResult> Coordinator::Impl::SetManifest(const SetManifestRequest& request) {
  size_t total = request.manifest.size();
  for (const Bytes& policy : request.policies) {
    total += policy.size();
  }
  if (total > manifest::kMaxManifestSize) {
    return absl::InvalidArgumentError(absl::StrCat("manifest: manifest and policies: want at most ",
                                                   manifest::kMaxManifestSize,
                                                   " bytes in total, got ", total));
  }
  if (state() == State::kUninitialized) {
    // Asked without holding write_mu_: a network round trip.
    CONCORD_RETURN_IF_ERROR(CheckNoPeerHasAHistory(request));
  }
  absl::MutexLock write_lock(&write_mu_);
  BeginStoreRound();
  const State current = state();
  switch (current) {
    case State::kUninitialized:
      return FirstSet(request);
    case State::kReady:
      return Update(request);
    case State::kRecovery:
    case State::kStale:
      return WrongState("manifest", current);
  }
  return absl::InternalError("manifest: unknown state");
}

absl::Status Coordinator::Impl::CheckNoPeerHasAHistory(const SetManifestRequest& request) {
  if (deps_.peers == nullptr) {
    return absl::OkStatus();
  }
  // The caller first: a first set that this replica would refuse anyway
  // (another replica's challenge, a signature that does not verify) costs
  // no peer round trip.
  if (request.genesis_challenge.has_value() && *request.genesis_challenge != genesis_challenge_) {
    return absl::OkStatus();  // FirstSet refuses it
  }
  if (request.authorization.has_value() &&
      !history::VerifyAuthorization(*request.authorization, TransitionKind::kManifest,
                                    crypto::Sha256(request.manifest),
                                    request.genesis_challenge.value_or(crypto::Sha256Digest{}),
                                    &verified_authorizations_)
           .ok()) {
    return absl::OkStatus();  // FirstSet refuses it
  }
  for (const FromPeer<PeerHead>& head : deps_.peers->ExchangeHeads(Bytes())) {
    if (head.value.latest.empty() || !AcceptPeer(head.claims).ok()) {
      continue;
    }
    absl::StatusOr<history::Latest> latest = history::ParseLatest(head.value.latest);
    const std::string generation =
        latest.ok() ? absl::StrCat(latest->generation) : std::string("unreadable");
    RaiseAlarm(absl::StrCat("a first set was attempted while peer ", head.peer,
                            " reports a history (generation ", generation,
                            "): is the store's latest lost?"));
    return absl::FailedPreconditionError(absl::StrCat(
        "manifest: peer ", head.peer, " reports a history (generation ", generation,
        "): a first set here would fork the deployment; restore the store's latest or let "
        "this replica recover from its peers"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Coordinator::Impl::PendingFirstSet>>
Coordinator::Impl::PrepareFirstSet(const SetManifestRequest& request,
                                   const manifest::Manifest& manifest) const {
  auto pending = std::make_unique<PendingFirstSet>();
  pending->manifest = request.manifest;
  pending->policies = request.policies;
  pending->authorization = request.authorization;
  pending->genesis_challenge = request.genesis_challenge;
  CONCORD_ASSIGN_OR_RETURN(seed::SeedSecrets seed, seed::SeedSecrets::Generate(deps_.random));
  CONCORD_ASSIGN_OR_RETURN(seed::MeshSecret mesh, seed::MeshSecret::Generate(deps_.random));
  pending->seed = std::make_shared<const seed::SeedSecrets>(std::move(seed));
  pending->mesh = std::make_shared<const seed::MeshSecret>(std::move(mesh));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey root_key, pending->seed->DeriveRootCaKey());
  const absl::Time now = deps_.clock.Now();
  CONCORD_ASSIGN_OR_RETURN(Bytes root_der,
                           ca::CreateRootCaCertificate(root_key, "", now, deps_.random));
  // The genesis transition's previous-hash field: the challenge, or zeros.
  const crypto::Sha256Digest previous = request.genesis_challenge.value_or(crypto::Sha256Digest{});
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey mesh_key,
                           pending->mesh->DeriveMeshCaKey(1, previous, manifest.hash()));
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle,
                           ca::CreateCaBundle(root_key, root_der, mesh_key, 1, now, deps_.random));
  pending->bundle = bundle.Serialize();
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey history_key, pending->seed->DeriveHistoryKey());
  CONCORD_ASSIGN_OR_RETURN(
      pending->verifier,
      history::HistoryVerifier::Create(deps_.store, history_key.public_key(), AuthOptions()));
  CONCORD_ASSIGN_OR_RETURN(
      pending->writer,
      history::HistoryWriter::Create(deps_.store, std::move(history_key), AuthOptions()));
  return pending;
}

absl::StatusOr<TransitionResult> Coordinator::Impl::FirstSet(const SetManifestRequest& request) {
  if (request.expected_previous.has_value() && !IsZero(*request.expected_previous)) {
    return absl::AbortedError(absl::StrCat("manifest: expected_previous ",
                                           HexEncode(*request.expected_previous),
                                           " is not the head: no manifest has been set yet"));
  }
  absl::StatusOr<manifest::Manifest> manifest = manifest::Manifest::Parse(request.manifest);
  if (!manifest.ok()) {
    return manifest.status();
  }
  CONCORD_RETURN_IF_ERROR(manifest::ValidateForPlatforms(*manifest, options_.launch.platforms));
  // The one-time challenge: a signed first set signs over the challenge this
  // replica issued, so a recorded one (the genesis objects are public)
  // cannot be replayed here, after `latest` is lost or onto a new replica.
  if (request.genesis_challenge.has_value() &&
      (IsZero(genesis_challenge_) || *request.genesis_challenge != genesis_challenge_)) {
    return absl::AbortedError(
        "manifest: challenge: not the one this replica issued (GET /v1/status shows it while "
        "uninitialized): re-read the status and sign again");
  }
  if (request.authorization.has_value() && !request.genesis_challenge.has_value()) {
    return absl::InvalidArgumentError(
        "challenge: required with a signed first set: sign over the challenge GET /v1/status "
        "shows (in place of the previous transition hash)");
  }
  // Fail before anything is committed if shares cannot be made.
  if (manifest->seedshare_owner_keys().size() > seed::kMaxSeedShares) {
    return absl::InvalidArgumentError("manifest: SeedshareOwnerKeys: too many keys");
  }
  if (pending_ == nullptr || pending_->manifest != request.manifest ||
      pending_->policies != request.policies ||
      !SameAuthorization(pending_->authorization, request.authorization) ||
      pending_->genesis_challenge != request.genesis_challenge) {
    CONCORD_ASSIGN_OR_RETURN(pending_, PrepareFirstSet(request, *manifest));
  }
  history::AppendRequest append;
  append.kind = TransitionKind::kManifest;
  append.manifest = request.manifest;
  append.policies = request.policies;
  append.ca_bundle = pending_->bundle;
  append.authorization = request.authorization;
  append.genesis_challenge = request.genesis_challenge;
  absl::StatusOr<VerifiedHistory> appended = pending_->writer->Append(std::nullopt, append);
  if (appended.ok()) {
    CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle, ca::CaBundle::Parse(pending_->bundle));
    return AdoptFirstSet(*std::move(appended), *manifest, std::move(bundle));
  }
  if (appended.status().code() == absl::StatusCode::kAborted) {
    // A `latest` exists: ours from an attempt whose reply was lost, or
    // another coordinator's.
    absl::StatusOr<VerifiedHistory> ours = pending_->verifier->Verify();
    if (ours.ok() && ours->generation() == 1 &&
        ours->head().transition.manifest_hash == manifest->hash() &&
        SameAuthorization(ours->head().transition.authorization, request.authorization)) {
      // Serve the bundle that was committed, which need not be the one
      // prepared now (certificate signatures are randomized).
      CONCORD_ASSIGN_OR_RETURN(ca::CaBundle stored,
                               ReadBundle(ours->head().transition.ca_bundle_hash));
      return AdoptFirstSet(*std::move(ours), *manifest, std::move(stored));
    }
    pending_.reset();
    {
      absl::MutexLock lock(&queue_mu_);
      reread_ = true;  // the watch loop moves this replica to recovery
    }
    return absl::AbortedError(
        "manifest: another coordinator set the first manifest; this replica enters recovery");
  }
  if (!IsTransient(appended.status())) {
    pending_.reset();  // refused: nothing was committed
  }
  return Prefixed("manifest", appended.status());
}

absl::StatusOr<TransitionResult> Coordinator::Impl::AdoptFirstSet(
    VerifiedHistory history, const manifest::Manifest& manifest, ca::CaBundle bundle) {
  CONCORD_ASSIGN_OR_RETURN(seed::SeedSharesDocument shares,
                           seed::MakeSeedShares(*pending_->seed, manifest.seedshare_owner_keys()));
  TransitionResult result{history.head().hash, history.generation(), bundle, std::move(shares)};
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> next,
                           BuildActive(std::move(history), pending_->seed, pending_->mesh, bundle));
  verifier_ = std::move(pending_->verifier);
  writer_ = std::move(pending_->writer);
  pending_.reset();
  deps_.log.Info("first manifest set", {{"replica", options_.replica_name},
                                        {"generation", "1"},
                                        {"transition", Short(result.transition_hash)},
                                        {"manifest", Short(manifest.hash())}});
  absl::MutexLock lock(&mu_);
  active_ = std::move(next);
  unverified_.reset();
  ConfirmLeaseFromStore();
  SetState(State::kReady, "first manifest committed");
  return result;
}

absl::StatusOr<TransitionResult> Coordinator::Impl::RetriedFirstSet(const Active& current) {
  const history::VerifiedTransition& genesis = *current.history.transitions.front();
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle, ReadBundle(genesis.transition.ca_bundle_hash));
  Memo& memo = *current.memo;
  absl::MutexLock lock(&memo.mu);
  if (memo.retried_shares == nullptr) {
    CONCORD_ASSIGN_OR_RETURN(
        seed::SeedSharesDocument shares,
        seed::MakeSeedShares(*current.seed, genesis.manifest->seedshare_owner_keys()));
    memo.retried_shares = std::make_shared<const seed::SeedSharesDocument>(std::move(shares));
  }
  return TransitionResult{genesis.hash, 1, std::move(bundle), *memo.retried_shares};
}

absl::StatusOr<TransitionResult> Coordinator::Impl::Update(const SetManifestRequest& request) {
  std::shared_ptr<const Active> current = active();
  const history::VerifiedTransition& head = current->history.head();
  if (!request.expected_previous.has_value() || IsZero(*request.expected_previous)) {
    // A retried first set (its reply was lost): the same manifest, the
    // same signature over the same challenge.
    const history::VerifiedTransition& genesis = *current->history.transitions.front();
    if (genesis.manifest->bytes() == request.manifest &&
        SameAuthorization(genesis.transition.authorization, request.authorization)) {
      return RetriedFirstSet(*current);
    }
    return absl::AbortedError(
        absl::StrCat("manifest: a history exists (head ", HexEncode(head.hash), ", generation ",
                     current->history.generation(), "): re-read it and send expected_previous"));
  }
  if (*request.expected_previous != head.hash) {
    return absl::AbortedError(
        absl::StrCat("manifest: expected_previous ", HexEncode(*request.expected_previous),
                     " is not the head ", HexEncode(head.hash), ": re-read and retry"));
  }
  absl::StatusOr<manifest::Manifest> next = manifest::Manifest::Parse(request.manifest);
  if (!next.ok()) {
    return next.status();
  }
  CONCORD_RETURN_IF_ERROR(manifest::ValidateForPlatforms(*next, options_.launch.platforms));
  const manifest::Manifest& previous = *head.manifest;
  if (previous.workload_owner_keys().empty()) {
    return absl::FailedPreconditionError(
        "manifest: the current manifest is immutable (no WorkloadOwnerKeys)");
  }
  if (!request.authorization.has_value()) {
    return absl::PermissionDeniedError(
        "manifest: authorization: required, by a WorkloadOwnerKeys entry of the current manifest");
  }
  if (!previous.IsWorkloadOwner(request.authorization->owner_key)) {
    return absl::PermissionDeniedError(
        "manifest: authorization.owner_key: not a WorkloadOwnerKeys entry of the current manifest");
  }
  CONCORD_RETURN_IF_ERROR(history::VerifyAuthorization(*request.authorization,
                                                       TransitionKind::kManifest, next->hash(),
                                                       head.hash, &verified_authorizations_));
  CONCORD_RETURN_IF_ERROR(manifest::ValidateUpdate(previous, *next));

  const uint64_t generation = current->history.generation() + 1;
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey mesh_key,
                           current->mesh->DeriveMeshCaKey(generation, head.hash, next->hash()));
  CONCORD_ASSIGN_OR_RETURN(
      ca::CaBundle bundle,
      ca::CreateCaBundle(*current->root_key, current->issuer->bundle().root_der(), mesh_key,
                         generation, deps_.clock.Now(), deps_.random));
  history::AppendRequest append;
  append.kind = TransitionKind::kManifest;
  append.manifest = request.manifest;
  append.policies = request.policies;
  append.ca_bundle = bundle.Serialize();
  append.authorization = request.authorization;
  absl::StatusOr<VerifiedHistory> appended = writer_->Append(current->history, append);
  if (!appended.ok()) {
    if (IsTransient(appended.status())) {
      absl::MutexLock lock(&queue_mu_);
      reread_ = true;  // outcome unknown: the watch loop re-reads and follows
    }
    return Prefixed("manifest", appended.status());
  }
  TransitionResult result{appended->head().hash, appended->generation(), bundle, std::nullopt};
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> updated,
                           BuildActive(*std::move(appended), current->seed, current->mesh, bundle,
                                       current.get()));
  deps_.log.Info("manifest updated", {{"replica", options_.replica_name},
                                      {"generation", absl::StrCat(result.generation)},
                                      {"transition", Short(result.transition_hash)},
                                      {"manifest", Short(next->hash())}});
  absl::MutexLock lock(&mu_);
  active_ = std::move(updated);
  ConfirmLeaseFromStore();
  return result;
}

absl::StatusOr<seed::SeedSharesDocument> Coordinator::Impl::SeedShare(
    const crypto::PublicKey& caller) {
  const auto [current, snapshot] = StateAndActive();
  if (current == State::kRecovery || current == State::kStale) {
    return absl::UnavailableError(
        absl::StrCat("seed shares: state ", StateName(current), ": ask a ready replica"));
  }
  if (current != State::kReady || snapshot == nullptr) {
    return WrongState("seed shares", current);
  }
  if (!snapshot->history.head().manifest->IsSeedshareOwner(caller)) {
    return absl::PermissionDeniedError("seed shares: the caller is not a seed-share owner");
  }
  return seed::MakeSeedShares(*snapshot->seed, {caller});
}

// ---------------------------------------------------------------------------
// Recovery.

absl::Status Coordinator::Impl::PrecheckRecoveryCaller(const RecoverRequest& request) const {
  if (request.authorization.owner_key.spki_der() != request.caller.spki_der()) {
    return absl::PermissionDeniedError(
        "recover: authorization.owner_key: must be the caller's key");
  }
  std::optional<UnverifiedHead> head;
  {
    absl::MutexLock lock(&mu_);
    head = unverified_;
  }
  if (!head.has_value() || !head->manifest_hash.has_value()) {
    return absl::OkStatus();  // nothing read yet: the full checks decide
  }
  if (request.expected_previous != head->transition_hash) {
    return absl::AbortedError(absl::StrCat(
        "recover: expected_previous ", HexEncode(request.expected_previous),
        " is not the store's head ", HexEncode(head->transition_hash),
        ": re-read the status and sign again"));
  }
  if (absl::Status signed_ok =
          history::VerifyAuthorization(request.authorization, TransitionKind::kRecovery,
                                       *head->manifest_hash, head->transition_hash,
                                       &verified_authorizations_);
      !signed_ok.ok()) {
    return absl::UnauthenticatedError(absl::StrCat("recover: authorization: ", signed_ok.message()));
  }
  absl::StatusOr<Bytes> manifest_bytes =
      history::ReadObject(deps_.store, history::ObjectType::kManifest, *head->manifest_hash);
  if (!manifest_bytes.ok()) {
    return absl::OkStatus();  // the full checks report the store's state
  }
  absl::StatusOr<manifest::Manifest> manifest = manifest::Manifest::Parse(*manifest_bytes);
  if (manifest.ok() && !manifest->IsSeedshareOwner(request.caller)) {
    return absl::PermissionDeniedError(
        "recover: the caller is not a seed-share owner of the store's head manifest");
  }
  return absl::OkStatus();
}

absl::StatusOr<TransitionResult> Coordinator::Impl::Recover(const RecoverRequest& request) {
  // The caller first: nothing that costs this replica or its peers a round
  // trip happens for a caller who is not a seed-share owner of the head.
  CONCORD_RETURN_IF_ERROR(PrecheckRecoveryCaller(request));
  if (!request.force && deps_.peers != nullptr) {
    const State current = state();
    if (current == State::kRecovery || current == State::kStale) {
      // Asked without holding write_mu_: this is a network round trip.
      const std::vector<std::string> ready = ReadyPeers();
      if (!ready.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("recover: ready peers exist (", absl::StrJoin(ready, ", "),
                         "): they recover this replica by themselves; use --force"));
      }
    }
  }
  absl::MutexLock write_lock(&write_mu_);
  BeginStoreRound();
  const State current = state();
  if (current != State::kRecovery && current != State::kStale) {
    return WrongState("recover", current);
  }
  absl::StatusOr<seed::SeedSecrets> secrets =
      seed::SeedSecrets::FromBytes(request.seed, request.salt);
  if (!secrets.ok()) {
    return Prefixed("recover", secrets.status());
  }
  auto seed = std::make_shared<const seed::SeedSecrets>(*std::move(secrets));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey history_key, seed->DeriveHistoryKey());
  const crypto::PublicKey history_public = history_key.public_key();

  // The seed must sign the stored latest before anything else is believed.
  absl::StatusOr<Bytes> latest_bytes = deps_.store.Get(store::kLatestKey);
  if (!latest_bytes.ok()) {
    if (latest_bytes.status().code() == absl::StatusCode::kNotFound) {
      return absl::FailedPreconditionError("recover: the store holds no history (latest missing)");
    }
    return Prefixed("recover", latest_bytes.status());
  }
  absl::StatusOr<history::Latest> latest = history::ParseLatest(*latest_bytes);
  if (!latest.ok()) {
    return absl::DataLossError(absl::StrCat("recover: latest: ", latest.status().message()));
  }
  if (!history::VerifyLatest(history_public, *latest).ok()) {
    return absl::UnauthenticatedError("recover: the seed does not verify the stored history");
  }
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<history::HistoryVerifier> verifier,
      history::HistoryVerifier::Create(deps_.store, history_public, AuthOptions()));
  absl::StatusOr<VerifiedHistory> verified = verifier->VerifyLatest(*latest_bytes);
  if (!verified.ok()) {
    if (verified.status().code() == absl::StatusCode::kDataLoss) {
      RaiseAlarm(absl::StrCat("stored history does not verify: ", verified.status().message()));
    }
    return Prefixed("recover", verified.status());
  }
  const history::VerifiedTransition& head = verified->head();
  if (!head.manifest->IsSeedshareOwner(request.caller)) {
    return absl::PermissionDeniedError(
        "recover: the caller is not a seed-share owner of the current manifest");
  }
  // (authorization.owner_key == caller was checked by PrecheckRecoveryCaller.)
  if (request.expected_previous != head.hash) {
    return absl::AbortedError(absl::StrCat(
        "recover: expected_previous ", HexEncode(request.expected_previous),
        " is not the verified head ", HexEncode(head.hash), ": re-read the status and sign again"));
  }
  if (request.minimum_head.has_value()) {
    const bool found = std::any_of(verified->transitions.begin(), verified->transitions.end(),
                                   [&](const auto& t) { return t->hash == *request.minimum_head; });
    if (!found) {
      return absl::FailedPreconditionError(
          absl::StrCat("recover: minimum head ", HexEncode(*request.minimum_head),
                       " is not in the store's history (head ", HexEncode(head.hash),
                       ", generation ", verified->generation(), "): was the store rolled back?"));
    }
  }
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle head_bundle, ReadBundle(head.transition.ca_bundle_hash));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey root_key, seed->DeriveRootCaKey());
  if (root_key.public_key().spki_der() != head_bundle.root_public_key().spki_der()) {
    return absl::DataLossError("recover: the stored root CA does not match the seed");
  }
  CONCORD_ASSIGN_OR_RETURN(seed::MeshSecret fresh_mesh, seed::MeshSecret::Generate(deps_.random));
  auto mesh = std::make_shared<const seed::MeshSecret>(std::move(fresh_mesh));
  const uint64_t generation = verified->generation() + 1;
  CONCORD_ASSIGN_OR_RETURN(
      crypto::PrivateKey mesh_key,
      mesh->DeriveMeshCaKey(generation, head.hash, head.transition.manifest_hash));
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle,
                           ca::CreateCaBundle(root_key, head_bundle.root_der(), mesh_key,
                                              generation, deps_.clock.Now(), deps_.random));
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<history::HistoryWriter> writer,
      history::HistoryWriter::Create(deps_.store, std::move(history_key), AuthOptions()));
  history::AppendRequest append;
  append.kind = TransitionKind::kRecovery;
  append.ca_bundle = bundle.Serialize();
  append.authorization = request.authorization;
  absl::StatusOr<VerifiedHistory> appended = writer->Append(*verified, append);
  if (!appended.ok()) {
    return Prefixed("recover", appended.status());
  }
  TransitionResult result{appended->head().hash, appended->generation(), bundle, std::nullopt};
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> next,
                           BuildActive(*std::move(appended), seed, mesh, bundle));
  verifier_ = std::move(verifier);
  writer_ = std::move(writer);
  pending_.reset();
  deps_.log.Info("recovered", {{"replica", options_.replica_name},
                               {"generation", absl::StrCat(result.generation)},
                               {"transition", Short(result.transition_hash)}});
  ClearAlarms();
  absl::MutexLock lock(&mu_);
  active_ = std::move(next);
  unverified_.reset();
  ConfirmLeaseFromStore();
  SetState(State::kReady, "manual recovery committed");
  return result;
}

// ---------------------------------------------------------------------------
// History export and the mesh API.

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

absl::StatusOr<attest::Claims> Coordinator::Impl::CheckWorkloadEvidence(
    const attest::Evidence& evidence, const std::array<uint8_t, 64>& report_data) const {
  // Authenticity and binding only, in every state: what the caller may do is
  // decided per request, on the snapshot that request is served from
  // (Authorize). A handshake made while uninitialized, in recovery or under
  // an older manifest therefore decides nothing later.
  attest::VerifyOptions options;
  options.at = deps_.clock.Now();
  options.report_data = report_data;
  options.check_reference_values = false;
  return deps_.verifier.Verify(evidence, options);
}

absl::StatusOr<attest::Claims> Coordinator::Impl::CurrentClaims(const AttestedCaller& caller) const {
  const absl::Time now = deps_.clock.Now();
  const attest::Claims& claims = caller.claims;
  const bool young = now - caller.verified_at <= options_.max_claims_age &&
                     caller.verified_at <= now;
  const bool signer_valid = now >= claims.signer_not_before && now <= claims.signer_not_after;
  if (young && signer_valid) {
    return claims;
  }
  if (caller.evidence == nullptr) {
    return absl::UnauthenticatedError(
        "caller: attested claims are past their maximum age; reconnect");
  }
  attest::VerifyOptions options;
  options.at = now;
  options.report_data = caller.report_data;
  options.check_reference_values = false;
  absl::StatusOr<attest::Claims> fresh = deps_.verifier.Verify(*caller.evidence, options);
  if (!fresh.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("caller: evidence verified again: ", fresh.status().message()));
  }
  return fresh;
}

absl::StatusOr<const manifest::PolicyEntry*> Coordinator::Impl::Authorize(
    MeshOperation op, const AttestedCaller& caller, const Active& active) const {
  absl::StatusOr<attest::Claims> claims = CurrentClaims(caller);
  absl::StatusOr<const manifest::PolicyEntry*> entry =
      claims.ok() ? AuthorizeMeshCaller(op, *claims, *active.history.head().manifest,
                                        active.history.generation())
                  : absl::StatusOr<const manifest::PolicyEntry*>(claims.status());
  if (op != MeshOperation::kIssueCertificate && !entry.ok()) {
    Audit(MeshOperationName(op), entry.status(),
          {{"peer_policy", HexEncode(caller.claims.host_data)},
           {"peer_measurement", HexEncode(caller.claims.measurement)},
           {"generation", absl::StrCat(active.history.generation())},
           {"head", Short(active.history.head().hash)}});
  }
  return entry;
}

std::string Coordinator::Impl::HeadForAudit() const {
  absl::MutexLock lock(&mu_);
  if (active_ != nullptr) {
    return absl::StrCat(Short(active_->history.head().hash), " (generation ",
                        active_->history.generation(), ")");
  }
  if (unverified_.has_value()) {
    return absl::StrCat(Short(unverified_->transition_hash), " (generation ",
                        unverified_->generation, ", unverified)");
  }
  return "none";
}

absl::StatusOr<TransitionResult> Coordinator::Impl::AuditedSetManifest(
    const SetManifestRequest& request) {
  const std::string before = HeadForAudit();
  absl::StatusOr<TransitionResult> result = SetManifest(request);
  LogFields fields = {{"authorized_by", request.authorization.has_value()
                                            ? Short(request.authorization->owner_key.SpkiSha256())
                                            : std::string("none (immutable first manifest)")},
                      {"manifest", Short(crypto::Sha256(request.manifest))},
                      {"head_before", before}};
  if (result.ok()) {
    fields.emplace_back("head_after", absl::StrCat(Short(result->transition_hash), " (generation ",
                                                   result->generation, ")"));
  }
  Audit(request.expected_previous.has_value() ? "manifest update" : "first set", result.status(),
        std::move(fields));
  return result;
}

absl::StatusOr<seed::SeedSharesDocument> Coordinator::Impl::AuditedSeedShare(
    const crypto::PublicKey& caller) {
  absl::StatusOr<seed::SeedSharesDocument> result = SeedShare(caller);
  Audit("seed share re-issue", result.status(),
        {{"caller_key", Short(caller.SpkiSha256())}, {"head", HeadForAudit()}});
  return result;
}

absl::StatusOr<TransitionResult> Coordinator::Impl::AuditedRecover(const RecoverRequest& request) {
  const std::string before = HeadForAudit();
  absl::StatusOr<TransitionResult> result = Recover(request);
  LogFields fields = {{"authorized_by", Short(request.caller.SpkiSha256())},
                      {"head_before", before},
                      {"forced", request.force ? "true" : "false"}};
  if (result.ok()) {
    fields.emplace_back("head_after", absl::StrCat(Short(result->transition_hash), " (generation ",
                                                   result->generation, ")"));
  }
  Audit("manual recovery", result.status(), std::move(fields));
  return result;
}

void Coordinator::Impl::Audit(absl::string_view event, const absl::Status& outcome,
                              LogFields fields) const {
  fields.insert(fields.begin(), {"event", std::string(event)});
  fields.insert(fields.begin() + 1, {"outcome", outcome.ok() ? "granted" : "refused"});
  fields.emplace_back("replica", options_.replica_name);
  if (!outcome.ok()) {
    fields.emplace_back("error", std::string(outcome.message()));
  }
  if (outcome.ok()) {
    deps_.log.Info("audit", fields);
  } else {
    deps_.log.Warning("audit", fields);
  }
}

absl::StatusOr<WorkloadCertificate> Coordinator::Impl::IssueMeshCertificate(
    const AttestedCaller& caller, const crypto::PublicKey& key,
    std::optional<absl::Duration> lifetime) {
  if (lifetime.has_value() &&
      (*lifetime <= absl::ZeroDuration() || *lifetime > options_.leaf_lifetime)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lifetime_seconds: want 1 to ", absl::ToInt64Seconds(options_.leaf_lifetime)));
  }
  // One snapshot: the caller is authorized against it and served from it.
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> snapshot,
                           ServingActive("mesh certificate", nullptr));
  CONCORD_ASSIGN_OR_RETURN(const manifest::PolicyEntry* entry,
                           Authorize(MeshOperation::kIssueCertificate, caller, *snapshot));
  manifest::PolicyHash policy{};
  std::copy(caller.claims.host_data.begin(), caller.claims.host_data.end(), policy.begin());
  const uint64_t generation = snapshot->history.generation();
  absl::StatusOr<ca::Sans> sans = ca::ClassifySans(entry->sans);
  if (!sans.ok()) {
    // The manifest allows a policy without SANs; such a policy can hold a
    // secret but not a certificate. The operator has to change the manifest.
    return absl::FailedPreconditionError(
        absl::StrCat("mesh certificate: policy \"", entry->name, "\": ", sans.status().message()));
  }
  CONCORD_ASSIGN_OR_RETURN(
      ca::IssuedCertificate leaf,
      snapshot->issuer->Issue(key, *sans, lifetime.value_or(options_.leaf_lifetime)));
  const ca::CaBundle& bundle = snapshot->issuer->bundle();
  WorkloadCertificate out;
  out.chain_pem = bundle.WorkloadChainPem(leaf.der);
  out.leaf = std::move(leaf);
  out.mesh_ca_pem = bundle.MeshCaPem();
  out.root_ca_pem = bundle.RootCaPem();
  if (entry->workload_secret_id.has_value()) {
    CONCORD_ASSIGN_OR_RETURN(out.workload_secret,
                             snapshot->seed->DeriveWorkloadSecret(*entry->workload_secret_id));
  }
  out.policy_name = entry->name;
  out.policy = policy;
  out.generation = generation;
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
std::optional<crypto::Sha256Digest> Coordinator::Impl::RootCaSpkiSha256() const {
  std::shared_ptr<const Active> snapshot = active();
  if (snapshot == nullptr) {
    return std::nullopt;
  }
  return snapshot->root_ca_spki_sha256;
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
