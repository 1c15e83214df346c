#include "concord/crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/internal/spki_fast.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/p384_sign.h"
#include "concord/crypto/p384_verify.h"

namespace concord::crypto {
namespace {

int CurveNid(KeyType type) {
  return type == KeyType::kEcP256 ? NID_X9_62_prime256v1 : NID_secp384r1;
}

const char* CurveName(KeyType type) { return type == KeyType::kEcP256 ? "P-256" : "P-384"; }

absl::StatusOr<KeyType> ClassifyKey(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                         &len) != 1) {
        ClearOpenSslErrors();
        return absl::InvalidArgumentError(
            "public key: want a named curve P-256 or P-384, got explicit or unknown parameters");
      }
      absl::string_view name(group, len);
      if (name == "prime256v1" || name == "P-256") return KeyType::kEcP256;
      if (name == "secp384r1" || name == "P-384") return KeyType::kEcP384;
      return absl::InvalidArgumentError(
          absl::StrCat("public key: want curve P-256 or P-384, got ", name));
    }
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(pkey);
      if (bits < 2048 || bits > 8192) {
        return absl::InvalidArgumentError(
            absl::StrCat("public key: want an RSA modulus of 2048 to 8192 bits, got ", bits));
      }
      return KeyType::kRsa;
    }
    default:
      return absl::InvalidArgumentError(
          "public key: want an ECDSA P-256/P-384 or RSA key, got another algorithm");
  }
}

absl::StatusOr<Bytes> EncodeSpki(EVP_PKEY* pkey) {
  return I2dDer(pkey, i2d_PUBKEY, "encode SubjectPublicKeyInfo");
}

}  // namespace

absl::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return "ECDSA P-256";
    case KeyType::kEcP384:
      return "ECDSA P-384";
    case KeyType::kRsa:
      return "RSA";
  }
  return "unknown";
}

HashAlg DefaultEcdsaHash(KeyType type) {
  return type == KeyType::kEcP384 ? HashAlg::kSha384 : HashAlg::kSha256;
}

absl::StatusOr<PublicKey> PublicKey::FromSpkiDer(ByteView der) {
  if (der.empty() || der.size() > kMaxSpkiDerSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("public key: want a DER SubjectPublicKeyInfo of 1 to ", kMaxSpkiDerSize,
                     " bytes, got ", der.size()));
  }
  CONCORD_ASSIGN_OR_RETURN(std::optional<internal::DecodedSpki> fast,
                           internal::DecodeSpkiFast(der));
  if (fast.has_value()) {
    // The fast decoder accepts canonical DER only, so `der` is the encoding.
    CONCORD_ASSIGN_OR_RETURN(KeyType type, ClassifyKey(fast->key.get()));
    return PublicKey(std::move(fast->key), type, Bytes(der.begin(), der.end()));
  }
  return FromSpkiDerGeneral(der);
}

absl::StatusOr<PublicKey> PublicKey::FromSpkiDerGeneral(ByteView der) {
  if (der.empty() || der.size() > kMaxSpkiDerSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("public key: want a DER SubjectPublicKeyInfo of 1 to ", kMaxSpkiDerSize,
                     " bytes, got ", der.size()));
  }
  const unsigned char* p = der.data();
  SslPtr<EVP_PKEY> pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "public key: not a DER SubjectPublicKeyInfo");
  }
  if (p != der.data() + der.size()) {
    return absl::InvalidArgumentError("public key: trailing bytes after SubjectPublicKeyInfo");
  }
  CONCORD_ASSIGN_OR_RETURN(KeyType type, ClassifyKey(pkey.get()));
  CONCORD_ASSIGN_OR_RETURN(Bytes canonical, EncodeSpki(pkey.get()));
  if (canonical.size() != der.size() ||
      !std::equal(canonical.begin(), canonical.end(), der.begin())) {
    return absl::InvalidArgumentError(
        "public key: SubjectPublicKeyInfo is not in canonical DER (e.g. compressed point)");
  }
  return PublicKey(std::move(pkey), type, std::move(canonical));
}

absl::StatusOr<PublicKey> PublicKey::FromSpkiPem(absl::string_view pem) {
  if (pem.size() > 4 * kMaxSpkiDerSize) {
    return absl::InvalidArgumentError("public key: PEM too large");
  }
  SslPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return OpenSslInternal("public key: BIO");
  }
  SslPtr<EVP_PKEY> pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "public key: want a PEM PUBLIC KEY block");
  }
  return FromEvp(pkey.get());
}

absl::StatusOr<PublicKey> PublicKey::FromEvp(EVP_PKEY* pkey) {
  CONCORD_ASSIGN_OR_RETURN(KeyType type, ClassifyKey(pkey));
  CONCORD_ASSIGN_OR_RETURN(Bytes spki, EncodeSpki(pkey));
  if (EVP_PKEY_up_ref(pkey) != 1) {
    return OpenSslInternal("public key: up-ref");
  }
  return PublicKey(SslPtr<EVP_PKEY>(pkey), type, std::move(spki));
}

PublicKey::PublicKey(const PublicKey& other) : type_(other.type_), spki_der_(other.spki_der_) {
  EVP_PKEY_up_ref(other.key_.get());
  key_.reset(other.key_.get());
}

PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) {
    EVP_PKEY_up_ref(other.key_.get());
    key_.reset(other.key_.get());
    type_ = other.type_;
    spki_der_ = other.spki_der_;
  }
  return *this;
}

std::string PublicKey::ToPem() const {
  SslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ClearOpenSslErrors();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

namespace {

// ECDSA P-384/SHA-384 on nettle (docs/performance.md: 0.58 ms against
// OpenSSL 3.0's 0.87 ms): P-384 owners' manifest authorizations and the
// history key's signed heads. It accepts exactly what OpenSSL accepts: one
// canonical DER ECDSA-Sig-Value (OpenSSL re-encodes and compares too) whose r
// and s lie in [1, n-1] (nettle checks the range).
absl::Status VerifyP384(const PublicKey& key, ByteView message, ByteView der_signature) {
  const absl::Status refused = absl::UnauthenticatedError("ECDSA P-384 signature does not verify");
  absl::StatusOr<Bytes> raw = EcdsaDerToRaw(der_signature, kP384ScalarSize);
  if (!raw.ok()) {
    return refused;
  }
  const ByteView r = ByteView(*raw).first(kP384ScalarSize);
  const ByteView s = ByteView(*raw).subspan(kP384ScalarSize);
  absl::StatusOr<Bytes> canonical = EcdsaRawToDer(r, s);
  if (!canonical.ok() || *canonical != Bytes(der_signature.begin(), der_signature.end())) {
    return refused;
  }
  CONCORD_ASSIGN_OR_RETURN(P384Verifier verifier, P384Verifier::FromPublicKey(key));
  if (!verifier.Verify(message, r, s).ok()) {
    return refused;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PublicKey::VerifyEcdsa(ByteView message, ByteView der_signature, HashAlg hash) const {
  if (type_ == KeyType::kRsa) {
    return absl::FailedPreconditionError("ECDSA verify: key is RSA");
  }
  if (type_ == KeyType::kEcP384 && hash == HashAlg::kSha384) {
    return VerifyP384(*this, message, der_signature);
  }
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, EVP_MD_get0_name(EvpMd(hash)),
                                                nullptr, nullptr, key_.get(), nullptr) != 1) {
    return OpenSslInternal("ECDSA verify: init");
  }
  int rc = EVP_DigestVerify(ctx.get(), der_signature.data(), der_signature.size(), message.data(),
                            message.size());
  if (rc != 1) {
    ClearOpenSslErrors();
    return absl::UnauthenticatedError(
        absl::StrCat("ECDSA ", CurveName(type_), " signature does not verify"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PrivateKey> PrivateKey::FromEvp(SslPtr<EVP_PKEY> key) {
  CONCORD_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEvp(key.get()));
  std::unique_ptr<const P384Signer, internal::P384SignerDeleter> p384;
  if (pub.type() == KeyType::kEcP384) {
    CONCORD_ASSIGN_OR_RETURN(p384, P384Signer::FromEvp(key.get()));
  }
  return PrivateKey(std::move(key), std::move(pub), std::move(p384));
}

absl::StatusOr<PrivateKey> PrivateKey::GenerateEc(KeyType curve) {
  if (curve == KeyType::kRsa) {
    return absl::InvalidArgumentError("generate EC key: want a curve, got RSA");
  }
  SslPtr<EVP_PKEY> key(EVP_EC_gen(CurveName(curve)));
  if (key == nullptr) {
    return OpenSslInternal("generate EC key");
  }
  return FromEvp(std::move(key));
}

absl::StatusOr<PrivateKey> PrivateKey::GenerateRsa(int bits) {
  if (bits < 2048 || bits > 8192) {
    return absl::InvalidArgumentError("generate RSA key: want 2048 to 8192 bits");
  }
  SslPtr<EVP_PKEY> key(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (key == nullptr) {
    return OpenSslInternal("generate RSA key");
  }
  return FromEvp(std::move(key));
}

absl::StatusOr<PrivateKey> PrivateKey::FromEcScalar(KeyType curve, const SecretBytes& d) {
  if (curve == KeyType::kRsa) {
    return absl::InvalidArgumentError("EC key from scalar: want a curve, got RSA");
  }
  SslPtr<EC_GROUP> group(EC_GROUP_new_by_curve_name(CurveNid(curve)));
  SslPtr<BIGNUM> priv(BN_bin2bn(d.Reveal().data(), static_cast<int>(d.size()), nullptr));
  SslPtr<BN_CTX> bn_ctx(BN_CTX_new());
  if (group == nullptr || priv == nullptr || bn_ctx == nullptr) {
    return OpenSslInternal("EC key from scalar: setup");
  }
  BN_set_flags(priv.get(), BN_FLG_CONSTTIME);
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  if (BN_is_zero(priv.get()) || BN_cmp(priv.get(), order) >= 0) {
    return absl::InvalidArgumentError("EC key from scalar: want 1 <= d < n");
  }
  SslPtr<EC_POINT> pub(EC_POINT_new(group.get()));
  if (pub == nullptr ||
      EC_POINT_mul(group.get(), pub.get(), priv.get(), nullptr, nullptr, bn_ctx.get()) != 1) {
    return OpenSslInternal("EC key from scalar: public point");
  }
  size_t pub_len = EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                                      nullptr, 0, bn_ctx.get());
  Bytes pub_oct(pub_len);
  if (pub_len == 0 || EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                                         pub_oct.data(), pub_oct.size(), bn_ctx.get()) != pub_len) {
    return OpenSslInternal("EC key from scalar: encode point");
  }
  SslPtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve == KeyType::kEcP256 ? "prime256v1" : "secp384r1",
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub_oct.data(),
                                       pub_oct.size()) != 1) {
    return OpenSslInternal("EC key from scalar: params");
  }
  SslPtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  SslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return OpenSslInternal("EC key from scalar: build key");
  }
  return FromEvp(SslPtr<EVP_PKEY>(raw));
}

absl::StatusOr<PrivateKey> PrivateKey::FromPem(const SecretBytes& pem) {
  if (pem.size() > 64 * 1024) {
    return absl::InvalidArgumentError("private key: PEM too large");
  }
  SslPtr<BIO> bio(BIO_new_mem_buf(pem.Reveal().data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return OpenSslInternal("private key: BIO");
  }
  SslPtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    // The OpenSSL message may quote input; keep it generic for secrets.
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("private key: want an unencrypted PEM private key");
  }
  return FromEvp(std::move(key));
}

absl::StatusOr<SecretBytes> PrivateKey::ToPkcs8Pem() const {
  SslPtr<BIO> bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0,
                                                      nullptr, nullptr) != 1) {
    return OpenSslInternal("private key: encode PKCS#8");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return SecretBytes(ByteView(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)));
}

absl::StatusOr<Bytes> PrivateKey::SignEcdsa(ByteView message, HashAlg hash) const {
  if (type() == KeyType::kRsa) {
    return absl::FailedPreconditionError("ECDSA sign: key is RSA");
  }
  if (p384_ != nullptr && hash == HashAlg::kSha384) {
    return p384_->SignDer(message);
  }
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestSignInit_ex(ctx.get(), nullptr, EVP_MD_get0_name(EvpMd(hash)),
                                              nullptr, nullptr, key_.get(), nullptr) != 1) {
    return OpenSslInternal("ECDSA sign: init");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return OpenSslInternal("ECDSA sign: size");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return OpenSslInternal("ECDSA sign");
  }
  sig.resize(len);
  return sig;
}

absl::StatusOr<Bytes> EcdsaRawToDer(ByteView r_be, ByteView s_be) {
  SslPtr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(r_be.data(), static_cast<int>(r_be.size()), nullptr);
  BIGNUM* s = BN_bin2bn(s_be.data(), static_cast<int>(s_be.size()), nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslInternal("ECDSA signature: encode");
  }
  return I2dDer(sig.get(), i2d_ECDSA_SIG, "ECDSA signature: encode DER");
}

absl::StatusOr<Bytes> EcdsaDerToRaw(ByteView der, size_t component_size) {
  const unsigned char* p = der.data();
  SslPtr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr || p != der.data() + der.size()) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("ECDSA signature: not a DER ECDSA-Sig-Value");
  }
  Bytes out(2 * component_size);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), static_cast<int>(component_size)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + component_size,
                   static_cast<int>(component_size)) < 0) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("ECDSA signature: component too large");
  }
  return out;
}

}  // namespace concord::crypto
