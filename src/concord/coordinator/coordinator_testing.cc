// CoordinatorForTest: one round of the watch or HA loop on the test's thread.
#include "concord/coordinator/coordinator_testing.h"

#include "concord/coordinator/internal/impl.h"

namespace concord::coordinator {

bool CoordinatorForTest::RunWatchRound(Coordinator& coordinator) {
  return coordinator.impl_->RunWatchRound();
}

absl::Duration CoordinatorForTest::RunHaRound(Coordinator& coordinator) {
  return coordinator.impl_->RunHaRound();
}

}  // namespace concord::coordinator
