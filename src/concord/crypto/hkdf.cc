#include "concord/crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "concord/crypto/openssl_status.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto {

absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm, ByteView salt, ByteView info,
                                       size_t length) {
  if (length == 0 || length > 255 * 32) {
    return absl::InvalidArgumentError("HKDF: length must be between 1 and 8160");
  }
  SslPtr<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (kdf == nullptr) {
    return OpenSslInternal("HKDF: fetch");
  }
  SslPtr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (ctx == nullptr) {
    return OpenSslInternal("HKDF: context");
  }
  // RFC 5869: an absent salt is HashLen zero bytes. OpenSSL 3.0 instead runs
  // HMAC with an empty key, which it rejects, so supply the zeros ourselves.
  static constexpr uint8_t kZeroSalt[32] = {};
  if (salt.empty()) {
    salt = ByteView(kZeroSalt, sizeof(kZeroSalt));
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<uint8_t*>(ikm.Reveal().data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.RevealMutable().data(), length, params) != 1) {
    return OpenSslInternal("HKDF: derive");
  }
  return out;
}

}  // namespace concord::crypto
