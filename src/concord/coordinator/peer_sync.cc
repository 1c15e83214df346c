// Peer sync (DESIGN §7, §8; decisions 0016, 0017, 0025): the HA loop (lease
// rounds while ready, peer recovery while in recovery or stale), this
// replica's own identity and the peer identity rule it applies to others,
// asking for and adopting a recovery grant, and serving peers' recovery and
// head-exchange requests.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/coordinator/authorization.h"
#include "concord/coordinator/internal/impl.h"
#include "concord/crypto/hash.h"
#include "concord/history/format.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/seed/secrets.h"

namespace concord::coordinator {
namespace {

using history::VerifiedHistory;
using internal::kMaxPeerRetry;
using internal::kPeerStateReady;
using internal::kPeerStateReadyViaPeers;
using internal::Prefixed;
using internal::Short;

// The pause before re-trying a failed lease confirmation, at most.
constexpr absl::Duration kMaxLeaseRetry = absl::Seconds(1);

// Report data of the evidence a replica verifies about itself at Start to
// learn its own identity (measurement, policy hash) for the peer rule.
constexpr absl::string_view kOwnIdentityLabel = "concord-coordinator-own-identity-v1";

bool IsReadyPeerState(absl::string_view state) {
  return state == kPeerStateReady || state == kPeerStateReadyViaPeers;
}

}  // namespace

void Coordinator::Impl::HaLoop() {
  ResetHaRound();
  for (;;) {
    const absl::Duration wait = RunHaRound();
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

absl::Duration Coordinator::Impl::RunHaRound() {
  const absl::Duration interval = options_.freshness_lease / 3;
  const auto [current, snapshot] = StateAndActive();
  absl::Duration wait = options_.watch_retry;
  if (current == State::kReady && snapshot != nullptr) {
    ha_round_.backoff = options_.peer_retry;
    std::optional<absl::Time> confirmed;
    {
      absl::MutexLock lock(&mu_);
      confirmed = lease_.confirmed_at();
    }
    const absl::Time now = deps_.clock.Now();
    const absl::Time due =
        std::max(confirmed.has_value() ? *confirmed + interval : now, ha_round_.next_round);
    if (now >= due) {
      if (!CheckLease(snapshot)) {
        ha_round_.next_round = now + std::min(interval, kMaxLeaseRetry);
      }
    } else {
      // The injected clock cannot wake us: poll it, at most every
      // watch_retry of real time.
      wait = std::min(wait, due - now);
    }
    const bool serving = Serving();
    if (serving != ha_round_.was_serving) {
      absl::MutexLock lock(&mu_);
      const absl::Time at = deps_.clock.Now();
      if (serving) {
        deps_.log.Info("freshness lease confirmed; serving",
                       {{"replica", options_.replica_name}, {"by", lease_.confirmed_by()}});
      } else if (state_ == State::kReady) {
        deps_.log.Warning(
            "freshness lease expired; not serving",
            {{"replica", options_.replica_name},
             {"last_confirmed", lease_.confirmed_at().has_value()
                                    ? absl::FormatDuration(at - *lease_.confirmed_at())
                                    : "never"}});
      }
    }
    ha_round_.was_serving = serving;
  } else if ((current == State::kRecovery || current == State::kStale) && deps_.peers != nullptr) {
    ha_round_.was_serving = false;
    const absl::Status attempt = TryPeerRecovery();
    if (attempt.ok()) {
      ha_round_.backoff = options_.peer_retry;
      wait = absl::ZeroDuration();
    } else {
      wait = ha_round_.backoff;
      ha_round_.backoff =
          std::min(ha_round_.backoff * 2, std::max(options_.peer_retry, kMaxPeerRetry));
    }
  } else {
    ha_round_.was_serving = false;
  }
  return wait;
}

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
    deps_.log.Warning(
        "own evidence fails the peer identity rule; peers running this launch "
        "config will not be recognised",
        {{"replica", options_.replica_name}, {"error", std::string(as_peer.message())}});
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

}  // namespace concord::coordinator
