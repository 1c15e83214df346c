// An HTTPS client for the Concord APIs (DESIGN.md §5), blocking, one
// connection reused for successive calls. Before sending anything it checks
// the server's evidence: the report data must be TlsReportData(
// kCoordinatorTls, server SPKI, nonce, bound root) with nonce = the client's
// own nonce (sent in ALPN when `fresh_evidence`) or empty, and the bound root
// the one the server's certificate names, if any
// (server_certificate()->bound_root_ca: a caller that receives a chain
// checks that it leads there). It can present a client
// certificate: plain self-signed for an owner or seed-share key, or attested
// (evidence from `attester` over the nonce the server sent in its
// CertificateRequest). Used by the CLI, concord-init, peers and the load
// tool. Not thread-safe: one client per thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/common/clock.h"
#include "concord/common/random.h"
#include "concord/crypto/keys.h"
#include "concord/net/http.h"

namespace concord::net {

// Verifies the server's evidence; `expected_report_data` as above. Returns
// the claims (kept for the caller) or an error that fails the connection.
using ServerEvidenceCheck = std::function<absl::StatusOr<attest::Claims>(
    const attest::Evidence& evidence, const std::array<uint8_t, 64>& expected_report_data)>;

struct ClientOptions {
  std::string host;  // IP address or name
  uint16_t port = 0;
  bool tls = true;                   // false: plain HTTP (the 9102 listener)
  ServerEvidenceCheck check_server;  // required with TLS
  // Send a client nonce in ALPN so the server attests for this handshake.
  bool fresh_evidence = false;
  // Client certificate key. With `attester`: an attested certificate over
  // the server's nonce (the key must be ECDSA P-256). Without: a plain
  // self-signed certificate (owner or seed-share key, any supported type).
  std::optional<crypto::PrivateKey> client_key;
  const attest::Attester* attester = nullptr;  // must outlive the client
  Clock* clock = nullptr;                      // default: SystemClock
  RandomSource* random = nullptr;              // default: crypto::SystemRandom
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration io_timeout = absl::Seconds(30);
  size_t max_response_bytes = 16 * 1024 * 1024;
};

class HttpsClient final {
 public:
  // InvalidArgument for inconsistent options.
  static absl::StatusOr<std::unique_ptr<HttpsClient>> Create(ClientOptions options);
  ~HttpsClient();

  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends one request and reads the response (any HTTP status is a
  // response, not an error). Connects first if needed. Errors:
  //  - Unavailable: cannot connect, connection lost, timeout;
  //  - the check's error, prefixed "server evidence: ", when the server's
  //    evidence fails (nothing was sent);
  //  - PermissionDenied / Unauthenticated "server refused our certificate:
  //    <alert>" when the server rejects the client certificate;
  //  - DataLoss for a malformed or oversized response.
  absl::StatusOr<HttpResponse> Call(absl::string_view method, absl::string_view target,
                                    absl::string_view body = "",
                                    absl::string_view content_type = "application/json");

  // What the server's verified evidence states (after a TLS connection).
  const std::optional<attest::Claims>& server_claims() const;
  // The server's certificate (after a TLS connection).
  const std::optional<atls::PeerCertificate>& server_certificate() const;

  // Closes the connection; the next Call reconnects (with a new nonce).
  void Close();

 private:
  class Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace concord::net
