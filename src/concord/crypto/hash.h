// SHA-2 digests (one-shot and incremental) used for content addressing,
// report data and signatures. Thread-safe (pure functions); a Hasher instance
// is single-threaded.
#pragma once

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto {

enum class HashAlg { kSha256, kSha384, kSha512 };

using Sha256Digest = std::array<uint8_t, 32>;
using Sha384Digest = std::array<uint8_t, 48>;
using Sha512Digest = std::array<uint8_t, 64>;

Sha256Digest Sha256(ByteView data);
Sha384Digest Sha384(ByteView data);
Sha512Digest Sha512(ByteView data);

// Digest length in bytes.
size_t DigestSize(HashAlg alg);
// The OpenSSL EVP_MD for `alg` (static storage, never null).
const EVP_MD* EvpMd(HashAlg alg);

// Incremental hashing: Update() any number of times, then Finish() once.
class Hasher final {
 public:
  explicit Hasher(HashAlg alg);
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  Hasher& Update(ByteView data);
  // Appends `data` preceded by its length as a 4-byte big-endian integer, so
  // concatenated fields cannot be confused with one another.
  Hasher& UpdateLengthPrefixed(ByteView data);
  Bytes Finish();

 private:
  SslPtr<EVP_MD_CTX> ctx_;
  HashAlg alg_;
};

}  // namespace concord::crypto
