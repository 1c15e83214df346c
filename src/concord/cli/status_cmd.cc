// `concord status`: the coordinator's state, verified against the local
// manifest only with --manifest (UNVERIFIED otherwise, and it says so).
#include <memory>
#include <string>

#include "concord/cli/coordinator_session.h"
#include "concord/common/hex.h"

namespace concord::cli {
namespace {

struct StatusArgs : ConnectArgs {
  bool json = false;
};

void RunStatus(CommandContext& ctx, const StatusArgs& args) {
  Result<Prepared> prepared = Prepare(args, /*manifest_required=*/false);
  if (Failed(ctx, prepared)) {
    return;
  }
  Prepared& p = std::get<Prepared>(prepared);
  const bool verified = p.manifest.has_value();
  Result<Session> opened = Open(ctx, p);
  if (Failed(ctx, opened)) {
    return;
  }
  Result<client::StatusInfo> status = GetStatus(std::get<Session>(opened));
  if (Failed(ctx, status)) {
    return;
  }
  const client::StatusInfo& st = std::get<client::StatusInfo>(status);
  if (args.json) {
    ctx.out << client::StatusToJson(st, verified) << "\n";
  } else {
    ctx.out << "coordinator: "
            << (verified ? "verified against the local manifest"
                         : "UNVERIFIED (no --manifest given)")
            << "\n";
    ctx.out << "state: " << st.state << "\n";
    if (!st.replica.empty()) {
      ctx.out << "replica: " << st.replica << "\n";
    }
    ctx.out << "generation: " << st.generation << "\n";
    ctx.out << "transition: " << (st.transition ? HexEncode(*st.transition) : "none") << "\n";
    ctx.out << "manifest: " << (st.manifest ? HexEncode(*st.manifest) : "none") << "\n";
    ctx.out << "head verified: " << (st.head_verified ? "yes" : "no") << "\n";
    for (const std::string& alarm : st.alarms) {
      ctx.out << "alarm: " << alarm << "\n";
    }
    if (!st.version.empty()) {
      ctx.out << "version: " << st.version << "\n";
    }
  }
  if (!verified) {
    ctx.err << "concord: UNVERIFIED: the coordinator's evidence was not checked; pass "
               "--manifest to check it\n";
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddStatusCommand(CLI::App& app, CommandContext& ctx) {
  auto status_args = std::make_shared<StatusArgs>();
  CLI::App* status =
      app.add_subcommand("status", "Show the coordinator's state (verified only with --manifest)");
  AddConnectOptions(status, *status_args, true, false, true);
  status->add_flag("--json", status_args->json, "Print JSON");
  status->callback([&ctx, status_args] { RunStatus(ctx, *status_args); });
}

}  // namespace concord::cli
