#include "concord/crypto/hash.h"

#include <openssl/sha.h>

#include <cstdlib>

namespace concord::crypto {

Sha256Digest Sha256(ByteView data) {
  Sha256Digest out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Sha384Digest Sha384(ByteView data) {
  Sha384Digest out;
  SHA384(data.data(), data.size(), out.data());
  return out;
}

Sha512Digest Sha512(ByteView data) {
  Sha512Digest out;
  SHA512(data.data(), data.size(), out.data());
  return out;
}

size_t DigestSize(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
    case HashAlg::kSha512:
      return 64;
  }
  return 0;
}

const EVP_MD* EvpMd(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
    case HashAlg::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

Hasher::Hasher(HashAlg alg) : ctx_(EVP_MD_CTX_new()), alg_(alg) {
  // Allocation failure of a digest context is treated like OOM: fatal.
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_.get(), EvpMd(alg), nullptr) != 1) {
    std::abort();
  }
}

Hasher& Hasher::Update(ByteView data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
    std::abort();
  }
  return *this;
}

Hasher& Hasher::UpdateLengthPrefixed(ByteView data) {
  Bytes len;
  AppendBigEndian(len, data.size(), 4);
  Update(len);
  return Update(data);
}

Bytes Hasher::Finish() {
  Bytes out(DigestSize(alg_));
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1) {
    std::abort();
  }
  out.resize(len);
  return out;
}

}  // namespace concord::crypto
