// `concord verify`: checks the coordinator, its attested statement and its
// whole manifest history against the local manifest, and writes what it
// verified to the workspace (coordinator_session.h for what every
// coordinator command shares).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/ca/ca_bundle.h"
#include "concord/cli/coordinator_session.h"
#include "concord/cli/files.h"
#include "concord/common/hex.h"
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
  const manifest::Manifest& local = *p.manifest;
  const std::string verify_dir = JoinPath(args.workspace, "verify");
  const std::string manifests_dir = JoinPath(verify_dir, "manifests");
  if (absl::Status s = MakeDirectories(manifests_dir); !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  Result<Session> opened = Open(ctx, p);
  if (Failed(ctx, opened)) {
    return;
  }
  Session& session = std::get<Session>(opened);

  net::Nonce nonce;
  if (absl::Status s = crypto::SystemRandom().Fill(nonce); !s.ok()) {
    Fail(ctx, kExitInvalid, s);
    return;
  }
  Result<net::HttpResponse> attest_reply =
      session.Call("POST", "/v1/attest", client::EncodeAttestRequest(nonce));
  if (Failed(ctx, attest_reply)) {
    return;
  }
  absl::StatusOr<client::AttestResponse> attest =
      client::ParseAttestResponse(std::get<net::HttpResponse>(attest_reply).body, nonce);
  if (!attest.ok()) {
    Fail(ctx, kExitInvalid, attest.status());
    return;
  }
  if (absl::StatusOr<attest::Claims> claims = client::VerifyAttestResponse(*attest, p.check);
      !claims.ok()) {
    Fail(ctx, kExitInvalid,
         absl::Status(claims.status().code(),
                      absl::StrCat("attest statement: ", claims.status().message())));
    return;
  }
  const net::AttestStatement& statement = attest->statement;
  if (statement.generation == 0 || !attest->history_key_spki.has_value()) {
    Fail(ctx, kExitInvalid,
         absl::FailedPreconditionError(absl::StrCat(
             "the coordinator has no manifest yet (state ", statement.state, ")")));
    return;
  }
  absl::StatusOr<crypto::PublicKey> history_key =
      crypto::PublicKey::FromSpkiDer(*attest->history_key_spki);
  if (!history_key.ok()) {
    Fail(ctx, kExitInvalid, absl::DataLossError("attest response: history_key is not a key"));
    return;
  }

  Result<net::HttpResponse> manifests_reply = session.Call("GET", "/v1/manifests");
  if (Failed(ctx, manifests_reply)) {
    return;
  }
  absl::StatusOr<client::ManifestsResponse> served =
      client::ParseManifestsResponse(std::get<net::HttpResponse>(manifests_reply).body);
  if (!served.ok()) {
    Fail(ctx, kExitInvalid, served.status());
    return;
  }
  absl::StatusOr<history::VerifiedHistory> verified =
      client::VerifyServedHistory(*served, *history_key);
  if (!verified.ok()) {
    Fail(ctx, kExitInvalid,
         absl::Status(verified.status().code(),
                      absl::StrCat("history: ", verified.status().message())));
    return;
  }
  const history::VerifiedTransition& head = verified->head();
  if (head.hash != statement.transition_hash || verified->generation() != statement.generation) {
    Fail(ctx, kExitInvalid,
         absl::AbortedError(absl::StrCat(
             "the served history's head (generation ", verified->generation(), ", ",
             HexEncode(head.hash), ") is not the attested head (generation ",
             statement.generation, ", ", HexEncode(statement.transition_hash),
             "); the history changed meanwhile: retry")));
    return;
  }
  auto bundle_bytes = served->ca_bundles.find(head.transition.ca_bundle_hash);
  if (bundle_bytes == served->ca_bundles.end()) {
    Fail(ctx, kExitInvalid, absl::DataLossError("manifests: the head's CA bundle is missing"));
    return;
  }
  absl::StatusOr<ca::CaBundle> bundle = ca::CaBundle::Parse(bundle_bytes->second);
  if (!bundle.ok()) {
    Fail(ctx, kExitInvalid,
         absl::DataLossError(absl::StrCat("head CA bundle: ", bundle.status().message())));
    return;
  }
  if (bundle->root_public_key().SpkiSha256() != statement.root_ca_spki_sha256 ||
      bundle->mesh_ca_public_key().SpkiSha256() != statement.mesh_ca_spki_sha256) {
    Fail(ctx, kExitInvalid,
         absl::PermissionDeniedError(
             "the head's CA certificates are not the ones the attested statement names"));
    return;
  }

  // Everything checked: write the verified material.
  std::vector<std::pair<std::string, std::string>> files = {
      {JoinPath(verify_dir, "root-ca.pem"), bundle->RootCaPem()},
      {JoinPath(verify_dir, "mesh-ca.pem"), bundle->MeshCaPem()},
      {JoinPath(verify_dir, "head.json"),
       EncodeHeadJson({head.hash, verified->generation()})}};
  for (const auto& t : verified->transitions) {
    if (t->transition.kind != history::TransitionKind::kManifest) {
      continue;
    }
    files.emplace_back(
        JoinPath(manifests_dir, absl::StrCat(t->transition.generation, "-",
                                             HexEncode(t->transition.manifest_hash), ".json")),
        ToString(t->manifest->bytes()));
  }
  for (const auto& [path, content] : files) {
    if (absl::Status s = WriteFileAtomic(path, AsBytes(content), false, true); !s.ok()) {
      Fail(ctx, kExitUsage, s);
      return;
    }
  }
  if (RecordHead(ctx, args.workspace, {head.hash, verified->generation()}) != kExitOk) {
    return;
  }
  // The generation that set the newest manifest (recoveries keep it).
  uint64_t manifest_generation = 0;
  for (const auto& t : verified->transitions) {
    if (t->transition.kind == history::TransitionKind::kManifest) {
      manifest_generation = t->transition.generation;
    }
  }
  const Bytes& newest = head.manifest->bytes();
  std::string summary = absl::StrCat(
      "coordinator verified (", attest::PlatformName(attest->evidence.platform), ", state ",
      statement.state, "); history verified: ", verified->transitions.size(),
      " transition(s), head generation ", verified->generation(), " ", HexEncode(head.hash),
      "; newest manifest: generation ", manifest_generation, " ",
      HexEncode(head.transition.manifest_hash));
  ctx.out << summary << "\n";
  ctx.err << "concord: wrote " << verify_dir << "/{root-ca.pem,mesh-ca.pem,head.json,manifests/}\n";
  if (newest != local.bytes()) {
    Fail(ctx, kExitInvalid,
         absl::FailedPreconditionError(absl::StrCat(
             "the newest manifest (generation ", manifest_generation, ", ",
             HexEncode(head.transition.manifest_hash), ") is not the local manifest (",
             HexEncode(local.hash()), ")")));
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
