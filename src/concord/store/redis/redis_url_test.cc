#include "concord/store/redis/redis_url.h"

#include <string>

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::store {
namespace {

using ::concord::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedisUrlTest, MinimalUrlUsesDefaults) {
  CONCORD_ASSERT_OK_AND_ASSIGN(RedisOptions options, ParseRedisUrl("redis.local/concord"));
  EXPECT_EQ(options.host, "redis.local");
  EXPECT_EQ(options.port, 6379);
  EXPECT_EQ(options.prefix, "concord");
  EXPECT_EQ(options.db, 0);
  EXPECT_EQ(options.replicas, 0);
  EXPECT_EQ(options.keyspace_events, RedisKeyspaceEvents::kDetect);
  EXPECT_EQ(options.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(options.command_timeout, absl::Seconds(5));
}

TEST(RedisUrlTest, EveryOptionIsParsed) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      RedisOptions options,
      ParseRedisUrl("10.0.0.5:7000/prod/concord?db=3&user=concord&password_file=/run/secrets/"
                    "redis&connect_timeout_ms=250&timeout_ms=3000&replicas=2&wait_timeout_ms="
                    "500&keyspace_events=enable"));
  EXPECT_EQ(options.host, "10.0.0.5");
  EXPECT_EQ(options.port, 7000);
  EXPECT_EQ(options.prefix, "prod/concord");
  EXPECT_EQ(options.db, 3);
  EXPECT_EQ(options.user, "concord");
  EXPECT_EQ(options.password_file, "/run/secrets/redis");
  EXPECT_EQ(options.connect_timeout, absl::Milliseconds(250));
  EXPECT_EQ(options.command_timeout, absl::Milliseconds(3000));
  EXPECT_EQ(options.replicas, 2);
  EXPECT_EQ(options.wait_timeout, absl::Milliseconds(500));
  EXPECT_EQ(options.keyspace_events, RedisKeyspaceEvents::kEnable);
}

TEST(RedisUrlTest, Ipv6HostInBrackets) {
  CONCORD_ASSERT_OK_AND_ASSIGN(RedisOptions options,
                               ParseRedisUrl("[::1]:6380/c?password_env=REDIS_PASSWORD"));
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 6380);
  EXPECT_EQ(options.password_env, "REDIS_PASSWORD");
}

TEST(RedisUrlTest, CredentialsInAuthorityAreRejectedWithoutEchoingThem) {
  EXPECT_THAT(ParseRedisUrl("admin:hunter2@redis:6379/concord"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("host"), HasSubstr("password_file"),
                             Not(HasSubstr("hunter2")), Not(HasSubstr("admin")))));
}

struct BadUrl {
  const char* rest;
  const char* field;
};

class RedisUrlErrorTest : public ::testing::TestWithParam<BadUrl> {};

TEST_P(RedisUrlErrorTest, ErrorNamesTheField) {
  EXPECT_THAT(ParseRedisUrl(GetParam().rest),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().field)));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, RedisUrlErrorTest,
    ::testing::Values(
        BadUrl{"", "host"}, BadUrl{":6379/c", "host"}, BadUrl{"h:0/c", "port"},
        BadUrl{"h:65536/c", "port"}, BadUrl{"h:http/c", "port"}, BadUrl{"h:/c", "port"},
        BadUrl{"h:+5/c", "port"}, BadUrl{"h!x/c", "host"}, BadUrl{"[::1/c", "host"},
        BadUrl{"[zz]/c", "host"}, BadUrl{"[::1]x/c", "host"}, BadUrl{"h", "prefix"},
        BadUrl{"h:1/", "prefix"}, BadUrl{"h/Upper", "prefix"}, BadUrl{"h/a//b", "prefix"},
        BadUrl{"h/a/../b", "prefix"}, BadUrl{"h/c/", "prefix"}, BadUrl{"h/c?", "options"},
        BadUrl{"h/c?db", "options"}, BadUrl{"h/c?=1", "options"},
        BadUrl{"h/c?db=1&&db=2", "options"}, BadUrl{"h/c?db=1&db=2", "db"},
        BadUrl{"h/c?db=-1", "db"}, BadUrl{"h/c?db=10000", "db"}, BadUrl{"h/c?bogus=1", "bogus"},
        BadUrl{"h/c?user=a b", "url"}, BadUrl{"h/c?user=a%20b", "percent"},
        BadUrl{"h/c#frag", "fragment"}, BadUrl{"h/c?user=x", "user"},
        BadUrl{"h/c?user=a*b&password_env=P", "user"},
        BadUrl{"h/c?password_file=relative", "password_file"},
        BadUrl{"h/c?password_env=lower", "password_env"},
        BadUrl{"h/c?password_env=1X", "password_env"},
        BadUrl{"h/c?password_env=P&password_file=/p", "password_file"},
        BadUrl{"h/c?timeout_ms=0", "timeout_ms"},
        BadUrl{"h/c?connect_timeout_ms=99999999", "connect_timeout_ms"},
        BadUrl{"h/c?replicas=101", "replicas"}, BadUrl{"h/c?wait_timeout_ms=x", "wait_timeout_ms"},
        BadUrl{"h/c?replicas=1&wait_timeout_ms=5000&timeout_ms=5000", "wait_timeout_ms"},
        BadUrl{"h/c?keyspace_events=maybe", "keyspace_events"}));

TEST(RedisUrlTest, OverlongUrlIsRejected) {
  const std::string rest = "h/" + std::string(kMaxRedisUrlSize, 'a');
  EXPECT_THAT(ParseRedisUrl(rest),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than")));
}

TEST(RedisUrlTest, ControlCharacterIsRejected) {
  EXPECT_THAT(ParseRedisUrl(std::string("h/c\0x", 5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control")));
}

}  // namespace
}  // namespace concord::store
