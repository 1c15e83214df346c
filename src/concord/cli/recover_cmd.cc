// `concord recover`: manual recovery of a replica in recovery (or stale) with
// a seed share, checked against the local manifest or the newest one
// `concord verify` wrote (coordinator_session.h for what every coordinator
// command shares).
#include <dirent.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "concord/cli/coordinator_session.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/history/format.h"
#include "concord/seed/seed_shares.h"

namespace concord::cli {
namespace {

struct RecoverArgs : ConnectArgs {
  std::string seedshare_key;
  std::string seed_shares;
  bool force = false;
  // Hex transition hash of a head to recover although its manifest is not
  // the local one (the operator looked at it).
  std::string accept_head;
};

// The newest manifest a previous `concord verify` wrote to the workspace.
std::string NewestVerifiedManifest(const std::string& workspace) {
  std::string dir = JoinPath(workspace, "verify/manifests");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return "";
  }
  uint64_t best = 0;
  std::string best_name;
  while (dirent* e = readdir(d)) {
    absl::string_view name = e->d_name;
    size_t dash = name.find('-');
    uint64_t generation = 0;
    if (dash == absl::string_view::npos || !absl::EndsWith(name, ".json") ||
        !absl::SimpleAtoi(name.substr(0, dash), &generation)) {
      continue;
    }
    if (generation > best) {
      best = generation;
      best_name = std::string(name);
    }
  }
  closedir(d);
  return best_name.empty() ? "" : JoinPath(dir, best_name);
}

void RunRecover(CommandContext& ctx, RecoverArgs args) {
  if (args.manifest.empty()) {
    args.manifest = NewestVerifiedManifest(args.workspace);
    if (args.manifest.empty()) {
      Fail(ctx, kExitUsage,
           absl::InvalidArgumentError(
               "--manifest is required (no manifest from `concord verify` in the workspace)"));
      return;
    }
    ctx.err << "concord: checking the coordinator against " << args.manifest << "\n";
  }
  Result<Prepared> prepared = Prepare(args, /*manifest_required=*/true);
  if (Failed(ctx, prepared)) {
    return;
  }
  Prepared& p = std::get<Prepared>(prepared);
  absl::StatusOr<crypto::PrivateKey> share_key = LoadPrivateKey(args.seedshare_key);
  if (!share_key.ok()) {
    Fail(ctx, kExitUsage, share_key.status());
    return;
  }
  absl::StatusOr<Bytes> doc_bytes =
      posix::ReadFileBounded(args.seed_shares, seed::kMaxSeedSharesDocumentSize);
  if (!doc_bytes.ok()) {
    Fail(ctx, kExitUsage, doc_bytes.status());
    return;
  }
  absl::StatusOr<seed::SeedSharesDocument> doc =
      seed::DecodeSeedSharesJson(AsStringView(*doc_bytes));
  if (!doc.ok()) {
    Fail(ctx, kExitUsage,
         absl::InvalidArgumentError(absl::StrCat(args.seed_shares, ": ", doc.status().message())));
    return;
  }
  absl::StatusOr<seed::SeedSecrets> secrets = seed::RecoverSeedSecrets(*doc, *share_key);
  if (!secrets.ok()) {
    Fail(ctx, kExitUsage,
         absl::Status(secrets.status().code(),
                      absl::StrCat(args.seed_shares, ": ", secrets.status().message())));
    return;
  }
  absl::StatusOr<std::optional<WorkspaceHead>> seen = ReadWorkspaceHead(args.workspace);
  if (!seen.ok()) {
    Fail(ctx, kExitUsage, seen.status());
    return;
  }
  // The client certificate's key must be the seed-share key (docs/api.md).
  absl::StatusOr<crypto::SecretBytes> key_pem = share_key->ToPkcs8Pem();
  absl::StatusOr<crypto::PrivateKey> tls_key =
      key_pem.ok() ? crypto::PrivateKey::FromPem(*key_pem)
                   : absl::StatusOr<crypto::PrivateKey>(key_pem.status());
  if (!tls_key.ok()) {
    Fail(ctx, kExitUsage, tls_key.status());
    return;
  }
  Result<Session> opened = Open(ctx, p, *std::move(tls_key));
  if (Failed(ctx, opened)) {
    return;
  }
  Session& session = std::get<Session>(opened);
  Result<client::StatusInfo> status = GetStatus(session);
  if (Failed(ctx, status)) {
    return;
  }
  const client::StatusInfo& st = std::get<client::StatusInfo>(status);
  if (st.state != "recovery" && st.state != "stale") {
    Fail(ctx, kExitInvalid,
         absl::FailedPreconditionError(absl::StrCat("the coordinator is in state ", st.state,
                                                    "; only a replica in recovery or stale "
                                                    "can be recovered")));
    return;
  }
  if (!st.transition.has_value() || !st.manifest.has_value()) {
    Fail(ctx, kExitInvalid,
         absl::DataLossError("the coordinator reports no head to recover (status lacks "
                             "transition or manifest)"));
    return;
  }
  if (seen->has_value() && (*seen)->generation > st.generation) {
    ctx.err << "concord: warning: the store's head (generation " << st.generation
            << ") is older than the workspace's (generation " << (*seen)->generation
            << "); the coordinator will refuse it\n";
  }
  // The operator recovers the deployment they know: a head whose manifest is
  // not the local manifest (an older, validly signed head a rolled-back
  // store or a fresh workspace could lead to) needs their explicit word.
  const manifest::Manifest& m = *p.manifest;
  if (*st.manifest != m.hash()) {
    const std::string head_hex = HexEncode(*st.transition);
    if (!absl::EqualsIgnoreCase(args.accept_head, head_hex)) {
      Fail(ctx, kExitInvalid,
           absl::FailedPreconditionError(absl::StrCat(
               "the store's head (generation ", st.generation, ", transition ", head_hex,
               ") sets manifest ", HexEncode(*st.manifest), ", not ", args.manifest, " (",
               HexEncode(m.hash()), "); check it with `concord verify` and pass --accept-head ",
               head_hex, " to recover it anyway")));
      return;
    }
    ctx.err << "concord: recovering head " << head_hex << " as --accept-head says\n";
  }
  client::RecoverRequest request;
  request.expected_previous = *st.transition;
  request.force = args.force;
  if (seen->has_value()) {
    request.minimum_head = (*seen)->transition;
  }
  absl::StatusOr<history::Authorization> auth = history::SignAuthorization(
      *share_key, history::TransitionKind::kRecovery, *st.manifest, *st.transition);
  if (!auth.ok()) {
    Fail(ctx, kExitUsage, auth.status());
    return;
  }
  ctx.err << "concord: recovering generation " << st.generation << " (" << HexEncode(*st.transition)
          << ")\n";
  crypto::SecretBytes body = client::EncodeRecoverRequest(*secrets, *auth, request);
  Result<client::TransitionResponse> posted = PostTransition(
      session, "/v1/recover", AsStringView(body.Reveal()), [&st](absl::string_view message) {
        return absl::StrCat("the coordinator's head changed since generation ", st.generation,
                            "; run recover again (", message, ")");
      });
  if (Failed(ctx, posted)) {
    return;
  }
  const client::TransitionResponse& result = std::get<client::TransitionResponse>(posted);
  if (absl::Status s = MakeDirectories(args.workspace); !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  if (absl::Status s = WriteWorkspaceFile(args.workspace, "mesh-ca.pem", result.mesh_ca_pem);
      !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  FinishTransition(ctx, args.workspace, "recovered", result);
}

}  // namespace

void AddRecoverCommand(CLI::App& app, CommandContext& ctx) {
  auto recover_args = std::make_shared<RecoverArgs>();
  CLI::App* recover = app.add_subcommand(
      "recover", "Recover a coordinator in recovery with a seed share (manual recovery)");
  AddConnectOptions(recover, *recover_args, true, true, true);
  recover
      ->add_option("--seedshare-key", recover_args->seedshare_key,
                   "Seed-share owner private key (PEM)")
      ->required();
  recover
      ->add_option("--seed-shares", recover_args->seed_shares,
                   "seed-shares.json from the first set")
      ->required();
  recover->add_flag("--force", recover_args->force, "Recover even if ready peers exist");
  recover->add_option("--accept-head", recover_args->accept_head,
                      "Transition hash (hex) of a head to recover although its manifest is not "
                      "the local manifest");
  recover->callback([&ctx, recover_args] { RunRecover(ctx, *recover_args); });
}

}  // namespace concord::cli
