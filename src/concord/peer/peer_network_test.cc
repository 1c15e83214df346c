// The peer client's reading of a peer's error responses: the same Status
// codes as every client of the API (error_table.h), including 404 and 409,
// which it once read as Unavailable, and the quoted message.
#include "concord/peer/peer_network.h"

#include <string>

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::peer {
namespace {

using ::concord::testing::StatusIs;

TEST(PeerErrorStatusTest, NotFoundIsNotFound) {
  EXPECT_THAT(PeerErrorStatus(404, R"({"code":"NOT_FOUND","message":"no such endpoint",)"
                                   R"("state":"ready"})"),
              StatusIs(absl::StatusCode::kNotFound, "HTTP 404: no such endpoint"));
  EXPECT_THAT(PeerErrorStatus(404, ""), StatusIs(absl::StatusCode::kNotFound, "HTTP 404"));
}

TEST(PeerErrorStatusTest, ConflictIsAbortedOrAlreadyExistsByName) {
  EXPECT_THAT(PeerErrorStatus(409, R"({"code":"ABORTED","message":"lost the race",)"
                                   R"("state":"ready"})"),
              StatusIs(absl::StatusCode::kAborted, "HTTP 409: lost the race"));
  EXPECT_THAT(PeerErrorStatus(409, R"({"code":"ALREADY_EXISTS","message":"m","state":"ready"})"),
              StatusIs(absl::StatusCode::kAlreadyExists, "HTTP 409: m"));
  EXPECT_THAT(PeerErrorStatus(409, "<html>conflict</html>"),
              StatusIs(absl::StatusCode::kAborted, "HTTP 409"));
}

TEST(PeerErrorStatusTest, CodesMatchTheUserApiClient) {
  EXPECT_THAT(PeerErrorStatus(503, R"({"code":"UNAVAILABLE","message":"not serving",)"
                                   R"("state":"recovery"})"),
              StatusIs(absl::StatusCode::kUnavailable, "HTTP 503: not serving"));
  EXPECT_THAT(PeerErrorStatus(403, R"({"code":"PERMISSION_DENIED","message":"refused"})"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(PeerErrorStatus(412, ""), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(PeerErrorStatus(400, "{}"), StatusIs(absl::StatusCode::kInvalidArgument, "HTTP 400"));
  EXPECT_THAT(PeerErrorStatus(401, "x"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(PeerErrorStatus(502, ""), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(PeerErrorStatusTest, MessageIsBoundedAndControlCharactersReplaced) {
  const std::string long_message(500, 'a');
  absl::Status status = PeerErrorStatus(
      503, R"({"code":"UNAVAILABLE","message":")" + long_message + R"(\u001b[31m"})");
  EXPECT_EQ(status.message(), "HTTP 503: " + std::string(200, 'a'));
  EXPECT_THAT(PeerErrorStatus(503, R"({"code":"UNAVAILABLE","message":"a\u001bb"})"),
              StatusIs(absl::StatusCode::kUnavailable, "HTTP 503: a b"));
}

}  // namespace
}  // namespace concord::peer
