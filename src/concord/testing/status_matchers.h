// gMock matchers for absl::Status and absl::StatusOr (TESTONLY):
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x")));
//   EXPECT_THAT(so, IsOkAndHolds(Eq(3)));
#pragma once

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace concord::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& s = internal::GetStatus(arg);
  if (!s.ok()) {
    *result_listener << "status is " << s;
  }
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = internal::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code) + " and a matching message") {
  const absl::Status& s = internal::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code && ::testing::Matches(::testing::SafeMatcherCast<const std::string&>(
                                 message_matcher))(std::string(s.message()));
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace concord::testing

#define CONCORD_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                                \
  CONCORD_ASSERT_OK_AND_ASSIGN_IMPL_(CONCORD_TESTING_CONCAT_(concord_statusor_, __LINE__), lhs, \
                                     rexpr)
#define CONCORD_TESTING_CONCAT_INNER_(a, b) a##b
#define CONCORD_TESTING_CONCAT_(a, b) CONCORD_TESTING_CONCAT_INNER_(a, b)
#define CONCORD_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                       \
  ASSERT_TRUE(statusor.ok()) << statusor.status();               \
  lhs = std::move(statusor).value()
