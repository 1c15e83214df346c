#include "concord/crypto/random.h"

#include <openssl/rand.h>

#include <climits>

#include "concord/crypto/openssl_status.h"

namespace concord::crypto {

absl::Status SystemRandom::Fill(std::span<uint8_t> out) {
  if (out.size() > INT_MAX || RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return OpenSslInternal("RAND_bytes");
  }
  return absl::OkStatus();
}

RandomSource& SystemRandom::Get() {
  static SystemRandom random;
  return random;
}

}  // namespace concord::crypto
