// concordd: the Concord coordinator process (the composition root). Reads
// its flags and environment (concordd_config.h), its measured policy
// document, the store URL and the platform's attester; starts the
// Coordinator and the server with the user, mesh and plain HTTP listeners;
// on SIGTERM/SIGINT fails /readyz at once, keeps serving for
// --shutdown-grace, then drains and exits. Exit codes: 0 clean shutdown,
// 2 bad configuration, 1 runtime failure.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/api/api.h"
#include "concord/attest/attester.h"
#include "concord/common/clock.h"
#include "concord/common/hex.h"
#include "concord/common/log.h"
#include "concord/common/posix/files.h"
#include "concord/concordd/concordd_config.h"
#include "concord/concordd/platform_stack.h"
#include "concord/coordinator/coordinator.h"
#include "concord/coordinator/launch_config.h"
#include "concord/crypto/random.h"
#include "concord/discovery/spec.h"
#include "concord/net/server.h"
#include "concord/peer/peer_network.h"
#include "concord/store/builtin.h"

#ifndef CONCORD_VERSION
#define CONCORD_VERSION "dev"
#endif

namespace concord {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

std::optional<std::string> GetEnv(absl::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

std::string HostName() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0 || buffer[0] == '\0') {
    return "coordinator-0";
  }
  return std::string(buffer.data());
}

// Written atomically: tests and scripts poll for it and must never read half.
absl::Status WritePortFile(const std::string& path, const net::Server& server) {
  const std::string json = absl::StrCat("{\"user\":", server.port(0), ",\"mesh\":", server.port(1),
                                        ",\"http\":", server.port(2), "}\n");
  return posix::WriteFileAtomic(path, AsBytes(json), 0644);
}

int ConfigError(Logger& log, absl::string_view message) {
  log.Error("bad configuration", {{"error", std::string(message)}});
  return kExitConfig;
}

// Raises RLIMIT_NOFILE's soft limit to at least `want` (at most the hard
// limit). FailedPrecondition when the hard limit is lower.
absl::Status RaiseDescriptorLimit(uint64_t want) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(absl::StrCat("getrlimit: ", std::strerror(errno)));
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < want) {
    limit.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? want : std::min<rlim_t>(want, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return absl::InternalError(absl::StrCat("setrlimit: ", std::strerror(errno)));
    }
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < want) {
    return absl::FailedPreconditionError(
        absl::StrCat("the hard limit is ", limit.rlim_max, " descriptors, want ", want));
  }
  return absl::OkStatus();
}

int Run(int argc, char** argv, const sigset_t& signals) {
  std::vector<std::string> args(argv, argv + argc);
  absl::StatusOr<concordd::ParsedFlags> parsed = concordd::ParseConcorddFlags(args, GetEnv);
  if (!parsed.ok()) {
    std::cerr << "concordd: " << parsed.status().message() << "\n"
              << "Run `concordd --help` for the flags.\n";
    return kExitConfig;
  }
  if (parsed->help) {
    std::cout << parsed->help_text;
    return kExitOk;
  }
  concordd::ConcorddConfig config = parsed->config;
  if (config.replica.empty()) {
    config.replica = HostName();
  }
  Logger& log = Logger::Default();
  log.Configure(config.log_format, config.log_level);

  // The measured launch configuration.
  absl::StatusOr<Bytes> policy_document =
      posix::ReadFileBounded(config.policy_path, coordinator::kMaxLaunchConfigSize);
  if (!policy_document.ok()) {
    return ConfigError(log, absl::StrCat("--policy: ", policy_document.status().message()));
  }
  absl::StatusOr<coordinator::LaunchConfig> launch =
      coordinator::ParseLaunchConfig(*policy_document);
  if (!launch.ok()) {
    return ConfigError(
        log, absl::StrCat("--policy ", config.policy_path, ": ", launch.status().message()));
  }
  if (absl::Status platform_ok = concordd::CheckPlatform(config.platform, *launch);
      !platform_ok.ok()) {
    return ConfigError(log, platform_ok.message());
  }

  Clock& clock = SystemClock::Get();

  store::Deps store_deps;
  store_deps.allow_volatile_store = config.allow_volatile_store;
  store_deps.log = &log;
  absl::StatusOr<std::unique_ptr<store::Store>> store =
      store::OpenStore(config.store_url, store_deps);
  if (!store.ok()) {
    const bool bad_config = store.status().code() == absl::StatusCode::kInvalidArgument ||
                            store.status().code() == absl::StatusCode::kFailedPrecondition;
    log.Error("cannot open the store",
              {{"store", config.store_url}, {"error", std::string(store.status().message())}});
    return bad_config ? kExitConfig : kExitRuntime;
  }

  // Evidence for this process and verification of everyone else's, with
  // vendor collateral from the store (DESIGN §6, §9).
  concordd::PlatformStackOptions platform_options;
  platform_options.platform = config.platform;
  platform_options.allow_simulated = launch->platforms.simulated;
  platform_options.sim_host_dir = config.sim_host_dir;
  platform_options.policy_hash = launch->policy_hash;
  platform_options.issuer.tsm_root = config.tsm_root;
  platform_options.fetch_collateral = !config.offline_collateral;
  platform_options.kds_url = config.kds_url;
  platform_options.pcs_url = config.pcs_url;
  platform_options.vendor_ca_file = config.vendor_ca_file;
  platform_options.refresh_interval = config.collateral_refresh;
  absl::StatusOr<std::unique_ptr<concordd::PlatformStack>> platform =
      concordd::PlatformStack::Create(
          std::move(platform_options),
          concordd::PlatformStackDeps{.store = **store, .clock = clock, .log = log});
  if (!platform.ok()) {
    const bool bad_config = platform.status().code() == absl::StatusCode::kInvalidArgument ||
                            platform.status().code() == absl::StatusCode::kFailedPrecondition;
    log.Error("evidence platform",
              {{"platform", std::string(attest::PlatformName(config.platform))},
               {"error", std::string(platform.status().message())}});
    return bad_config ? kExitConfig : kExitRuntime;
  }
  if (config.platform == attest::Platform::kSimulated) {
    log.Warning(
        "INSECURE: running on the simulated platform; evidence is signed by a local "
        "key and proves nothing about the machine. Development and CI only.",
        {{"sim_host", config.sim_host_dir}});
  }
  if (absl::Status prepared = (*platform)->PrepareOwnCollateral(); !prepared.ok()) {
    log.Error("cannot verify this replica's own evidence",
              {{"error", std::string(prepared.message())}});
    return kExitRuntime;
  }
  (*platform)->StartRefresh();
  const attest::Attester& attester = (*platform)->attester();
  const attest::EvidenceVerifier& verifier = (*platform)->verifier();

  // Peers (DESIGN §8): discovery plus attested calls to their mesh API.
  std::unique_ptr<discovery::PeerDiscovery> peer_discovery;
  std::unique_ptr<peer::AtlsPeerNetwork> peer_network;
  if (!config.peers.empty()) {
    discovery::DiscoveryEnvironment environment;
    environment.env = GetEnv;
    absl::StatusOr<std::unique_ptr<discovery::PeerDiscovery>> created =
        discovery::CreateDiscovery(config.peers, environment);
    if (!created.ok()) {
      return ConfigError(log, absl::StrCat("--peers: ", created.status().message()));
    }
    peer_discovery = *std::move(created);
    peer::PeerNetworkOptions peer_options;
    peer_options.replica_name = config.replica;
    peer_options.own_mesh_port = config.mesh_addr.port;
    if (config.mesh_addr.host != "0.0.0.0" && config.mesh_addr.host != "::") {
      peer_options.own_addresses.push_back(config.mesh_addr.host);
    }
    absl::StatusOr<std::unique_ptr<peer::AtlsPeerNetwork>> network = peer::AtlsPeerNetwork::Create(
        std::move(peer_options), peer::PeerNetworkDeps{.discovery = *peer_discovery,
                                                       .verifier = verifier,
                                                       .attester = attester,
                                                       .clock = clock,
                                                       .random = crypto::SystemRandom::Get(),
                                                       .log = log});
    if (!network.ok()) {
      return ConfigError(log, absl::StrCat("--peers: ", network.status().message()));
    }
    peer_network = *std::move(network);
  }

  coordinator::Options options{.launch = *launch,
                               .replica_name = config.replica,
                               .leaf_lifetime = config.leaf_lifetime,
                               .freshness_lease = config.freshness_lease,
                               .peer_retry = config.peer_retry};
  absl::StatusOr<std::unique_ptr<coordinator::Coordinator>> coord =
      coordinator::Coordinator::Create(std::move(options),
                                       coordinator::Deps{.store = **store,
                                                         .clock = clock,
                                                         .random = crypto::SystemRandom::Get(),
                                                         .verifier = verifier,
                                                         .attester = attester,
                                                         .log = log,
                                                         .peers = peer_network.get()});
  if (!coord.ok()) {
    log.Error("coordinator", {{"error", std::string(coord.status().message())}});
    return coord.status().code() == absl::StatusCode::kInvalidArgument ? kExitConfig : kExitRuntime;
  }
  if (absl::Status started = (*coord)->Start(); !started.ok()) {
    log.Error("coordinator start", {{"error", std::string(started.message())}});
    return kExitRuntime;
  }

  absl::StatusOr<std::unique_ptr<api::Api>> api =
      api::Api::Create(api::ApiOptions{.version = CONCORD_VERSION,
                                       .max_leaf_lifetime = config.leaf_lifetime,
                                       .resident_memory_bytes = concordd::ReadResidentMemoryBytes},
                       api::ApiDeps{.coordinator = **coord, .clock = clock, .log = log});
  if (!api.ok()) {
    log.Error("api", {{"error", std::string(api.status().message())}});
    (*coord)->Stop();
    return kExitRuntime;
  }

  coordinator::Coordinator* const coordinator_ptr = coord->get();
  net::ServerOptions server_options;
  server_options.attester = &attester;
  server_options.clock = &clock;
  server_options.logger = &log;
  // The TLS evidence binds the root CA once there is one (decision 0028).
  server_options.bound_root_ca = [coordinator_ptr] { return coordinator_ptr->RootCaSpkiSha256(); };
  server_options.max_connections = config.max_connections;
  // Every connection is a descriptor: a soft limit below the connection cap
  // would fail accept() before the admission limits apply. Raise it towards
  // the hard limit, and say so when even that is too low.
  if (absl::Status fds = RaiseDescriptorLimit(config.max_connections + 256); !fds.ok()) {
    log.Warning("open-file limit below --max-connections", {{"error", std::string(fds.message())}});
  }
  server_options.max_buffered_body_bytes = config.max_buffered_body_bytes;
  server_options.fresh_evidence_rate = config.fresh_evidence_rate;
  server_options.fresh_evidence_rate_per_source = config.fresh_evidence_rate_per_source;
  server_options.listeners.push_back(
      net::ListenerOptions{.name = "user",
                           .address = config.user_addr.host,
                           .port = config.user_addr.port,
                           .tls = true,
                           .client_auth = net::ClientAuth::kOptional,
                           .check_client = nullptr,
                           .handler = (*api)->UserHandler(),
                           .proxy_protocol = config.proxy_protocol,
                           .max_connections = config.user_max_connections,
                           .max_connections_per_source = config.max_connections_per_source});
  server_options.listeners.push_back(net::ListenerOptions{
      .name = "mesh",
      .address = config.mesh_addr.host,
      .port = config.mesh_addr.port,
      .tls = true,
      .client_auth = net::ClientAuth::kAttested,
      .check_client =
          [coordinator_ptr](const attest::Evidence& evidence,
                            const std::array<uint8_t, 64>& report_data) {
            return coordinator_ptr->CheckWorkloadEvidence(evidence, report_data);
          },
      .handler = (*api)->MeshHandler(),
      .proxy_protocol = config.proxy_protocol,
      .max_connections = config.mesh_max_connections,
      .max_connections_per_source = config.max_connections_per_source});
  server_options.listeners.push_back(
      net::ListenerOptions{.name = "http",
                           .address = config.http_addr.host,
                           .port = config.http_addr.port,
                           .tls = false,
                           .client_auth = net::ClientAuth::kNone,
                           .check_client = nullptr,
                           .handler = (*api)->HttpHandler(),
                           .proxy_protocol = false,
                           .max_connections = config.http_max_connections,
                           .max_connections_per_source = config.max_connections_per_source,
                           // Health checks never wait behind the user and
                           // mesh handlers on the shared workers.
                           .handler_threads = 1});
  absl::StatusOr<std::unique_ptr<net::Server>> server = net::Server::Create(server_options);
  if (!server.ok()) {
    log.Error("server", {{"error", std::string(server.status().message())}});
    (*coord)->Stop();
    return kExitRuntime;
  }
  net::Server* const server_ptr = server->get();
  (*api)->SetServerStatsSource([server_ptr] { return server_ptr->stats(); });
  if (peer_network != nullptr) {
    peer::AtlsPeerNetwork* const network_ptr = peer_network.get();
    (*api)->SetPeerStatsSource([network_ptr] { return network_ptr->stats(); });
  }
  if (absl::Status started = (*server)->Start(); !started.ok()) {
    log.Error("server start", {{"error", std::string(started.message())}});
    (*coord)->Stop();
    return kExitRuntime;
  }
  const concordd::ListenAddress* addresses[] = {&config.user_addr, &config.mesh_addr,
                                                &config.http_addr};
  for (size_t i = 0; i < 3; ++i) {
    log.Info("listening", {{"listener", server_options.listeners[i].name},
                           {"address", absl::StrCat(addresses[i]->host, ":", (*server)->port(i))}});
  }
  if (!config.port_file.empty()) {
    if (absl::Status written = WritePortFile(config.port_file, **server); !written.ok()) {
      log.Error("port file", {{"error", std::string(written.message())}});
      (*server)->Shutdown(absl::ZeroDuration());
      (*coord)->Stop();
      return kExitRuntime;
    }
  }
  log.Info("concordd started", {{"replica", config.replica},
                                {"peers", config.peers.empty() ? "none" : config.peers},
                                {"freshness_lease", absl::FormatDuration(config.freshness_lease)},
                                {"version", CONCORD_VERSION},
                                {"policy_hash", HexEncode(launch->policy_hash)},
                                {"state", std::string(coordinator::StateName((*coord)->state()))}});

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  (*api)->SetDraining();
  log.Info("shutting down: /readyz fails now",
           {{"signal", absl::StrCat(signal_number)},
            {"grace", absl::FormatDuration(config.shutdown_grace)}});
  // Keep serving while load balancers notice; a second signal cuts it short.
  const timespec grace = absl::ToTimespec(config.shutdown_grace);
  siginfo_t info;
  if (config.shutdown_grace > absl::ZeroDuration() && sigtimedwait(&signals, &info, &grace) > 0) {
    log.Warning("second signal: skipping the rest of the grace period");
  }
  (*server)->Shutdown(config.drain_timeout);
  (*coord)->Stop();
  log.Info("concordd stopped");
  return kExitOk;
}

}  // namespace
}  // namespace concord

int main(int argc, char** argv) {
  // Block the shutdown signals before any thread starts, so every thread
  // inherits the mask and only sigwait() in main sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return concord::Run(argc, argv, signals);
}
