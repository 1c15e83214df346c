// The aTLS steps of the server's TLS handshakes (DESIGN.md §5): the server's
// identity (a P-256 key and a certificate with evidence over it, renewed,
// and made again when the root CA it binds changes), the listeners'
// SSL_CTX, and for one connection what OpenSSL calls back into: choosing the
// certificate (key-bound, or per-handshake evidence over a client nonce in
// ALPN), the nonce sent as the CertificateRequest's acceptable-CA name, and
// the check of the client's certificate and evidence. Used by Connection
// (connection.h) and Listeners (listener.h). ServerIdentity is thread-safe;
// an AtlsHandshake belongs to one connection and runs on its strand, or on
// the worker pool during a handshake step the connection hands there.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concord/atls/atls_protocol.h"
#include "concord/attest/evidence.h"
#include "concord/common/bytes.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/net/http.h"
#include "concord/net/server.h"

namespace concord::net::internal {

class ServerCore;
struct Listener;

// The server's key and certificate. Shared because a handshake in progress
// keeps the identity it started with while a renewal swaps in the next one,
// and per-handshake certificates share the key of the key-bound one.
struct Identity {
  std::shared_ptr<const crypto::PrivateKey> key;
  crypto::SslPtr<X509> cert;
  std::optional<crypto::Sha256Digest> bound_root_ca;  // what the evidence binds
};

// Makes the server's certificates and keeps the key-bound one. `options`
// (attester, certificate_renewal, bound_root_ca), `clock` and `log` must
// outlive it. Thread-safe.
class ServerIdentity final {
 public:
  ServerIdentity(const ServerOptions& options, Clock& clock, Logger& log)
      : options_(options), clock_(clock), log_(log) {}
  ServerIdentity(const ServerIdentity&) = delete;
  ServerIdentity& operator=(const ServerIdentity&) = delete;

  // A certificate with evidence over TlsReportData(kCoordinatorTls, spki,
  // nonce, CurrentBoundRoot()) for `key` (a fresh P-256 key when null). The
  // attester's error, prefixed "server evidence: ".
  absl::StatusOr<std::shared_ptr<const Identity>> Make(
      ByteView nonce, std::shared_ptr<const crypto::PrivateKey> key) const;

  // The key-bound identity (null before the first Set).
  std::shared_ptr<const Identity> current() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }
  void Set(std::shared_ptr<const Identity> identity) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(identity);
  }

  // The root CA the server's evidence should bind now (ServerOptions::
  // bound_root_ca).
  std::optional<crypto::Sha256Digest> CurrentBoundRoot() const {
    return options_.bound_root_ca ? options_.bound_root_ca() : std::nullopt;
  }

  // The key-bound identity, made again first if it binds another root than
  // CurrentBoundRoot(). Serialized, so a change of root makes one new
  // identity however many handshakes notice it at once. On an attestation
  // error the previous identity stays (and the error is logged).
  std::shared_ptr<const Identity> Rebind();

 private:
  const ServerOptions& options_;
  Clock& clock_;
  Logger& log_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Identity> current_ ABSL_GUARDED_BY(mu_);
  absl::Mutex rebind_mu_;
};

// The SSL_CTX of a TLS listener: TLS 1.3 only, no session resumption,
// "http/1.1" by ALPN, and the callbacks that reach the connection's
// AtlsHandshake. Internal when OpenSSL fails.
absl::StatusOr<crypto::SslPtr<SSL_CTX>> MakeServerContext(const ListenerOptions& listener);

// The aTLS state of one server connection's handshake, and afterwards what
// its client's certificate proved.
class AtlsHandshake final {
 public:
  // Runs `on_worker` on the worker pool, then `on_strand` on the
  // connection's strand, then resumes the handshake there. The caller holds
  // a verification slot, released when `on_worker` returns.
  using Offload =
      std::function<void(std::function<void()> on_worker, std::function<void()> on_strand)>;

  // `core` and `listener` must outlive it.
  AtlsHandshake(ServerCore& core, const Listener& listener, Offload offload);
  AtlsHandshake(const AtlsHandshake&) = delete;
  AtlsHandshake& operator=(const AtlsHandshake&) = delete;

  // Makes the SSL object (server side) on socket `fd` with the key-bound
  // identity and, when the listener asks for client certificates, a fresh
  // nonce as the only acceptable-CA name. `remote_address` (for logs) and
  // `source` (the client's address for the per-source rate) as the
  // connection knows them after any PROXY header. False when that fails.
  bool Start(int fd, std::string remote_address, std::string source);
  SSL* ssl() const { return ssl_.get(); }

  // The handshake finished: drops the per-handshake certificate.
  void Done() { fresh_identity_.reset(); }
  // What the verified client certificate proved (nothing on a plain
  // connection or without a client certificate).
  void FillPeer(HttpRequest& request) const;

  // OpenSSL callbacks (run inside SSL_do_handshake).
  int OnClientHello(SSL* ssl, int* alert);
  int OnVerify(X509_STORE_CTX* store);

 private:
  // A handshake on the key-bound certificate: when that binds another root
  // CA than the server's current one, waits (on the worker pool) for the
  // certificate that binds it.
  int RebindIfStale(int* alert);
  // Makes this handshake's certificate with `make` on the worker pool (a
  // verification slot; refused with an alert when none is free) and resumes
  // the handshake with it; an error fails the handshake. Returns the
  // ClientHello callback's answer.
  int IdentityFromWorker(int* alert,
                         std::function<absl::StatusOr<std::shared_ptr<const Identity>>()> make);

  ServerCore& core_;
  const Listener& listener_;
  const Offload offload_;
  std::string remote_address_;
  std::string source_;

  crypto::SslPtr<SSL> ssl_;
  atls::Nonce nonce_{};  // sent in the CertificateRequest
  bool fresh_pending_ = false;
  std::shared_ptr<const Identity> fresh_identity_;
  absl::Status fresh_status_;
  bool verify_done_ = false;
  int verify_error_ = X509_V_OK;
  std::optional<atls::PeerCertificate> peer_;
  std::optional<attest::Claims> peer_claims_;
  std::array<uint8_t, 64> peer_report_data_{};
  absl::Time peer_verified_at_ = absl::InfinitePast();
};

}  // namespace concord::net::internal
