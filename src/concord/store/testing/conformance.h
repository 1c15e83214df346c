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
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "concord/store/store.h"
#include "gtest/gtest.h"

namespace concord::store::testing {

struct StoreConformanceParam {
  std::string name;  // [A-Za-z0-9_]+, used in test names
  std::function<absl::StatusOr<std::unique_ptr<Store>>()> make_store;
};

// Test logs name the backend instead of dumping the struct's bytes.
inline void PrintTo(const StoreConformanceParam& param, std::ostream* os) { *os << param.name; }

std::string StoreConformanceParamName(
    const ::testing::TestParamInfo<StoreConformanceParam>& info);

class StoreConformanceTest : public ::testing::TestWithParam<StoreConformanceParam> {
 protected:
  void SetUp() override;
  void TearDown() override;
  Store& store() { return *store_; }

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace concord::store::testing
