// The blocking HTTPS client: a BlockingConnection (internal/
// blocking_connection.h, shared with WebClient) with OpenSSL for TLS 1.3 and
// Beast's response parser.
// The server's evidence is checked in the certificate-verify callback, so a
// failing check aborts the handshake before any request byte is sent.
#include "concord/net/client.h"

#include <openssl/err.h>

#include <boost/beast/http.hpp>
#include <utility>  // Boost 1.74 Asio/Beast under C++20 needs this first.

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "concord/atls/atls_protocol.h"
#include "concord/atls/cert.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/random.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/crypto/x509.h"
#include "concord/net/internal/blocking_connection.h"
#include "concord/net/internal/http_util.h"

namespace concord::net {
namespace {

namespace http = boost::beast::http;
using crypto::SslPtr;

constexpr absl::string_view kClientCommonName = "concord-client";
constexpr absl::Duration kClientCertValidity = absl::Hours(24);
constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;

using internal::Deadline;

int ClientIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The alert names a client may see when the server refuses its certificate
// (docs/protocol.md "Nonces").
absl::StatusCode RefusalCode(int alert) {
  switch (alert) {
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kUnauthenticated;
  }
}

bool IsCertificateAlert(int alert) {
  switch (alert) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_HANDSHAKE_FAILURE:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

}  // namespace

class HttpsClient::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &SystemClock::Get()),
        random_(options_.random != nullptr ? options_.random : &crypto::SystemRandom::Get()),
        conn_({.watch_alerts = true}) {}

  absl::Status Init();
  absl::StatusOr<HttpResponse> Call(absl::string_view method, absl::string_view target,
                                    absl::string_view body, absl::string_view content_type);
  void Close() {
    conn_.Close();
    connected_ = false;
  }

  const std::optional<attest::Claims>& server_claims() const { return server_claims_; }
  const std::optional<atls::PeerCertificate>& server_certificate() const { return server_cert_; }

  // OpenSSL callbacks (static thunks find the Impl through SSL ex_data).
  static int VerifyThunk(X509_STORE_CTX* store, void* arg);
  static int CertThunk(SSL* ssl, void* arg);
  int OnVerify(X509_STORE_CTX* store);
  int OnCertificateRequest(SSL* ssl);

 private:
  absl::Status Connect();
  // Why the handshake failed: our check of the server's evidence, our own
  // certificate, the server's refusal of it, or TLS itself.
  absl::Status HandshakeError(absl::string_view where);
  // Why a TLS write or read failed: the server's refusal of our
  // certificate, or a lost connection.
  absl::Status ReadError(absl::string_view what);
  absl::StatusOr<HttpResponse> CallOnce(absl::string_view method, absl::string_view target,
                                        absl::string_view body, absl::string_view content_type,
                                        bool* retryable);

  const ClientOptions options_;
  Clock* const clock_;
  RandomSource* const random_;
  SslPtr<SSL_CTX> ctx_;
  internal::BlockingConnection conn_;
  bool connected_ = false;
  std::optional<atls::Nonce> nonce_;
  absl::Status verify_status_;
  absl::Status certificate_status_;
  std::optional<attest::Claims> server_claims_;
  std::optional<atls::PeerCertificate> server_cert_;
  SslPtr<X509> plain_cert_;  // self-signed, for client_key without attester
};

int HttpsClient::Impl::VerifyThunk(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* impl = ssl == nullptr ? nullptr : static_cast<Impl*>(SSL_get_ex_data(ssl, ClientIndex()));
  return impl == nullptr ? 0 : impl->OnVerify(store);
}

int HttpsClient::Impl::CertThunk(SSL* ssl, void* /*arg*/) {
  auto* impl = static_cast<Impl*>(SSL_get_ex_data(ssl, ClientIndex()));
  return impl == nullptr ? 0 : impl->OnCertificateRequest(ssl);
}

absl::Status HttpsClient::Impl::Init() {
  if (!options_.tls) {
    return absl::OkStatus();
  }
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (ctx_ == nullptr || SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx_.get(), TLS1_3_VERSION) != 1) {
    return crypto::OpenSslInternal("client: SSL_CTX");
  }
  SSL_CTX_set_session_cache_mode(ctx_.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx_.get(), VerifyThunk, nullptr);
  SSL_CTX_set_cert_cb(ctx_.get(), CertThunk, nullptr);
  if (options_.client_key.has_value() && options_.attester == nullptr) {
    CONCORD_ASSIGN_OR_RETURN(
        Bytes der, atls::MakeSelfSignedCertificate(*options_.client_key, nullptr, kClientCommonName,
                                                   clock_->Now(), absl::Hours(24 * 365)));
    CONCORD_ASSIGN_OR_RETURN(plain_cert_, crypto::ParseCertDer(der));
  }
  return absl::OkStatus();
}

int HttpsClient::Impl::OnVerify(X509_STORE_CTX* store) {
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  absl::StatusOr<atls::PeerCertificate> peer =
      leaf == nullptr ? absl::InvalidArgumentError("no server certificate")
                      : atls::ParsePeerX509(leaf);
  if (!peer.ok()) {
    verify_status_ = peer.status();
  } else if (!peer->evidence.has_value()) {
    verify_status_ = absl::UnauthenticatedError("the certificate carries no evidence");
  } else {
    ByteView nonce = nonce_.has_value() ? ByteView(*nonce_) : ByteView();
    std::array<uint8_t, 64> expected = atls::TlsReportData(
        atls::Purpose::kCoordinatorTls, peer->spki_der, nonce, peer->bound_root_ca);
    absl::StatusOr<attest::Claims> claims;
    try {
      claims = options_.check_server(*peer->evidence, expected);
    } catch (const std::exception& e) {
      claims = absl::InternalError(absl::StrCat("check threw: ", e.what()));
    }
    if (claims.ok()) {
      server_claims_ = std::move(*claims);
      server_cert_ = std::move(*peer);
      verify_status_ = absl::OkStatus();
      return 1;
    }
    verify_status_ = claims.status();
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

int HttpsClient::Impl::OnCertificateRequest(SSL* ssl) {
  if (!options_.client_key.has_value()) {
    return 1;  // no certificate
  }
  if (options_.attester == nullptr) {
    if (SSL_use_certificate(ssl, plain_cert_.get()) != 1 ||
        SSL_use_PrivateKey(ssl, options_.client_key->RawEvpForSigning()) != 1) {
      certificate_status_ = crypto::OpenSslInternal("client certificate");
      return 0;
    }
    return 1;
  }
  // Attested: only over a nonce of this handshake, from the single
  // acceptable-CA name of the CertificateRequest.
  const STACK_OF(X509_NAME)* names = SSL_get0_peer_CA_list(ssl);
  if (names == nullptr || sk_X509_NAME_num(names) != 1) {
    return 1;
  }
  const X509_NAME* name = sk_X509_NAME_value(names, 0);
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return 1;
  }
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  absl::StatusOr<atls::Nonce> nonce = atls::ParseNonceCommonName(AsStringView(
      ByteView(ASN1_STRING_get0_data(cn), static_cast<size_t>(ASN1_STRING_length(cn)))));
  if (!nonce.ok()) {
    return 1;
  }
  const crypto::PrivateKey& key = *options_.client_key;
  std::array<uint8_t, 64> report_data =
      atls::TlsReportData(atls::Purpose::kClientTls, key.public_key().spki_der(), *nonce);
  absl::StatusOr<attest::Evidence> evidence = options_.attester->Attest(report_data);
  if (!evidence.ok()) {
    certificate_status_ = evidence.status();
    return 0;
  }
  absl::StatusOr<Bytes> der = atls::MakeAttestedCertificate(key, *evidence, kClientCommonName,
                                                            clock_->Now(), kClientCertValidity);
  if (!der.ok()) {
    certificate_status_ = der.status();
    return 0;
  }
  absl::StatusOr<SslPtr<X509>> cert = crypto::ParseCertDer(*der);
  if (!cert.ok()) {
    certificate_status_ = cert.status();
    return 0;
  }
  if (SSL_use_certificate(ssl, cert->get()) != 1 ||
      SSL_use_PrivateKey(ssl, key.RawEvpForSigning()) != 1) {
    certificate_status_ = crypto::OpenSslInternal("client certificate");
    return 0;
  }
  return 1;
}

absl::Status HttpsClient::Impl::Connect() {
  Close();
  server_claims_.reset();
  server_cert_.reset();
  verify_status_ = absl::OkStatus();
  certificate_status_ = absl::OkStatus();
  std::string where = absl::StrCat(options_.host, ":", options_.port);
  CONCORD_RETURN_IF_ERROR(conn_.Connect(options_.host, options_.port, /*numeric_host=*/false, where,
                                        absl::StrCat("connect ", where),
                                        internal::DeadlineAfter(options_.connect_timeout)));
  if (!options_.tls) {
    connected_ = true;
    return absl::OkStatus();
  }

  CONCORD_ASSIGN_OR_RETURN(SSL * ssl, conn_.StartTls(ctx_.get(), "client: SSL_new"));
  if (SSL_set_ex_data(ssl, ClientIndex(), this) != 1) {
    return crypto::OpenSslInternal("client: SSL_new");
  }
  std::string alpn;
  nonce_.reset();
  if (options_.fresh_evidence) {
    atls::Nonce nonce;
    CONCORD_RETURN_IF_ERROR(random_->Fill(nonce));
    nonce_ = nonce;
    std::string name = atls::NonceAlpn(nonce);
    alpn.push_back(static_cast<char>(name.size()));
    alpn += name;
  }
  alpn.push_back(static_cast<char>(atls::kAlpnHttp11.size()));
  alpn.append(atls::kAlpnHttp11.data(), atls::kAlpnHttp11.size());
  if (SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned int>(alpn.size())) != 0) {
    return crypto::OpenSslInternal("client: ALPN");
  }
  CONCORD_RETURN_IF_ERROR(conn_.Handshake(internal::DeadlineAfter(options_.io_timeout),
                                          absl::StrCat("TLS handshake with ", where),
                                          [&] { return HandshakeError(where); }));
  connected_ = true;
  return absl::OkStatus();
}

absl::Status HttpsClient::Impl::HandshakeError(absl::string_view where) {
  const int alert = conn_.received_alert();
  if (!verify_status_.ok()) {
    return absl::Status(verify_status_.code(),
                        absl::StrCat("server evidence: ", verify_status_.message()));
  }
  if (!certificate_status_.ok()) {
    return absl::Status(certificate_status_.code(),
                        absl::StrCat("client certificate: ", certificate_status_.message()));
  }
  if (alert >= 0 && IsCertificateAlert(alert)) {
    return absl::Status(RefusalCode(alert), absl::StrCat("server refused our certificate: ",
                                                         SSL_alert_desc_string_long(alert)));
  }
  return crypto::OpenSslError(absl::StatusCode::kUnavailable,
                              absl::StrCat("TLS handshake with ", where));
}

absl::Status HttpsClient::Impl::ReadError(absl::string_view what) {
  const int alert = conn_.received_alert();
  if (alert >= 0 && IsCertificateAlert(alert)) {
    // TLS 1.3: the server judges our certificate after our Finished, so its
    // refusal arrives as an alert at the first read.
    return absl::Status(RefusalCode(alert), absl::StrCat("server refused our certificate: ",
                                                         SSL_alert_desc_string_long(alert)));
  }
  return crypto::OpenSslError(absl::StatusCode::kUnavailable,
                              absl::StrCat(what, ": connection lost"));
}

absl::StatusOr<HttpResponse> HttpsClient::Impl::Call(absl::string_view method,
                                                     absl::string_view target,
                                                     absl::string_view body,
                                                     absl::string_view content_type) {
  bool reused = connected_;
  bool retryable = false;
  absl::StatusOr<HttpResponse> response = CallOnce(method, target, body, content_type, &retryable);
  if (!response.ok() && reused && retryable) {
    // The server closed the kept-alive connection before reading the
    // request (idle timeout): nothing was processed, so send it again.
    Close();
    response = CallOnce(method, target, body, content_type, &retryable);
  }
  return response;
}

absl::StatusOr<HttpResponse> HttpsClient::Impl::CallOnce(absl::string_view method,
                                                         absl::string_view target,
                                                         absl::string_view body,
                                                         absl::string_view content_type,
                                                         bool* retryable) {
  *retryable = false;
  if (!connected_) {
    CONCORD_RETURN_IF_ERROR(Connect());
  }
  Deadline deadline = internal::DeadlineAfter(options_.io_timeout);
  std::string host = absl::StrCat(options_.host, ":", options_.port);
  absl::Status written =
      conn_.WriteAll(internal::SerializeRequest(method, target, host, body, content_type), deadline,
                     "send request", [&] { return ReadError("send request"); });
  if (!written.ok()) {
    *retryable = conn_.received_alert() < 0;
    Close();
    return written;
  }
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxResponseHeaderBytes));
  parser.body_limit(options_.max_response_bytes);
  parser.eager(true);
  if (method == "HEAD") {
    parser.skip(true);
  }
  std::string& inbuf = conn_.inbuf();
  bool got_bytes = !inbuf.empty();
  while (!parser.is_done()) {
    if (!inbuf.empty()) {
      boost::beast::error_code ec;
      size_t used = parser.put(boost::asio::buffer(inbuf.data(), inbuf.size()), ec);
      inbuf.erase(0, used);
      if (ec && ec != http::error::need_more) {
        Close();
        return absl::DataLossError(absl::StrCat("response: ", ec.message()));
      }
      if (parser.is_done()) {
        break;
      }
      if (used > 0 && !inbuf.empty()) {
        continue;
      }
    }
    absl::StatusOr<size_t> n =
        conn_.ReadSome(deadline, "read response", [&] { return ReadError("read response"); });
    if (!n.ok()) {
      *retryable = !got_bytes && n.status().code() == absl::StatusCode::kUnavailable &&
                   conn_.received_alert() < 0;
      Close();
      return n.status();
    }
    if (*n == 0) {
      boost::beast::error_code ec;
      parser.put_eof(ec);
      if (ec || !parser.is_done()) {
        *retryable = !got_bytes;
        Close();
        return absl::UnavailableError("read response: connection closed before a response");
      }
      break;
    }
    got_bytes = true;
  }
  auto& message = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.content_type.clear();
  for (const auto& field : message) {
    if (field.name() == http::field::content_type) {
      response.content_type = std::string(field.value());
      continue;
    }
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  if (!message.keep_alive()) {
    Close();
  }
  return response;
}

absl::StatusOr<std::unique_ptr<HttpsClient>> HttpsClient::Create(ClientOptions options) {
  if (options.host.empty() || options.port == 0) {
    return absl::InvalidArgumentError("client options: host and port are required");
  }
  if (options.tls && !options.check_server) {
    return absl::InvalidArgumentError("client options: TLS needs check_server");
  }
  if (!options.tls && (options.client_key.has_value() || options.fresh_evidence)) {
    return absl::InvalidArgumentError(
        "client options: client certificates and fresh evidence need TLS");
  }
  if (options.attester != nullptr &&
      (!options.client_key.has_value() || options.client_key->type() != crypto::KeyType::kEcP256)) {
    return absl::InvalidArgumentError(
        "client options: an attested client certificate needs an ECDSA P-256 client_key");
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("client options: timeouts must be positive");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  CONCORD_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;

absl::StatusOr<HttpResponse> HttpsClient::Call(absl::string_view method, absl::string_view target,
                                               absl::string_view body,
                                               absl::string_view content_type) {
  return impl_->Call(method, target, body, content_type);
}

const std::optional<attest::Claims>& HttpsClient::server_claims() const {
  return impl_->server_claims();
}

const std::optional<atls::PeerCertificate>& HttpsClient::server_certificate() const {
  return impl_->server_certificate();
}

void HttpsClient::Close() { impl_->Close(); }

}  // namespace concord::net
