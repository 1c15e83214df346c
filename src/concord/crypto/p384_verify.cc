// nettle-backed P-384 verify. Why not OpenSSL: measured on this project's
// 2-core build machine (bench/snp_bench.cc, BM_P384VerifyOpenSsl vs
// BM_P384VerifyNettle), OpenSSL 3.0's EVP_DigestVerify for P-384 costs
// ~1.1 ms per signature while nettle 3.8's ecdsa_verify costs ~0.55 ms, and a
// report verification is on the per-connection hot path (DESIGN.md §5).
// p384_verify_test.cc cross-checks every result against plain OpenSSL.
//
// Only hogweed/nettle symbols are used (no direct libgmp calls): the mpz_t
// values live inside hogweed's own `struct dsa_signature`, whose init/clear
// are exported by hogweed, so the crypto target needs no -lgmp.
#include "concord/crypto/p384_verify.h"

#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <array>

#include "absl/strings/str_cat.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/internal/mpz_pair.h"
#include "concord/crypto/openssl_status.h"

namespace concord::crypto {
namespace internal {

struct NettlePoint {
  struct ecc_point point;
};

void NettlePointDeleter::operator()(NettlePoint* p) const {
  ecc_point_clear(&p->point);
  delete p;
}

}  // namespace internal

absl::StatusOr<P384Verifier> P384Verifier::FromPublicKey(const PublicKey& key) {
  if (key.type() != KeyType::kEcP384) {
    return absl::FailedPreconditionError(
        absl::StrCat("P-384 verify: want an ECDSA P-384 key, got ", KeyTypeName(key.type())));
  }
  // Uncompressed SEC1 encoding: 0x04 || X (48) || Y (48).
  std::array<uint8_t, 1 + 2 * kP384ScalarSize> encoded{};
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key.evp(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, encoded.data(),
                                      encoded.size(), &len) != 1) {
    return OpenSslInternal("P-384 verify: read public point");
  }
  if (len != encoded.size() || encoded[0] != 0x04) {
    return absl::InternalError("P-384 verify: public point is not uncompressed");
  }
  internal::MpzPair xy;
  xy.Set(ByteView(encoded).subspan(1, kP384ScalarSize),
         ByteView(encoded).subspan(1 + kP384ScalarSize, kP384ScalarSize));
  std::unique_ptr<internal::NettlePoint, internal::NettlePointDeleter> point(
      new internal::NettlePoint);
  ecc_point_init(&point->point, nettle_get_secp_384r1());
  if (ecc_point_set(&point->point, xy.first(), xy.second()) != 1) {
    return absl::InvalidArgumentError("P-384 verify: public point is not on the curve");
  }
  return P384Verifier(std::move(point));
}

absl::Status P384Verifier::Verify(ByteView message, ByteView r_be48, ByteView s_be48) const {
  return VerifyDigest(Sha384(message), r_be48, s_be48);
}

absl::Status P384Verifier::VerifyDigest(ByteView digest, ByteView r_be48, ByteView s_be48) const {
  if (digest.size() != kP384DigestSize) {
    return absl::InvalidArgumentError(absl::StrCat("P-384 verify: want a ", kP384DigestSize,
                                                   "-byte SHA-384 digest, got ", digest.size()));
  }
  if (r_be48.size() != kP384ScalarSize || s_be48.size() != kP384ScalarSize) {
    return absl::InvalidArgumentError(absl::StrCat("P-384 verify: want r and s of ",
                                                   kP384ScalarSize, " bytes each, got ",
                                                   r_be48.size(), " and ", s_be48.size()));
  }
  internal::MpzPair sig;
  sig.Set(r_be48, s_be48);
  // nettle rejects r or s outside [1, n-1] itself (ecdsa_in_range).
  if (ecdsa_verify(&point_->point, digest.size(), digest.data(), sig.sig()) != 1) {
    return absl::UnauthenticatedError("P-384 verify: signature does not verify");
  }
  return absl::OkStatus();
}

}  // namespace concord::crypto
