// Injected time source. Core logic never reads the wall clock directly; it asks
// a Clock passed in through its Deps. SystemClock is the production clock;
// testing/fake_clock.h has the hand-advanced FakeClock. Implementations are
// thread-safe.
#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace concord {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time.
  virtual absl::Time Now() const = 0;
};

// Reads the system real-time clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // Returns a process-wide instance (stateless, so sharing is safe).
  static Clock& Get() {
    static SystemClock clock;
    return clock;
  }
};

}  // namespace concord
