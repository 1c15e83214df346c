#include "concord/concordd/concordd_config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <tuple>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/discovery/spec.h"

namespace concord::concordd {
namespace {

// One flag: its name, environment variable, and where CLI11 stores it.
struct FlagSpec {
  FlagSpec(const char* flag_name, const char* env_name) : flag(flag_name), env(env_name) {}

  const char* flag;
  const char* env;
  std::string value;
  CLI::Option* option = nullptr;
  bool from_env = false;

  // "--flag" or "--flag (ENV)" when the value came from the environment.
  std::string Name() const {
    return from_env ? absl::StrCat(flag, " (", env, ")") : std::string(flag);
  }
};

std::string Quote(absl::string_view value) {
  std::string shown(value.substr(0, 64));
  for (char& c : shown) {
    if (c < 0x20 || c >= 0x7f) {
      c = '?';
    }
  }
  return absl::StrCat("\"", shown, value.size() > 64 ? "...\"" : "\"");
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const FlagSpec& spec, absl::Duration min,
                                                 absl::Duration max) {
  absl::Duration d;
  if (!absl::ParseDuration(spec.value, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.Name(), ": want a duration such as 10s, 1m30s or 24h, got ", Quote(spec.value)));
  }
  if (d < min || d > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.Name(), ": want a duration from ", absl::FormatDuration(min), " to ",
                     absl::FormatDuration(max), ", got ", absl::FormatDuration(d)));
  }
  return d;
}

absl::StatusOr<uint64_t> ParseCountFlag(const FlagSpec& spec, uint64_t min, uint64_t max) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(spec.value, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(absl::StrCat(spec.Name(), ": want a whole number from ", min,
                                                   " to ", max, ", got ", Quote(spec.value)));
  }
  return n;
}

absl::StatusOr<double> ParseRateFlag(const FlagSpec& spec, double min, double max) {
  double x = 0;
  if (!absl::SimpleAtod(spec.value, &x) || !(x >= min && x <= max)) {
    return absl::InvalidArgumentError(absl::StrCat(spec.Name(), ": want a number from ", min,
                                                   " to ", max, ", got ", Quote(spec.value)));
  }
  return x;
}

// A boolean flag: given on the command line (no value), or its variable set
// to true/false (1/0, yes/no).
struct BoolFlagSpec {
  BoolFlagSpec(const char* flag_name, const char* env_name) : flag(flag_name), env(env_name) {}
  const char* flag;
  const char* env;
  bool value = false;
  CLI::Option* option = nullptr;
};

absl::Status ResolveBoolFlag(BoolFlagSpec& spec, const EnvLookup& env) {
  if (spec.option->count() > 0) {
    return absl::OkStatus();
  }
  std::optional<std::string> text = env ? env(spec.env) : std::nullopt;
  if (!text.has_value() || text->empty()) {
    return absl::OkStatus();
  }
  const std::string lower = absl::AsciiStrToLower(*text);
  if (lower == "1" || lower == "true" || lower == "yes") {
    spec.value = true;
  } else if (lower == "0" || lower == "false" || lower == "no") {
    spec.value = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.flag, " (", spec.env, "): want true or false, got ", Quote(*text)));
  }
  return absl::OkStatus();
}

bool ValidReplicaName(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text, absl::string_view flag) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": want host:port or [ipv6]:port (", why, "), got ", Quote(text)));
  };
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return bad("no port");
  }
  absl::string_view host = text.substr(0, colon);
  absl::string_view port_text = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return bad("unbalanced brackets");
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return bad("IPv6 addresses need brackets");
  }
  if (host.empty()) {
    return bad("empty host");
  }
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '_') {
      return bad("bad character in host");
    }
  }
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return bad("port must be 0..65535");
  }
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

absl::StatusOr<ParsedFlags> ParseConcorddFlags(const std::vector<std::string>& args,
                                               const EnvLookup& env) {
  ParsedFlags parsed;
  ConcorddConfig& config = parsed.config;

  FlagSpec store{"--store", "CONCORD_STORE"};
  FlagSpec policy{"--policy", "CONCORD_POLICY"};
  FlagSpec platform{"--platform", "CONCORD_PLATFORM"};
  FlagSpec sim_host{"--sim-host", "CONCORD_SIM_HOST"};
  FlagSpec user_addr{"--user-addr", "CONCORD_USER_ADDR"};
  FlagSpec mesh_addr{"--mesh-addr", "CONCORD_MESH_ADDR"};
  FlagSpec http_addr{"--http-addr", "CONCORD_HTTP_ADDR"};
  FlagSpec replica{"--replica", "CONCORD_REPLICA"};
  FlagSpec log_format{"--log-format", "CONCORD_LOG_FORMAT"};
  FlagSpec log_level{"--log-level", "CONCORD_LOG_LEVEL"};
  FlagSpec shutdown_grace{"--shutdown-grace", "CONCORD_SHUTDOWN_GRACE"};
  FlagSpec drain_timeout{"--drain-timeout", "CONCORD_DRAIN_TIMEOUT"};
  FlagSpec leaf_lifetime{"--leaf-lifetime", "CONCORD_LEAF_LIFETIME"};
  FlagSpec port_file{"--port-file", "CONCORD_PORT_FILE"};
  FlagSpec peers{"--peers", "CONCORD_PEERS"};
  FlagSpec freshness_lease{"--freshness-lease", "CONCORD_FRESHNESS_LEASE"};
  FlagSpec peer_retry{"--peer-retry", "CONCORD_PEER_RETRY"};
  BoolFlagSpec allow_volatile_store{"--allow-volatile-store", "CONCORD_ALLOW_VOLATILE_STORE"};
  BoolFlagSpec proxy_protocol{"--proxy-protocol", "CONCORD_PROXY_PROTOCOL"};
  FlagSpec tsm_root{"--tsm-root", "CONCORD_TSM_ROOT"};
  FlagSpec kds_url{"--kds-url", "CONCORD_KDS_URL"};
  FlagSpec pcs_url{"--pcs-url", "CONCORD_PCS_URL"};
  FlagSpec vendor_ca_file{"--vendor-ca-file", "CONCORD_VENDOR_CA_FILE"};
  FlagSpec collateral_refresh{"--collateral-refresh", "CONCORD_COLLATERAL_REFRESH"};
  BoolFlagSpec offline_collateral{"--offline-collateral", "CONCORD_OFFLINE_COLLATERAL"};
  FlagSpec max_connections{"--max-connections", "CONCORD_MAX_CONNECTIONS"};
  FlagSpec user_max_connections{"--user-max-connections", "CONCORD_USER_MAX_CONNECTIONS"};
  FlagSpec mesh_max_connections{"--mesh-max-connections", "CONCORD_MESH_MAX_CONNECTIONS"};
  FlagSpec http_max_connections{"--http-max-connections", "CONCORD_HTTP_MAX_CONNECTIONS"};
  FlagSpec max_connections_per_source{"--max-connections-per-source",
                                      "CONCORD_MAX_CONNECTIONS_PER_SOURCE"};
  FlagSpec max_buffered_body{"--max-buffered-body-bytes", "CONCORD_MAX_BUFFERED_BODY_BYTES"};
  FlagSpec fresh_evidence_rate{"--fresh-evidence-rate", "CONCORD_FRESH_EVIDENCE_RATE"};
  FlagSpec fresh_evidence_burst{"--fresh-evidence-burst", "CONCORD_FRESH_EVIDENCE_BURST"};
  FlagSpec fresh_evidence_source_rate{"--fresh-evidence-rate-per-source",
                                      "CONCORD_FRESH_EVIDENCE_RATE_PER_SOURCE"};
  FlagSpec fresh_evidence_source_burst{"--fresh-evidence-burst-per-source",
                                       "CONCORD_FRESH_EVIDENCE_BURST_PER_SOURCE"};
  FlagSpec* const specs[] = {&store,          &policy,
                             &platform,       &sim_host,
                             &user_addr,      &mesh_addr,
                             &http_addr,      &replica,
                             &log_format,     &log_level,
                             &shutdown_grace, &drain_timeout,
                             &leaf_lifetime,  &port_file,
                             &peers,          &freshness_lease,
                             &peer_retry,     &tsm_root,
                             &kds_url,        &pcs_url,
                             &vendor_ca_file, &collateral_refresh};
  FlagSpec* const admission_specs[] = {&max_connections,
                                       &user_max_connections,
                                       &mesh_max_connections,
                                       &http_max_connections,
                                       &max_connections_per_source,
                                       &max_buffered_body,
                                       &fresh_evidence_rate,
                                       &fresh_evidence_burst,
                                       &fresh_evidence_source_rate,
                                       &fresh_evidence_source_burst};

  CLI::App app{
      "concordd: the Concord attestation coordinator. Every flag can also be set through the "
      "environment variable shown; a flag on the command line wins.",
      "concordd"};
  const struct {
    FlagSpec* spec;
    const char* help;
    const char* default_text;
  } kOptions[] = {
      {&store, "Store URL: file:///dir, memory://, etcd://h:2379/prefix, redis://h:6379/prefix",
       "file:///var/lib/concord"},
      {&policy, "Coordinator policy document (measured launch config; required)", ""},
      {&platform, "Evidence platform: simulated, snp or tdx", "simulated"},
      {&sim_host, "Simulated host directory (`concord sim init`; required for simulated)", ""},
      {&user_addr, "User API listen address (aTLS)", "0.0.0.0:1313"},
      {&mesh_addr, "Mesh API listen address (attested mutual TLS)", "0.0.0.0:7777"},
      {&http_addr, "Plain HTTP address for /healthz, /readyz, /metrics", "0.0.0.0:9102"},
      {&replica, "Replica name in logs and GET /v1/status", "the host name"},
      {&log_format, "Log format: human or json", "human"},
      {&log_level, "Minimum log level: debug, info, warning or error", "info"},
      {&shutdown_grace, "After SIGTERM: keep serving (with /readyz failing) this long", "10s"},
      {&drain_timeout, "Then wait this long for in-flight requests", "5s"},
      {&leaf_lifetime, "Lifetime of workload (mesh) certificates", "24h"},
      {&port_file, "Write the bound ports as JSON to this file once listening", ""},
      {&peers,
       "Peer discovery: static:h:7777,h2:7777 | dns:name:7777 | "
       "k8s:namespace=ns,selector=app.kubernetes.io/name=concord,port=7777",
       "none (a single replica)"},
      {&freshness_lease,
       "A ready replica that cannot confirm its head (store or peers) this long stops issuing",
       "10s"},
      {&peer_retry, "Pause between peer recovery rounds while recovering", "200ms"},
      {&tsm_root, "snp, tdx: the kernel's configfs-tsm report directory",
       "/sys/kernel/config/tsm/report"},
      {&kds_url, "AMD KDS base URL (VCEKs, cert chains, CRLs)", "https://kdsintf.amd.com"},
      {&pcs_url, "Intel PCS base URL (TDX TCB info, QE identity, CRLs)",
       "https://api.trustedservices.intel.com"},
      {&vendor_ca_file, "PEM CA bundle for the vendors' HTTPS", "the system trust store"},
      {&collateral_refresh, "Pause between background collateral refresh passes", "10m"},
      {&max_connections, "Open connections on all listeners together", "4096"},
      {&user_max_connections, "Open connections on the user listener", "1024"},
      {&mesh_max_connections, "Open connections on the mesh listener", "2816"},
      {&http_max_connections, "Open connections on the plain HTTP listener", "256"},
      {&max_connections_per_source,
       "Open connections per client address on each listener (the PROXY source with "
       "--proxy-protocol); more are closed at once",
       "64"},
      {&max_buffered_body,
       "Request body bytes buffered at once over all connections; beyond, 503 + Retry-After",
       "67108864"},
      {&fresh_evidence_rate,
       "Handshakes with a client nonce (per-handshake attestation) per second, all clients", "10"},
      {&fresh_evidence_burst,
       "Handshakes with a client nonce allowed at once before --fresh-evidence-rate applies", "20"},
      {&fresh_evidence_source_rate, "Handshakes with a client nonce per second per client address",
       "2"},
      {&fresh_evidence_source_burst,
       "The same per client address, before --fresh-evidence-rate-per-source applies", "10"},
  };
  for (const auto& option : kOptions) {
    option.spec->option =
        app.add_option(option.spec->flag, option.spec->value,
                       absl::StrCat(option.help, " [env ", option.spec->env, "]"));
    if (option.default_text[0] != '\0') {
      option.spec->option->default_str(option.default_text);
    }
  }
  allow_volatile_store.option = app.add_flag(
      allow_volatile_store.flag, allow_volatile_store.value,
      "Accept a Redis store without appendonly yes + appendfsync always (tests and demos "
      "only) [env CONCORD_ALLOW_VOLATILE_STORE]");
  proxy_protocol.option = app.add_flag(
      proxy_protocol.flag, proxy_protocol.value,
      "Expect a PROXY protocol v2 header on the user and mesh listeners (behind HAProxy "
      "send-proxy-v2; connections without one are closed) [env CONCORD_PROXY_PROTOCOL]");
  offline_collateral.option = app.add_flag(
      offline_collateral.flag, offline_collateral.value,
      "Never contact AMD KDS or Intel PCS: collateral comes only from the store (`concord "
      "collateral import`) [env CONCORD_OFFLINE_COLLATERAL]");
  parsed.help_text = app.help();

  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    parsed.help = true;
    return parsed;
  } catch (const CLI::CallForAllHelp&) {
    parsed.help = true;
    return parsed;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat("command line: ", e.what()));
  }

  std::vector<FlagSpec*> all_specs(std::begin(specs), std::end(specs));
  all_specs.insert(all_specs.end(), std::begin(admission_specs), std::end(admission_specs));
  for (FlagSpec* spec : all_specs) {
    if (spec->option->count() > 0) {
      continue;
    }
    std::optional<std::string> value = env ? env(spec->env) : std::nullopt;
    if (value.has_value() && !value->empty()) {
      spec->value = *std::move(value);
      spec->from_env = true;
    }
  }

  if (!store.value.empty()) {
    config.store_url = store.value;
  }
  if (policy.value.empty()) {
    return absl::InvalidArgumentError(
        "--policy (CONCORD_POLICY): required: the coordinator policy document");
  }
  config.policy_path = policy.value;
  if (!platform.value.empty()) {
    absl::StatusOr<attest::Platform> p = attest::ParsePlatform(platform.value);
    if (!p.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          platform.Name(), ": want simulated, snp or tdx, got ", Quote(platform.value)));
    }
    config.platform = *p;
  }
  config.sim_host_dir = sim_host.value;
  if (config.platform == attest::Platform::kSimulated && config.sim_host_dir.empty()) {
    return absl::InvalidArgumentError(
        "--sim-host (CONCORD_SIM_HOST): required for --platform simulated (make one with "
        "`concord sim init --dir DIR`)");
  }
  if (!user_addr.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(config.user_addr,
                             ParseListenAddress(user_addr.value, user_addr.Name()));
  }
  if (!mesh_addr.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(config.mesh_addr,
                             ParseListenAddress(mesh_addr.value, mesh_addr.Name()));
  }
  if (!http_addr.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(config.http_addr,
                             ParseListenAddress(http_addr.value, http_addr.Name()));
  }
  if (!replica.value.empty()) {
    if (!ValidReplicaName(replica.value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(replica.Name(), ": want 1 to 64 characters from [A-Za-z0-9._-], got ",
                       Quote(replica.value)));
    }
    config.replica = replica.value;
  }
  if (!log_format.value.empty()) {
    if (log_format.value == "human") {
      config.log_format = LogFormat::kHuman;
    } else if (log_format.value == "json") {
      config.log_format = LogFormat::kJson;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(log_format.Name(), ": want human or json, got ", Quote(log_format.value)));
    }
  }
  if (!log_level.value.empty() && !ParseLogLevel(log_level.value, &config.log_level)) {
    return absl::InvalidArgumentError(absl::StrCat(
        log_level.Name(), ": want debug, info, warning or error, got ", Quote(log_level.value)));
  }
  if (!shutdown_grace.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(
        config.shutdown_grace,
        ParseDurationFlag(shutdown_grace, absl::ZeroDuration(), absl::Hours(1)));
  }
  if (!drain_timeout.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(
        config.drain_timeout,
        ParseDurationFlag(drain_timeout, absl::ZeroDuration(), absl::Hours(1)));
  }
  if (!leaf_lifetime.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(
        config.leaf_lifetime,
        ParseDurationFlag(leaf_lifetime, absl::Minutes(1), absl::Hours(24 * 365)));
  }
  config.port_file = port_file.value;
  if (!peers.value.empty()) {
    absl::StatusOr<discovery::DiscoverySpec> spec = discovery::ParseDiscoverySpec(peers.value);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(peers.Name(), ": ", spec.status().message()));
    }
    config.peers = peers.value;
  }
  if (!freshness_lease.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(config.freshness_lease,
                             ParseDurationFlag(freshness_lease, absl::Seconds(1), absl::Hours(1)));
  }
  if (!peer_retry.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(
        config.peer_retry, ParseDurationFlag(peer_retry, absl::Milliseconds(10), absl::Seconds(1)));
  }
  if (!tsm_root.value.empty()) {
    if (tsm_root.value.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat(tsm_root.Name(), ": want an absolute path, got ", Quote(tsm_root.value)));
    }
    config.tsm_root = tsm_root.value;
  }
  for (auto [spec, target] :
       {std::pair{&kds_url, &config.kds_url}, std::pair{&pcs_url, &config.pcs_url}}) {
    if (spec->value.empty()) {
      continue;
    }
    if (!absl::StartsWith(spec->value, "https://") && !absl::StartsWith(spec->value, "http://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          spec->Name(), ": want an http:// or https:// base URL, got ", Quote(spec->value)));
    }
    *target = spec->value;
  }
  config.vendor_ca_file = vendor_ca_file.value;
  if (!collateral_refresh.value.empty()) {
    CONCORD_ASSIGN_OR_RETURN(
        config.collateral_refresh,
        ParseDurationFlag(collateral_refresh, absl::Seconds(10), absl::Hours(24)));
  }
  for (auto [spec, target, min] :
       {std::tuple{&max_connections, &config.max_connections, size_t{3}},
        std::tuple{&user_max_connections, &config.user_max_connections, size_t{1}},
        std::tuple{&mesh_max_connections, &config.mesh_max_connections, size_t{1}},
        std::tuple{&http_max_connections, &config.http_max_connections, size_t{1}},
        std::tuple{&max_connections_per_source, &config.max_connections_per_source, size_t{1}}}) {
    if (!spec->value.empty()) {
      CONCORD_ASSIGN_OR_RETURN(*target, ParseCountFlag(*spec, min, 1000000));
    }
  }
  const size_t listener_total =
      config.user_max_connections + config.mesh_max_connections + config.http_max_connections;
  if (listener_total > config.max_connections) {
    return absl::InvalidArgumentError(
        absl::StrCat("--user-max-connections + --mesh-max-connections + --http-max-connections: ",
                     listener_total, " over --max-connections ", config.max_connections,
                     " (one listener must not take the others' capacity)"));
  }
  if (!max_buffered_body.value.empty()) {
    // At least one request at the body limit (net::ServerOptions).
    CONCORD_ASSIGN_OR_RETURN(config.max_buffered_body_bytes,
                             ParseCountFlag(max_buffered_body, 2 * 1024 * 1024, uint64_t{1} << 40));
  }
  for (auto [spec, target, min] :
       {std::tuple{&fresh_evidence_rate, &config.fresh_evidence_rate.rate_per_second, 0.0},
        std::tuple{&fresh_evidence_burst, &config.fresh_evidence_rate.burst, 1.0},
        std::tuple{&fresh_evidence_source_rate,
                   &config.fresh_evidence_rate_per_source.rate_per_second, 0.0},
        std::tuple{&fresh_evidence_source_burst, &config.fresh_evidence_rate_per_source.burst,
                   1.0}}) {
    if (!spec->value.empty()) {
      CONCORD_ASSIGN_OR_RETURN(*target, ParseRateFlag(*spec, min, 1e6));
    }
  }
  CONCORD_RETURN_IF_ERROR(ResolveBoolFlag(allow_volatile_store, env));
  CONCORD_RETURN_IF_ERROR(ResolveBoolFlag(proxy_protocol, env));
  CONCORD_RETURN_IF_ERROR(ResolveBoolFlag(offline_collateral, env));
  config.allow_volatile_store = allow_volatile_store.value;
  config.proxy_protocol = proxy_protocol.value;
  config.offline_collateral = offline_collateral.value;
  return parsed;
}

absl::Status CheckPlatform(attest::Platform platform, const coordinator::LaunchConfig& launch) {
  const bool allowed = (platform == attest::Platform::kSnp && launch.platforms.snp) ||
                       (platform == attest::Platform::kTdx && launch.platforms.tdx) ||
                       (platform == attest::Platform::kSimulated && launch.platforms.simulated);
  if (!allowed) {
    return absl::FailedPreconditionError(
        absl::StrCat("--platform: ", attest::PlatformName(platform),
                     " is not among the policy document's Platforms"));
  }
  return absl::OkStatus();
}

std::optional<uint64_t> ReadResidentMemoryBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) {
    return std::nullopt;
  }
  long page_size = sysconf(_SC_PAGESIZE);
  if (page_size <= 0) {
    return std::nullopt;
  }
  return resident_pages * static_cast<uint64_t>(page_size);
}

}  // namespace concord::concordd
