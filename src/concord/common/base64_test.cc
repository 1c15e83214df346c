#include "concord/common/base64.h"

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord {
namespace {

using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Base64Test, RoundTripsEveryLength) {
  Bytes data;
  for (int n = 0; n < 8; ++n) {
    EXPECT_THAT(DecodeBase64Strict(EncodeBase64(data), "f"), IsOkAndHolds(data));
    data.push_back(static_cast<uint8_t>(0xf0 + n));
  }
  EXPECT_EQ(EncodeBase64(AsBytes("m")), "bQ==");
}

TEST(Base64Test, DecodeRefusesAllButTheCanonicalPaddedStandardForm) {
  EXPECT_THAT(DecodeBase64Strict("bQ", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: want padded base64")));
  EXPECT_THAT(DecodeBase64Strict("a-_a", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "f: want standard base64, bad character at offset 1"));
  EXPECT_THAT(DecodeBase64Strict("YQ=a", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset 3")));
  EXPECT_THAT(DecodeBase64Strict("Y===", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 2 padding")));
  EXPECT_THAT(DecodeBase64Strict("bR==", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: want canonical base64")));
  EXPECT_THAT(DecodeBase64Strict("", "f"), IsOkAndHolds(ElementsAre()));
}

}  // namespace
}  // namespace concord
