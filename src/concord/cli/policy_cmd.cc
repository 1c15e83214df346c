// `concord policy hash FILE`: prints the policy hash (hex SHA-256 of the exact
// bytes of a policy document), the key of the manifest's Policies map and the
// value a TEE reports as HOST_DATA / MRCONFIGID.
#include <string>

#include "concord/cli/commands.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/hash.h"

namespace concord::cli {
namespace {

// Policy documents are small; the manifest caps manifest + policies at 512 KiB.
constexpr size_t kMaxPolicySize = 512 * 1024;

}  // namespace

void AddPolicyCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* policy = app.add_subcommand("policy", "Work with policy documents");
  policy->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* hash = policy->add_subcommand("hash", "Print the policy hash of a policy document");
  hash->add_option("FILE", *file, "Policy document")->required();
  hash->callback([&ctx, file] {
    absl::StatusOr<Bytes> data = posix::ReadFileBounded(*file, kMaxPolicySize);
    if (!data.ok()) {
      Fail(ctx, kExitUsage, data.status());
      return;
    }
    ctx.out << HexEncode(crypto::Sha256(*data)) << "\n";
    ctx.exit_code = kExitOk;
  });
}

}  // namespace concord::cli
