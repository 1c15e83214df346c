#include "concord/common/hex.h"

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord {
namespace {

using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HexTest, EncodeIsLowerCase) {
  const Bytes data = {0x00, 0xab, 0xFF, 0x10};
  EXPECT_EQ(HexEncode(data), "00abff10");
}

TEST(HexTest, DecodeAcceptsBothCases) {
  EXPECT_THAT(HexDecode("00AbfF10"), IsOkAndHolds(ElementsAre(0x00, 0xab, 0xff, 0x10)));
}

TEST(HexTest, DecodeRejectsOddLength) {
  EXPECT_THAT(HexDecode("abc", "Field"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Field: want an even")));
}

TEST(HexTest, DecodeRejectsNonHexAndNamesOffset) {
  EXPECT_THAT(HexDecode("00zz", "F"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset 2")));
}

TEST(HexTest, DecodeExactRejectsWrongLengthWithCounts) {
  EXPECT_THAT(HexDecodeExact(std::string(95, 'a'), 48, "ReferenceValues.snp[0].Measurement"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "ReferenceValues.snp[0].Measurement: want 96 hex characters, got 95"));
}

}  // namespace
}  // namespace concord
