// The Concord HTTP/1.1 server. OpenSSL is driven directly on non-blocking
// sockets (Asio only waits for readiness), because Asio's ssl::stream does
// not know SSL_ERROR_WANT_CLIENT_HELLO_CB. Every connection runs on its own
// strand; evidence production, client-evidence verification and handlers
// run on the worker pool.
//
// Client evidence and OpenSSL 3.0: SSL_set_retry_verify() only pauses the
// handshake on a client (the server processes the client's Certificate
// inside tls_process_client_certificate, with no retry state). So on
// attested listeners every handshake step (SSL_do_handshake call) runs on the
// worker pool, so the step that processes the client's second flight
// (Certificate, CertificateVerify, Finished) - whichever it is: a fast
// client's certificate may already be readable while our flight is sent -
// checks the evidence in the verify callback there. I/O threads never run a
// verification, and a refused certificate still fails the handshake with a
// TLS alert. The number of such steps queued or running is capped by
// max_pending_verifications.
//
// PROXY protocol v2: on listeners behind a TCP load balancer the header is
// read with exact-length recv calls (never past its end, so the TLS
// handshake or HTTP request after it is left in the socket) under the
// handshake timeout; a malformed header closes the connection and counts
// as a failed handshake.
//
// Admission (DESIGN.md §5a): a connection over a connection limit is closed
// with a reset in the accept handler, before any Connection or SSL object
// exists; behind a balancer it counts against the balancer until the PROXY
// header names the client, then against the client. The request parser is
// not eager until the header is done, so a declared body is checked against
// the shared body budget before its first byte is buffered.
#include "concord/net/server.h"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>  // Boost 1.74 Asio under C++20 needs this first.

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/atls/atls_protocol.h"
#include "concord/atls/cert.h"
#include "concord/common/log.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/random.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/crypto/x509.h"
#include "concord/net/internal/admission.h"
#include "concord/net/internal/http_util.h"
#include "concord/net/internal/proxy_protocol.h"

namespace concord::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using crypto::SslPtr;

constexpr absl::string_view kServerCommonName = "concord-coordinator";
constexpr size_t kReadChunk = 16 * 1024;

// Marks worker-pool threads, so the verify callback knows where it runs.
thread_local bool t_on_worker = false;

int ConnectionIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The server's key and certificate. Shared because a handshake in progress
// keeps the identity it started with while a renewal swaps in the next one,
// and per-handshake certificates share the key of the key-bound one.
struct Identity {
  std::shared_ptr<const crypto::PrivateKey> key;
  SslPtr<X509> cert;
  std::optional<crypto::Sha256Digest> bound_root_ca;  // what the evidence binds
};

// The address a client is counted by: its IP without the port, an
// IPv4-mapped IPv6 address as the IPv4 one.
std::string ClientKey(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

std::string ClientKey(const std::string& text) {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(text, ec);
  return ec ? text : ClientKey(address);
}

// Before its PROXY header a connection counts against the balancer, apart
// from the clients (a balancer's address may also be a client's).
std::string BalancerKey(absl::string_view peer) { return absl::StrCat("via ", peer); }

// ListenerOptions::max_connections with 0 resolved to an equal share of what
// the listeners with a limit of their own leave.
std::vector<size_t> ListenerLimits(const ServerOptions& options) {
  size_t claimed = 0;
  size_t shared = 0;
  for (const ListenerOptions& listener : options.listeners) {
    claimed += listener.max_connections;
    shared += listener.max_connections == 0 ? 1 : 0;
  }
  const size_t left = options.max_connections > claimed ? options.max_connections - claimed : 0;
  std::vector<size_t> limits;
  for (const ListenerOptions& listener : options.listeners) {
    limits.push_back(listener.max_connections != 0 ? listener.max_connections : left / shared);
  }
  return limits;
}

struct Listener {
  ListenerOptions options;
  size_t index = 0;            // in ServerOptions::listeners
  size_t max_connections = 0;  // resolved (ListenerLimits)
  // With ListenerOptions::handler_threads; else handlers run on the workers.
  std::unique_ptr<asio::thread_pool> handler_pool;
  std::unique_ptr<tcp::acceptor> acceptor;
  SslPtr<SSL_CTX> ctx;
  uint16_t port = 0;
};

class Connection;

// Everything the connections share; outlives every connection (the Server
// drains and destroys them before it goes).
class ServerCore final {
 public:
  explicit ServerCore(ServerOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &SystemClock::Get()),
        random_(options_.random != nullptr ? options_.random : &crypto::SystemRandom::Get()),
        log_(options_.logger != nullptr ? options_.logger : &Logger::Default()),
        connection_counter_(options_.max_connections, ListenerLimits(options_)),
        body_budget_(options_.max_buffered_body_bytes),
        fresh_evidence_(options_.fresh_evidence_rate, *clock_),
        fresh_evidence_by_source_(options_.fresh_evidence_rate_per_source, kMaxFreshEvidenceSources,
                                  *clock_) {}
  // The acceptors and the pool use io_'s services (strands, reactor): they
  // go first, io_ (a later member) last.
  ~ServerCore() {
    listeners_.clear();
    workers_.reset();
  }
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  const ServerOptions& options() const { return options_; }
  Clock& clock() const { return *clock_; }
  Logger& log() const { return *log_; }
  RandomSource& random() const { return *random_; }
  asio::io_context& io() { return io_; }
  asio::thread_pool& workers() { return *workers_; }

  // A certificate with evidence over TlsReportData(kCoordinatorTls, spki,
  // nonce) for `key` (a fresh P-256 key when null).
  absl::StatusOr<std::shared_ptr<const Identity>> MakeIdentity(
      ByteView nonce, std::shared_ptr<const crypto::PrivateKey> key);
  std::shared_ptr<const Identity> identity() const {
    absl::MutexLock lock(&identity_mu_);
    return identity_;
  }
  void SetIdentity(std::shared_ptr<const Identity> identity) {
    absl::MutexLock lock(&identity_mu_);
    identity_ = std::move(identity);
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
  std::shared_ptr<const Identity> RebindIdentity();

  // Reserves a slot for a verification or attestation on the worker pool;
  // false (and counted) when max_pending_verifications are taken.
  bool AcquireVerificationSlot() {
    size_t pending = pending_verifications_.fetch_add(1);
    if (pending >= options_.max_pending_verifications) {
      pending_verifications_.fetch_sub(1);
      verifications_refused_.fetch_add(1);
      return false;
    }
    return true;
  }
  void ReleaseVerificationSlot() { pending_verifications_.fetch_sub(1); }

  // Counts a new connection of `listener` from `source` (a ClientKey or
  // BalancerKey); false, counted by reason, over a limit.
  bool AdmitConnection(size_t listener, const std::string& source, size_t source_limit) {
    switch (connection_counter_.Admit(listener, source, source_limit)) {
      case internal::ConnectionRefusal::kNone:
        return true;
      case internal::ConnectionRefusal::kServerLimit:
        refused_server_limit_.fetch_add(1);
        return false;
      case internal::ConnectionRefusal::kListenerLimit:
        refused_listener_limit_.fetch_add(1);
        return false;
      case internal::ConnectionRefusal::kSourceLimit:
        refused_source_limit_.fetch_add(1);
        return false;
    }
    return false;
  }
  // Counts an admitted connection against `to` instead of `from`; false
  // (counted) when `to` is at its limit.
  bool MoveConnection(size_t listener, const std::string& from, const std::string& to) {
    if (!connection_counter_.Move(listener, from, to,
                                  options_.listeners[listener].max_connections_per_source)) {
      refused_source_limit_.fetch_add(1);
      return false;
    }
    return true;
  }
  void ReleaseConnection(size_t listener, const std::string& source) {
    connection_counter_.Release(listener, source);
  }
  size_t OpenConnections() const { return connection_counter_.open(); }

  internal::ByteBudget& body_budget() { return body_budget_; }

  // Takes a per-handshake attestation token for `source`; false (and
  // counted) over the source's or the server's rate.
  bool AdmitFreshEvidence(const std::string& source) {
    if (!fresh_evidence_by_source_.TryTake(source) || !fresh_evidence_.TryTake()) {
      refused_fresh_evidence_rate_.fetch_add(1);
      return false;
    }
    return true;
  }

  void Register(const std::shared_ptr<Connection>& connection);
  void Unregister(Connection* connection) {
    std::lock_guard<std::mutex> lock(connections_mu_);
    connections_.erase(connection);
    connections_cv_.notify_all();
  }
  void RequestStarted() {
    std::lock_guard<std::mutex> lock(connections_mu_);
    ++in_flight_;
  }
  void RequestFinished() {
    std::lock_guard<std::mutex> lock(connections_mu_);
    --in_flight_;
    connections_cv_.notify_all();
  }
  // Waits until no request is in flight or `grace` has passed.
  void WaitForRequests(absl::Duration grace) {
    std::unique_lock<std::mutex> lock(connections_mu_);
    connections_cv_.wait_for(lock, absl::ToChronoNanoseconds(grace),
                             [this] { return in_flight_ == 0; });
  }
  // Waits until every connection has closed or `timeout` has passed.
  void WaitForConnections(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(connections_mu_);
    connections_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                             [this] { return connections_.empty(); });
  }
  std::vector<std::shared_ptr<Connection>> Connections() {
    std::lock_guard<std::mutex> lock(connections_mu_);
    std::vector<std::shared_ptr<Connection>> out;
    for (auto& entry : connections_) {
      if (auto strong = entry.second.lock()) {
        out.push_back(std::move(strong));
      }
    }
    return out;
  }

  std::atomic<uint64_t> connections_accepted_{0};
  std::atomic<uint64_t> handshakes_failed_{0};
  std::atomic<uint64_t> verifications_refused_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> refused_server_limit_{0};
  std::atomic<uint64_t> refused_listener_limit_{0};
  std::atomic<uint64_t> refused_source_limit_{0};
  std::atomic<uint64_t> refused_body_budget_{0};
  std::atomic<uint64_t> refused_fresh_evidence_rate_{0};
  std::atomic<bool> accepting_{false};

  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<asio::thread_pool> workers_;

 private:
  const ServerOptions options_;
  Clock* const clock_;
  RandomSource* const random_;
  Logger* const log_;
  internal::ConnectionCounter connection_counter_;
  internal::ByteBudget body_budget_;
  TokenBucket fresh_evidence_;
  KeyedTokenBuckets fresh_evidence_by_source_;
  asio::io_context io_;

  mutable absl::Mutex identity_mu_;
  std::shared_ptr<const Identity> identity_;
  absl::Mutex rebind_mu_;

  std::atomic<size_t> pending_verifications_{0};

  std::mutex connections_mu_;
  std::condition_variable connections_cv_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  size_t in_flight_ = 0;
};

absl::StatusOr<std::shared_ptr<const Identity>> ServerCore::MakeIdentity(
    ByteView nonce, std::shared_ptr<const crypto::PrivateKey> key) {
  if (key == nullptr) {
    CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey fresh,
                             crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
    key = std::make_shared<const crypto::PrivateKey>(std::move(fresh));
  }
  const std::optional<crypto::Sha256Digest> bound_root_ca = CurrentBoundRoot();
  std::array<uint8_t, 64> report_data = atls::TlsReportData(
      atls::Purpose::kCoordinatorTls, key->public_key().spki_der(), nonce, bound_root_ca);
  absl::StatusOr<attest::Evidence> evidence = options_.attester->Attest(report_data);
  if (!evidence.ok()) {
    return absl::Status(evidence.status().code(),
                        absl::StrCat("server evidence: ", evidence.status().message()));
  }
  // Clients judge the evidence, not the certificate's dates; the window only
  // has to cover the certificate's time in service.
  absl::Duration validity = options_.certificate_renewal * 2 + absl::Hours(1);
  CONCORD_ASSIGN_OR_RETURN(
      Bytes der, atls::MakeAttestedCertificate(*key, *evidence, kServerCommonName, clock_->Now(),
                                               validity, bound_root_ca));
  CONCORD_ASSIGN_OR_RETURN(SslPtr<X509> cert, crypto::ParseCertDer(der));
  auto identity = std::make_shared<Identity>();
  identity->key = std::move(key);
  identity->cert = std::move(cert);
  identity->bound_root_ca = bound_root_ca;
  return std::shared_ptr<const Identity>(std::move(identity));
}

std::shared_ptr<const Identity> ServerCore::RebindIdentity() {
  absl::MutexLock lock(&rebind_mu_);
  std::shared_ptr<const Identity> current = identity();
  if (current->bound_root_ca == CurrentBoundRoot()) {
    return current;  // another handshake rebound it meanwhile
  }
  absl::StatusOr<std::shared_ptr<const Identity>> made = MakeIdentity({}, nullptr);
  if (!made.ok()) {
    log().Error("server certificate for the new root CA failed",
                {{"error", std::string(made.status().message())}});
    return current;
  }
  SetIdentity(*made);
  return *std::move(made);
}

// Owning STACK_OF(X509_NAME), for the CA list handed to SSL_set0_CA_list.
struct X509NameStackDeleter {
  void operator()(STACK_OF(X509_NAME) * p) const { sk_X509_NAME_pop_free(p, X509_NAME_free); }
};
using X509NameStackPtr = std::unique_ptr<STACK_OF(X509_NAME), X509NameStackDeleter>;

// One accepted connection. All state is touched on the connection's strand,
// except the SSL object during a handshake step on the worker pool
// (worker_busy_), when the strand leaves it alone.
class Connection final : public std::enable_shared_from_this<Connection> {
 public:
  // `source` is the socket peer's ClientKey; the connection is counted
  // against `counted_as` (admitted by the caller).
  Connection(ServerCore& core, const Listener& listener, tcp::socket socket, std::string source,
             std::string counted_as)
      : core_(core),
        listener_(listener),
        options_(core.options()),
        socket_(std::move(socket)),
        strand_(socket_.get_executor()),
        timer_(strand_),
        listener_index_(listener.index),
        source_(std::move(source)),
        counted_as_(std::move(counted_as)) {}
  ~Connection() {
    ReleaseAdmission();
    ReleaseBody();
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::any_io_executor executor() const { return strand_; }
  // Runs on the strand.
  void Start();
  // Runs on the strand once the PROXY header (if any) has been read.
  void StartTransport();
  // Closes from any thread (posted to the strand).
  void Close() {
    asio::post(strand_, [self = shared_from_this()] { self->CloseNow(); });
  }

  // OpenSSL callbacks (run inside SSL_do_handshake).
  int OnClientHello(SSL* ssl, int* alert);
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
  int OnVerify(X509_STORE_CTX* store);

 private:
  enum class Phase { kHandshake, kIdle, kHeader, kBody, kHandler, kWrite, kDraining, kClosed };

  bool tls() const { return listener_.options.tls; }
  void ArmTimer(absl::Duration timeout);
  void OnTimeout();
  void WaitThen(tcp::socket::wait_type type, void (Connection::*next)());

  void ReadProxyHeader();
  void RejectProxyHeader(absl::string_view why);
  void DoHandshake();
  void OnHandshakeStep(int result, int error);
  void HandshakeDone();
  void FailHandshake(absl::string_view why);
  void Drain();

  void StartRequest();
  void ReadSome();
  // Feeds buffered bytes to the parser; false once the request is complete
  // (dispatched) or answered with an error.
  bool ParseBuffered();
  // Reserves the body's declared length (or, chunked, what has arrived)
  // out of the body budget; over it, answers 503 and returns false.
  bool ReserveBody();
  void ReleaseBody();
  void Dispatch();
  void SendResponse(const HttpResponse& response, bool keep_alive);
  void WriteOut();
  void CloseNow();
  // Closes with a reset (an admission refusal: nothing to say).
  void Refuse();
  void ReleaseAdmission();

  ServerCore& core_;
  const Listener& listener_;
  const ServerOptions& options_;
  tcp::socket socket_;
  asio::any_io_executor strand_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  Phase phase_ = Phase::kHandshake;
  std::string remote_address_;
  // The client's address as admission counts it (ClientKey), and the key it
  // is counted under now (a BalancerKey until the PROXY header is read). The
  // index is a copy: the destructor may run after the listeners are gone.
  const size_t listener_index_;
  std::string source_;
  std::string counted_as_;
  bool counted_ = true;

  // PROXY protocol state: the bytes read so far and, once the fixed part
  // is in, the length of the whole header (0 before).
  Bytes proxy_buf_;
  size_t proxy_size_ = 0;

  // TLS state.
  SslPtr<SSL> ssl_;
  atls::Nonce nonce_{};  // sent in the CertificateRequest
  bool worker_busy_ = false;
  bool close_requested_ = false;
  bool fresh_pending_ = false;
  std::shared_ptr<const Identity> fresh_identity_;
  absl::Status fresh_status_;
  bool verify_done_ = false;
  int verify_error_ = X509_V_OK;
  std::optional<atls::PeerCertificate> peer_;
  std::optional<attest::Claims> peer_claims_;
  std::array<uint8_t, 64> peer_report_data_{};
  absl::Time peer_verified_at_ = absl::InfinitePast();

  // HTTP state.
  std::string inbuf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string outbuf_;
  size_t out_pos_ = 0;
  bool keep_alive_ = false;
  bool request_in_flight_ = false;
  uint64_t body_reserved_ = 0;  // out of the body budget
};

void ServerCore::Register(const std::shared_ptr<Connection>& connection) {
  std::lock_guard<std::mutex> lock(connections_mu_);
  connections_.emplace(connection.get(), connection);
}

int ClientHelloCallback(SSL* ssl, int* alert, void* /*arg*/) {
  auto* connection = static_cast<Connection*>(SSL_get_ex_data(ssl, ConnectionIndex()));
  if (connection == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return connection->OnClientHello(ssl, alert);
}

int VerifyCallback(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) {
    return 0;
  }
  auto* connection = static_cast<Connection*>(SSL_get_ex_data(ssl, ConnectionIndex()));
  if (connection == nullptr) {
    return 0;
  }
  return connection->OnVerify(store);
}

// Always "http/1.1"; the nonce protocol name is never selected. A client
// without http/1.1 gets no ALPN answer (and speaks HTTP/1.1 anyway).
int AlpnSelectCallback(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                       const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  unsigned int i = 0;
  while (i < inlen) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) {
      break;
    }
    if (AsStringView(ByteView(in + i + 1, len)) == atls::kAlpnHttp11) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// The client's nonce from the raw ALPN extension: nullopt when it offers
// none, InvalidArgument for a malformed list or nonce, or two nonces.
absl::StatusOr<std::optional<atls::Nonce>> ClientNonceFromAlpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data,
                                &len) != 1) {
    return std::optional<atls::Nonce>();
  }
  if (len < 2 || ((static_cast<size_t>(data[0]) << 8) | data[1]) != len - 2) {
    return absl::InvalidArgumentError("ALPN: malformed protocol list");
  }
  std::optional<atls::Nonce> nonce;
  size_t i = 2;
  while (i < len) {
    size_t name_len = data[i];
    if (name_len == 0 || i + 1 + name_len > len) {
      return absl::InvalidArgumentError("ALPN: malformed protocol name");
    }
    absl::string_view name = AsStringView(ByteView(data + i + 1, name_len));
    if (absl::StartsWith(name, atls::kAlpnNoncePrefix)) {
      if (nonce.has_value()) {
        return absl::InvalidArgumentError("ALPN: more than one nonce");
      }
      CONCORD_ASSIGN_OR_RETURN(atls::Nonce parsed, atls::ParseNonceAlpn(name));
      nonce = parsed;
    }
    i += 1 + name_len;
  }
  return nonce;
}

void Connection::Start() {
  boost::system::error_code ec;
  tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_address_ = absl::StrCat(remote.address().to_string(), ":", remote.port());
  }
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
  if (ec) {
    CloseNow();
    return;
  }
  if (listener_.options.proxy_protocol) {
    // The handshake timeout covers the PROXY header and the TLS handshake.
    ArmTimer(options_.handshake_timeout);
    ReadProxyHeader();
    return;
  }
  StartTransport();
}

void Connection::ReadProxyHeader() {
  uint8_t buf[internal::kProxyV2FixedSize + internal::kMaxProxyV2PayloadSize];
  while (phase_ == Phase::kHandshake) {
    const size_t want = proxy_size_ == 0 ? internal::kProxyV2FixedSize : proxy_size_;
    if (proxy_buf_.size() == want) {
      if (proxy_size_ == 0) {
        absl::StatusOr<size_t> size = internal::ProxyV2HeaderSize(proxy_buf_);
        if (!size.ok()) {
          RejectProxyHeader(size.status().message());
          return;
        }
        proxy_size_ = *size;
        continue;
      }
      absl::StatusOr<internal::ProxyHeader> header = internal::ParseProxyV2Header(proxy_buf_);
      if (!header.ok()) {
        RejectProxyHeader(header.status().message());
        return;
      }
      // LOCAL (the balancer's own health check) and UNSPEC keep the
      // socket's address, as the protocol asks.
      std::string client = source_;
      if (header->command == internal::ProxyCommand::kProxy &&
          header->family != internal::ProxyFamily::kUnspec) {
        remote_address_ = absl::StrCat(header->source_address, ":", header->source_port);
        client = ClientKey(header->source_address);
      }
      proxy_buf_.clear();
      if (!core_.MoveConnection(listener_.index, counted_as_, client)) {
        core_.log().Debug("connection refused: client over its connection limit",
                          {{"listener", listener_.options.name}, {"remote", remote_address_}});
        Refuse();
        return;
      }
      source_ = std::move(client);
      counted_as_ = source_;
      StartTransport();
      return;
    }
    const size_t need = want - proxy_buf_.size();
    ssize_t got = ::recv(socket_.native_handle(), buf, need < sizeof(buf) ? need : sizeof(buf), 0);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WaitThen(tcp::socket::wait_read, &Connection::ReadProxyHeader);
      return;
    }
    if (got <= 0) {
      RejectProxyHeader(absl::StrCat("connection closed after ", proxy_buf_.size(),
                                     " bytes of the PROXY header"));
      return;
    }
    proxy_buf_.insert(proxy_buf_.end(), buf, buf + got);
  }
}

void Connection::RejectProxyHeader(absl::string_view why) {
  core_.handshakes_failed_.fetch_add(1);
  core_.log().Debug("PROXY header refused", {{"listener", listener_.options.name},
                                             {"remote", remote_address_},
                                             {"reason", std::string(why)}});
  CloseNow();
}

void Connection::StartTransport() {
  if (!tls()) {
    StartRequest();
    return;
  }
  std::shared_ptr<const Identity> identity = core_.identity();
  ssl_.reset(SSL_new(listener_.ctx.get()));
  if (ssl_ == nullptr || identity == nullptr ||
      SSL_set_fd(ssl_.get(), socket_.native_handle()) != 1 ||
      SSL_set_ex_data(ssl_.get(), ConnectionIndex(), this) != 1 ||
      SSL_use_certificate(ssl_.get(), identity->cert.get()) != 1 ||
      SSL_use_PrivateKey(ssl_.get(), identity->key->RawEvpForSigning()) != 1) {
    crypto::ClearOpenSslErrors();
    CloseNow();
    return;
  }
  if (listener_.options.client_auth != ClientAuth::kNone) {
    // The nonce is the only acceptable-CA name of the CertificateRequest.
    if (!core_.random().Fill(nonce_).ok()) {
      CloseNow();
      return;
    }
    std::string cn = atls::NonceCommonName(nonce_);
    SslPtr<X509_NAME> name(X509_NAME_new());
    X509NameStackPtr names(sk_X509_NAME_new_null());
    if (name == nullptr || names == nullptr ||
        X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn.data()),
                                   static_cast<int>(cn.size()), -1, 0) != 1 ||
        sk_X509_NAME_push(names.get(), name.get()) <= 0) {
      crypto::ClearOpenSslErrors();
      CloseNow();
      return;
    }
    name.release();  // owned by `names`
    SSL_set0_CA_list(ssl_.get(), names.release());
    int mode = SSL_VERIFY_PEER;
    if (listener_.options.client_auth == ClientAuth::kAttested) {
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_set_verify(ssl_.get(), mode, nullptr);
  }
  SSL_set_accept_state(ssl_.get());
  if (!listener_.options.proxy_protocol) {
    ArmTimer(options_.handshake_timeout);
  }
  DoHandshake();
}

void Connection::ArmTimer(absl::Duration timeout) {
  ++timer_generation_;
  timer_.expires_after(absl::ToChronoNanoseconds(timeout));
  timer_.async_wait(asio::bind_executor(
      strand_, [self = shared_from_this(),
                generation = timer_generation_](const boost::system::error_code& ec) {
        if (ec || generation != self->timer_generation_) {
          return;
        }
        self->OnTimeout();
      }));
}

void Connection::OnTimeout() {
  switch (phase_) {
    case Phase::kHandler:
    case Phase::kClosed:
      return;
    case Phase::kDraining:
      CloseNow();
      return;
    case Phase::kHandshake:
    case Phase::kIdle:
    case Phase::kHeader:
    case Phase::kBody:
    case Phase::kWrite:
      core_.timeouts_.fetch_add(1);
      if (phase_ == Phase::kHandshake) {
        core_.handshakes_failed_.fetch_add(1);
      }
      if (worker_busy_) {
        close_requested_ = true;  // the worker step must not find a closed fd
        return;
      }
      CloseNow();
      return;
  }
}

void Connection::WaitThen(tcp::socket::wait_type type, void (Connection::*next)()) {
  socket_.async_wait(type, asio::bind_executor(strand_, [self = shared_from_this(), next](
                                                            const boost::system::error_code& ec) {
                       if (self->phase_ == Phase::kClosed) {
                         return;
                       }
                       if (ec) {
                         self->CloseNow();
                         return;
                       }
                       ((*self).*next)();
                     }));
}

void Connection::DoHandshake() {
  if (phase_ != Phase::kHandshake) {
    return;
  }
  if (listener_.options.client_auth == ClientAuth::kAttested) {
    // Every step of an attested handshake runs on the pool: a fast client's
    // certificate can already be readable when the step that sends our
    // flight goes on reading, and its verification must never run on the
    // I/O thread.
    if (!core_.AcquireVerificationSlot()) {
      FailHandshake("verification queue full");
      return;
    }
    worker_busy_ = true;
    asio::post(core_.workers(), [self = shared_from_this()] {
      t_on_worker = true;
      crypto::ClearOpenSslErrors();
      int result = SSL_do_handshake(self->ssl_.get());
      int error = SSL_get_error(self->ssl_.get(), result);
      crypto::ClearOpenSslErrors();
      self->core_.ReleaseVerificationSlot();
      asio::post(self->strand_, [self, result, error] {
        self->worker_busy_ = false;
        self->OnHandshakeStep(result, error);
      });
    });
    return;
  }
  crypto::ClearOpenSslErrors();
  int result = SSL_do_handshake(ssl_.get());
  int error = SSL_get_error(ssl_.get(), result);
  crypto::ClearOpenSslErrors();
  OnHandshakeStep(result, error);
}

void Connection::OnHandshakeStep(int result, int error) {
  if (phase_ == Phase::kClosed) {
    return;
  }
  if (close_requested_) {
    CloseNow();
    return;
  }
  if (result == 1) {
    HandshakeDone();
    return;
  }
  switch (error) {
    case SSL_ERROR_WANT_READ:
      WaitThen(tcp::socket::wait_read, &Connection::DoHandshake);
      return;
    case SSL_ERROR_WANT_WRITE:
      WaitThen(tcp::socket::wait_write, &Connection::DoHandshake);
      return;
    case SSL_ERROR_WANT_CLIENT_HELLO_CB:
      // The attestation for the client's nonce resumes the handshake.
      return;
    default:
      FailHandshake("TLS handshake failed");
      return;
  }
}

int Connection::OnClientHello(SSL* ssl, int* alert) {
  if (fresh_identity_ != nullptr) {
    if (SSL_use_certificate(ssl, fresh_identity_->cert.get()) != 1 ||
        SSL_use_PrivateKey(ssl, fresh_identity_->key->RawEvpForSigning()) != 1) {
      *alert = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  if (!fresh_status_.ok()) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (fresh_pending_) {
    return SSL_CLIENT_HELLO_RETRY;
  }
  absl::StatusOr<std::optional<atls::Nonce>> nonce = ClientNonceFromAlpn(ssl);
  if (!nonce.ok()) {
    *alert = SSL_AD_ILLEGAL_PARAMETER;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (!nonce->has_value()) {
    return RebindIfStale(alert);
  }
  if (!core_.AdmitFreshEvidence(source_)) {
    core_.log().Debug("per-handshake evidence refused: over the rate bound",
                      {{"listener", listener_.options.name}, {"remote", remote_address_}});
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return IdentityFromWorker(alert, [this, client_nonce = **nonce] {
    return core_.MakeIdentity(client_nonce, core_.identity()->key);
  });
}

int Connection::IdentityFromWorker(
    int* alert, std::function<absl::StatusOr<std::shared_ptr<const Identity>>()> make) {
  if (!core_.AcquireVerificationSlot()) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  fresh_pending_ = true;
  asio::post(core_.workers(), [self = shared_from_this(), make = std::move(make)] {
    t_on_worker = true;
    absl::StatusOr<std::shared_ptr<const Identity>> made = make();
    self->core_.ReleaseVerificationSlot();
    asio::post(self->strand_, [self, made = std::move(made)]() mutable {
      self->fresh_pending_ = false;
      if (made.ok()) {
        self->fresh_identity_ = std::move(*made);
      } else {
        self->fresh_status_ = made.status();
        self->core_.log().Warning("per-handshake evidence failed",
                                  {{"listener", self->listener_.options.name},
                                   {"error", std::string(made.status().message())}});
      }
      self->DoHandshake();
    });
  });
  return SSL_CLIENT_HELLO_RETRY;
}

int Connection::RebindIfStale(int* alert) {
  std::shared_ptr<const Identity> current = core_.identity();
  if (current->bound_root_ca == core_.CurrentBoundRoot()) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  return IdentityFromWorker(alert, [this]() -> absl::StatusOr<std::shared_ptr<const Identity>> {
    return core_.RebindIdentity();
  });
}

// How a refused client certificate shows up at the client: OpenSSL 3.0
// derives the alert from the X509 error and offers no access_denied
// mapping, so authentic-but-unacceptable evidence (PermissionDenied) sends
// certificate_unknown (46) and everything else bad_certificate (42).
int VerifyErrorFor(const absl::Status& status) {
  return status.code() == absl::StatusCode::kPermissionDenied ? X509_V_ERR_NO_EXPLICIT_POLICY
                                                              : X509_V_ERR_CERT_REJECTED;
}

int Connection::OnVerify(X509_STORE_CTX* store) {
  if (verify_done_) {
    if (verify_error_ != X509_V_OK) {
      X509_STORE_CTX_set_error(store, verify_error_);
      return 0;
    }
    return 1;
  }
  verify_done_ = true;
  auto refuse = [&](const absl::Status& status) {
    verify_error_ = VerifyErrorFor(status);
    X509_STORE_CTX_set_error(store, verify_error_);
    core_.log().Info("client certificate refused", {{"listener", listener_.options.name},
                                                    {"remote", remote_address_},
                                                    {"error", std::string(status.message())}});
    return 0;
  };
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (leaf == nullptr) {
    return refuse(absl::UnauthenticatedError("client certificate: missing"));
  }
  absl::StatusOr<atls::PeerCertificate> peer = atls::ParsePeerX509(leaf);
  if (!peer.ok()) {
    return refuse(peer.status());
  }
  if (listener_.options.client_auth == ClientAuth::kAttested) {
    if (!peer->evidence.has_value()) {
      return refuse(absl::UnauthenticatedError("client certificate: no evidence extension"));
    }
    std::array<uint8_t, 64> expected =
        atls::TlsReportData(atls::Purpose::kClientTls, peer->spki_der, nonce_);
    absl::StatusOr<attest::Claims> claims;
    try {
      claims = listener_.options.check_client(*peer->evidence, expected);
    } catch (const std::exception& e) {
      claims = absl::InternalError(absl::StrCat("client evidence check threw: ", e.what()));
    }
    if (!claims.ok()) {
      return refuse(claims.status());
    }
    peer_claims_ = std::move(*claims);
    peer_report_data_ = expected;
    peer_verified_at_ = core_.clock().Now();
  }
  peer_ = std::move(*peer);
  return 1;
}

void Connection::HandshakeDone() {
  fresh_identity_.reset();
  StartRequest();
}

void Connection::FailHandshake(absl::string_view why) {
  core_.handshakes_failed_.fetch_add(1);
  core_.log().Debug("handshake failed", {{"listener", listener_.options.name},
                                         {"remote", remote_address_},
                                         {"reason", std::string(why)}});
  // OpenSSL has written its alert. Half-close and drain what the client
  // still sends (TLS 1.3 clients send a request before they read the
  // alert): closing with unread data would turn the alert into a reset.
  phase_ = Phase::kDraining;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  Drain();
}

void Connection::Drain() {
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(socket_.native_handle(), buf, sizeof(buf), 0);
    if (n > 0) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WaitThen(tcp::socket::wait_read, &Connection::Drain);
      return;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    CloseNow();
    return;
  }
}

void Connection::StartRequest() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser_->body_limit(options_.max_body_bytes);
  // Eager only once the header is done (ParseBuffered): the body budget is
  // checked between the header and the first body byte.
  parser_->eager(false);
  if (inbuf_.empty()) {
    // Before the first request the header timeout runs from the handshake;
    // between requests the idle timeout runs until the first byte.
    bool first = phase_ == Phase::kHandshake;
    phase_ = first ? Phase::kHeader : Phase::kIdle;
    ArmTimer(first ? options_.header_timeout : options_.idle_timeout);
  } else {
    phase_ = Phase::kHeader;
    ArmTimer(options_.header_timeout);
  }
  if (!ParseBuffered()) {
    return;
  }
  ReadSome();
}

// Drops the first `n` bytes of `buf`, overwriting them and the stale copy
// of the rest that shifting leaves behind its new end.
void ConsumeFront(std::string& buf, size_t n) {
  const size_t size = buf.size();
  OPENSSL_cleanse(buf.data(), n);
  buf.erase(0, n);
  buf.resize(size);  // the tail now holds leftovers of the shifted bytes
  OPENSSL_cleanse(buf.data() + (size - n), n);
  buf.resize(size - n);
}

void Connection::ReadSome() {
  char buf[kReadChunk];
  while (phase_ == Phase::kIdle || phase_ == Phase::kHeader || phase_ == Phase::kBody) {
    size_t n = 0;
    if (tls()) {
      crypto::ClearOpenSslErrors();
      int result = SSL_read_ex(ssl_.get(), buf, sizeof(buf), &n);
      if (result != 1) {
        int error = SSL_get_error(ssl_.get(), result);
        crypto::ClearOpenSslErrors();
        if (error == SSL_ERROR_WANT_READ) {
          WaitThen(tcp::socket::wait_read, &Connection::ReadSome);
        } else if (error == SSL_ERROR_WANT_WRITE) {
          WaitThen(tcp::socket::wait_write, &Connection::ReadSome);
        } else {
          CloseNow();
        }
        return;
      }
    } else {
      ssize_t got = ::recv(socket_.native_handle(), buf, sizeof(buf), 0);
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        WaitThen(tcp::socket::wait_read, &Connection::ReadSome);
        return;
      }
      if (got <= 0) {
        CloseNow();
        return;
      }
      n = static_cast<size_t>(got);
    }
    inbuf_.append(buf, n);
    OPENSSL_cleanse(buf, n);  // request bodies may carry secrets
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kHeader;
      ArmTimer(options_.header_timeout);
    }
    if (!ParseBuffered()) {
      return;
    }
  }
}

bool Connection::ParseBuffered() {
  while (!inbuf_.empty()) {
    boost::beast::error_code ec;
    size_t used = parser_->put(asio::buffer(inbuf_.data(), inbuf_.size()), ec);
    ConsumeFront(inbuf_, used);
    if (ec == http::error::need_more) {
      // Not an error: what was used (a chunk, say) still counts below.
      ec = {};
    }
    if (ec == http::error::header_limit) {
      SendResponse(internal::JsonError(431, "INVALID_ARGUMENT",
                                       absl::StrCat("request headers over the limit of ",
                                                    options_.max_header_bytes, " bytes")),
                   false);
      return false;
    }
    if (ec == http::error::body_limit) {
      SendResponse(internal::JsonError(413, "PAYLOAD_TOO_LARGE",
                                       absl::StrCat("request body over the limit of ",
                                                    options_.max_body_bytes, " bytes")),
                   false);
      return false;
    }
    if (ec) {
      SendResponse(internal::JsonError(400, "INVALID_ARGUMENT",
                                       absl::StrCat("malformed HTTP request: ", ec.message())),
                   false);
      return false;
    }
    if (parser_->is_header_done() && phase_ == Phase::kHeader) {
      phase_ = Phase::kBody;
      ArmTimer(options_.body_timeout);
      parser_->eager(true);
    }
    if (phase_ == Phase::kBody && !ReserveBody()) {
      return false;
    }
    if (parser_->is_done()) {
      Dispatch();
      return false;
    }
    if (used == 0) {
      break;
    }
  }
  return true;
}

bool Connection::ReserveBody() {
  uint64_t needed = parser_->get().body().size();
  if (boost::optional<uint64_t> declared = parser_->content_length(); declared.has_value()) {
    needed = std::max<uint64_t>(needed, *declared);
  }
  if (needed <= body_reserved_) {
    return true;
  }
  if (!core_.body_budget().TryReserve(needed - body_reserved_)) {
    core_.refused_body_budget_.fetch_add(1);
    HttpResponse busy = internal::JsonError(
        503, "UNAVAILABLE", "server busy: buffered request bodies at their limit; retry");
    busy.headers.push_back({"Retry-After", "1"});
    SendResponse(busy, false);
    return false;
  }
  body_reserved_ = needed;
  return true;
}

void Connection::ReleaseBody() {
  if (body_reserved_ > 0) {
    core_.body_budget().Release(body_reserved_);
    body_reserved_ = 0;
  }
}

void Connection::Dispatch() {
  auto& message = parser_->get();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  auto content_type = message.find(http::field::content_type);
  if (content_type != message.end()) {
    request.content_type = std::string(content_type->value());
  }
  request.body = std::move(message.body());
  request.peer = peer_;
  request.peer_claims = peer_claims_;
  request.peer_report_data = peer_report_data_;
  request.peer_verified_at = peer_verified_at_;
  request.remote_address = remote_address_;
  keep_alive_ = message.keep_alive();
  parser_.reset();

  phase_ = Phase::kHandler;
  ++timer_generation_;
  timer_.cancel();
  request_in_flight_ = true;
  core_.requests_.fetch_add(1);
  core_.RequestStarted();
  asio::thread_pool& pool =
      listener_.handler_pool != nullptr ? *listener_.handler_pool : core_.workers();
  asio::post(pool, [self = shared_from_this(), request = std::move(request)]() mutable {
    t_on_worker = true;
    HttpResponse response;
    try {
      response = self->listener_.options.handler(request);
    } catch (const std::exception& e) {
      response = internal::JsonError(500, "INTERNAL", "handler failed");
    }
    // Bodies may carry secrets (a seed in POST /v1/recover, a grant, a
    // workload secret): no plain copy outlives its use.
    crypto::WipeString(request.body);
    asio::post(self->strand_, [self, response = std::move(response)]() mutable {
      if (self->phase_ != Phase::kClosed) {
        self->SendResponse(response, self->keep_alive_);
      }
      crypto::WipeString(response.body);
    });
  });
}

void Connection::SendResponse(const HttpResponse& response, bool keep_alive) {
  // The handler (if any) is done with the body; an error answer leaves the
  // rest of it unread.
  ReleaseBody();
  keep_alive_ = keep_alive && core_.accepting_.load();
  outbuf_ = internal::SerializeResponse(response, keep_alive_);
  out_pos_ = 0;
  phase_ = Phase::kWrite;
  ArmTimer(options_.body_timeout);
  WriteOut();
}

void Connection::WriteOut() {
  while (out_pos_ < outbuf_.size()) {
    size_t n = 0;
    if (tls()) {
      crypto::ClearOpenSslErrors();
      int result =
          SSL_write_ex(ssl_.get(), outbuf_.data() + out_pos_, outbuf_.size() - out_pos_, &n);
      if (result != 1) {
        int error = SSL_get_error(ssl_.get(), result);
        crypto::ClearOpenSslErrors();
        if (error == SSL_ERROR_WANT_WRITE) {
          WaitThen(tcp::socket::wait_write, &Connection::WriteOut);
        } else if (error == SSL_ERROR_WANT_READ) {
          WaitThen(tcp::socket::wait_read, &Connection::WriteOut);
        } else {
          CloseNow();
        }
        return;
      }
    } else {
      ssize_t sent = ::send(socket_.native_handle(), outbuf_.data() + out_pos_,
                            outbuf_.size() - out_pos_, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) {
        continue;
      }
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        WaitThen(tcp::socket::wait_write, &Connection::WriteOut);
        return;
      }
      if (sent <= 0) {
        CloseNow();
        return;
      }
      n = static_cast<size_t>(sent);
    }
    out_pos_ += n;
  }
  crypto::WipeString(outbuf_);
  out_pos_ = 0;
  if (request_in_flight_) {
    request_in_flight_ = false;
    core_.RequestFinished();
  }
  if (!keep_alive_) {
    if (tls()) {
      SSL_shutdown(ssl_.get());  // close_notify, best effort
      crypto::ClearOpenSslErrors();
    }
    // Half-close and drain, so unread request bytes do not reset the
    // connection before the client has read the response.
    phase_ = Phase::kDraining;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    ArmTimer(options_.idle_timeout < absl::Seconds(5) ? options_.idle_timeout : absl::Seconds(5));
    Drain();
    return;
  }
  StartRequest();
}

void Connection::CloseNow() {
  if (phase_ == Phase::kClosed) {
    return;
  }
  if (worker_busy_) {
    close_requested_ = true;
    return;
  }
  phase_ = Phase::kClosed;
  ++timer_generation_;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.close(ec);
  crypto::WipeString(inbuf_);
  crypto::WipeString(outbuf_);
  if (request_in_flight_) {
    request_in_flight_ = false;
    core_.RequestFinished();
  }
  ReleaseBody();
  ReleaseAdmission();
  core_.Unregister(this);
}

void Connection::Refuse() {
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::linger(true, 0), ec);
  CloseNow();
}

void Connection::ReleaseAdmission() {
  if (counted_) {
    counted_ = false;
    core_.ReleaseConnection(listener_index_, counted_as_);
  }
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions options) : core_(std::make_unique<ServerCore>(std::move(options))) {}
  ~Impl() { Shutdown(absl::ZeroDuration()); }

  absl::Status Start();
  uint16_t port(size_t index) const {
    return index < core_->listeners_.size() ? core_->listeners_[index]->port : 0;
  }
  void StopAccepting();
  void Shutdown(absl::Duration grace);
  ServerStats stats() const {
    ServerStats stats;
    stats.connections_accepted = core_->connections_accepted_.load();
    stats.handshakes_failed = core_->handshakes_failed_.load();
    stats.verifications_refused = core_->verifications_refused_.load();
    stats.timeouts = core_->timeouts_.load();
    stats.requests = core_->requests_.load();
    stats.open_connections = core_->OpenConnections();
    stats.refused_server_limit = core_->refused_server_limit_.load();
    stats.refused_listener_limit = core_->refused_listener_limit_.load();
    stats.refused_source_limit = core_->refused_source_limit_.load();
    stats.refused_body_budget = core_->refused_body_budget_.load();
    stats.refused_fresh_evidence_rate = core_->refused_fresh_evidence_rate_.load();
    stats.buffered_body_bytes = core_->body_budget().used();
    return stats;
  }

 private:
  absl::StatusOr<SslPtr<SSL_CTX>> MakeContext(const ListenerOptions& listener);
  void Accept(Listener& listener);
  // Admits or refuses one accepted socket.
  void Admit(Listener& listener, tcp::socket socket);
  void ScheduleRenewal();

  std::unique_ptr<ServerCore> core_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<asio::steady_timer> renewal_timer_;
  std::vector<std::thread> io_threads_;
  std::mutex lifecycle_mu_;
  bool running_ = false;
};

absl::StatusOr<SslPtr<SSL_CTX>> Server::Impl::MakeContext(const ListenerOptions& listener) {
  SslPtr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_num_tickets(ctx.get(), 0) != 1) {
    return crypto::OpenSslInternal(absl::StrCat("listener ", listener.name, ": SSL_CTX"));
  }
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_client_hello_cb(ctx.get(), ClientHelloCallback, nullptr);
  SSL_CTX_set_alpn_select_cb(ctx.get(), AlpnSelectCallback, nullptr);
  if (listener.client_auth != ClientAuth::kNone) {
    SSL_CTX_set_cert_verify_callback(ctx.get(), VerifyCallback, nullptr);
  }
  return ctx;
}

absl::Status Server::Impl::Start() {
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (running_) {
    return absl::FailedPreconditionError("server: already started");
  }
  const ServerOptions& options = core_->options();
  bool any_tls = false;
  for (const ListenerOptions& listener : options.listeners) {
    any_tls = any_tls || listener.tls;
  }
  if (any_tls) {
    CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Identity> identity,
                             core_->MakeIdentity({}, nullptr));
    core_->SetIdentity(std::move(identity));
  }
  core_->listeners_.clear();
  const std::vector<size_t> limits = ListenerLimits(options);
  for (size_t index = 0; index < options.listeners.size(); ++index) {
    const ListenerOptions& listener_options = options.listeners[index];
    auto listener = std::make_unique<Listener>();
    listener->options = listener_options;
    listener->index = index;
    listener->max_connections = limits[index];
    if (listener_options.tls) {
      CONCORD_ASSIGN_OR_RETURN(listener->ctx, MakeContext(listener_options));
    }
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(listener_options.address, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("listener ", listener_options.name,
                                                     ": bad address ", listener_options.address));
    }
    tcp::endpoint endpoint(address, listener_options.port);
    listener->acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(core_->io()));
    listener->acceptor->open(endpoint.protocol(), ec);
    if (!ec) {
      listener->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
      listener->acceptor->bind(endpoint, ec);
    }
    if (!ec) {
      listener->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      core_->listeners_.clear();
      return absl::UnavailableError(absl::StrCat("listener ", listener_options.name,
                                                 ": cannot bind ", listener_options.address, ":",
                                                 listener_options.port, ": ", ec.message()));
    }
    listener->port = listener->acceptor->local_endpoint(ec).port();
    if (listener_options.handler_threads > 0) {
      listener->handler_pool =
          std::make_unique<asio::thread_pool>(listener_options.handler_threads);
    }
    core_->listeners_.push_back(std::move(listener));
  }
  core_->workers_ =
      std::make_unique<asio::thread_pool>(std::max<size_t>(1, options.worker_threads));
  core_->io().restart();
  work_.emplace(core_->io().get_executor());
  core_->accepting_.store(true);
  for (auto& listener : core_->listeners_) {
    Accept(*listener);
  }
  if (any_tls) {
    renewal_timer_ = std::make_unique<asio::steady_timer>(asio::make_strand(core_->io()));
    ScheduleRenewal();
  }
  for (size_t i = 0; i < std::max<size_t>(1, options.io_threads); ++i) {
    io_threads_.emplace_back([this] { core_->io().run(); });
  }
  running_ = true;
  return absl::OkStatus();
}

void Server::Impl::Accept(Listener& listener) {
  listener.acceptor->async_accept(
      asio::make_strand(core_->io()),
      [this, &listener](const boost::system::error_code& ec, tcp::socket socket) {
        if (!core_->accepting_.load() || !listener.acceptor->is_open()) {
          return;
        }
        if (!ec) {
          core_->connections_accepted_.fetch_add(1);
          Admit(listener, std::move(socket));
        }
        Accept(listener);
      });
}

void Server::Impl::Admit(Listener& listener, tcp::socket socket) {
  boost::system::error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    socket.close(ec);  // already gone
    return;
  }
  std::string source = ClientKey(remote.address());
  const bool proxied = listener.options.proxy_protocol;
  std::string counted_as = proxied ? BalancerKey(source) : source;
  if (!core_->AdmitConnection(
          listener.index, counted_as,
          proxied ? listener.max_connections : listener.options.max_connections_per_source)) {
    // A reset: no TLS, no buffers, and no TIME_WAIT left here.
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
    return;
  }
  auto connection = std::make_shared<Connection>(*core_, listener, std::move(socket),
                                                 std::move(source), std::move(counted_as));
  core_->Register(connection);
  asio::post(connection->executor(), [connection] { connection->Start(); });
}

void Server::Impl::ScheduleRenewal() {
  renewal_timer_->expires_after(absl::ToChronoNanoseconds(core_->options().certificate_renewal));
  renewal_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !core_->accepting_.load()) {
      return;
    }
    asio::post(core_->workers(), [this] {
      absl::StatusOr<std::shared_ptr<const Identity>> identity = core_->MakeIdentity({}, nullptr);
      if (identity.ok()) {
        core_->SetIdentity(std::move(*identity));
      } else {
        // Keep serving the previous certificate; try again next interval.
        core_->log().Error("server certificate renewal failed",
                           {{"error", std::string(identity.status().message())}});
      }
      asio::post(renewal_timer_->get_executor(), [this] {
        if (core_->accepting_.load()) {
          ScheduleRenewal();
        }
      });
    });
  });
}

void Server::Impl::StopAccepting() {
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (!running_ || !core_->accepting_.exchange(false)) {
    return;
  }
  // Acceptors and the renewal timer live on their strands: close them there
  // and wait, so no accept completes after this returns.
  std::vector<std::shared_ptr<std::promise<void>>> done;
  for (auto& listener : core_->listeners_) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise);
    asio::post(listener->acceptor->get_executor(), [&listener, promise] {
      boost::system::error_code ec;
      listener->acceptor->close(ec);
      promise->set_value();
    });
  }
  if (renewal_timer_ != nullptr) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise);
    asio::post(renewal_timer_->get_executor(), [this, promise] {
      renewal_timer_->cancel();
      promise->set_value();
    });
  }
  for (auto& promise : done) {
    promise->get_future().wait();
  }
}

void Server::Impl::Shutdown(absl::Duration grace) {
  StopAccepting();
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (!running_) {
    return;
  }
  core_->WaitForRequests(grace);
  for (auto& connection : core_->Connections()) {
    connection->Close();
  }
  // Connections in a worker step close when it returns; handlers past the
  // grace period are not waited for beyond the worker pool's join below.
  core_->WaitForConnections(absl::Seconds(5));
  work_.reset();
  core_->io().stop();
  for (std::thread& thread : io_threads_) {
    thread.join();
  }
  io_threads_.clear();
  core_->workers().join();
  for (auto& listener : core_->listeners_) {
    if (listener->handler_pool != nullptr) {
      listener->handler_pool->join();
    }
  }
  // Run what the workers posted after the stop, so every connection is
  // released while the core is still alive.
  core_->io().restart();
  core_->io().poll();
  for (auto& connection : core_->Connections()) {
    connection->Close();
  }
  core_->io().poll();
  renewal_timer_.reset();
  running_ = false;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  if (options.listeners.empty()) {
    return absl::InvalidArgumentError("server options: no listeners");
  }
  for (const ListenerOptions& listener : options.listeners) {
    if (!listener.handler) {
      return absl::InvalidArgumentError(
          absl::StrCat("server options: listener ", listener.name, " has no handler"));
    }
    if (listener.tls && options.attester == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("server options: TLS listener ", listener.name, " without an attester"));
    }
    if (!listener.tls && listener.client_auth != ClientAuth::kNone) {
      return absl::InvalidArgumentError(absl::StrCat("server options: listener ", listener.name,
                                                     " asks for client certificates without TLS"));
    }
    if (listener.client_auth == ClientAuth::kAttested && !listener.check_client) {
      return absl::InvalidArgumentError(absl::StrCat("server options: attested listener ",
                                                     listener.name, " without check_client"));
    }
  }
  if (options.certificate_renewal <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("server options: certificate_renewal must be positive");
  }
  if (options.max_header_bytes == 0 || options.max_header_bytes > UINT32_MAX) {
    return absl::InvalidArgumentError("server options: max_header_bytes out of range");
  }
  if (options.max_connections == 0) {
    return absl::InvalidArgumentError("server options: max_connections must be positive");
  }
  size_t total = 0;
  const std::vector<size_t> limits = ListenerLimits(options);
  for (size_t i = 0; i < limits.size(); ++i) {
    const ListenerOptions& listener = options.listeners[i];
    if (limits[i] == 0 || listener.max_connections_per_source == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "server options: listener ", listener.name,
          " has a connection limit of 0 (max_connections or max_connections_per_source)"));
    }
    total += limits[i];
  }
  if (total > options.max_connections) {
    return absl::InvalidArgumentError(
        absl::StrCat("server options: listener connection limits add up to ", total,
                     ", over max_connections (", options.max_connections, ")"));
  }
  if (options.max_buffered_body_bytes < options.max_body_bytes) {
    return absl::InvalidArgumentError(
        "server options: max_buffered_body_bytes must be at least max_body_bytes");
  }
  for (const TokenBucketOptions& rate :
       {options.fresh_evidence_rate, options.fresh_evidence_rate_per_source}) {
    if (!(rate.burst >= 1) || !(rate.rate_per_second >= 0)) {
      return absl::InvalidArgumentError(
          "server options: a fresh-evidence rate needs a burst of at least 1 and a rate of at "
          "least 0");
    }
  }
  return std::unique_ptr<Server>(new Server(std::make_unique<Impl>(std::move(options))));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
absl::Status Server::Start() { return impl_->Start(); }
uint16_t Server::port(size_t index) const { return impl_->port(index); }
void Server::StopAccepting() { impl_->StopAccepting(); }
void Server::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }
ServerStats Server::stats() const { return impl_->stats(); }

}  // namespace concord::net
