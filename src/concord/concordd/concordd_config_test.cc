#include "concord/concordd/concordd_config.h"

#include <map>
#include <string>
#include <vector>

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::concordd {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](absl::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

absl::StatusOr<ParsedFlags> Parse(std::vector<std::string> args,
                                  std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "concordd");
  return ParseConcorddFlags(args, Env(std::move(env)));
}

TEST(ConcorddConfigTest, DefaultsWithRequiredFlags) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ParsedFlags parsed,
                               Parse({"--policy", "/p.json", "--sim-host", "/sim"}));
  const ConcorddConfig& c = parsed.config;
  EXPECT_FALSE(parsed.help);
  EXPECT_EQ(c.store_url, "file:///var/lib/concord");
  EXPECT_EQ(c.policy_path, "/p.json");
  EXPECT_EQ(c.platform, attest::Platform::kSimulated);
  EXPECT_EQ(c.sim_host_dir, "/sim");
  EXPECT_EQ(c.user_addr.host, "0.0.0.0");
  EXPECT_EQ(c.user_addr.port, 1313);
  EXPECT_EQ(c.mesh_addr.port, 7777);
  EXPECT_EQ(c.http_addr.port, 9102);
  EXPECT_EQ(c.replica, "");
  EXPECT_EQ(c.log_format, LogFormat::kHuman);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_EQ(c.shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(c.leaf_lifetime, absl::Hours(24));
  EXPECT_EQ(c.port_file, "");
}

TEST(ConcorddConfigTest, EnvironmentFillsUnsetFlags) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ParsedFlags parsed,
                               Parse({}, {{"CONCORD_POLICY", "/env/policy.json"},
                                          {"CONCORD_SIM_HOST", "/env/sim"},
                                          {"CONCORD_STORE", "memory://"},
                                          {"CONCORD_USER_ADDR", "127.0.0.1:0"},
                                          {"CONCORD_MESH_ADDR", "[::1]:7000"},
                                          {"CONCORD_REPLICA", "coordinator-2"},
                                          {"CONCORD_LOG_FORMAT", "json"},
                                          {"CONCORD_LOG_LEVEL", "debug"},
                                          {"CONCORD_SHUTDOWN_GRACE", "1m30s"},
                                          {"CONCORD_LEAF_LIFETIME", "2h"},
                                          {"CONCORD_PORT_FILE", "/run/ports.json"}}));
  const ConcorddConfig& c = parsed.config;
  EXPECT_EQ(c.policy_path, "/env/policy.json");
  EXPECT_EQ(c.store_url, "memory://");
  EXPECT_EQ(c.user_addr.host, "127.0.0.1");
  EXPECT_EQ(c.user_addr.port, 0);
  EXPECT_EQ(c.mesh_addr.host, "::1");
  EXPECT_EQ(c.mesh_addr.port, 7000);
  EXPECT_EQ(c.replica, "coordinator-2");
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_EQ(c.shutdown_grace, absl::Seconds(90));
  EXPECT_EQ(c.leaf_lifetime, absl::Hours(2));
  EXPECT_EQ(c.port_file, "/run/ports.json");
}

TEST(ConcorddConfigTest, FlagWinsOverEnvironment) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      ParsedFlags parsed,
      Parse({"--policy", "/flag.json", "--store=memory://", "--sim-host", "/s"},
            {{"CONCORD_POLICY", "/env.json"}, {"CONCORD_STORE", "file:///env"}}));
  EXPECT_EQ(parsed.config.policy_path, "/flag.json");
  EXPECT_EQ(parsed.config.store_url, "memory://");
}

TEST(ConcorddConfigTest, EmptyEnvironmentValueCountsAsUnset) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      ParsedFlags parsed, Parse({"--policy", "/p", "--sim-host", "/s"}, {{"CONCORD_STORE", ""}}));
  EXPECT_EQ(parsed.config.store_url, "file:///var/lib/concord");
}

TEST(ConcorddConfigTest, HelpIsReported) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ParsedFlags parsed, Parse({"--help"}));
  EXPECT_TRUE(parsed.help);
  EXPECT_THAT(parsed.help_text, HasSubstr("--shutdown-grace"));
  EXPECT_THAT(parsed.help_text, HasSubstr("CONCORD_STORE"));
}

TEST(ConcorddConfigTest, BadValuesNameFlagAndVariable) {
  EXPECT_THAT(Parse({"--sim-host", "/s"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--policy (CONCORD_POLICY)")));
  EXPECT_THAT(Parse({"--policy", "/p"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--sim-host")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--platform", "sgx"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--platform: want simulated, snp or tdx, got \"sgx\""));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s"}, {{"CONCORD_PLATFORM", "sgx"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--platform (CONCORD_PLATFORM): want simulated")));
  EXPECT_THAT(
      Parse({"--policy", "/p", "--sim-host", "/s", "--shutdown-grace", "ten"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--shutdown-grace: want a duration")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--leaf-lifetime", "1s"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--leaf-lifetime: want a duration from 1m")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--log-format", "xml"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--log-format")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--log-level", "loud"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--log-level")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--replica", "a b"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--replica")));
  EXPECT_THAT(Parse({"--bogus"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("command line")));
}

TEST(ConcorddConfigTest, HaFlagsDefaultOff) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ParsedFlags parsed,
                               Parse({"--policy", "/p.json", "--sim-host", "/sim"}));
  EXPECT_EQ(parsed.config.peers, "");
  EXPECT_EQ(parsed.config.freshness_lease, absl::Seconds(10));
  EXPECT_EQ(parsed.config.peer_retry, absl::Milliseconds(200));
  EXPECT_FALSE(parsed.config.allow_volatile_store);
  EXPECT_FALSE(parsed.config.proxy_protocol);
  EXPECT_THAT(parsed.help_text, HasSubstr("--peers"));
  EXPECT_THAT(parsed.help_text, HasSubstr("--proxy-protocol"));
}

TEST(ConcorddConfigTest, HaFlagsFromCommandLineAndEnvironment) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      ParsedFlags flags,
      Parse({"--policy", "/p.json", "--sim-host", "/sim", "--peers",
             "static:127.0.0.11:7777,127.0.0.12:7777", "--freshness-lease", "3s", "--peer-retry",
             "50ms", "--allow-volatile-store", "--proxy-protocol"}));
  EXPECT_EQ(flags.config.peers, "static:127.0.0.11:7777,127.0.0.12:7777");
  EXPECT_EQ(flags.config.freshness_lease, absl::Seconds(3));
  EXPECT_EQ(flags.config.peer_retry, absl::Milliseconds(50));
  EXPECT_TRUE(flags.config.allow_volatile_store);
  EXPECT_TRUE(flags.config.proxy_protocol);

  CONCORD_ASSERT_OK_AND_ASSIGN(ParsedFlags env,
                               Parse({"--policy", "/p.json", "--sim-host", "/sim"},
                                     {{"CONCORD_PEERS", "dns:coordinator-headless.ns.svc:7777"},
                                      {"CONCORD_FRESHNESS_LEASE", "1m"},
                                      {"CONCORD_ALLOW_VOLATILE_STORE", "true"},
                                      {"CONCORD_PROXY_PROTOCOL", "0"}}));
  EXPECT_EQ(env.config.peers, "dns:coordinator-headless.ns.svc:7777");
  EXPECT_EQ(env.config.freshness_lease, absl::Minutes(1));
  EXPECT_TRUE(env.config.allow_volatile_store);
  EXPECT_FALSE(env.config.proxy_protocol);
}

TEST(ConcorddConfigTest, BadHaFlagsNameFlagAndVariable) {
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--peers", "consul:x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--peers: peers: want")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s"}, {{"CONCORD_PEERS", "static:1.2.3.4"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--peers (CONCORD_PEERS): peers: static peer 1")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--freshness-lease", "0s"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--freshness-lease: want a duration from 1s")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--peer-retry", "soon"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--peer-retry")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--peer-retry", "2s"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--peer-retry: want a duration from 10ms to 1s")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s"}, {{"CONCORD_PROXY_PROTOCOL", "maybe"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--proxy-protocol (CONCORD_PROXY_PROTOCOL): want true or false, got "
                       "\"maybe\""));
}

TEST(ConcorddConfigTest, AdmissionFlagsDefaultsAndValues) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ParsedFlags defaults, Parse({"--policy", "/p", "--sim-host", "/s"}));
  const ConcorddConfig& d = defaults.config;
  EXPECT_EQ(d.max_connections, 4096u);
  EXPECT_EQ(d.user_max_connections + d.mesh_max_connections + d.http_max_connections, 4096u);
  EXPECT_EQ(d.http_max_connections, 256u);
  EXPECT_EQ(d.max_connections_per_source, 64u);
  EXPECT_EQ(d.max_buffered_body_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(d.fresh_evidence_rate.rate_per_second, 10);
  EXPECT_EQ(d.fresh_evidence_rate.burst, 20);
  EXPECT_EQ(d.fresh_evidence_rate_per_source.rate_per_second, 2);
  EXPECT_EQ(d.fresh_evidence_rate_per_source.burst, 10);
  EXPECT_THAT(defaults.help_text, HasSubstr("CONCORD_MAX_CONNECTIONS_PER_SOURCE"));

  CONCORD_ASSERT_OK_AND_ASSIGN(
      ParsedFlags flags, Parse({"--policy", "/p", "--sim-host", "/s", "--max-connections", "100",
                                "--user-max-connections", "30", "--mesh-max-connections", "60",
                                "--http-max-connections", "10", "--max-connections-per-source", "5",
                                "--fresh-evidence-rate", "0.5", "--fresh-evidence-burst", "3"},
                               {{"CONCORD_MAX_BUFFERED_BODY_BYTES", "8388608"},
                                {"CONCORD_FRESH_EVIDENCE_RATE_PER_SOURCE", "0.25"},
                                {"CONCORD_FRESH_EVIDENCE_BURST_PER_SOURCE", "2"}}));
  const ConcorddConfig& c = flags.config;
  EXPECT_EQ(c.max_connections, 100u);
  EXPECT_EQ(c.user_max_connections, 30u);
  EXPECT_EQ(c.mesh_max_connections, 60u);
  EXPECT_EQ(c.http_max_connections, 10u);
  EXPECT_EQ(c.max_connections_per_source, 5u);
  EXPECT_EQ(c.max_buffered_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(c.fresh_evidence_rate.rate_per_second, 0.5);
  EXPECT_EQ(c.fresh_evidence_rate.burst, 3);
  EXPECT_EQ(c.fresh_evidence_rate_per_source.rate_per_second, 0.25);
  EXPECT_EQ(c.fresh_evidence_rate_per_source.burst, 2);
}

TEST(ConcorddConfigTest, BadAdmissionFlagsNameFlagAndVariable) {
  // The listeners' limits may not add up to more than the total.
  EXPECT_THAT(
      Parse({"--policy", "/p", "--sim-host", "/s", "--max-connections", "1000"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4096 over --max-connections 1000")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--max-connections-per-source", "0"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--max-connections-per-source: want a whole number from 1")));
  EXPECT_THAT(
      Parse({"--policy", "/p", "--sim-host", "/s"}, {{"CONCORD_HTTP_MAX_CONNECTIONS", "many"}}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("--http-max-connections (CONCORD_HTTP_MAX_CONNECTIONS): want a "
                         "whole number")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--max-buffered-body-bytes", "1024"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--max-buffered-body-bytes: want a whole number from 2097152")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--fresh-evidence-burst", "0.5"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--fresh-evidence-burst: want a number from 1")));
  EXPECT_THAT(Parse({"--policy", "/p", "--sim-host", "/s", "--fresh-evidence-rate", "nan"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--fresh-evidence-rate")));
}

TEST(ConcorddConfigTest, HardwareFlagsDefaultsAndValues) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ParsedFlags defaults,
                               Parse({"--policy", "/p", "--platform", "tdx"}));
  EXPECT_EQ(defaults.config.platform, attest::Platform::kTdx);
  EXPECT_EQ(defaults.config.tsm_root, "/sys/kernel/config/tsm/report");
  EXPECT_EQ(defaults.config.kds_url, "https://kdsintf.amd.com");
  EXPECT_EQ(defaults.config.pcs_url, "https://api.trustedservices.intel.com");
  EXPECT_FALSE(defaults.config.offline_collateral);
  EXPECT_EQ(defaults.config.collateral_refresh, absl::Minutes(10));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      ParsedFlags set, Parse({"--policy", "/p", "--platform", "snp", "--tsm-root", "/t",
                              "--kds-url", "http://127.0.0.1:8080", "--collateral-refresh", "1h"},
                             {{"CONCORD_PCS_URL", "https://pcs.example"},
                              {"CONCORD_VENDOR_CA_FILE", "/ca.pem"},
                              {"CONCORD_OFFLINE_COLLATERAL", "true"}}));
  EXPECT_EQ(set.config.tsm_root, "/t");
  EXPECT_EQ(set.config.kds_url, "http://127.0.0.1:8080");
  EXPECT_EQ(set.config.pcs_url, "https://pcs.example");
  EXPECT_EQ(set.config.vendor_ca_file, "/ca.pem");
  EXPECT_TRUE(set.config.offline_collateral);
  EXPECT_EQ(set.config.collateral_refresh, absl::Hours(1));
}

TEST(ConcorddConfigTest, BadHardwareFlagsNameFlagAndVariable) {
  EXPECT_THAT(
      Parse({"--policy", "/p", "--platform", "snp", "--tsm-root", "relative"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tsm-root: want an absolute path")));
  EXPECT_THAT(Parse({"--policy", "/p", "--platform", "snp"}, {{"CONCORD_KDS_URL", "ftp://x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--kds-url (CONCORD_KDS_URL): want an http:// or https://")));
  EXPECT_THAT(Parse({"--policy", "/p", "--platform", "tdx", "--collateral-refresh", "1s"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--collateral-refresh: want a duration from 10s to 24h")));
}

TEST(ConcorddConfigTest, ListenAddressForms) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ListenAddress v4, ParseListenAddress("10.0.0.1:80", "--f"));
  EXPECT_EQ(v4.host, "10.0.0.1");
  EXPECT_EQ(v4.port, 80);
  CONCORD_ASSERT_OK_AND_ASSIGN(ListenAddress v6, ParseListenAddress("[::]:65535", "--f"));
  EXPECT_EQ(v6.host, "::");
  EXPECT_EQ(v6.port, 65535);
  for (absl::string_view bad : {"1313", ":1313", "host:", "host:65536", "host:-1", "::1:80",
                                "[::1:80", "[]:80", "host:12a", "ho st:1"}) {
    EXPECT_THAT(ParseListenAddress(bad, "--user-addr"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--user-addr: want")))
        << bad;
  }
}

TEST(ConcorddConfigTest, PlatformMustBeAllowedAndBuilt) {
  coordinator::LaunchConfig launch;
  launch.platforms.simulated = true;
  EXPECT_THAT(CheckPlatform(attest::Platform::kSimulated, launch), IsOk());
  EXPECT_THAT(CheckPlatform(attest::Platform::kSnp, launch),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not among the policy document's Platforms")));
  coordinator::LaunchConfig hardware;
  hardware.platforms.snp = true;
  EXPECT_THAT(CheckPlatform(attest::Platform::kSnp, hardware), IsOk());
  EXPECT_THAT(CheckPlatform(attest::Platform::kTdx, hardware),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not among the policy document's Platforms")));
  EXPECT_THAT(CheckPlatform(attest::Platform::kSimulated, hardware),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("simulated")));
}

}  // namespace
}  // namespace concord::concordd
