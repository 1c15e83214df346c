// `concord manifest check FILE [--json]`: parses and validates a manifest
// offline and prints its hash and a summary. Exit 0 valid, 1 invalid, 2
// unreadable.
#include <string>

#include "concord/cli/commands.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/manifest/manifest.h"
#include "nlohmann/json.hpp"

namespace concord::cli {
namespace {

// Read more than the manifest limit so that the parser, not the reader,
// reports an oversized manifest with its own message.
constexpr size_t kMaxReadSize = 4 * manifest::kMaxManifestSize;

struct ManifestCheckArgs {
  std::string file;
  bool json = false;
};

void RunManifestCheck(CommandContext& ctx, const ManifestCheckArgs& args) {
  absl::StatusOr<Bytes> data = posix::ReadFileBounded(args.file, kMaxReadSize);
  if (!data.ok()) {
    Fail(ctx, kExitUsage, data.status());
    return;
  }
  absl::StatusOr<manifest::Manifest> m = manifest::Manifest::Parse(*data);
  if (!m.ok()) {
    if (args.json) {
      ctx.out
          << nlohmann::json{{"valid", false}, {"error", std::string(m.status().message())}}.dump(2)
          << "\n";
    }
    Fail(ctx, kExitInvalid, m.status());
    return;
  }
  const attest::ReferenceValues& rv = m->reference_values();
  size_t coordinators = m->CoordinatorPolicies().size();
  if (args.json) {
    nlohmann::json j = {
        {"valid", true},
        {"hash", HexEncode(m->hash())},
        {"version", m->version()},
        {"policies", m->policies().size()},
        {"coordinator_policies", coordinators},
        {"reference_values",
         {{"snp", rv.snp.size()}, {"tdx", rv.tdx.size()}, {"simulated", rv.simulated.size()}}},
        {"workload_owner_keys", m->workload_owner_keys().size()},
        {"seedshare_owner_keys", m->seedshare_owner_keys().size()},
        {"immutable", m->workload_owner_keys().empty()},
    };
    ctx.out << j.dump(2) << "\n";
  } else {
    ctx.out << "manifest valid\n"
            << "  hash:                 " << HexEncode(m->hash()) << "\n"
            << "  version:              " << m->version() << "\n"
            << "  policies:             " << m->policies().size() << " (" << coordinators
            << " coordinator)\n"
            << "  reference values:     snp " << rv.snp.size() << ", tdx " << rv.tdx.size()
            << ", simulated " << rv.simulated.size() << "\n"
            << "  workload owner keys:  " << m->workload_owner_keys().size()
            << (m->workload_owner_keys().empty() ? " (immutable)" : "") << "\n"
            << "  seed-share owner keys: " << m->seedshare_owner_keys().size() << "\n";
    if (m->UsesSimulated()) {
      ctx.out << "  WARNING: names the simulated platform (no hardware protection)\n";
    }
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddManifestCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("manifest", "Work with manifests offline");
  group->require_subcommand(1);
  auto args = std::make_shared<ManifestCheckArgs>();
  CLI::App* check = group->add_subcommand("check", "Parse and validate a manifest");
  check->add_option("FILE", args->file, "Manifest JSON")->required();
  check->add_flag("--json", args->json, "Print the result as JSON");
  check->callback([&ctx, args] { RunManifestCheck(ctx, *args); });
}

}  // namespace concord::cli
