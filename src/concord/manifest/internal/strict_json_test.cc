#include "concord/manifest/internal/strict_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::manifest::internal {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

TEST(StrictJsonTest, ParsesAndKeepsKeyOrder) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Json j, ParseStrictJson("{\"b\":1,\"a\":[true,null,\"x\"]}", 8));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.begin().key(), "b");
  EXPECT_EQ(j["a"][2], "x");
  EXPECT_EQ(j.dump(), "{\"b\":1,\"a\":[true,null,\"x\"]}");
}

TEST(StrictJsonTest, DuplicateKeysAreFoundInEveryObject) {
  EXPECT_THAT(ParseStrictJson("{\"a\":{\"b\":[{\"c\":1},{\"c\":1,\"c\":2}]}}", 8),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("a.b[1].c: duplicate key")));
  // Same key in sibling objects is fine.
  EXPECT_THAT(ParseStrictJson("[{\"c\":1},{\"c\":1}]", 8), IsOk());
}

TEST(StrictJsonTest, DepthLimitCountsObjectsAndArrays) {
  EXPECT_THAT(ParseStrictJson("[[[]]]", 3), IsOk());
  EXPECT_THAT(ParseStrictJson("[[[[]]]]", 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("[0][0][0]: want at most 3 levels of nesting")));
  EXPECT_THAT(
      ParseStrictJson("{\"a\":{\"b\":{}}}", 2),
      StatusIs(absl::StatusCode::kInvalidArgument, Eq("a.b: want at most 2 levels of nesting")));
  EXPECT_THAT(ParseStrictJson("[]", 0), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 Eq("manifest: want at most 0 levels of nesting")));
}

TEST(StrictJsonTest, ErrorsReportLineColumnAndOffsetWithoutEchoingInput) {
  std::string secretish = std::string(1000, 'q');
  absl::StatusOr<Json> j = ParseStrictJson(absl::StrCat("{\n\"a\": \"", secretish, "\xff\"}"), 8);
  EXPECT_THAT(j, StatusIs(absl::StatusCode::kInvalidArgument,
                          Eq("manifest: invalid JSON at line 2, column 1007 (byte offset 1008): "
                             "syntax error while parsing value - invalid string: ill-formed "
                             "UTF-8 byte")));
  EXPECT_THAT(ParseStrictJson(absl::StrCat("[1", std::string(500, '0'), "e999999]"), 8),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("...")));
}

TEST(StrictJsonTest, NumbersKeepTheirKind) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Json j, ParseStrictJson("[1,-1,1.0,18446744073709551615,-0]", 8));
  EXPECT_TRUE(j[0].is_number_unsigned());
  EXPECT_TRUE(j[1].is_number_integer());
  EXPECT_TRUE(j[2].is_number_float());
  EXPECT_EQ(j[3].get<uint64_t>(), 18446744073709551615ULL);
}

TEST(StrictJsonTest, LargeObjectsParseInLinearTime) {
  // 60k distinct keys: quadratic insertion would take minutes.
  std::string text = "{";
  for (int i = 0; i < 60000; ++i) {
    absl::StrAppend(&text, i == 0 ? "" : ",", "\"k", i, "\":0");
  }
  text += "}";
  CONCORD_ASSERT_OK_AND_ASSIGN(Json j, ParseStrictJson(text, 4));
  EXPECT_EQ(j.size(), 60000u);
}

TEST(StrictJsonTest, EchoQuotesEscapesAndTruncates) {
  EXPECT_EQ(EchoString("ab\"c\\"), "\"ab\\\"c\\\\\"");
  EXPECT_EQ(EchoString("a\nb\xff"), "\"a\\x0ab\\xff\"");
  EXPECT_EQ(EchoString(std::string(40, 'x')), "\"" + std::string(32, 'x') + "...\"");
  EXPECT_EQ(Echo(Json(3)), "3");
  EXPECT_EQ(Echo(Json(nullptr)), "null");
  EXPECT_EQ(Echo(Json(true)), "true");
  EXPECT_EQ(Echo(Json::object()), "an object");
  EXPECT_EQ(Echo(Json::array()), "an array");
}

TEST(StrictJsonTest, PathsQuoteKeysThatAreNotIdentifiers) {
  EXPECT_EQ(MemberPath("", "Version"), "Version");
  EXPECT_EQ(MemberPath("A", "b_c-1"), "A.b_c-1");
  EXPECT_EQ(MemberPath("A", "b c"), "A.\"b c\"");
  EXPECT_EQ(MemberPath("A", ""), "A.\"\"");
  EXPECT_EQ(MemberPath("A", std::string(65, 'k')), "A.\"" + std::string(32, 'k') + "...\"");
  EXPECT_EQ(ElementPath("A.b", 3), "A.b[3]");
}

}  // namespace
}  // namespace concord::manifest::internal
