// `concord set`: sets the first manifest or updates it, signed with the
// workload owner key, and records the result in the workspace
// (coordinator_session.h for what every coordinator command shares).
#include <dirent.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/cli/coordinator_session.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/history/format.h"
#include "concord/seed/seed_shares.h"

namespace concord::cli {
namespace {

constexpr size_t kMaxPolicyFile = manifest::kMaxManifestSize;
constexpr size_t kMaxPolicyFiles = 1000;

absl::StatusOr<std::vector<Bytes>> ReadPolicies(const std::string& dir) {
  std::vector<Bytes> out;
  if (dir.empty()) {
    return out;
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return absl::NotFoundError(absl::StrCat("--policies ", dir, ": cannot open the directory"));
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    names.push_back(std::move(name));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  if (names.size() > kMaxPolicyFiles) {
    return absl::InvalidArgumentError(
        absl::StrCat("--policies ", dir, ": more than ", kMaxPolicyFiles, " files"));
  }
  size_t total = 0;
  for (const std::string& name : names) {
    CONCORD_ASSIGN_OR_RETURN(Bytes data,
                             posix::ReadFileBounded(JoinPath(dir, name), kMaxPolicyFile));
    total += data.size();
    if (total > manifest::kMaxManifestSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--policies ", dir, ": policies over ", manifest::kMaxManifestSize, " bytes in total"));
    }
    out.push_back(std::move(data));
  }
  return out;
}

struct SetArgs : ConnectArgs {
  std::string policies;
  std::string owner_key;
};

void RunSet(CommandContext& ctx, const SetArgs& args) {
  Result<Prepared> prepared = Prepare(args, /*manifest_required=*/true);
  if (Failed(ctx, prepared)) {
    return;
  }
  Prepared& p = std::get<Prepared>(prepared);
  const manifest::Manifest& m = *p.manifest;
  absl::StatusOr<std::vector<Bytes>> policies = ReadPolicies(args.policies);
  if (!policies.ok()) {
    Fail(ctx, kExitUsage, policies.status());
    return;
  }
  std::optional<crypto::PrivateKey> owner;
  if (!args.owner_key.empty()) {
    absl::StatusOr<crypto::PrivateKey> key = LoadPrivateKey(args.owner_key);
    if (!key.ok()) {
      Fail(ctx, kExitUsage, key.status());
      return;
    }
    owner = *std::move(key);
  }
  if (!owner.has_value() && !m.workload_owner_keys().empty()) {
    // Only an immutable manifest can be set without an owner's signature.
    Fail(ctx, kExitUsage,
         absl::InvalidArgumentError(
             "--owner-key is required: the manifest names WorkloadOwnerKeys"));
    return;
  }
  Result<Session> opened = OpenWritingTo(ctx, p, args.workspace);
  if (Failed(ctx, opened)) {
    return;
  }
  Session& session = std::get<Session>(opened);
  Result<client::StatusInfo> status = GetStatus(session);
  if (Failed(ctx, status)) {
    return;
  }
  const client::StatusInfo& st = std::get<client::StatusInfo>(status);
  const bool first_set = st.state == "uninitialized";
  if (!first_set && st.state != "ready") {
    Fail(ctx, kExitInvalid,
         absl::FailedPreconditionError(absl::StrCat(
             "the coordinator is in state ", st.state,
             " and cannot take a manifest; run `concord recover` or retry on a ready replica")));
    return;
  }
  if (!first_set && !st.transition.has_value()) {
    Fail(ctx, kExitInvalid,
         absl::DataLossError("the coordinator is ready but reports no head transition"));
    return;
  }
  if (!first_set && !owner.has_value()) {
    Fail(ctx, kExitUsage,
         absl::InvalidArgumentError("--owner-key is required to update a manifest"));
    return;
  }

  client::SetManifestRequest request;
  request.manifest = m.bytes();
  request.policies = *std::move(policies);
  crypto::Sha256Digest previous{};
  if (!first_set) {
    previous = *st.transition;
    request.expected_previous = previous;
  } else if (st.challenge.has_value()) {
    // The first set signs over the replica's one-time challenge, so a
    // recorded first set cannot be replayed (docs/protocol.md).
    previous = *st.challenge;
    request.challenge = st.challenge;
  }
  if (owner.has_value()) {
    absl::StatusOr<history::Authorization> auth =
        history::SignAuthorization(*owner, history::TransitionKind::kManifest, m.hash(), previous);
    if (!auth.ok()) {
      Fail(ctx, kExitUsage, auth.status());
      return;
    }
    request.authorization = *std::move(auth);
  }
  ctx.err << "concord: " << (first_set ? "setting the first manifest" : "updating the manifest")
          << " " << HexEncode(m.hash())
          << (first_set ? "" : absl::StrCat(" over generation ", st.generation)) << "\n";
  Result<client::TransitionResponse> posted =
      PostTransition(session, "/v1/manifest", client::EncodeSetManifestRequest(request),
                     [&st](absl::string_view message) {
                       return absl::StrCat(
                           "the manifest changed since generation ", st.generation, " (transition ",
                           st.transition.has_value() ? HexEncode(*st.transition) : "none",
                           "); run `concord verify` and retry (", message, ")");
                     });
  if (Failed(ctx, posted)) {
    return;
  }
  const client::TransitionResponse& result = std::get<client::TransitionResponse>(posted);
  for (const auto& [name, content] :
       {std::pair<absl::string_view, const std::string&>{"coordinator-root-ca.pem",
                                                         result.root_ca_pem},
        std::pair<absl::string_view, const std::string&>{"mesh-ca.pem", result.mesh_ca_pem}}) {
    if (absl::Status s = WriteWorkspaceFile(args.workspace, name, content); !s.ok()) {
      Fail(ctx, kExitUsage, s);
      return;
    }
  }
  if (result.seed_shares.has_value()) {
    // Never replace shares already in the workspace: they may belong to
    // another deployment that still needs them.
    std::string name = "seed-shares.json";
    std::string path = JoinPath(args.workspace, name);
    std::string content = seed::EncodeSeedSharesJson(*result.seed_shares);
    absl::Status s = posix::WriteFileAtomic(path, AsBytes(content), 0600, posix::IfExists::kRefuse);
    if (absl::IsAlreadyExists(s)) {
      name = absl::StrCat("seed-shares-", HexEncode(result.transition).substr(0, 16), ".json");
      path = JoinPath(args.workspace, name);
      s = posix::WriteFileAtomic(path, AsBytes(content), 0600);
    }
    if (!s.ok()) {
      Fail(ctx, kExitUsage, s);
      return;
    }
    ctx.err << "concord: wrote the seed shares to " << path
            << "; keep it: it is the only way to recover the deployment\n";
  } else if (first_set && !m.seedshare_owner_keys().empty()) {
    ctx.err << "concord: warning: the coordinator returned no seed shares for a first set\n";
  }
  FinishTransition(ctx, args.workspace, "manifest set", result);
}

}  // namespace

void AddSetCommand(CLI::App& app, CommandContext& ctx) {
  auto set_args = std::make_shared<SetArgs>();
  CLI::App* set = app.add_subcommand(
      "set", "Set or update the coordinator's manifest (checks the coordinator first)");
  AddConnectOptions(set, *set_args, true, true, true);
  set->get_option("--manifest")->required();
  set->add_option("--policies", set_args->policies,
                  "Directory whose files are sent as policy documents");
  set->add_option("--owner-key", set_args->owner_key,
                  "Workload owner private key (PEM) that authorizes the manifest");
  set->callback([&ctx, set_args] { RunSet(ctx, *set_args); });
}

}  // namespace concord::cli
