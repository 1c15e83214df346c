#include "concord/common/log.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(LoggerTest, HumanLineHasTimeLevelMessageAndFields) {
  std::vector<std::string> lines;
  Logger logger(LogFormat::kHuman, LogLevel::kInfo,
                [&](absl::string_view line) { lines.emplace_back(line); });
  logger.Info("manifest set", {{"generation", "2"}, {"policy", "web frontend"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z INFO    manifest set "
                                     "generation=2 policy=\"web frontend\"\n"));
}

TEST(LoggerTest, LevelsBelowTheMinimumAreDropped) {
  std::vector<std::string> lines;
  Logger logger(LogFormat::kHuman, LogLevel::kWarning,
                [&](absl::string_view line) { lines.emplace_back(line); });
  logger.Info("dropped");
  logger.Debug("dropped");
  logger.Error("kept");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("ERROR   kept"));
}

TEST(LoggerTest, JsonLineParsesAndEscapesControlCharacters) {
  std::vector<std::string> lines;
  Logger logger(LogFormat::kJson, LogLevel::kDebug,
                [&](absl::string_view line) { lines.emplace_back(line); });
  logger.Warning("alarm \"latest\"", {{"detail", "line1\nline2\x01"}});
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_EQ(lines[0].back(), '\n');
  nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "alarm \"latest\"");
  EXPECT_EQ(j["detail"], "line1\nline2\x01");
}

TEST(LoggerTest, HumanLineCannotBeSplitByAValue) {
  std::vector<std::string> lines;
  Logger logger(LogFormat::kHuman, LogLevel::kInfo,
                [&](absl::string_view line) { lines.emplace_back(line); });
  logger.Info("evil\nmessage", {{"k", "a\nb"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(std::count(lines[0].begin(), lines[0].end(), '\n'), 1);
}

TEST(LoggerTest, ParseLogLevelRoundTripsAndRejectsUnknown) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
}

}  // namespace
}  // namespace concord
