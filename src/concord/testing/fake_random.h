// A deterministic RandomSource (TESTONLY): a SplitMix64 stream from a seed, so
// tests that draw "random" bytes are reproducible. Thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "absl/synchronization/mutex.h"
#include "concord/common/random.h"

namespace concord::testing {

class FakeRandom final : public RandomSource {
 public:
  explicit FakeRandom(uint64_t seed) : state_(seed) {}
  absl::Status Fill(std::span<uint8_t> out) override {
    absl::MutexLock lock(&mu_);
    for (auto& b : out) {
      if (avail_ == 0) {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        word_ = z ^ (z >> 31);
        avail_ = 8;
      }
      b = static_cast<uint8_t>(word_);
      word_ >>= 8;
      --avail_;
    }
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  uint64_t state_;
  uint64_t word_ = 0;
  int avail_ = 0;
};

}  // namespace concord::testing
