// Runs a Coordinator's background rounds by hand (TESTONLY), as tests of an
// event loop drive a simulated dispatcher: with Options::step_rounds_for_test
// the Coordinator starts no watch or HA thread, and a test changes the store
// or advances its FakeClock, runs one round and asserts on the outcome.
// Call from one test thread; never on a Coordinator whose threads run.
#pragma once

#include "absl/time/time.h"
#include "concord/coordinator/coordinator.h"

namespace concord::coordinator {

class CoordinatorForTest final {
 public:
  CoordinatorForTest() = delete;

  // One watch round: reads `latest` and acts on it (follows an update, goes
  // to recovery or stale, raises or clears alarms). True when the store
  // could not be read and the loop would read again after watch_retry.
  static bool RunWatchRound(Coordinator& coordinator);

  // One HA round: when ready and a lease round is due (by the clock), the
  // store read, else the peers' heads, confirms the lease; in recovery or
  // stale with peers, one peer recovery attempt. Returns the pause the HA
  // loop would take before its next round.
  static absl::Duration RunHaRound(Coordinator& coordinator);
};

}  // namespace concord::coordinator
