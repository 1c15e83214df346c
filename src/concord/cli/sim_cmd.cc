// `concord sim init --dir D` creates a simulated SEV-SNP host (DESIGN §9) and
// prints the manifest reference values that accept it.
// `concord sim report --dir D ...` produces a simulated report for a process
// on that host, e.g. to try `concord evidence verify`. Development only.
#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/cli/commands.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/random.h"
#include "concord/crypto/x509.h"
#include "nlohmann/json.hpp"

namespace concord::cli {
namespace {

constexpr size_t kMaxPolicySize = 512 * 1024;

struct SimInitArgs {
  std::string dir;
};

struct SimReportArgs {
  std::string dir;
  std::string report_data_hex;
  std::string host_data_hex;
  std::string policy_file;
  std::string out;
  std::string certs_out;
  bool force = false;
};

void RunSimInit(CommandContext& ctx, const SimInitArgs& args) {
  attest::SimulatedHost::Deps deps{SystemClock::Get(), crypto::SystemRandom::Get()};
  absl::StatusOr<attest::SimulatedHostInfo> info = attest::SimulatedHost::Init(args.dir, deps);
  if (!info.ok()) {
    Fail(ctx, kExitUsage, info.status());
    return;
  }
  nlohmann::json out = {
      {"dir", args.dir},
      {"reference_values",
       {{"simulated", nlohmann::json::array({{{"ARKHash", HexEncode(info->ark_spki_sha256)},
                                              {"Measurement", HexEncode(info->measurement)}}})}}},
  };
  ctx.out << out.dump(2) << "\n";
  ctx.err << "WARNING: a simulated host offers no hardware protection; anyone who can read "
          << args.dir << " can forge its evidence. Use it for development and tests only.\n";
  ctx.exit_code = kExitOk;
}

template <size_t N>
absl::Status DecodeInto(const std::string& hex, absl::string_view field, bool allow_shorter,
                        std::array<uint8_t, N>& out) {
  out.fill(0);
  if (hex.empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<Bytes> bytes =
      allow_shorter ? HexDecode(hex, field) : HexDecodeExact(hex, N, field);
  if (!bytes.ok()) {
    return bytes.status();
  }
  if (bytes->size() > N) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want at most ", 2 * N, " hex characters, got ", hex.size()));
  }
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return absl::OkStatus();
}

void RunSimReport(CommandContext& ctx, const SimReportArgs& args) {
  std::array<uint8_t, 64> report_data;
  std::array<uint8_t, 32> host_data;
  if (absl::Status s = DecodeInto(args.report_data_hex, "--report-data", true, report_data);
      !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  if (!args.policy_file.empty() && !args.host_data_hex.empty()) {
    Fail(ctx, kExitUsage, absl::InvalidArgumentError("give --host-data or --policy, not both"));
    return;
  }
  if (!args.policy_file.empty()) {
    absl::StatusOr<Bytes> policy = posix::ReadFileBounded(args.policy_file, kMaxPolicySize);
    if (!policy.ok()) {
      Fail(ctx, kExitUsage, policy.status());
      return;
    }
    host_data = crypto::Sha256(*policy);
  } else if (absl::Status s = DecodeInto(args.host_data_hex, "--host-data", false, host_data);
             !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  absl::StatusOr<std::unique_ptr<attest::SimulatedHost>> host =
      attest::SimulatedHost::Load(args.dir);
  if (!host.ok()) {
    Fail(ctx, kExitUsage, host.status());
    return;
  }
  absl::StatusOr<attest::Evidence> evidence = (*host)->MakeReport(report_data, host_data);
  if (!evidence.ok()) {
    Fail(ctx, kExitInvalid, evidence.status());
    return;
  }
  std::string pem;
  for (const Bytes& der : evidence->certs) {
    absl::StatusOr<crypto::SslPtr<X509>> cert = crypto::ParseCertDer(der);
    absl::StatusOr<std::string> one =
        cert.ok() ? crypto::CertToPem(cert->get()) : absl::StatusOr<std::string>(cert.status());
    if (!one.ok()) {
      Fail(ctx, kExitInvalid, one.status());
      return;
    }
    pem += *one;
  }
  if (absl::Status s =
          posix::WriteFileAtomic(args.out, evidence->report, 0644,
                                 args.force ? posix::IfExists::kReplace : posix::IfExists::kRefuse);
      !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  if (absl::Status s =
          posix::WriteFileAtomic(args.certs_out, AsBytes(pem), 0644,
                                 args.force ? posix::IfExists::kReplace : posix::IfExists::kRefuse);
      !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  ctx.err << "wrote simulated report to " << args.out << " and VCEK, ASK, ARK to " << args.certs_out
          << "\n";
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddSimCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* sim = app.add_subcommand("sim", "Simulated SEV-SNP host for development (insecure)");
  sim->require_subcommand(1);

  auto init_args = std::make_shared<SimInitArgs>();
  CLI::App* init = sim->add_subcommand("init", "Create a simulated host directory");
  init->add_option("--dir,-d", init_args->dir, "Directory to create (must be absent or empty)")
      ->required();
  init->callback([&ctx, init_args] { RunSimInit(ctx, *init_args); });

  auto report_args = std::make_shared<SimReportArgs>();
  CLI::App* report = sim->add_subcommand("report", "Produce a simulated report");
  report->add_option("--dir,-d", report_args->dir, "Simulated host directory")->required();
  report->add_option("--report-data", report_args->report_data_hex,
                     "Up to 64 bytes of report data, hex (zero-padded)");
  report->add_option("--host-data", report_args->host_data_hex, "32 bytes of HOST_DATA, hex");
  report->add_option("--policy", report_args->policy_file,
                     "Policy document: HOST_DATA becomes its SHA-256");
  report->add_option("--out,-o", report_args->out, "Report file to write")->required();
  report
      ->add_option("--certs-out", report_args->certs_out,
                   "PEM file to write the VCEK, ASK and ARK to")
      ->required();
  report->add_flag("--force", report_args->force, "Overwrite existing files");
  report->callback([&ctx, report_args] { RunSimReport(ctx, *report_args); });
}

}  // namespace concord::cli
