// SecretBytes holds key material (seed, salt, mesh secret, derived secrets,
// private-key encodings). It wipes its buffer on destruction and on move,
// cannot be streamed or formatted (printing yields "[redacted N bytes]"), and
// compares in constant time. Raw access goes through the one greppable
// accessor Reveal(). Not thread-safe for concurrent mutation; const access is.
#pragma once

#include <openssl/crypto.h>

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "concord/common/bytes.h"
#include "concord/common/wiping_allocator.h"

namespace concord::crypto {

class SecretBytes final {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : data_(size, 0) {}
  explicit SecretBytes(ByteView bytes) : data_(bytes.begin(), bytes.end()) {}
  // Takes the bytes and wipes the source vector.
  static SecretBytes Adopt(Bytes&& bytes) {
    SecretBytes s{ByteView(bytes)};
    OPENSSL_cleanse(bytes.data(), bytes.size());
    bytes.clear();
    return s;
  }

  SecretBytes(const SecretBytes& other) : data_(other.data_) {}
  SecretBytes& operator=(const SecretBytes& other) {
    if (this != &other) {
      Wipe();
      data_ = other.data_;
    }
    return *this;
  }
  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  ~SecretBytes() { Wipe(); }

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

  // The only accessors to the secret bytes. Callers must not copy the result
  // into non-wiping storage or into logs.
  ByteView Reveal() const { return ByteView(data_); }
  std::span<uint8_t> RevealMutable() { return std::span<uint8_t>(data_); }

  // Constant-time comparison (length is not secret).
  bool Equals(const SecretBytes& other) const {
    return data_.size() == other.data_.size() &&
           CRYPTO_memcmp(data_.data(), other.data_.data(), data_.size()) == 0;
  }

  friend std::ostream& operator<<(std::ostream& os, const SecretBytes& s) {
    return os << "[redacted " << s.size() << " bytes]";
  }

 private:
  void Wipe() {
    if (!data_.empty()) {
      OPENSSL_cleanse(data_.data(), data_.size());
    }
  }
  std::vector<uint8_t> data_;
};

// Constant-time equality for public-length MACs, tokens and digests.
inline bool ConstantTimeEquals(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// concord::WipeString (common/wiping_allocator.h), under the name the
// callers of SecretBytes know.
using ::concord::WipeString;

}  // namespace concord::crypto
