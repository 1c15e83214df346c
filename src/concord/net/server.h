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
// evidence fails never reaches a handler. Handlers run on the worker pool (or
// on a listener's own threads) and may block briefly (a store commit). Every connection has
// handshake, header, body and idle timeouts and size limits. Work an unauthenticated client can
// trigger is bounded before it is done (DESIGN.md §5a): connections per
// server, per listener and per client address are capped and refused at
// accept, before TLS; buffered request bodies share one byte budget; and
// per-handshake attestation is rate-bounded. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/common/random.h"
#include "concord/common/token_bucket.h"
#include "concord/crypto/hash.h"
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
  // Open connections on this listener at most; 0: an equal share of what
  // the listeners with a limit of their own leave of
  // ServerOptions::max_connections. The listeners' limits together may not
  // exceed ServerOptions::max_connections, so one listener never takes the
  // others' capacity. A connection over it is closed at accept.
  size_t max_connections = 0;
  // Open connections on this listener from one client address at most: the
  // socket peer's IP (an IPv4-mapped IPv6 address counts as the IPv4 one),
  // or with proxy_protocol the header's source (the socket peer for LOCAL).
  // With proxy_protocol, a connection counts against its balancer's address
  // until the header is read, up to this listener's max_connections; then
  // against the client, and it is closed, before TLS, if that is over.
  size_t max_connections_per_source = 64;
  // Threads of this listener's own for its handlers; 0: the server's worker
  // pool, shared with verification and the other listeners. A listener whose
  // answers must not wait behind slow handlers elsewhere (health checks)
  // gets its own.
  size_t handler_threads = 0;
};

struct ServerOptions {
  std::vector<ListenerOptions> listeners;
  // Produces the server's evidence; required when a listener uses TLS. Must
  // outlive the server.
  const attest::Attester* attester = nullptr;
  Clock* clock = nullptr;          // default: SystemClock
  Logger* logger = nullptr;        // default: Logger::Default(); must outlive the server
  RandomSource* random = nullptr;  // nonces; default: crypto::SystemRandom
  // The key-bound certificate (empty nonce) is replaced after this long.
  absl::Duration certificate_renewal = absl::Minutes(10);
  // The root CA the server's evidence binds (TlsReportData, decision 0028):
  // the coordinator's root CA SPKI hash once it has one. Called for every
  // certificate made and on every TLS handshake (keep it cheap); when its
  // value differs from the one the key-bound certificate binds, that
  // handshake waits for a new key-bound certificate (made once, on the
  // worker pool) and every later one gets it. Null: nothing is bound.
  std::function<std::optional<crypto::Sha256Digest>()> bound_root_ca;
  size_t io_threads = 1;
  // Verification, per-handshake attestation and handlers.
  size_t worker_threads = 2;
  // Handshakes waiting for verification beyond this are refused.
  size_t max_pending_verifications = 256;
  // Open connections on all listeners together (see
  // ListenerOptions::max_connections).
  size_t max_connections = 4096;
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Seconds(60);
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 2 * 1024 * 1024;  // 413 beyond
  // Request bodies buffered at once over all connections (at least
  // max_body_bytes). A request whose declared Content-Length does not fit in
  // what remains gets 503 with Retry-After before its body is read; a chunked
  // body counts as it arrives. Released when the response is sent or the
  // connection closes.
  uint64_t max_buffered_body_bytes = 64 * 1024 * 1024;
  // Per-handshake attestation (a client nonce in ALPN) over the whole server
  // and per client address (as max_connections_per_source counts it): a
  // handshake over either is refused in the ClientHello with an
  // internal_error alert, which HttpsClient reports as Unavailable. Burst at
  // least 1. Buckets of at most `kMaxFreshEvidenceSources` addresses are
  // kept; beyond, a new address is refused until one refills.
  TokenBucketOptions fresh_evidence_rate{.rate_per_second = 10, .burst = 20};
  TokenBucketOptions fresh_evidence_rate_per_source{.rate_per_second = 2, .burst = 10};
};

inline constexpr size_t kMaxFreshEvidenceSources = 4096;

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t handshakes_failed = 0;
  uint64_t verifications_refused = 0;  // over max_pending_verifications
  uint64_t timeouts = 0;
  uint64_t requests = 0;
  uint64_t open_connections = 0;
  // Connections closed at accept (or right after the PROXY header), before
  // TLS, because a limit was reached: ServerOptions::max_connections,
  // ListenerOptions::max_connections, max_connections_per_source.
  uint64_t refused_server_limit = 0;
  uint64_t refused_listener_limit = 0;
  uint64_t refused_source_limit = 0;
  // Requests answered 503 because max_buffered_body_bytes was taken.
  uint64_t refused_body_budget = 0;
  // Handshakes refused over the per-handshake attestation rate.
  uint64_t refused_fresh_evidence_rate = 0;
  // Request body bytes reserved now.
  uint64_t buffered_body_bytes = 0;
};

class Server final {
 public:
  // InvalidArgument for inconsistent options (no listeners, TLS without an
  // attester, kAttested without check_client, no handler, listener
  // connection limits over max_connections, a zero limit, a body budget
  // under max_body_bytes, a rate bound with a burst under 1).
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
