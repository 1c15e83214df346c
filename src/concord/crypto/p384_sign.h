// ECDSA P-384/SHA-384 signing on nettle, behind crypto::PrivateKey::SignEcdsa.
// Why not OpenSSL: OpenSSL 3.0 signs P-384 with its generic BIGNUM ladder
// (about 0.9 ms a signature on the 2-core build machine, crypto_bench
// BM_SignEcdsa), and every manifest transition and every freshness-lease head
// is a P-384 signature by the history key. nettle's ECC code is written to be
// side-channel silent (fixed-window tables with constant-time selection,
// constant-time modular inverse), the secret scalar is copied straight into
// nettle's limb array (never into a GMP mpz) and wiped before it is freed, and
// the nonce comes from OpenSSL's private DRBG. keys_test.cc cross-checks
// every signature with OpenSSL's verifier.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"

namespace concord::crypto {

class P384Signer final {
 public:
  // Copies the private scalar of `key`, which must be an EC P-384 key.
  static absl::StatusOr<std::unique_ptr<const P384Signer, internal::P384SignerDeleter>> FromEvp(
      const EVP_PKEY* key);

  P384Signer(const P384Signer&) = delete;
  P384Signer& operator=(const P384Signer&) = delete;
  ~P384Signer();

  // DER ECDSA signature over SHA-384(message), with a fresh random nonce.
  absl::StatusOr<Bytes> SignDer(ByteView message) const;

 private:
  struct Scalar;
  explicit P384Signer(std::unique_ptr<Scalar> d);
  std::unique_ptr<Scalar> d_;
};

}  // namespace concord::crypto
