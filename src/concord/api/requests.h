// Request bodies of the Concord API (docs/api.md) parsed into the
// coordinator's request types: strict JSON (unknown or duplicate fields,
// wrong types, hex lengths and base64 are InvalidArgument naming the field;
// documents over their size limit are ResourceExhausted, HTTP 413). Messages
// never echo field values. Pure functions; thread-safe. Used by the Api
// handlers and the api_request fuzz target.
#pragma once

#include <cstddef>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/atls/atls_protocol.h"
#include "concord/coordinator/coordinator.h"
#include "concord/crypto/keys.h"

namespace concord::api {

// Most policy documents one POST /v1/manifest may carry, and the largest.
inline constexpr size_t kMaxPoliciesPerRequest = 256;
inline constexpr size_t kMaxPolicyDocumentSize = 256 * 1024;

// POST /v1/manifest: {manifest, policies?, expected_previous?, authorization?}.
absl::StatusOr<coordinator::SetManifestRequest> ParseSetManifestRequest(absl::string_view body);

// POST /v1/recover: {seed, salt, expected_previous, authorization,
// minimum_head?, force?}. `caller` is the client certificate's key.
struct ParsedRecoverRequest {
  coordinator::RecoverRequest request;
  // Recover even if ready peers exist (also set in request.force).
  bool force = false;
};
absl::StatusOr<ParsedRecoverRequest> ParseRecoverRequest(absl::string_view body,
                                                         const crypto::PublicKey& caller);

// POST /v1/attest: {nonce}.
absl::StatusOr<atls::Nonce> ParseAttestRequest(absl::string_view body);

// POST /v1/mesh/cert: {} or {lifetime_seconds}, 1 .. max_lifetime.
struct MeshCertRequest {
  std::optional<absl::Duration> lifetime;
};
absl::StatusOr<MeshCertRequest> ParseMeshCertRequest(absl::string_view body,
                                                     absl::Duration max_lifetime);

}  // namespace concord::api
