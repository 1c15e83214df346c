// concordd's configuration from its command line and environment: every
// flag also reads an environment variable (for containers), and a flag on
// the command line wins. Parsing is a pure function of the arguments and an
// injected environment lookup, so it is unit-tested; concordd_main.cc is the
// only caller in production. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/attest/evidence.h"
#include "concord/collateral/vendor_client.h"
#include "concord/common/log.h"
#include "concord/common/token_bucket.h"
#include "concord/coordinator/launch_config.h"

namespace concord::concordd {

struct ListenAddress {
  std::string host;  // IPv4 or IPv6 literal, or a name; brackets removed
  uint16_t port = 0;
};

struct ConcorddConfig {
  std::string store_url = "file:///var/lib/concord";
  std::string policy_path;  // required
  attest::Platform platform = attest::Platform::kSimulated;
  std::string sim_host_dir;  // required for the simulated platform
  ListenAddress user_addr{"0.0.0.0", 1313};
  ListenAddress mesh_addr{"0.0.0.0", 7777};
  ListenAddress http_addr{"0.0.0.0", 9102};
  std::string replica;  // empty: the host name (filled in by concordd)
  LogFormat log_format = LogFormat::kHuman;
  LogLevel log_level = LogLevel::kInfo;
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration drain_timeout = absl::Seconds(5);
  absl::Duration leaf_lifetime = absl::Hours(24);
  std::string port_file;  // empty: none
  // HA (DESIGN §7, §8). `peers`: a discovery spec (discovery/spec.h), empty
  // for a single replica without peers; validated syntactically here.
  std::string peers;
  absl::Duration freshness_lease = absl::Seconds(10);
  absl::Duration peer_retry = absl::Milliseconds(200);
  // Redis without appendonly/appendfsync always (tests and demos only).
  bool allow_volatile_store = false;
  // Expect a PROXY v2 header on the user and mesh listeners (behind HAProxy
  // with send-proxy-v2).
  bool proxy_protocol = false;
  // Admission (net::ServerOptions, DESIGN §5a): open connections in all,
  // per listener (together at most max_connections) and per client address
  // on each listener; request bodies buffered at once; per-handshake
  // attestation (a client nonce) over the server and per client address.
  size_t max_connections = 4096;
  size_t user_max_connections = 1024;
  size_t mesh_max_connections = 2816;
  size_t http_max_connections = 256;
  size_t max_connections_per_source = 64;
  uint64_t max_buffered_body_bytes = 64 * 1024 * 1024;
  TokenBucketOptions fresh_evidence_rate{.rate_per_second = 10, .burst = 20};
  TokenBucketOptions fresh_evidence_rate_per_source{.rate_per_second = 2, .burst = 10};
  // Hardware platforms (snp, tdx): the configfs-tsm report directory, and
  // vendor collateral (issue dates, KDS/PCS, refresh; docs/collateral.md).
  std::string tsm_root = "/sys/kernel/config/tsm/report";
  std::string kds_url = std::string(collateral::kDefaultKdsBaseUrl);
  std::string pcs_url = std::string(collateral::kDefaultPcsBaseUrl);
  std::string vendor_ca_file;  // empty: the system trust store
  bool offline_collateral = false;
  absl::Duration collateral_refresh = absl::Minutes(10);
};

struct ParsedFlags {
  // --help was given: print `help_text` and exit 0.
  bool help = false;
  std::string help_text;
  ConcorddConfig config;
};

// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view name)>;

// Parses `args` (args[0] is the program name) with CLI11, then fills every
// flag not given on the command line from its environment variable (an empty
// value counts as unset), then validates. InvalidArgument with a message
// naming the flag and, when the value came from it, the variable:
// "--platform (CONCORD_PLATFORM): want simulated, snp or tdx, got \"sgx\"".
absl::StatusOr<ParsedFlags> ParseConcorddFlags(const std::vector<std::string>& args,
                                               const EnvLookup& env);

// "host:port" or "[v6]:port", port 0..65535. InvalidArgument naming `flag`.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text, absl::string_view flag);

// Whether concordd may run on `platform` under `launch`: FailedPrecondition
// when the policy document's Platforms does not allow it.
absl::Status CheckPlatform(attest::Platform platform, const coordinator::LaunchConfig& launch);

// Reads the process's resident memory from /proc/self/statm; nullopt when
// unavailable.
std::optional<uint64_t> ReadResidentMemoryBytes();

}  // namespace concord::concordd
