// `concord verify`: checks the coordinator, its attested statement and its
// whole manifest history against the local manifest, and writes what it
// verified to the workspace (coordinator_session.h for what every
// coordinator command shares).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/cli/coordinator_session.h"
#include "concord/client/verify_coordinator.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/random.h"
#include "concord/history/format.h"

namespace concord::cli {
namespace {

void RunVerify(CommandContext& ctx, const ConnectArgs& args) {
  Result<Prepared> prepared = Prepare(args, /*manifest_required=*/true);
  if (Failed(ctx, prepared)) {
    return;
  }
  Prepared& p = std::get<Prepared>(prepared);
  const std::string verify_dir = JoinPath(args.workspace, "verify");
  const std::string manifests_dir = JoinPath(verify_dir, "manifests");
  Result<Session> opened = OpenWritingTo(ctx, p, manifests_dir);
  if (Failed(ctx, opened)) {
    return;
  }
  Session& session = std::get<Session>(opened);
  // Every failure of the session is a refusal (exit 1), as is every error
  // of the verification.
  client::VerifyCoordinatorRequest request{
      .call = [&session](absl::string_view method, absl::string_view target,
                         absl::string_view body) -> absl::StatusOr<net::HttpResponse> {
        Result<net::HttpResponse> r = session.Call(method, target, body);
        if (Failure* f = std::get_if<Failure>(&r)) {
          return f->status;
        }
        return std::get<net::HttpResponse>(std::move(r));
      },
      .check = p.check,
      .local_manifest = &*p.manifest,
      .random = &crypto::SystemRandom::Get(),
  };
  absl::StatusOr<client::CoordinatorVerification> verified = client::VerifyCoordinator(request);
  if (!verified.ok()) {
    Fail(ctx, kExitInvalid, verified.status());
    return;
  }
  const history::VerifiedHistory& history = verified->history;
  const history::VerifiedTransition& head = history.head();

  // Everything checked: write the verified material.
  std::vector<std::pair<std::string, std::string>> files = {
      {JoinPath(verify_dir, "root-ca.pem"), verified->ca_bundle.RootCaPem()},
      {JoinPath(verify_dir, "mesh-ca.pem"), verified->ca_bundle.MeshCaPem()},
      {JoinPath(verify_dir, "head.json"), EncodeHeadJson({head.hash, history.generation()})}};
  for (const auto& t : history.transitions) {
    if (t->transition.kind != history::TransitionKind::kManifest) {
      continue;
    }
    files.emplace_back(
        JoinPath(manifests_dir, absl::StrCat(t->transition.generation, "-",
                                             HexEncode(t->transition.manifest_hash), ".json")),
        ToString(t->manifest->bytes()));
  }
  for (const auto& [path, content] : files) {
    if (absl::Status s = posix::WriteFileAtomic(path, AsBytes(content), 0644); !s.ok()) {
      Fail(ctx, kExitUsage, s);
      return;
    }
  }
  if (RecordHead(ctx, args.workspace, {head.hash, history.generation()}) != kExitOk) {
    return;
  }
  std::string summary =
      absl::StrCat("coordinator verified (", attest::PlatformName(verified->platform), ", state ",
                   verified->state, "); history verified: ", history.transitions.size(),
                   " transition(s), head generation ", history.generation(), " ",
                   HexEncode(head.hash), "; newest manifest: generation ",
                   verified->manifest_generation, " ", HexEncode(head.transition.manifest_hash));
  ctx.out << summary << "\n";
  ctx.err << "concord: wrote " << verify_dir << "/{root-ca.pem,mesh-ca.pem,head.json,manifests/}\n";
  if (!verified->newest_manifest_is_local) {
    Fail(ctx, kExitInvalid,
         absl::FailedPreconditionError(
             absl::StrCat("the newest manifest (generation ", verified->manifest_generation, ", ",
                          HexEncode(head.transition.manifest_hash), ") is not the local manifest (",
                          HexEncode(p.manifest->hash()), ")")));
    return;
  }
  ctx.out << "the newest manifest is the local manifest\n";
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CommandContext& ctx) {
  auto verify_args = std::make_shared<ConnectArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "Verify the coordinator and its manifest history against the local manifest");
  AddConnectOptions(verify, *verify_args, true, true, true);
  verify->get_option("--manifest")->required();
  verify->callback([&ctx, verify_args] { RunVerify(ctx, *verify_args); });
}

}  // namespace concord::cli
