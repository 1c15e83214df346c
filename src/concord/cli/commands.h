// Registration of the `concord` subcommands on a CLI11 app. Each Add* function
// adds one command group; its callback stores the exit code in `*exit_code`.
// Internal to the CLI; single-threaded.
#pragma once

#include <ostream>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "concord/cli/cli.h"

namespace concord::cli {

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  int exit_code = 0;
};

void AddKeygenCommands(CLI::App& app, CommandContext& ctx);
void AddPolicyCommands(CLI::App& app, CommandContext& ctx);
void AddManifestCommands(CLI::App& app, CommandContext& ctx);
void AddSimCommands(CLI::App& app, CommandContext& ctx);
void AddEvidenceCommands(CLI::App& app, CommandContext& ctx);
// set, verify, recover, status: the user API of a running coordinator
// (coordinator_session.h). AddCoordinatorCommands adds all four, in that
// order; each has its own file (set_cmd.cc, ...).
void AddCoordinatorCommands(CLI::App& app, CommandContext& ctx);
void AddSetCommand(CLI::App& app, CommandContext& ctx);
void AddVerifyCommand(CLI::App& app, CommandContext& ctx);
void AddRecoverCommand(CLI::App& app, CommandContext& ctx);
void AddStatusCommand(CLI::App& app, CommandContext& ctx);
// collateral export, import, list (and fetch where the web client is built).
void AddCollateralCommands(CLI::App& app, CommandContext& ctx);

// Prints "concord: <message>" to err and returns `code`.
int Fail(CommandContext& ctx, int code, const absl::Status& status);

}  // namespace concord::cli
