// The third-party verification of a coordinator (`concord verify`; README,
// docs/protocol.md): fresh evidence in a POST /v1/attest statement checked
// against the local manifest's coordinator policies and reference values,
// the whole manifest history from GET /v1/manifests re-verified with the
// attested history key, and the head's CA certificates matched against the
// statement. The caller owns the connection (and any retrying); this owns
// the protocol. Thread-compatible: one call per connection at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/evidence.h"
#include "concord/ca/ca_bundle.h"
#include "concord/common/random.h"
#include "concord/history/verifier.h"
#include "concord/manifest/manifest.h"
#include "concord/net/client.h"
#include "concord/net/http.h"

namespace concord::client {

// Sends one request to the coordinator's user API and returns its 2xx
// response, or the error: the connection's, or an API error as
// ParseApiError's status. The connection should already have checked the
// coordinator with the same check VerifyCoordinator is given.
using UserApiCall = std::function<absl::StatusOr<net::HttpResponse>(
    absl::string_view method, absl::string_view target, absl::string_view body)>;

struct VerifyCoordinatorRequest {
  // The transport; called twice (POST /v1/attest, then GET /v1/manifests).
  UserApiCall call;
  // The coordinator check (MakeCoordinatorCheck over the local manifest's
  // ExpectationsFromManifest): decides which evidence is acceptable.
  net::ServerEvidenceCheck check;
  // The operator's manifest; the newest manifest in the history is compared
  // with it (CoordinatorVerification::newest_manifest_is_local).
  const manifest::Manifest* local_manifest = nullptr;  // must outlive the call
  // Draws the attest nonce. Must outlive the call.
  RandomSource* random = nullptr;
};

// What was verified. Everything here is covered by the coordinator's fresh
// evidence: the history's head is the attested head and `ca_bundle` the
// head's CA bundle, whose root and mesh CA keys the statement names.
struct CoordinatorVerification {
  attest::Platform platform = attest::Platform::kSnp;  // of the attest evidence
  std::string state;                                   // coordinator state, as attested
  history::VerifiedHistory history;
  ca::CaBundle ca_bundle;
  // The generation that set the newest manifest (recoveries keep it).
  uint64_t manifest_generation = 0;
  // Whether the newest manifest is byte-identical to the local manifest. A
  // mismatch is not an error: the history still verified, and the caller
  // decides (`concord verify` writes it out and exits 1).
  bool newest_manifest_is_local = false;
};

// Runs the verification over `request.call`:
//  1. POST /v1/attest with a fresh nonce; the response's evidence must pass
//     `request.check` with the statement's report data, and the returned
//     history key must be the one the statement names (VerifyAttestResponse).
//  2. GET /v1/manifests; the served history must verify from scratch with
//     the attested history key (VerifyServedHistory), and its head must be
//     the attested head and generation.
//  3. The head's CA bundle must be served, parse, and carry the root and
//     mesh CA keys the statement names.
// Errors (messages read "<what>: <detail>"):
//  - the random source's error, and the transport's error unchanged;
//  - DataLoss for a malformed response, a history that does not verify
//    ("history: ..."), a missing or malformed head CA bundle;
//  - the check's error for evidence it refuses ("attest statement: ...",
//    PermissionDenied/Unauthenticated/...), PermissionDenied for fields the
//    statement does not cover or CA certificates it does not name;
//  - FailedPrecondition if the coordinator has no manifest yet;
//  - Aborted if the served head is not the attested head (the history
//    changed between the two calls: retry).
// Requires `call`, `check`, `local_manifest` and `random` to be set.
absl::StatusOr<CoordinatorVerification> VerifyCoordinator(const VerifyCoordinatorRequest& request);

}  // namespace concord::client
