#include "concord/common/json_fields.h"

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::json {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using Json = nlohmann::json;

TEST(JsonFieldsTest, ReadersNameTheFieldAndTheTypesOnMismatch) {
  EXPECT_THAT(ReadString(Json(5), "a.b", 10),
              StatusIs(absl::StatusCode::kInvalidArgument, "a.b: want a string, got a number"));
  EXPECT_THAT(ReadString(Json("abc"), "a", 2),
              StatusIs(absl::StatusCode::kInvalidArgument, "a: want at most 2 characters, got 3"));
  EXPECT_THAT(
      ReadHexExact(Json::array(), "n", 32),
      StatusIs(absl::StatusCode::kInvalidArgument, "n: want 64 hex characters, got an array"));
  EXPECT_THAT(ReadHex(Json(""), "k", 4),
              StatusIs(absl::StatusCode::kInvalidArgument, "k: want 2 to 8 hex characters, got 0"));
  EXPECT_THAT(ReadHex(Json("0A0b"), "k", 4), IsOkAndHolds(ElementsAre(0x0a, 0x0b)));
  EXPECT_THAT(ReadBool(Json(nullptr), "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, "f: want true or false, got null"));
  EXPECT_THAT(ReadUint(Json(-1), "g", 1, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "g: want an integer from 1 to 5"));
  EXPECT_THAT(ReadUint(Json(1.5), "g", 1, 5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadUint(Json(5u), "g", 1, 5), IsOkAndHolds(5u));
  EXPECT_THAT(ReadUint(Json("5"), "g", 1, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "g: want an integer, got a string"));
}

TEST(JsonFieldsTest, ReadBase64RefusesOversizeBeforeDecoding) {
  EXPECT_THAT(ReadBase64(Json("bQ=="), "m", 1), IsOkAndHolds(ElementsAre('m')));
  EXPECT_THAT(ReadBase64(Json(std::string(400, '!')), "m", 10),
              StatusIs(absl::StatusCode::kResourceExhausted, Eq("m: want at most 10 bytes")));
  EXPECT_THAT(ReadBase64(Json("AAAA"), "m", 2),
              StatusIs(absl::StatusCode::kResourceExhausted, Eq("m: want at most 2 bytes, got 3")));
  EXPECT_THAT(ReadBase64(Json(1), "m", 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want a base64 string")));
}

TEST(JsonFieldsTest, CheckFieldsNamesUnknownKeysOnlyWhenPrintable) {
  const Json object = {{"a", 1}, {"b", 2}};
  EXPECT_THAT(CheckFields(object, "p", {"a", "b"}), IsOk());
  EXPECT_THAT(CheckFields(object, "p", {"a"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "p.b: unknown field"));
  EXPECT_THAT(CheckFields(Json{{"x\ny", 1}}, "", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "<unprintable>: unknown field"));
  EXPECT_THAT(CheckFields(Json{{std::string(65, 'k'), 1}}, "q", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "q.<unprintable>: unknown field"));
}

TEST(JsonFieldsTest, MemberTreatsNullAsAbsent) {
  const Json object = {{"a", 1}, {"n", nullptr}};
  ASSERT_NE(Member(object, "a"), nullptr);
  EXPECT_EQ(*Member(object, "a"), 1);
  EXPECT_EQ(Member(object, "n"), nullptr);
  EXPECT_EQ(Member(object, "z"), nullptr);
  EXPECT_EQ(FieldPath("", "a"), "a");
  EXPECT_EQ(FieldPath("p", "a"), "p.a");
  EXPECT_EQ(TypeName(Json::object()), "an object");
}

}  // namespace
}  // namespace concord::json
