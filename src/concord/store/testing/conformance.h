// The Store conformance suite (TESTONLY): one parameterised gtest suite that
// every backend must pass. A backend's test binary links the
// concord_store_conformance object library and instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
//       ::testing::Values(StoreConformanceParam{"memory", MakeMemory}),
//       StoreConformanceParamName);
//
// make_store must return a fresh, empty store on every call.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/store/store.h"
#include "gtest/gtest.h"

namespace concord::store::testing {

struct StoreConformanceParam {
  std::string name;  // [A-Za-z0-9_]+, used in test names
  std::function<absl::StatusOr<std::unique_ptr<Store>>()> make_store;
};

// Test logs name the backend instead of dumping the struct's bytes.
inline void PrintTo(const StoreConformanceParam& param, std::ostream* os) { *os << param.name; }

std::string StoreConformanceParamName(const ::testing::TestParamInfo<StoreConformanceParam>& info);

class StoreConformanceTest : public ::testing::TestWithParam<StoreConformanceParam> {
 protected:
  void SetUp() override;
  void TearDown() override;
  Store& store() { return *store_; }

 private:
  std::unique_ptr<Store> store_;
};

// Records every state a watch reports and lets the test wait for one.
// `deadline` bounds each wait: generous, only reached when the store is
// broken.
class WatchRecorder {
 public:
  explicit WatchRecorder(absl::Duration deadline = absl::Seconds(20)) : deadline_(deadline) {}

  WatchCallback Callback();
  // Waits until the most recent report equals `want` (nullopt: NotFound).
  bool WaitForLast(const std::optional<std::string>& want);
  // Waits until the most recent report is an error with `code`.
  bool WaitForError(absl::StatusCode code);
  size_t count();

 private:
  const absl::Duration deadline_;
  absl::Mutex mu_;
  std::vector<absl::StatusOr<Bytes>> states_ ABSL_GUARDED_BY(mu_);
};

// How the contenders of RunCommitRounds fared.
struct CommitRounds {
  std::vector<int> wins;  // OK answers, per round
  int unexpected = 0;     // answers other than OK and Aborted
};

// Runs `threads` threads through `rounds` rounds in lockstep: in each round
// every thread calls commit(thread, round) once, all of them at about the
// same time.
CommitRounds RunCommitRounds(int threads, int rounds,
                             const std::function<absl::Status(int thread, int round)>& commit);

}  // namespace concord::store::testing
