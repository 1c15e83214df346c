#include "concord/common/time_format.h"

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord {
namespace {

using ::concord::testing::StatusIs;

TEST(TimeFormatTest, RoundTrip) {
  auto t = ParseRfc3339("2025-06-01T12:34:56Z", "at");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(absl::ToUnixSeconds(*t), 1748781296);
  EXPECT_EQ(FormatRfc3339(*t), "2025-06-01T12:34:56Z");
}

TEST(TimeFormatTest, ParseRejectsGarbageNamingField) {
  EXPECT_THAT(
      ParseRfc3339("yesterday", "--at"),
      StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("--at: want an RFC 3339")));
}

}  // namespace
}  // namespace concord
