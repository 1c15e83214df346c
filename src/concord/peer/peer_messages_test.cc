#include "concord/peer/peer_messages.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "concord/wire/json_fields.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::peer {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

crypto::SecretBytes Secret(uint8_t fill) {
  crypto::SecretBytes secret(32);
  for (uint8_t& b : secret.RevealMutable()) {
    b = fill;
  }
  return secret;
}

coordinator::PeerRecoveryGrant Grant() {
  return coordinator::PeerRecoveryGrant{Secret(0x11), Secret(0x22), Secret(0x33), Bytes(80, 0x44)};
}

TEST(PeerMessagesTest, RecoverRequestIsAnEmptyObject) {
  EXPECT_THAT(ParsePeerRecoverRequest(""), IsOk());
  EXPECT_THAT(ParsePeerRecoverRequest(EncodePeerRecoverRequest()), IsOk());
  EXPECT_THAT(ParsePeerRecoverRequest(R"({"seed":"00"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "seed: unknown field"));
  EXPECT_THAT(ParsePeerRecoverRequest("[]"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PeerMessagesTest, RecoverResponseRoundTrips) {
  const std::string body = EncodePeerRecoverResponse(Grant(), "coordinator-1");
  CONCORD_ASSERT_OK_AND_ASSIGN(PeerRecoverResponse parsed, ParsePeerRecoverResponse(body));
  EXPECT_TRUE(parsed.grant.seed.Equals(Secret(0x11)));
  EXPECT_TRUE(parsed.grant.salt.Equals(Secret(0x22)));
  EXPECT_TRUE(parsed.grant.mesh_secret.Equals(Secret(0x33)));
  EXPECT_EQ(parsed.grant.latest, Bytes(80, 0x44));
  EXPECT_EQ(parsed.replica, "coordinator-1");
}

TEST(PeerMessagesTest, RecoverResponseRejectsTamperingWithoutEchoingSecrets) {
  const std::string seed_hex = std::string(64, '1');
  auto body = [&](absl::string_view seed, absl::string_view extra) {
    return absl::StrCat(R"({"seed":")", seed, R"(","salt":")", std::string(64, '2'),
                        R"(","mesh_secret":")", std::string(64, '3'), R"(","latest":"RERE")",
                        R"(,"replica":"c-1")", extra, "}");
  };
  EXPECT_THAT(ParsePeerRecoverResponse(body(seed_hex, "")), IsOk());
  const struct {
    std::string body;
    const char* message;
  } kCases[] = {
      {body(seed_hex.substr(2), ""), "seed: want 64 hex characters, got 62"},
      {body(seed_hex, R"(,"extra":1)"), "extra: unknown field"},
      {body(seed_hex, R"(,"seed":"00")"), "seed: duplicate field"},
      {absl::StrCat(R"({"salt":")", std::string(64, '2'), R"("})"), "seed: required"},
      {R"({"seed":7})", "seed: want 64 hex characters"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<PeerRecoverResponse> parsed = ParsePeerRecoverResponse(c.body);
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.body;
    EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr(std::string(62, '1'))));
  }
  // Empty latest and a replica name with spaces are refused.
  std::string empty_latest = body(seed_hex, "");
  empty_latest.replace(empty_latest.find("RERE"), 4, "");
  EXPECT_THAT(ParsePeerRecoverResponse(empty_latest),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("latest: want an encoded")));
  std::string spaced = body(seed_hex, "");
  spaced.replace(spaced.find("c-1"), 3, "c 1");
  EXPECT_THAT(ParsePeerRecoverResponse(spaced),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replica: want printable")));
}

TEST(PeerMessagesTest, HeadRequestAllowsAnEmptyHead) {
  EXPECT_THAT(ParsePeerHeadRequest(EncodePeerHeadRequest(Bytes(90, 0x05))),
              IsOkAndHolds(Bytes(90, 0x05)));
  EXPECT_THAT(ParsePeerHeadRequest(EncodePeerHeadRequest(Bytes{})), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ParsePeerHeadRequest("{}"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ParsePeerHeadRequest(R"({"latest":"!!"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("latest")));
  EXPECT_THAT(ParsePeerHeadRequest(
                  absl::StrCat(R"({"latest":")", wire::EncodeBase64(Bytes(500, 1)), "\"}")),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("latest: want at most")));
  EXPECT_THAT(ParsePeerHeadRequest(R"({"latest":"","state":"ready"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "state: unknown field"));
}

TEST(PeerMessagesTest, HeadResponseRoundTripsAndIsStrict) {
  coordinator::PeerHead head{"coordinator-2", Bytes(70, 0x09), "ready"};
  CONCORD_ASSERT_OK_AND_ASSIGN(coordinator::PeerHead parsed,
                               ParsePeerHeadResponse(EncodePeerHeadResponse(head)));
  EXPECT_EQ(parsed.peer, "coordinator-2");
  EXPECT_EQ(parsed.latest, head.latest);
  EXPECT_EQ(parsed.state, "ready");
  EXPECT_THAT(ParsePeerHeadResponse(R"({"latest":"","state":"ready","replica":"a"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("latest")));
  EXPECT_THAT(ParsePeerHeadResponse(R"({"latest":"RERE","replica":"a"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "state: required"));
  EXPECT_THAT(ParsePeerHeadResponse(absl::StrCat(R"({"latest":"RERE","state":")",
                                                 std::string(33, 'r'), R"(","replica":"a"})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state: want at most 32")));
}

}  // namespace
}  // namespace concord::peer
