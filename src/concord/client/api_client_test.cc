#include "concord/client/api_client.h"

#include "absl/strings/str_cat.h"
#include "concord/common/time_format.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::client {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseEndpointTest, HostAndPortParse) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Endpoint e, ParseEndpoint("coordinator.example:1313", 1));
  EXPECT_EQ(e.host, "coordinator.example");
  EXPECT_EQ(e.port, 1313);
}

TEST(ParseEndpointTest, BracketedIpv6Parses) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Endpoint e, ParseEndpoint("[::1]:7777", 1));
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 7777);
}

TEST(ParseEndpointTest, HostAloneTakesDefaultPort) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Endpoint e, ParseEndpoint("127.0.0.1", 1313));
  EXPECT_EQ(e.port, 1313);
  CONCORD_ASSERT_OK_AND_ASSIGN(Endpoint v6, ParseEndpoint("[fe80::1]", 9102));
  EXPECT_EQ(v6.host, "fe80::1");
  EXPECT_EQ(v6.port, 9102);
}

TEST(ParseEndpointTest, MalformedEndpointsAreRejectedNamingTheField) {
  for (const char* bad : {"", ":1313", "host:", "host:0", "host:65536", "host:12a", "::1:80",
                          "[::1", "[::1]x", "ho st:1", "host:+80", "host:-1", "host:123456"}) {
    EXPECT_THAT(ParseEndpoint(bad, 1313, "--coordinator"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--coordinator")))
        << bad;
  }
}

TEST(ParseEndpointTest, HostWithoutPortAndNoDefaultIsRejected) {
  EXPECT_THAT(ParseEndpoint("host", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no port")));
}

net::HttpResponse Response(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ParseApiErrorTest, JsonErrorCodeDecidesStatusAndStateIsNamed) {
  net::HttpResponse r =
      Response(503, R"({"code":"UNAVAILABLE","message":"store unavailable","state":"recovery"})");
  r.headers.push_back({"retry-after", " 3 "});
  ApiError e = ParseApiError(r);
  EXPECT_THAT(e.status, StatusIs(absl::StatusCode::kUnavailable,
                                 "store unavailable (coordinator state: recovery)"));
  EXPECT_EQ(e.http_status, 503);
  EXPECT_EQ(e.state, "recovery");
  ASSERT_TRUE(e.retry_after.has_value());
  EXPECT_EQ(*e.retry_after, absl::Seconds(3));
}

TEST(ParseApiErrorTest, ConflictMapsToAborted) {
  ApiError e = ParseApiError(Response(
      409, R"({"code":"ABORTED","message":"expected_previous is not the head","state":"ready"})"));
  EXPECT_THAT(e.status, StatusIs(absl::StatusCode::kAborted, HasSubstr("not the head")));
  EXPECT_FALSE(e.retry_after.has_value());
}

TEST(ParseApiErrorTest, UnparseableBodyFallsBackToHttpStatus) {
  EXPECT_THAT(ParseApiError(Response(412, "<html>nope</html>")).status,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("HTTP 412")));
  EXPECT_THAT(ParseApiError(Response(403, "")).status,
              StatusIs(absl::StatusCode::kPermissionDenied, "HTTP 403"));
  EXPECT_THAT(ParseApiError(Response(502, "{}")).status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ParseApiError(Response(418, "teapot")).status, StatusIs(absl::StatusCode::kUnknown));
}

TEST(ParseApiErrorTest, ErrorBodyThatIsNotStrictJsonIsShownAsText) {
  // Two readers could take either "message"; neither is believed.
  EXPECT_THAT(
      ParseApiError(Response(400, R"({"code":"NOT_FOUND","message":"a","message":"b"})")).status,
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HTTP 400: {")));
  EXPECT_THAT(ParseApiError(Response(400, std::string(100'000, '['))).status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HTTP 400: [[[")));
}

TEST(ParseApiErrorTest, UnknownCodeNameKeepsHttpMapping) {
  EXPECT_THAT(ParseApiError(Response(401, R"({"code":"WHATEVER","message":"m"})")).status,
              StatusIs(absl::StatusCode::kUnauthenticated, "m"));
}

TEST(ParseApiErrorTest, ControlCharactersInMessagesAreReplaced) {
  ApiError e =
      ParseApiError(Response(400, "{\"code\":\"INVALID_ARGUMENT\",\"message\":\"a\\u001b[31mb\"}"));
  EXPECT_THAT(e.status, StatusIs(absl::StatusCode::kInvalidArgument, "a?[31mb"));
}

TEST(ParseApiErrorTest, MalformedRetryAfterIsIgnoredAndHugeIsCapped) {
  net::HttpResponse r = Response(503, "");
  r.headers.push_back({"Retry-After", "soon"});
  EXPECT_FALSE(ParseApiError(r).retry_after.has_value());
  r.headers = {{"Retry-After", "999999"}};
  EXPECT_EQ(ParseApiError(r).retry_after, absl::Minutes(5));
}

constexpr char kMeshCertBody[] = R"({"certificate":"C","chain":"CH","mesh_ca":"M","root_ca":"R",
  "workload_secret":"0101010101010101010101010101010101010101010101010101010101010101",
  "not_after":"2026-11-24T08:00:00Z","policy":"web","generation":3})";

TEST(ParseMeshCertificateResponseTest, ValidResponseParses) {
  CONCORD_ASSERT_OK_AND_ASSIGN(MeshCertificate c, ParseMeshCertificateResponse(kMeshCertBody));
  EXPECT_EQ(c.certificate_pem, "C");
  EXPECT_EQ(c.chain_pem, "CH");
  EXPECT_EQ(c.policy_name, "web");
  EXPECT_EQ(c.generation, 3u);
  ASSERT_TRUE(c.workload_secret.has_value());
  EXPECT_EQ(c.workload_secret->size(), 32u);
  EXPECT_EQ(FormatRfc3339(c.not_after), "2026-11-24T08:00:00Z");
}

TEST(ParseMeshCertificateResponseTest, TamperedFieldsAreDataLoss) {
  std::string body = kMeshCertBody;
  std::string short_secret = body;
  short_secret.replace(short_secret.find("0101"), 4, "");
  EXPECT_THAT(ParseMeshCertificateResponse(short_secret),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("workload_secret")));
  std::string bad_time = body;
  bad_time.replace(bad_time.find("2026-11-24"), 10, "yesterday!");
  EXPECT_THAT(ParseMeshCertificateResponse(bad_time),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not_after")));
  std::string zero_generation = body;
  zero_generation.replace(zero_generation.find("\"generation\":3"), 14, "\"generation\":0");
  EXPECT_THAT(ParseMeshCertificateResponse(zero_generation),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("generation")));
  EXPECT_THAT(ParseMeshCertificateResponse("[]"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseMeshCertificateResponseTest, DuplicateFieldsAndDepthBombsAreDataLoss) {
  std::string twice = kMeshCertBody;
  twice.insert(1, R"("policy":"db",)");
  EXPECT_THAT(
      ParseMeshCertificateResponse(twice),
      StatusIs(absl::StatusCode::kDataLoss, "mesh certificate response: policy: duplicate key"));
  EXPECT_THAT(ParseMeshCertificateResponse(absl::StrCat(R"({"x":)", std::string(40'000, '['))),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("mesh certificate response: x[0][0][0][0][0][0][0]: want at "
                                 "most 8 levels")));
}

}  // namespace
}  // namespace concord::client
