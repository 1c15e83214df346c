#include "concord/cli/workspace.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::cli {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

WorkspaceHead Head(uint8_t fill, uint64_t generation) {
  WorkspaceHead h;
  h.transition.fill(fill);
  h.generation = generation;
  return h;
}

TEST(WorkspaceTest, HeadJsonRoundTrips) {
  WorkspaceHead h = Head(0xab, 7);
  std::string json = EncodeHeadJson(h);
  EXPECT_THAT(json, HasSubstr("\"transition\": \"" + HexEncode(h.transition) + "\""));
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkspaceHead parsed, ParseHeadJson(json));
  EXPECT_EQ(parsed.transition, h.transition);
  EXPECT_EQ(parsed.generation, 7u);
}

TEST(WorkspaceTest, MalformedHeadJsonIsRejectedNamingTheField) {
  const std::string t = std::string(64, 'a');
  EXPECT_THAT(ParseHeadJson("[]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHeadJson(R"({"transition":")" + t + R"(","generation":0})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("generation")));
  EXPECT_THAT(ParseHeadJson(R"({"transition":"abc","generation":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("transition")));
  EXPECT_THAT(ParseHeadJson(R"({"transition":")" + t + R"(","generation":1,"x":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x: unknown field")));
  EXPECT_THAT(ParseHeadJson(R"({"generation":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("transition")));
}

TEST(WorkspaceTest, MissingHeadFileReadsAsNone) {
  std::string dir = ::concord::testing::MakeTempDir("ws");
  CONCORD_ASSERT_OK_AND_ASSIGN(std::optional<WorkspaceHead> head, ReadWorkspaceHead(dir));
  EXPECT_FALSE(head.has_value());
}

TEST(WorkspaceTest, HeadNeverMovesBackwards) {
  std::string dir = ::concord::testing::MakeTempDir("ws");
  EXPECT_THAT(RecordWorkspaceHead(dir, Head(1, 2)),
              ::concord::testing::IsOkAndHolds(HeadUpdate::kWritten));
  EXPECT_THAT(RecordWorkspaceHead(dir, Head(9, 1)),
              ::concord::testing::IsOkAndHolds(HeadUpdate::kKeptNewer));
  EXPECT_THAT(RecordWorkspaceHead(dir, Head(1, 2)),
              ::concord::testing::IsOkAndHolds(HeadUpdate::kUnchanged));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::optional<WorkspaceHead> head, ReadWorkspaceHead(dir));
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->generation, 2u);
  EXPECT_EQ(head->transition, Head(1, 2).transition);
  EXPECT_THAT(RecordWorkspaceHead(dir, Head(3, 3)),
              ::concord::testing::IsOkAndHolds(HeadUpdate::kWritten));
  CONCORD_ASSERT_OK_AND_ASSIGN(head, ReadWorkspaceHead(dir));
  EXPECT_EQ(head->generation, 3u);
}

TEST(WorkspaceTest, SameGenerationOtherTransitionIsAFork) {
  std::string dir = ::concord::testing::MakeTempDir("ws");
  ASSERT_THAT(RecordWorkspaceHead(dir, Head(1, 4)).status(), IsOk());
  EXPECT_THAT(RecordWorkspaceHead(dir, Head(2, 4)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("generation 4")));
}

TEST(WorkspaceTest, CorruptHeadFileIsAnError) {
  std::string dir = ::concord::testing::MakeTempDir("ws");
  ASSERT_THAT(posix::WriteFileAtomic(JoinPath(dir, kHeadFile), AsBytes("{not json"), 0644), IsOk());
  EXPECT_THAT(ReadWorkspaceHead(dir),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("head.json")));
  EXPECT_THAT(RecordWorkspaceHead(dir, Head(1, 1)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WorkspaceTest, HeadFileMustBeStrictJson) {
  const std::string transition(64, 'a');
  EXPECT_THAT(ParseHeadJson(absl::StrCat(R"({"transition":")", transition,
                                         R"(","generation":1,"generation":2})")),
              StatusIs(absl::StatusCode::kInvalidArgument, "head.json: generation: duplicate key"));
  EXPECT_THAT(
      ParseHeadJson(absl::StrCat(R"({"transition":")", transition, R"(","generation":[1]})")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "head.json: generation: want a string or a number"));
  EXPECT_THAT(
      ParseHeadJson(absl::StrCat(R"({"transition":")", transition, R"(","generation":1} {})")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("head.json: invalid JSON at line 1")));
}

TEST(WorkspaceTest, MakeDirectoriesCreatesNestedPrivateDirs) {
  std::string dir = ::concord::testing::MakeTempDir("ws") + "/a/b/c";
  ASSERT_THAT(MakeDirectories(dir), IsOk());
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_THAT(MakeDirectories(dir), IsOk());
  ASSERT_THAT(posix::WriteFileAtomic(dir + "/f", AsBytes("x"), 0644), IsOk());
  EXPECT_THAT(MakeDirectories(dir + "/f"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WorkspaceTest, JoinPathHandlesTrailingSlash) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
}

}  // namespace
}  // namespace concord::cli
