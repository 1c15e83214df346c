// The Concord HTTP/1.1 server on Boost.Beast/Asio and OpenSSL (DESIGN.md §5):
// one process serves several listeners (user API 1313 and mesh API 7777 over
// aTLS, plain HTTP 9102). On TLS listeners the server presents a self-signed
// certificate for a P-256 key made at start, with evidence from the
// Attester: key-bound evidence (empty nonce) renewed periodically, or, when
// the client offers a nonce in ALPN, evidence over that nonce made for this
// handshake. It asks clients for a certificate with a fresh 32-byte nonce as
// the acceptable-CA name; on attested listeners the client's evidence is
// verified on a bounded worker pool while the handshake is paused
// (SSL_set_retry_verify), so I/O threads never block, and a client whose
// evidence fails never reaches a handler. Handlers run on the worker pool and
// may block briefly (a store commit). Every connection has handshake, header,
// body and idle timeouts and size limits. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/evidence.h"
#include "concord/common/clock.h"
#include "concord/common/random.h"
#include "concord/net/attester.h"
#include "concord/net/http.h"

namespace concord::net {

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Verifies a client's evidence. `expected_report_data` is
// TlsReportData(kClientTls, client SPKI, the nonce this server sent).
// Runs on the worker pool. An error fails the handshake with an alert:
// PermissionDenied -> access_denied, anything else -> bad_certificate.
using EvidenceCheck = std::function<absl::StatusOr<attest::Claims>(
    const attest::Evidence& evidence, const std::array<uint8_t, 64>& expected_report_data)>;

enum class ClientAuth {
  kNone,      // no certificate requested
  kOptional,  // a certificate may be sent (owner / seed-share keys); only
              // possession of its key is checked
  kAttested,  // a certificate with evidence over the server's nonce is
              // required and checked with `check_client`
};

struct ListenerOptions {
  std::string name;  // "user", "mesh", "http": logs and metrics
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port (see Server::port)
  bool tls = true;
  ClientAuth client_auth = ClientAuth::kNone;
  EvidenceCheck check_client;  // required for kAttested
  Handler handler;
  // Expect a PROXY protocol v2 header (HAProxy `send-proxy-v2`) before
  // anything else on every connection; its source address becomes
  // HttpRequest::remote_address. A connection without a valid header is
  // closed. Only enable behind a load balancer that always sends it.
  bool proxy_protocol = false;
};

struct ServerOptions {
  std::vector<ListenerOptions> listeners;
  // Produces the server's evidence; required when a listener uses TLS. Must
  // outlive the server.
  const Attester* attester = nullptr;
  Clock* clock = nullptr;          // default: SystemClock
  RandomSource* random = nullptr;  // nonces; default: crypto::SystemRandom
  // The key-bound certificate (empty nonce) is replaced after this long.
  absl::Duration certificate_renewal = absl::Minutes(10);
  size_t io_threads = 1;
  // Verification, per-handshake attestation and handlers.
  size_t worker_threads = 2;
  // Handshakes waiting for verification beyond this are refused.
  size_t max_pending_verifications = 256;
  size_t max_connections = 4096;
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Seconds(60);
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 2 * 1024 * 1024;  // 413 beyond
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t handshakes_failed = 0;
  uint64_t verifications_refused = 0;  // over max_pending_verifications
  uint64_t timeouts = 0;
  uint64_t requests = 0;
  uint64_t open_connections = 0;
};

class Server final {
 public:
  // InvalidArgument for inconsistent options (no listeners, TLS without an
  // attester, kAttested without check_client, no handler).
  static absl::StatusOr<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();  // Shutdown(absl::ZeroDuration()) if still running

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Makes the first certificate, binds every listener and starts the
  // threads. Unavailable when an address cannot be bound (names it).
  absl::Status Start();
  // The bound port of listener `index` (after Start).
  uint16_t port(size_t index) const;
  // Closes the listening sockets; open connections go on being served.
  void StopAccepting();
  // Stops accepting, waits up to `grace` for in-flight requests to finish,
  // closes every connection and joins the threads.
  void Shutdown(absl::Duration grace);

  ServerStats stats() const;

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace concord::net
