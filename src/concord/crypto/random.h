// The production RandomSource: OpenSSL's DRBG (RAND_bytes). Thread-safe.
#pragma once

#include "concord/common/random.h"

namespace concord::crypto {

class SystemRandom final : public RandomSource {
 public:
  absl::Status Fill(std::span<uint8_t> out) override;
  // A process-wide instance (stateless wrapper around OpenSSL's DRBG).
  static RandomSource& Get();
};

}  // namespace concord::crypto
