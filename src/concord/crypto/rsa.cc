#include "concord/crypto/rsa.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "absl/strings/str_cat.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto {
namespace {

constexpr char kDecryptFailed[] = "RSA-OAEP decrypt: decryption failed";
constexpr char kVerifyFailed[] = "RSA-PSS verify: signature does not verify";

absl::Status RequireRsa(KeyType type, absl::string_view operation) {
  if (type != KeyType::kRsa) {
    return absl::InvalidArgumentError(
        absl::StrCat(operation, ": want an RSA key, got ", KeyTypeName(type)));
  }
  return absl::OkStatus();
}

// OAEP parameters for EVP_PKEY_{en,de}crypt_init_ex. The label parameter is
// left out when empty (OpenSSL treats an absent label as the empty string).
// `label` must outlive the returned array's use.
struct OaepParams {
  explicit OaepParams(ByteView label) {
    // Members below are referenced by `params`, so the struct never moves.
    size_t i = 0;
    params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, pad_mode, 0);
    params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, digest, 0);
    params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, digest, 0);
    if (!label.empty()) {
      params[i++] = OSSL_PARAM_construct_octet_string(
          OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, const_cast<uint8_t*>(label.data()), label.size());
    }
    params[i] = OSSL_PARAM_construct_end();
  }
  OaepParams(const OaepParams&) = delete;
  OaepParams& operator=(const OaepParams&) = delete;
  char pad_mode[5] = "oaep";
  char digest[7] = "SHA256";
  OSSL_PARAM params[5];
};

struct PssParams {
  PssParams() {
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, pad_mode, 0);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, digest, 0);
    params[2] = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt_length);
    params[3] = OSSL_PARAM_construct_end();
  }
  PssParams(const PssParams&) = delete;
  PssParams& operator=(const PssParams&) = delete;
  char pad_mode[4] = "pss";
  char digest[7] = "SHA256";
  int salt_length = kRsaPssSaltLength;
  OSSL_PARAM params[4];
};

}  // namespace

absl::StatusOr<Bytes> RsaOaepEncrypt(const PublicKey& key, ByteView plaintext, ByteView label) {
  if (absl::Status s = RequireRsa(key.type(), "RSA-OAEP encrypt"); !s.ok()) {
    return s;
  }
  // OAEP with SHA-256 carries at most k - 2*32 - 2 bytes.
  const size_t modulus_bytes = static_cast<size_t>(EVP_PKEY_get_size(key.evp()));
  if (modulus_bytes < 66 || plaintext.size() > modulus_bytes - 66) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA-OAEP encrypt: plaintext of ", plaintext.size(), " bytes exceeds the ",
                     modulus_bytes < 66 ? 0 : modulus_bytes - 66, " bytes this key can carry"));
  }
  SslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.evp(), nullptr));
  OaepParams params(label);
  if (ctx == nullptr || EVP_PKEY_encrypt_init_ex(ctx.get(), params.params) != 1) {
    return OpenSslInternal("RSA-OAEP encrypt: init");
  }
  size_t out_len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, plaintext.data(), plaintext.size()) != 1) {
    return OpenSslInternal("RSA-OAEP encrypt: size");
  }
  Bytes out(out_len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &out_len, plaintext.data(), plaintext.size()) != 1) {
    return OpenSslInternal("RSA-OAEP encrypt");
  }
  out.resize(out_len);
  return out;
}

absl::StatusOr<SecretBytes> RsaOaepDecrypt(const PrivateKey& key, ByteView ciphertext,
                                           ByteView label) {
  if (absl::Status s = RequireRsa(key.type(), "RSA-OAEP decrypt"); !s.ok()) {
    return s;
  }
  EVP_PKEY* pkey = key.RawEvpForSigning();
  const size_t modulus_bytes = static_cast<size_t>(EVP_PKEY_get_size(pkey));
  if (ciphertext.size() != modulus_bytes) {
    return absl::UnauthenticatedError(kDecryptFailed);
  }
  SslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  OaepParams params(label);
  if (ctx == nullptr || EVP_PKEY_decrypt_init_ex(ctx.get(), params.params) != 1) {
    return OpenSslInternal("RSA-OAEP decrypt: init");
  }
  SecretBytes buffer(modulus_bytes);
  size_t out_len = buffer.size();
  if (EVP_PKEY_decrypt(ctx.get(), buffer.RevealMutable().data(), &out_len, ciphertext.data(),
                       ciphertext.size()) != 1) {
    // The queue would say which check failed; that is exactly the oracle we
    // must not expose.
    ClearOpenSslErrors();
    return absl::UnauthenticatedError(kDecryptFailed);
  }
  return SecretBytes(buffer.Reveal().first(out_len));
}

absl::StatusOr<Bytes> RsaPssSign(const PrivateKey& key, ByteView message) {
  if (absl::Status s = RequireRsa(key.type(), "RSA-PSS sign"); !s.ok()) {
    return s;
  }
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  PssParams params;
  if (ctx == nullptr || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                                              key.RawEvpForSigning(), params.params) != 1) {
    return OpenSslInternal("RSA-PSS sign: init");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return OpenSslInternal("RSA-PSS sign: size");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return OpenSslInternal("RSA-PSS sign");
  }
  sig.resize(len);
  return sig;
}

absl::Status RsaPssVerify(const PublicKey& key, ByteView message, ByteView signature) {
  if (absl::Status s = RequireRsa(key.type(), "RSA-PSS verify"); !s.ok()) {
    return s;
  }
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  PssParams params;
  if (ctx == nullptr || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                                                key.evp(), params.params) != 1) {
    return OpenSslInternal("RSA-PSS verify: init");
  }
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    ClearOpenSslErrors();
    return absl::UnauthenticatedError(kVerifyFailed);
  }
  return absl::OkStatus();
}

}  // namespace concord::crypto
