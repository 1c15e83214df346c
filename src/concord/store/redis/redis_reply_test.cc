#include "concord/store/redis/redis_reply.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/store/store.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::store::internal {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// Parses exactly one RESP reply.
ReplyPtr One(absl::string_view resp) {
  absl::StatusOr<std::vector<ReplyPtr>> replies = ParseRespStream(AsBytes(resp), 2);
  EXPECT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ(replies->size(), 1u);
  return std::move(replies->front());
}

TEST(RedisReplyTest, GetReplyReturnsValueOrNil) {
  EXPECT_THAT(ParseGetReply(One("$3\r\nabc\r\n").get()), IsOkAndHolds(Optional(ToBytes("abc"))));
  EXPECT_THAT(ParseGetReply(One("$-1\r\n").get()), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(ParseGetReply(One(":5\r\n").get()), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseGetReply(One("-LOADING dataset\r\n").get()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("LOADING")));
}

TEST(RedisReplyTest, OversizedGetReplyIsDataLoss) {
  std::string resp = absl::StrCat("$", store::kMaxValueSize + 1, "\r\n",
                                  std::string(store::kMaxValueSize + 1, 'x'), "\r\n");
  EXPECT_THAT(ParseGetReply(One(resp).get()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("exceeds")));
}

TEST(RedisReplyTest, ErrorCodesMapToWhatTheCallerShouldDo) {
  EXPECT_THAT(ErrorReplyToStatus("op", "READONLY You can't write against a read only replica."),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ErrorReplyToStatus("op", "WRONGPASS invalid username-password pair"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ErrorReplyToStatus("op", "NOPERM no permission"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ErrorReplyToStatus("op", "ERR syntax error"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("op: redis replied ERR")));
  EXPECT_THAT(ErrorReplyToStatus("op", "WRONGPASS secret-detail", false),
              StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("secret-detail"))));
}

TEST(RedisReplyTest, ScanReplyStripsPrefixAndSkipsForeignKeys) {
  ReplyPtr reply = One(
      "*2\r\n$2\r\n17\r\n*4\r\n$11\r\nc/manifests\r\n$3\r\nc/a\r\n$5\r\nc/A/B\r\n$5\r\nother\r\n");
  CONCORD_ASSERT_OK_AND_ASSIGN(ScanPage page, ParseScanReply(reply.get(), "c/"));
  EXPECT_EQ(page.cursor, "17");
  EXPECT_THAT(page.keys, ElementsAre("manifests", "a"));
}

TEST(RedisReplyTest, MalformedScanRepliesAreRejected) {
  EXPECT_THAT(ParseScanReply(One("*1\r\n$1\r\n0\r\n").get(), "c/"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ParseScanReply(One("*2\r\n$2\r\n-1\r\n*0\r\n").get(), "c/"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("cursor")));
  EXPECT_THAT(ParseScanReply(One("*2\r\n$1\r\n0\r\n*1\r\n:1\r\n").get(), "c/"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(RedisReplyTest, ConfigGetReplyFindsParameter) {
  ReplyPtr reply = One("*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
  EXPECT_THAT(ParseConfigGetReply(reply.get(), "appendonly"),
              IsOkAndHolds(Optional(std::string("yes"))));
  EXPECT_THAT(ParseConfigGetReply(One("*0\r\n").get(), "appendonly"), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(ParseConfigGetReply(One("*1\r\n$1\r\nx\r\n").get(), "appendonly"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ParseConfigGetReply(One("-ERR unknown command 'CONFIG'\r\n").get(), "appendonly"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("unknown command")));
}

TEST(RedisReplyTest, CommitReplyIsZeroOrOne) {
  EXPECT_THAT(ParseCommitReply(One(":1\r\n").get()), IsOkAndHolds(true));
  EXPECT_THAT(ParseCommitReply(One(":0\r\n").get()), IsOkAndHolds(false));
  EXPECT_THAT(ParseCommitReply(One(":2\r\n").get()), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ParseCommitReply(One("+OK\r\n").get()), StatusIs(absl::StatusCode::kInternal));
}

TEST(RedisReplyTest, PushesAreClassifiedByChannel) {
  EXPECT_THAT(ParsePush(One("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n").get(), "ch"),
              IsOkAndHolds(PushKind::kSubscribed));
  EXPECT_THAT(ParsePush(One("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nset\r\n").get(), "ch"),
              IsOkAndHolds(PushKind::kMessage));
  EXPECT_THAT(ParsePush(One("*3\r\n$7\r\nmessage\r\n$2\r\nzz\r\n$3\r\nset\r\n").get(), "ch"),
              IsOkAndHolds(PushKind::kOther));
  EXPECT_THAT(ParsePush(One(":1\r\n").get(), "ch"), StatusIs(absl::StatusCode::kInternal));
}

TEST(RedisReplyTest, KeyspaceFlags) {
  EXPECT_TRUE(KeyspaceFlagsCover("KA"));
  EXPECT_TRUE(KeyspaceFlagsCover("gK$"));
  EXPECT_FALSE(KeyspaceFlagsCover(""));
  EXPECT_FALSE(KeyspaceFlagsCover("EA"));  // keyevent only
  EXPECT_FALSE(KeyspaceFlagsCover("K$"));  // no DEL
  EXPECT_EQ(KeyspaceFlagsWithRequired("Ex"), "ExK$g");
  EXPECT_TRUE(KeyspaceFlagsCover(KeyspaceFlagsWithRequired("")));
}

TEST(RedisReplyTest, DurabilityNeedsAppendonlyAndFsyncAlways) {
  EXPECT_THAT(CheckDurability("yes", "always"), IsOk());
  EXPECT_THAT(CheckDurability("yes", "everysec"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("appendonly yes"), HasSubstr("appendfsync everysec"),
                             HasSubstr("--allow-volatile-store"))));
  EXPECT_THAT(CheckDurability("no", "always"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(RedisReplyTest, ProtocolErrorIsInvalidArgument) {
  EXPECT_THAT(ParseRespStream(AsBytes("?bogus\r\n"), 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("protocol error")));
  // An incomplete reply is not an error: nothing complete yet.
  EXPECT_THAT(ParseRespStream(AsBytes("$10\r\nabc"), 4), IsOkAndHolds(::testing::IsEmpty()));
}

TEST(RedisReplyTest, ArrayHeaderOverTheBoundIsRefusedBeforeAllocating) {
  // 13 bytes that would make hiredis allocate 1.7 GB of element pointers.
  EXPECT_THAT(ParseRespStream(AsBytes("*222222222\r\n"), 4),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("announces 222222222 elements"),
                             HasSubstr(absl::StrCat(kMaxReplyElements)))));
  // The bound is per reply, nested arrays included: two halves plus one.
  const size_t half = kMaxReplyElements / 2;
  const std::string nested = absl::StrCat("*3\r\n*", half, "\r\n*", half, "\r\n");
  EXPECT_THAT(ParseRespStream(AsBytes(nested), 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("announces")));
}

TEST(RedisReplyTest, ArraysWithinTheBoundParseAndEachReplyHasItsOwnBudget) {
  std::string stream;
  for (int i = 0; i < 3; ++i) {
    absl::StrAppend(&stream, "*2\r\n$1\r\na\r\n*1\r\n:7\r\n");
  }
  absl::StatusOr<std::vector<ReplyPtr>> replies = ParseRespStream(AsBytes(stream), 4);
  ASSERT_THAT(replies, IsOk());
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[2]->element[1]->element[0]->integer, 7);
  // Two complete replies of three quarters of the bound each, one after the
  // other on one reader: the budget is per reply, not per reader.
  const size_t three_quarters = kMaxReplyElements / 4 * 3;
  std::string big = absl::StrCat("*", three_quarters, "\r\n");
  for (size_t i = 0; i < three_quarters; ++i) {
    big += ":1\r\n";
  }
  absl::StatusOr<std::vector<ReplyPtr>> two = ParseRespStream(AsBytes(big + big), 4);
  ASSERT_THAT(two, IsOk());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1]->elements, three_quarters);
}

}  // namespace
}  // namespace concord::store::internal
