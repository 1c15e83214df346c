// The user API's JSON (docs/api.md, "User API") as the CLI sends and reads
// it, and the client-side re-verification of what the coordinator serves:
// the POST /v1/attest statement and the GET /v1/manifests history. Response
// parsers accept unknown fields (newer coordinators may add some) but check
// the type, length and encoding of every field they use: DataLoss naming the
// response and field otherwise. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/atls/atls_protocol.h"
#include "concord/attest/evidence.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/history/format.h"
#include "concord/history/verifier.h"
#include "concord/net/client.h"
#include "concord/seed/secrets.h"
#include "concord/seed/seed_shares.h"

namespace concord::client {

// Largest response body the parsers accept (GET /v1/manifests of a long
// history is the biggest).
inline constexpr size_t kMaxResponseSize = 16 * 1024 * 1024;

// GET /v1/status.
struct StatusInfo {
  std::string state;
  std::string replica;
  uint64_t generation = 0;
  std::optional<crypto::Sha256Digest> transition;
  std::optional<crypto::Sha256Digest> manifest;
  bool head_verified = false;
  std::vector<std::string> alarms;
  std::string version;
  // Uninitialized: the challenge a signed first set signs over (in place of
  // the previous transition hash) and sends back (SetManifestRequest).
  std::optional<crypto::Sha256Digest> challenge;
};
absl::StatusOr<StatusInfo> ParseStatusResponse(absl::string_view body);
// The status as JSON for `concord status --json` (hex digests, null when
// absent), with "verified_coordinator" saying whether its evidence was checked.
std::string StatusToJson(const StatusInfo& status, bool coordinator_verified);

// POST /v1/manifest request.
struct SetManifestRequest {
  Bytes manifest;
  std::vector<Bytes> policies;
  std::optional<crypto::Sha256Digest> expected_previous;
  std::optional<history::Authorization> authorization;
  // First set: the challenge from GET /v1/status.
  std::optional<crypto::Sha256Digest> challenge;
};
std::string EncodeSetManifestRequest(const SetManifestRequest& request);

// POST /v1/manifest and POST /v1/recover response.
struct TransitionResponse {
  crypto::Sha256Digest transition{};
  uint64_t generation = 0;
  std::string root_ca_pem;
  std::string mesh_ca_pem;
  std::string intermediate_pem;
  // First set only.
  std::optional<seed::SeedSharesDocument> seed_shares;
};
absl::StatusOr<TransitionResponse> ParseTransitionResponse(absl::string_view body);

// POST /v1/recover request. The body carries the seed: it is returned as
// SecretBytes and must never be logged.
// `authorization` is the seed-share owner's over (kind recovery, head
// manifest hash, expected_previous).
struct RecoverRequest {
  crypto::Sha256Digest expected_previous{};
  std::optional<crypto::Sha256Digest> minimum_head;
  bool force = false;
};
crypto::SecretBytes EncodeRecoverRequest(const seed::SeedSecrets& secrets,
                                         const history::Authorization& authorization,
                                         const RecoverRequest& request);

// POST /v1/attest request: {"nonce": hex}.
std::string EncodeAttestRequest(const atls::Nonce& nonce);

// POST /v1/attest response, with `statement.nonce` set to the nonce the
// client sent.
struct AttestResponse {
  attest::Evidence evidence;
  atls::AttestStatement statement;
  std::optional<Bytes> history_key_spki;
  std::optional<std::string> root_ca_pem;
  std::optional<std::string> mesh_ca_pem;
};
absl::StatusOr<AttestResponse> ParseAttestResponse(absl::string_view body,
                                                   const atls::Nonce& nonce);

// Checks an attest response: its evidence must pass `check` (the
// coordinator check, coordinator_check.h) with report data =
// AttestStatementReportData(statement); the returned history key and CA
// certificates must match the SPKI hashes in the statement. Returns the
// claims. The check's error for bad evidence; PermissionDenied "attest: ..."
// for a returned field that the statement does not cover.
absl::StatusOr<attest::Claims> VerifyAttestResponse(const AttestResponse& response,
                                                    const net::ServerEvidenceCheck& check);

// GET /v1/manifests response.
struct ManifestsResponse {
  Bytes latest;
  Bytes history_key_spki;
  std::vector<std::pair<crypto::Sha256Digest, Bytes>> transitions;  // genesis first
  std::map<crypto::Sha256Digest, Bytes> manifests;
  std::map<crypto::Sha256Digest, Bytes> ca_bundles;
};
absl::StatusOr<ManifestsResponse> ParseManifestsResponse(absl::string_view body);

// The history the coordinator served, verified from scratch: every object
// goes into a fresh in-memory store under its content address and
// history::HistoryVerifier walks it with `history_key` (the attested one).
// PermissionDenied if the response names another history key; the
// verifier's DataLoss for anything that does not verify.
absl::StatusOr<history::VerifiedHistory> VerifyServedHistory(const ManifestsResponse& response,
                                                             const crypto::PublicKey& history_key);

}  // namespace concord::client
