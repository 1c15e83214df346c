#include "concord/crypto/p384_sign.h"

#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>

#include "concord/crypto/hash.h"
#include "concord/crypto/internal/mpz_pair.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/p384_verify.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto {

// The private scalar in nettle's representation: little-endian limbs in
// memory nettle allocated, wiped before nettle frees it.
struct P384Signer::Scalar {
  struct ecc_scalar s;
  Scalar() { ecc_scalar_init(&s, nettle_get_secp_384r1()); }
  ~Scalar() {
    OPENSSL_cleanse(s.p, static_cast<size_t>(ecc_size(s.ecc)) * sizeof(mp_limb_t));
    ecc_scalar_clear(&s);
  }
  Scalar(const Scalar&) = delete;
  Scalar& operator=(const Scalar&) = delete;
};

P384Signer::P384Signer(std::unique_ptr<Scalar> d) : d_(std::move(d)) {}
P384Signer::~P384Signer() = default;

void internal::P384SignerDeleter::operator()(const P384Signer* p) const { delete p; }

absl::StatusOr<std::unique_ptr<const P384Signer, internal::P384SignerDeleter>> P384Signer::FromEvp(
    const EVP_PKEY* key) {
  static_assert(kP384ScalarSize % sizeof(mp_limb_t) == 0);
  char group[32] = {};
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     nullptr) != 1 ||
      std::strcmp(group, "secp384r1") != 0) {
    ClearOpenSslErrors();
    return absl::FailedPreconditionError("P-384 sign: want an EC P-384 private key");
  }
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    return OpenSslInternal("P-384 sign: read private scalar");
  }
  SslPtr<BIGNUM> d(raw);
  std::array<uint8_t, kP384ScalarSize> be{};
  const int written = BN_bn2binpad(d.get(), be.data(), static_cast<int>(be.size()));
  auto scalar = std::make_unique<Scalar>();
  const size_t limbs = static_cast<size_t>(ecc_size(scalar->s.ecc));
  if (written != static_cast<int>(be.size()) || limbs * sizeof(mp_limb_t) != be.size()) {
    OPENSSL_cleanse(be.data(), be.size());
    return absl::InternalError("P-384 sign: private scalar does not fit 48 bytes");
  }
  for (size_t i = 0; i < limbs; ++i) {
    mp_limb_t limb = 0;
    const size_t end = be.size() - i * sizeof(mp_limb_t);
    for (size_t j = end - sizeof(mp_limb_t); j < end; ++j) {
      limb = (limb << 8) | be[j];
    }
    scalar->s.p[i] = limb;
  }
  OPENSSL_cleanse(be.data(), be.size());
  return std::unique_ptr<const P384Signer, internal::P384SignerDeleter>(
      new P384Signer(std::move(scalar)));
}

namespace {

// nettle's random callback cannot fail; a DRBG failure is recorded and the
// signature made with that output is discarded. The fallback bytes keep
// nettle's rejection loop (it draws until the nonce is in [1, n-1]) finite.
struct NonceSource {
  bool failed = false;
  static void Fill(void* ctx, size_t length, uint8_t* dst) {
    auto* self = static_cast<NonceSource*>(ctx);
    if (length > INT_MAX || RAND_priv_bytes(dst, static_cast<int>(length)) != 1) {
      self->failed = true;
      std::memset(dst, 0x01, length);
    }
  }
};

}  // namespace

absl::StatusOr<Bytes> P384Signer::SignDer(ByteView message) const {
  const Sha384Digest digest = Sha384(message);
  NonceSource nonce;
  internal::MpzPair sig;
  ecdsa_sign(&d_->s, &nonce, &NonceSource::Fill, digest.size(), digest.data(), sig.sig());
  if (nonce.failed) {
    return OpenSslInternal("P-384 sign: RAND_priv_bytes");
  }
  std::array<uint8_t, kP384ScalarSize> r{};
  std::array<uint8_t, kP384ScalarSize> s{};
  sig.Get(r, s);
  return EcdsaRawToDer(r, s);
}

}  // namespace concord::crypto
