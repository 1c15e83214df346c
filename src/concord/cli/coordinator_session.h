// What the commands that talk to a running coordinator's user API (`concord
// set`, `verify`, `recover`, `status`; DESIGN.md §5-§8, docs/api.md) share:
// their common flags, the local manifest and the coordinator check built from
// it, and a retrying aTLS session. Each command opens aTLS with a fresh client
// nonce and checks the coordinator's evidence against the coordinator
// policies and reference values of the operator's LOCAL manifest before
// anything is sent. Exit codes: 0 done; 1 the coordinator failed
// verification, refused, or could not be reached in time; 2 usage or local
// input error. Internal to the CLI; single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/cli/cli.h"
#include "concord/cli/commands.h"
#include "concord/cli/workspace.h"
#include "concord/client/api_client.h"
#include "concord/client/user_api.h"
#include "concord/crypto/keys.h"
#include "concord/manifest/manifest.h"
#include "concord/net/client.h"
#include "concord/net/http.h"

namespace concord::cli {

// A command failure with its exit code.
struct Failure {
  int code;
  absl::Status status;
};
template <typename T>
using Result = std::variant<T, Failure>;

inline Failure Usage(absl::Status s) { return Failure{kExitUsage, std::move(s)}; }
inline Failure Refused(absl::Status s) { return Failure{kExitInvalid, std::move(s)}; }

// Prints the failure ("concord: <message>") and sets the exit code.
int Report(CommandContext& ctx, const Failure& f);

// Reports `r`'s failure, if it holds one, and says whether it did.
template <typename T>
bool Failed(CommandContext& ctx, const Result<T>& r) {
  if (const Failure* f = std::get_if<Failure>(&r)) {
    Report(ctx, *f);
    return true;
  }
  return false;
}

// The flags every coordinator command takes (AddConnectOptions).
struct ConnectArgs {
  std::string coordinator;
  std::string manifest;
  std::string timeout = "60s";
  std::string workspace = ".";
  std::string collateral;  // bundle directory (TDX coordinators)
};

// Adds --coordinator and, as asked, --manifest with --collateral,
// --workspace and --timeout to `cmd`, bound to `args` (which must outlive
// the parse).
void AddConnectOptions(CLI::App* cmd, ConnectArgs& args, bool manifest, bool workspace,
                       bool timeout);

// A PEM private key file (at most 64 KiB); InvalidArgument naming the path
// if it holds none.
absl::StatusOr<crypto::PrivateKey> LoadPrivateKey(const std::string& path);

// One user-API connection with retries until a deadline: connection errors
// and 503 replies are retried (progress on stderr), everything else is
// returned.
class Session {
 public:
  Session(CommandContext& ctx, std::unique_ptr<net::HttpsClient> client, absl::Time deadline)
      : ctx_(ctx), client_(std::move(client)), deadline_(deadline) {}

  // The response (2xx) or the failure: server evidence problems and API
  // errors are refusals (exit 1).
  Result<net::HttpResponse> Call(absl::string_view method, absl::string_view target,
                                 absl::string_view body = "", bool retry_unavailable = true);

  net::HttpsClient& client() { return *client_; }

 private:
  CommandContext& ctx_;
  std::unique_ptr<net::HttpsClient> client_;
  absl::Time deadline_;
};

// Everything the online commands share: parsed endpoint, timeout, local
// manifest (optional for status) and the coordinator check built from it.
struct Prepared {
  client::Endpoint endpoint;
  absl::Duration timeout;
  std::optional<manifest::Manifest> manifest;
  net::ServerEvidenceCheck check;
};

// Parses the connect flags and loads the local manifest (usage errors), and
// builds the coordinator check from it: without a manifest (status only) a
// check that accepts any evidence, reported as UNVERIFIED.
Result<Prepared> Prepare(const ConnectArgs& args, bool manifest_required);

// Opens the aTLS connection (fresh evidence when there is a manifest to check
// it against), presenting `client_key` if given.
Result<Session> Open(CommandContext& ctx, const Prepared& p,
                     std::optional<crypto::PrivateKey> client_key = std::nullopt);

// Creates `dir` for the command's results (a usage error if it cannot), then
// opens the session as Open() does.
Result<Session> OpenWritingTo(CommandContext& ctx, const Prepared& p, const std::string& dir);

// GET /v1/status.
Result<client::StatusInfo> GetStatus(Session& session);

// POSTs a request that makes a transition (POST /v1/manifest, /v1/recover)
// and parses the reply. A lost race with another writer (Aborted) is
// refused with the message `aborted_message(<the coordinator's message>)`.
Result<client::TransitionResponse> PostTransition(
    Session& session, absl::string_view target, absl::string_view body,
    const std::function<std::string(absl::string_view)>& aborted_message);

// Records a transition the coordinator made as the workspace's head and
// prints "<what>: generation <n>, transition <hex>" (exit 0), or reports why
// the head could not be recorded.
void FinishTransition(CommandContext& ctx, const std::string& workspace, absl::string_view what,
                      const client::TransitionResponse& result);

// Writes `content` to `dir`/`name`, replacing what is there.
absl::Status WriteWorkspaceFile(const std::string& dir, absl::string_view name,
                                absl::string_view content, bool private_file = false);

// Records the head and says what happened; a fork is a refusal.
int RecordHead(CommandContext& ctx, const std::string& dir, const WorkspaceHead& head);

}  // namespace concord::cli
