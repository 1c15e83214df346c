// OpenSSL finds the AtlsHandshake of a connection through the SSL object's
// ex data. Certificate choice happens in the ClientHello callback, which can
// pause the handshake (SSL_CLIENT_HELLO_RETRY) while evidence for a client's
// nonce, or for a new root CA, is made on the worker pool.
#include "concord/net/internal/atls_handshake.h"

#include <exception>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/atls/cert.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"
#include "concord/net/internal/server_core.h"

namespace concord::net::internal {
namespace {

using crypto::SslPtr;

constexpr absl::string_view kServerCommonName = "concord-coordinator";

int HandshakeIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Owning STACK_OF(X509_NAME), for the CA list handed to SSL_set0_CA_list.
struct X509NameStackDeleter {
  void operator()(STACK_OF(X509_NAME) * p) const { sk_X509_NAME_pop_free(p, X509_NAME_free); }
};
using X509NameStackPtr = std::unique_ptr<STACK_OF(X509_NAME), X509NameStackDeleter>;

int ClientHelloCallback(SSL* ssl, int* alert, void* /*arg*/) {
  auto* handshake = static_cast<AtlsHandshake*>(SSL_get_ex_data(ssl, HandshakeIndex()));
  if (handshake == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return handshake->OnClientHello(ssl, alert);
}

int VerifyCallback(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) {
    return 0;
  }
  auto* handshake = static_cast<AtlsHandshake*>(SSL_get_ex_data(ssl, HandshakeIndex()));
  if (handshake == nullptr) {
    return 0;
  }
  return handshake->OnVerify(store);
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

}  // namespace

absl::StatusOr<std::shared_ptr<const Identity>> ServerIdentity::Make(
    ByteView nonce, std::shared_ptr<const crypto::PrivateKey> key) const {
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
      Bytes der, atls::MakeAttestedCertificate(*key, *evidence, kServerCommonName, clock_.Now(),
                                               validity, bound_root_ca));
  CONCORD_ASSIGN_OR_RETURN(SslPtr<X509> cert, crypto::ParseCertDer(der));
  auto identity = std::make_shared<Identity>();
  identity->key = std::move(key);
  identity->cert = std::move(cert);
  identity->bound_root_ca = bound_root_ca;
  return std::shared_ptr<const Identity>(std::move(identity));
}

std::shared_ptr<const Identity> ServerIdentity::Rebind() {
  absl::MutexLock lock(&rebind_mu_);
  std::shared_ptr<const Identity> previous = current();
  if (previous->bound_root_ca == CurrentBoundRoot()) {
    return previous;  // another handshake rebound it meanwhile
  }
  absl::StatusOr<std::shared_ptr<const Identity>> made = Make({}, nullptr);
  if (!made.ok()) {
    log_.Error("server certificate for the new root CA failed",
               {{"error", std::string(made.status().message())}});
    return previous;
  }
  Set(*made);
  return *std::move(made);
}

absl::StatusOr<SslPtr<SSL_CTX>> MakeServerContext(const ListenerOptions& listener) {
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

AtlsHandshake::AtlsHandshake(ServerCore& core, const Listener& listener, Offload offload)
    : core_(core), listener_(listener), offload_(std::move(offload)) {}

bool AtlsHandshake::Start(int fd, std::string remote_address, std::string source) {
  remote_address_ = std::move(remote_address);
  source_ = std::move(source);
  std::shared_ptr<const Identity> identity = core_.identity().current();
  ssl_.reset(SSL_new(listener_.ctx.get()));
  if (ssl_ == nullptr || identity == nullptr || SSL_set_fd(ssl_.get(), fd) != 1 ||
      SSL_set_ex_data(ssl_.get(), HandshakeIndex(), this) != 1 ||
      SSL_use_certificate(ssl_.get(), identity->cert.get()) != 1 ||
      SSL_use_PrivateKey(ssl_.get(), identity->key->RawEvpForSigning()) != 1) {
    crypto::ClearOpenSslErrors();
    return false;
  }
  if (listener_.options.client_auth != ClientAuth::kNone) {
    // The nonce is the only acceptable-CA name of the CertificateRequest.
    if (!core_.random().Fill(nonce_).ok()) {
      return false;
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
      return false;
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
  return true;
}

void AtlsHandshake::FillPeer(HttpRequest& request) const {
  request.peer = peer_;
  request.peer_claims = peer_claims_;
  request.peer_report_data = peer_report_data_;
  request.peer_verified_at = peer_verified_at_;
}

int AtlsHandshake::OnClientHello(SSL* ssl, int* alert) {
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
    return core_.identity().Make(client_nonce, core_.identity().current()->key);
  });
}

int AtlsHandshake::IdentityFromWorker(
    int* alert, std::function<absl::StatusOr<std::shared_ptr<const Identity>>()> make) {
  if (!core_.AcquireVerificationSlot()) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  fresh_pending_ = true;
  auto made = std::make_shared<absl::StatusOr<std::shared_ptr<const Identity>>>();
  offload_([made, make = std::move(make)] { *made = make(); },
           [this, made] {
             fresh_pending_ = false;
             if (made->ok()) {
               fresh_identity_ = std::move(**made);
             } else {
               fresh_status_ = made->status();
               core_.log().Warning("per-handshake evidence failed",
                                   {{"listener", listener_.options.name},
                                    {"error", std::string(made->status().message())}});
             }
           });
  return SSL_CLIENT_HELLO_RETRY;
}

int AtlsHandshake::RebindIfStale(int* alert) {
  std::shared_ptr<const Identity> current = core_.identity().current();
  if (current->bound_root_ca == core_.identity().CurrentBoundRoot()) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  return IdentityFromWorker(alert, [this]() -> absl::StatusOr<std::shared_ptr<const Identity>> {
    return core_.identity().Rebind();
  });
}

// How a refused client certificate shows up at the client: OpenSSL 3.0
// derives the alert from the X509 error and offers no access_denied
// mapping, so authentic-but-unacceptable evidence (PermissionDenied) sends
// certificate_unknown (46) and everything else bad_certificate (42).
namespace {
int VerifyErrorFor(const absl::Status& status) {
  return status.code() == absl::StatusCode::kPermissionDenied ? X509_V_ERR_NO_EXPLICIT_POLICY
                                                              : X509_V_ERR_CERT_REJECTED;
}
}  // namespace

int AtlsHandshake::OnVerify(X509_STORE_CTX* store) {
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

}  // namespace concord::net::internal
