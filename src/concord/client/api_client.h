// Client-side helpers for the Concord APIs (docs/api.md): "HOST:PORT"
// endpoints, error responses as Status, and the mesh certificate call that
// concord-init and the load tool make. Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/attester.h"
#include "concord/common/clock.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/net/client.h"
#include "concord/net/http.h"

namespace concord::client {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
};
// "HOST:PORT", "[v6]:PORT" or "HOST" (then `default_port`). InvalidArgument
// naming `field` otherwise.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text, uint16_t default_port,
                                       absl::string_view field = "endpoint");

// A non-2xx response as a Status: the API's error table decides the Status
// code (wire::ClientCodeForError: the JSON error's `code`, UNAVAILABLE ->
// Unavailable, ...; unparseable bodies by HTTP status), the message is
// "<message> (coordinator state: <state>)".
struct ApiError {
  absl::Status status;
  int http_status = 0;
  std::string state;
  std::optional<absl::Duration> retry_after;
};
ApiError ParseApiError(const net::HttpResponse& response);

// POST /v1/mesh/cert response.
struct MeshCertificate {
  std::string certificate_pem;
  std::string chain_pem;
  std::string mesh_ca_pem;
  std::string root_ca_pem;
  std::optional<crypto::SecretBytes> workload_secret;
  absl::Time not_after;
  std::string policy_name;
  uint64_t generation = 0;
  // The root CA the coordinator's TLS evidence bound on the connection that
  // served this (atls::PeerCertificate::bound_root_ca; not in the body).
  // Absent when the coordinator bound none. concord-init accepts a chain
  // only if its root is this one.
  std::optional<crypto::Sha256Digest> attested_root_ca_spki_sha256;
};

// Parses a POST /v1/mesh/cert response body. DataLoss naming the field for
// a missing or malformed one (the workload secret must be 64 hex characters).
absl::StatusOr<MeshCertificate> ParseMeshCertificateResponse(absl::string_view body);

// Opens an attested connection to the mesh API with `key` (ECDSA P-256) and
// evidence from `attester`, checks the coordinator with `check`, and asks for
// a certificate. Errors: the connection's (net::HttpsClient::Call), or the
// API error (ParseApiError), or DataLoss for a malformed response.
absl::StatusOr<MeshCertificate> RequestMeshCertificate(
    const Endpoint& endpoint, const crypto::PrivateKey& key, const attest::Attester& attester,
    net::ServerEvidenceCheck check, std::optional<absl::Duration> lifetime = std::nullopt,
    absl::Duration timeout = absl::Seconds(30));

}  // namespace concord::client
