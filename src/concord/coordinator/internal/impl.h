// Coordinator::Impl, the coordinator's state and the operations on it,
// shared by the files that implement it (each file says which job it does:
// coordinator.cc the state, the watch loop and the facade; freshness_lease.cc,
// peer_sync.cc, manifest_set.cc, recovery.cc, mesh.cc, audit.cc). Private to
// the coordinator component. Thread-safe as Coordinator is; the lock order is
// write_mu_, then mu_, then queue_mu_ (each also taken alone).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/common/hex.h"
#include "concord/common/log.h"
#include "concord/coordinator/authorization.h"
#include "concord/coordinator/coordinator.h"
#include "concord/coordinator/internal/freshness_lease.h"
#include "concord/crypto/hash.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/seed/secrets.h"

namespace concord::coordinator {
namespace internal {

// Upper bound of the peer-recovery backoff (DESIGN §8: sub-second retries,
// bounded); Options::peer_retry may not exceed it.
inline constexpr absl::Duration kMaxPeerRetry = absl::Seconds(1);

// Head-exchange states (PeerHead::state) of a serving replica: its head was
// confirmed from the store within the lease, or only through peers.
inline constexpr absl::string_view kPeerStateReady = "ready";
inline constexpr absl::string_view kPeerStateReadyViaPeers = "ready-peer-confirmed";

// First 16 hex characters of a hash, for log lines.
inline std::string Short(const crypto::Sha256Digest& hash) {
  return HexEncode(ByteView(hash.data(), 8));
}

// Store errors that a later read may not repeat.
inline bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded ||
         status.code() == absl::StatusCode::kInternal;
}

inline absl::Status Prefixed(absl::string_view operation, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(operation, ": ", status.message()));
}

}  // namespace internal

class Coordinator::Impl {
 public:
  Impl(Options options, Deps deps)
      : options_(std::move(options)),
        deps_(deps),
        genesis_challenge_(NewChallenge(deps.random)),
        lease_(options_.freshness_lease) {}
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
    history::VerifiedHistory history;
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

  // Confirms the freshness lease by the store round holding write_mu_, as
  // of when that round began (FreshnessLease::Confirm).
  void ConfirmLeaseFromStore() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_, write_mu_) {
    lease_.Confirm("store", store_round_started_);
  }
  // Called on taking write_mu_: notes when this store round began.
  void BeginStoreRound() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    store_round_started_ = deps_.clock.Now();
  }
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

  // One round of the watch loop, as the loop runs it when it has no watch
  // (it polls): reads `latest` and acts on it. True when the store could
  // not be read and the loop would read again after options_.watch_retry.
  bool RunWatchRound() ABSL_LOCKS_EXCLUDED(write_mu_, queue_mu_);
  // One round of the HA loop: a lease round when ready and due, a peer
  // recovery attempt in recovery or stale. Returns how long the loop waits
  // (unless kicked) before the next round. Only the HA thread calls it, or
  // a test when that thread does not run (Options::step_rounds_for_test).
  absl::Duration RunHaRound();

 private:
  // The head this replica knows (verified or not), for audit events.
  std::string HeadForAudit() const;
  absl::Status LearnOwnIdentity();
  void Kick() ABSL_LOCKS_EXCLUDED(queue_mu_);

  // The HA loop: lease confirmation while ready, peer recovery while in
  // recovery or stale; RunHaRound until stopped.
  void HaLoop();
  // What the HA loop carries from one round to the next.
  struct HaRoundState {
    absl::Duration backoff;  // before the next peer recovery attempt
    // Clock time before which no new lease round starts.
    absl::Time next_round = absl::InfinitePast();
    bool was_serving = false;  // to log when serving starts or stops
  };
  void ResetHaRound() {
    ha_round_ = HaRoundState{options_.peer_retry, absl::InfinitePast(), Serving()};
  }
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
      history::VerifiedHistory history, std::shared_ptr<const seed::SeedSecrets> seed,
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
  absl::StatusOr<TransitionResult> AdoptFirstSet(history::VerifiedHistory history,
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
  // Refresh(); on a transient store error, asks the watch loop to read again.
  bool RefreshOrRetry() ABSL_LOCKS_EXCLUDED(write_mu_, queue_mu_);

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
  internal::FreshnessLease lease_ ABSL_GUARDED_BY(mu_);

  // The watch loop's inbox.
  absl::Mutex queue_mu_;
  bool started_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool stop_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool reread_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool event_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool ha_kick_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread thread_;
  std::thread ha_thread_;
  // Only the HA thread (or a test stepping rounds without it) touches it.
  HaRoundState ha_round_;
};

}  // namespace concord::coordinator
