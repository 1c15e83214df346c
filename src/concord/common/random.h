// Injected randomness. Core logic draws random bytes only through a
// RandomSource passed in its Deps: crypto/random.h has the OpenSSL-backed
// SystemRandom, testing/fake_random.h a seeded deterministic source.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "absl/status/status.h"

namespace concord {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Returns Internal if the generator fails.
  [[nodiscard]] virtual absl::Status Fill(std::span<uint8_t> out) = 0;
};

}  // namespace concord
