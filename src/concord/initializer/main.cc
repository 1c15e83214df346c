// concord-init: the workload initializer (DESIGN.md §4). Attests this
// process to the coordinator's mesh API, obtains its certificate (and
// workload secret) and writes them into --out; in renew mode it stays up as
// a sidecar and renews before expiry. Every flag can also come from the
// environment (CONCORD_COORDINATOR, CONCORD_POLICY, ...). Exit codes: 0 done
// (or renew mode stopped by SIGTERM/SIGINT), 1 refused or timed out, 2 usage
// or configuration error.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attester/hardware_attester.h"
#include "concord/client/api_client.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/random.h"
#include "concord/initializer/initializer.h"
#include "concord/initializer/mesh_source.h"
#include "concord/initializer/output_dir.h"
#include "concord/initializer/workload_policy.h"

namespace concord::initializer {
namespace {

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr uint16_t kDefaultMeshPort = 7777;

struct Flags {
  std::string coordinator;
  std::string policy;
  std::string platform = "simulated";
  std::string tsm_root;
  std::string collateral;
  std::string sim_host;
  std::string out;
  std::string mode = "oneshot";
  double renew_at = 0.67;
  std::string timeout = "5m";
  std::string lifetime;
  std::string log_format = "human";
};

int Fail(Logger& log, int code, absl::string_view message, const absl::Status& status) {
  log.Error(message, {{"error", status.ToString()}});
  return code;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& text, absl::string_view flag) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": want a positive duration such as 30s or 5m, got \"", text, "\""));
  }
  return d;
}

int Main(int argc, char** argv) {
  // Signals are taken by one thread with sigwait, so block them before any
  // other thread exists.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);  // only from this process: ends the signal thread
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Flags f;
  CLI::App app{"concord-init: obtain this workload's certificate from the Concord coordinator"};
  app.add_option("--coordinator", f.coordinator, "mesh API HOST:PORT (default port 7777)")
      ->envname("CONCORD_COORDINATOR")
      ->required();
  app.add_option("--policy", f.policy, "this workload's policy document (its HOST_DATA)")
      ->envname("CONCORD_POLICY")
      ->required();
  app.add_option("--platform", f.platform,
                 "evidence platform: snp or tdx (kernel configfs-tsm, /dev/sev-guest), simulated")
      ->envname("CONCORD_PLATFORM")
      ->check(CLI::IsMember({"simulated", "snp", "tdx"}));
  app.add_option("--sim-host", f.sim_host, "simulated host directory (concord sim init)")
      ->envname("CONCORD_SIM_HOST");
  app.add_option("--tsm-root", f.tsm_root, "configfs-tsm report directory (snp, tdx)")
      ->envname("CONCORD_TSM_ROOT");
  app.add_option("--collateral", f.collateral,
                 "collateral bundle directory (`concord collateral export`): needed to verify a "
                 "TDX coordinator")
      ->envname("CONCORD_COLLATERAL");
  app.add_option("--out", f.out, "output directory")->envname("CONCORD_OUT")->required();
  app.add_option("--mode", f.mode, "oneshot (exit after writing) or renew (sidecar)")
      ->envname("CONCORD_MODE")
      ->check(CLI::IsMember({"oneshot", "renew"}));
  app.add_option("--renew-at", f.renew_at, "renew after this fraction of the lifetime")
      ->envname("CONCORD_RENEW_AT")
      ->check(CLI::Range(0.05, 0.95));
  app.add_option("--timeout", f.timeout, "oneshot: give up after this long (e.g. 5m)")
      ->envname("CONCORD_TIMEOUT");
  app.add_option("--lifetime", f.lifetime, "requested certificate lifetime (e.g. 24h)")
      ->envname("CONCORD_LIFETIME");
  app.add_option("--log-format", f.log_format, "human or json")
      ->envname("CONCORD_LOG_FORMAT")
      ->check(CLI::IsMember({"human", "json"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  Logger& log = Logger::Default();
  log.Configure(f.log_format == "json" ? LogFormat::kJson : LogFormat::kHuman, LogLevel::kInfo);

  if (f.platform == "simulated" && f.sim_host.empty()) {
    return Fail(log, kExitUsage, "bad flags",
                absl::InvalidArgumentError("--sim-host: required with --platform simulated"));
  }
  absl::StatusOr<client::Endpoint> endpoint =
      client::ParseEndpoint(f.coordinator, kDefaultMeshPort, "--coordinator");
  if (!endpoint.ok()) {
    return Fail(log, kExitUsage, "bad flags", endpoint.status());
  }
  absl::StatusOr<absl::Duration> timeout = ParseDurationFlag(f.timeout, "--timeout");
  if (!timeout.ok()) {
    return Fail(log, kExitUsage, "bad flags", timeout.status());
  }
  std::optional<absl::Duration> lifetime;
  if (!f.lifetime.empty()) {
    absl::StatusOr<absl::Duration> d = ParseDurationFlag(f.lifetime, "--lifetime");
    if (!d.ok()) {
      return Fail(log, kExitUsage, "bad flags", d.status());
    }
    lifetime = *d;
  }

  absl::StatusOr<Bytes> document = posix::ReadFileBounded(f.policy, kMaxWorkloadPolicySize);
  if (!document.ok()) {
    return Fail(log, kExitUsage, "cannot read the policy document", document.status());
  }
  absl::StatusOr<WorkloadPolicy> policy = ParseWorkloadPolicy(*document);
  if (!policy.ok()) {
    return Fail(
        log, kExitUsage, "invalid policy document",
        absl::InvalidArgumentError(absl::StrCat(f.policy, ": ", policy.status().message())));
  }
  std::unique_ptr<attest::Attester> attester;
  if (f.platform == "simulated") {
    absl::StatusOr<std::unique_ptr<attest::SimulatedHost>> host =
        attest::SimulatedHost::Load(f.sim_host);
    if (!host.ok()) {
      return Fail(log, kExitUsage, "cannot load the simulated host", host.status());
    }
    log.Warning("simulated platform: evidence is NOT hardware-backed (development only)");
    attester = std::make_unique<attest::SimulatedAttester>(
        std::shared_ptr<const attest::SimulatedHost>(std::move(*host)), policy->policy_hash);
  } else {
    // On hardware the policy hash is what the host launched the guest with
    // (HOST_DATA / MRCONFIGID): the coordinator checks it against the
    // manifest, nothing here can choose it.
    attester::HardwareAttesterOptions issuer_options;
    if (!f.tsm_root.empty()) {
      issuer_options.tsm_root = f.tsm_root;
    }
    absl::StatusOr<std::unique_ptr<attest::Attester>> hardware = attester::CreateHardwareAttester(
        f.platform == "snp" ? attest::Platform::kSnp : attest::Platform::kTdx, issuer_options);
    if (!hardware.ok()) {
      // No hardware interface: a deployment error, like a bad flag.
      return Fail(log, kExitUsage, "no evidence issuer", hardware.status());
    }
    attester = *std::move(hardware);
  }

  Clock& clock = SystemClock::Get();
  absl::StatusOr<std::unique_ptr<MeshCertificateSource>> source = MeshCertificateSource::Create(
      *endpoint, *policy, std::move(attester), clock, lifetime, f.collateral);
  if (!source.ok()) {
    return Fail(log, kExitUsage, "invalid coordinator expectations or collateral bundle",
                source.status());
  }
  absl::StatusOr<std::unique_ptr<OutputDir>> out = OutputDir::Create(f.out);
  if (!out.ok()) {
    return Fail(log, kExitUsage, "cannot use the output directory", out.status());
  }

  ConditionWaiter waiter;
  std::thread signal_thread([&signals, &waiter]() {
    int sig = 0;
    while (sigwait(&signals, &sig) != 0) {
    }
    if (sig != SIGUSR1) {
      waiter.Stop();
    }
  });
  crypto::SystemRandom random;
  InitializerOptions options;
  options.mode = f.mode == "renew" ? Mode::kRenew : Mode::kOneshot;
  options.timeout = *timeout;
  options.renew_at = f.renew_at;
  options.root_ca_spki_sha256 = policy->root_ca_spki_sha256;
  Initializer initializer(options, Initializer::Deps{.clock = clock,
                                                     .random = random,
                                                     .waiter = waiter,
                                                     .logger = log,
                                                     .source = **source,
                                                     .out = **out});
  log.Info("concord-init starting",
           {{"workload", policy->name},
            {"coordinator", absl::StrCat(endpoint->host, ":", endpoint->port)},
            {"mode", f.mode},
            {"out", f.out}});
  absl::Status status = initializer.Run();
  // Wake the signal thread so it can be joined.
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  if (!status.ok()) {
    return Fail(log, kExitRefused, "no certificate", status);
  }
  if (options.mode == Mode::kRenew) {
    log.Info("stopped");
  }
  return 0;
}

}  // namespace
}  // namespace concord::initializer

int main(int argc, char** argv) {
  // A coordinator closing the connection must be an error, not death: TLS
  // writes go through the socket BIO's write(), which raises SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  return concord::initializer::Main(argc, argv);
}
