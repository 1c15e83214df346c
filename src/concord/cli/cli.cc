#include "concord/cli/cli.h"

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "concord/cli/commands.h"

namespace concord::cli {

int Fail(CommandContext& ctx, int code, const absl::Status& status) {
  ctx.err << "concord: " << status.message() << "\n";
  ctx.exit_code = code;
  return code;
}

int RunConcordCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"concord: operator CLI for the Concord attestation coordinator"};
  app.name("concord");
  app.require_subcommand(1);
  app.fallthrough(false);
  CommandContext ctx{out, err};
  AddKeygenCommands(app, ctx);
  AddPolicyCommands(app, ctx);
  AddManifestCommands(app, ctx);
  AddSimCommands(app, ctx);
  AddEvidenceCommands(app, ctx);
  AddCoordinatorCommands(app, ctx);
  AddCollateralCommands(app, ctx);
  // CLI11 answers --help before it complains about words it did not
  // recognize, so `concord bogus --help` would print the main help and
  // succeed: a misspelt command must be an error whatever else is given.
  auto unrecognized = [&]() -> int {
    const std::vector<std::string> extra = app.remaining(/*recurse=*/true);
    if (extra.empty()) {
      return kExitOk;
    }
    err << "concord: unknown command or argument \"" << extra.front()
        << "\" (see concord --help)\n";
    return kExitUsage;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (int rc = unrecognized(); rc != kExitOk) {
      return rc;
    }
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    if (int rc = unrecognized(); rc != kExitOk) {
      return rc;
    }
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Subcommand help goes through here too (CallForHelp is a ParseError
    // raised from within the subcommand); CLI11 prints it to the stream.
    if (e.get_exit_code() == 0) {
      if (int rc = unrecognized(); rc != kExitOk) {
        return rc;
      }
    }
    int rc = app.exit(e, out, err);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace concord::cli
