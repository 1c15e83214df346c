// The coordinator's core (DESIGN.md §1, §3, §6, §7): the state machine
// (uninitialized, recovery, ready, stale) driven by the signed `latest` in the
// store, and the operations the APIs expose: first and owner-authorized
// manifest sets, seed-share re-issue, manual recovery, history export, the
// attestation statement, workload evidence checks and mesh certificate
// issuance. Transport-free: the api component maps requests and Status codes
// to HTTP. Thread-safe; a background thread watches `latest` and another
// keeps the freshness lease or recovers from peers (tests can run their
// rounds by hand instead: coordinator_testing.h).
//
// Error convention (api maps codes to HTTP statuses, docs/api.md):
//   InvalidArgument 400 (names the field), Unauthenticated 401,
//   PermissionDenied 403, NotFound 404, Aborted 409 (stale expected
//   previous transition / lost compare-and-swap), FailedPrecondition 412
//   (wrong state or a rule that needs operator action), Unavailable 503
//   (store unavailable, or a state a retry elsewhere / later fixes: mesh API
//   while not ready), DataLoss / Internal 500. Messages never carry secrets.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/atls/atls_protocol.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/ca/ca_bundle.h"
#include "concord/ca/issuer.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/common/random.h"
#include "concord/coordinator/launch_config.h"
#include "concord/coordinator/peers.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/history/format.h"
#include "concord/manifest/manifest.h"
#include "concord/seed/seed_shares.h"
#include "concord/store/store.h"

namespace concord::coordinator {

enum class State { kUninitialized, kRecovery, kReady, kStale };
// "uninitialized", "recovery", "ready", "stale".
absl::string_view StateName(State state);

struct Options {
  LaunchConfig launch;
  std::string replica_name = "coordinator-0";
  absl::Duration leaf_lifetime = ca::kDefaultLeafLifetime;
  // How often the watch loop re-reads `latest` when the store's Watch fails.
  absl::Duration watch_retry = absl::Milliseconds(500);
  // Freshness lease (DESIGN §7): a ready replica that has not confirmed its
  // head (verified store read, or a peer's signed head equal to its own)
  // within this long stops issuing and fails /readyz until it confirms
  // again.
  absl::Duration freshness_lease = absl::Seconds(10);
  // In recovery or stale with peers configured: pause between two rounds of
  // peer recovery attempts (sub-second; DESIGN §8).
  absl::Duration peer_retry = absl::Milliseconds(200);
  // Claims a mesh handshake verified are trusted for requests on that
  // connection for at most this long; older ones are verified again (at the
  // time of the request) before anything is served (DESIGN §5a). Bounded by
  // the shortest collateral validity Concord relies on.
  absl::Duration max_claims_age = absl::Minutes(10);
  // Tests only: Start() reads `latest` once but starts neither the watch
  // thread nor the HA thread; the test runs their rounds one at a time with
  // CoordinatorForTest (coordinator/coordinator_testing.h).
  bool step_rounds_for_test = false;
};

// Collaborators; they must outlive the Coordinator and be thread-safe.
struct Deps {
  store::Store& store;
  Clock& clock;
  RandomSource& random;  // seed, salt, mesh secret, serials
  // Verifies workload evidence (platforms as the launch config allows).
  const attest::EvidenceVerifier& verifier;
  // This coordinator's own evidence (POST /v1/attest).
  const attest::Attester& attester;
  Logger& log;
  // The other replicas (peer recovery, head exchange, the manual-recovery
  // "ready peers exist" check). Null: a single replica without peers.
  PeerNetwork* peers = nullptr;
};

struct SetManifestRequest {
  Bytes manifest;               // exact bytes
  std::vector<Bytes> policies;  // policy documents to store (optional)
  // The head the caller saw; required once a history exists (Aborted if
  // it is not the current head), must be absent for the first set.
  std::optional<crypto::Sha256Digest> expected_previous;
  std::optional<history::Authorization> authorization;
  // First set only: the one-time challenge this replica issued while
  // uninitialized (StatusInfo::genesis_challenge). A signed first set must
  // carry it and sign over it in place of the previous hash, so a recorded
  // first set cannot be replayed onto another replica or after `latest` is
  // lost. Aborted when it is not this replica's.
  std::optional<crypto::Sha256Digest> genesis_challenge;
};

struct TransitionResult {
  crypto::Sha256Digest transition_hash{};
  uint64_t generation = 0;
  ca::CaBundle bundle;
  // First set only (and its idempotent retry): the seed shares and salt.
  std::optional<seed::SeedSharesDocument> seed_shares;
};

struct RecoverRequest {
  crypto::PublicKey caller;  // the seed-share owner's key (TLS client cert)
  crypto::SecretBytes seed;
  crypto::SecretBytes salt;
  // The head the operator signed over (GET /v1/status shows the store's
  // unverified head in recovery); Aborted if the verified head differs.
  crypto::Sha256Digest expected_previous{};
  // The caller's signature over AuthorizationMessage(kRecovery, head
  // manifest hash, expected_previous); its key must be `caller`.
  history::Authorization authorization;
  // The newest head the operator's workspace has seen; the store's verified
  // head must be this transition or a descendant of it (else
  // FailedPrecondition, nothing changes).
  std::optional<crypto::Sha256Digest> minimum_head;
  // Recover even though ready peers answer (they would recover this replica
  // by themselves): without it, FailedPrecondition naming the ready peers.
  bool force = false;
};

// Raw bytes of the verified history, for GET /v1/manifests and `concord
// verify` (which re-verifies them).
struct HistoryExport {
  Bytes latest;
  struct Entry {
    crypto::Sha256Digest hash{};
    Bytes transition;  // encoded
  };
  std::vector<Entry> transitions;  // genesis first
  std::vector<std::pair<crypto::Sha256Digest, Bytes>> manifests;
  std::vector<std::pair<crypto::Sha256Digest, Bytes>> ca_bundles;
  crypto::PublicKey history_key;
};

struct AttestResult {
  attest::Evidence evidence;  // report data = AttestStatementReportData(statement)
  atls::AttestStatement statement;
  std::optional<ca::CaBundle> bundle;  // when a history is known
  std::optional<crypto::PublicKey> history_key;
};

struct StatusInfo {
  State state = State::kUninitialized;
  std::string replica;
  uint64_t generation = 0;
  std::optional<crypto::Sha256Digest> transition_hash;
  std::optional<crypto::Sha256Digest> manifest_hash;
  // Recovery / stale: the store's head as read, not verified (the operator
  // signs the recovery transition over it); false when ready.
  bool head_unverified = false;
  // Uninitialized only: the challenge a first set must sign over.
  std::optional<crypto::Sha256Digest> genesis_challenge;
  std::vector<std::string> alarms;  // active alarms, human readable
  uint64_t alarms_raised = 0;       // total since start
  // Freshness lease (DESIGN §7). `serving`: ready with a valid lease (what
  // Serving() returns). `lease_confirmed_at`: the last confirmation (unset
  // before the first); `lease_confirmed_by`: "store" or "peer <name>";
  // `lease_expires_at` = confirmed + Options::freshness_lease.
  bool serving = false;
  absl::Duration lease = absl::ZeroDuration();
  std::optional<absl::Time> lease_confirmed_at;
  std::optional<absl::Time> lease_expires_at;
  std::string lease_confirmed_by;
  // The last head confirmation made by reading the store itself (a replica
  // vouches for its head to peers only while this is within the lease).
  std::optional<absl::Time> lease_store_confirmed_at;
  // Confirmations made so far (store and peers). Each is dated when its
  // read or exchange began, so a late answer confirms no more than that.
  uint64_t lease_confirmations = 0;
};

// A mesh API caller as its handshake established it: evidence that is
// authentic and bound to the connection (verified at `verified_at` without
// reference values). What it may do is decided per request, against the
// snapshot the request is served from (coordinator/authorization.h).
struct AttestedCaller {
  attest::Claims claims;
  absl::Time verified_at = absl::InfinitePast();
  // The evidence and the report data it is bound to, to verify it again once
  // `claims` are older than Options::max_claims_age. Null: such a caller
  // must reconnect.
  const attest::Evidence* evidence = nullptr;
  std::array<uint8_t, 64> report_data{};
};

struct WorkloadCertificate {
  ca::IssuedCertificate leaf;
  std::string chain_pem;  // leaf + intermediate
  std::string mesh_ca_pem;
  std::string root_ca_pem;
  std::optional<crypto::SecretBytes> workload_secret;
  std::string policy_name;
  manifest::PolicyHash policy{};
  uint64_t generation = 0;
};

class Coordinator final {
 public:
  static absl::StatusOr<std::unique_ptr<Coordinator>> Create(Options options, Deps deps);
  ~Coordinator();  // Stop()

  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Reads `latest` once (uninitialized or recovery; Unavailable store errors
  // are retried by the watch loop, not returned) and starts watching it.
  absl::Status Start();
  void Stop();

  State state() const;
  StatusInfo Status() const;

  // POST /v1/manifest. Uninitialized: first set (reply after the commit;
  // an identical retry returns the same transition and re-issued shares).
  // Ready: owner-authorized update on top of `expected_previous`.
  absl::StatusOr<TransitionResult> SetManifest(const SetManifestRequest& request);

  // GET /v1/seedshares: the caller's share, freshly encrypted, and the salt.
  // PermissionDenied unless `caller` is a seed-share owner.
  absl::StatusOr<seed::SeedSharesDocument> SeedShare(const crypto::PublicKey& caller);

  // POST /v1/recover (manual recovery, states recovery and stale).
  absl::StatusOr<TransitionResult> Recover(const RecoverRequest& request);

  // GET /v1/manifests (ready only).
  absl::StatusOr<HistoryExport> ExportHistory();

  // POST /v1/attest (every state): evidence over the statement.
  absl::StatusOr<AttestResult> Attest(const atls::Nonce& nonce);

  // The SHA-256 of the root CA's SPKI once the replica has a root CA (a
  // verified history: ready or stale), for the TLS evidence to bind
  // (net::ServerOptions::bound_root_ca, decision 0028). Cheap: read from the
  // snapshot, computed when it was made.
  std::optional<crypto::Sha256Digest> RootCaSpkiSha256() const;

  // The mesh listener's EvidenceCheck, in every state: the evidence is
  // authentic (vendor chain, signature, no debug) and bound to
  // `report_data`. Reference values, policy and role are checked per
  // request (IssueMeshCertificate, ServePeerRecovery, ServePeerHead), on the
  // snapshot each request is served from, so nothing a handshake saw under
  // another state or manifest decides a later request.
  absl::StatusOr<attest::Claims> CheckWorkloadEvidence(
      const attest::Evidence& evidence, const std::array<uint8_t, 64>& report_data) const;

  // POST /v1/mesh/cert: a certificate for `key` with the SANs of the policy
  // named by the caller's HOST_DATA, and its workload secret, when the
  // caller's evidence matches that policy's reference values in the manifest
  // this replica serves now. PermissionDenied "policy <hex> is not in the
  // manifest (generation N)" or naming the failed reference value;
  // Unauthenticated when old claims no longer verify; Unavailable when not
  // ready.
  // `lifetime`: shorter than Options::leaf_lifetime if set (InvalidArgument
  // when longer or not positive).
  absl::StatusOr<WorkloadCertificate> IssueMeshCertificate(
      const AttestedCaller& caller, const crypto::PublicKey& key,
      std::optional<absl::Duration> lifetime = std::nullopt);

  // True while ready with a valid freshness lease: /readyz and issuance.
  bool Serving() const;

  // POST /v1/peer/recover, served by a ready replica (valid lease) to a
  // recovering one: PermissionDenied unless the caller's evidence passes the
  // peer identity rule (full evidence against the launch config's
  // ReferenceValues, its own or a RecoveryPolicies policy hash) and its
  // policy is a coordinator policy of the active manifest whose reference
  // values it matches; Unavailable when not serving. Every grant and
  // refusal is an audit event.
  absl::StatusOr<PeerRecoveryGrant> ServePeerRecovery(const AttestedCaller& caller);

  // POST /v1/peer/head: checks `caller_latest` (verified with the history
  // key; a newer valid head makes this replica re-read the store; empty:
  // the caller holds no verified head, e.g. in recovery) and answers with
  // this replica's own head. The answer's state is "ready" when this
  // replica confirmed its head from the store within the lease, else
  // "ready-peer-confirmed" (a caller confirms its lease only from "ready":
  // peers cannot keep each other alive without the store, decision 0016).
  // A caller's head never confirms this replica's lease.
  // PermissionDenied as above; FailedPrecondition when this replica has no
  // history yet; Unavailable when not serving; InvalidArgument for a
  // malformed or badly signed head.
  absl::StatusOr<PeerHead> ServePeerHead(const AttestedCaller& caller, const Bytes& caller_latest);

 private:
  friend class CoordinatorForTest;
  class Impl;
  explicit Coordinator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace concord::coordinator
