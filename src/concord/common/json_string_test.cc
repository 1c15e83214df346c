#include "concord/common/json_string.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord {
namespace {

TEST(JsonQuoteTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\te\x01\x7f"), "\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f\"");
}

TEST(JsonQuoteTest, EveryByteRoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) {
    all.push_back(static_cast<char>(c));
  }
  EXPECT_EQ(nlohmann::json::parse(JsonQuote(all)).get<std::string>(), all);
}

TEST(JsonQuoteTest, AppendKeepsWhatWasThere) {
  std::string out = "{\"k\":";
  AppendJsonQuoted(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

}  // namespace
}  // namespace concord
