// The commands that talk to a running coordinator's user API (DESIGN.md
// §5-§8, docs/api.md): `concord set`, `verify`, `recover` and `status`.
// Each opens aTLS with a fresh client nonce and checks the coordinator's
// evidence against the coordinator policies and reference values of the
// operator's LOCAL manifest before anything is sent. Exit codes: 0 done;
// 1 the coordinator failed verification, refused, or could not be reached
// in time; 2 usage or local input error.
#include <dirent.h>

#include <algorithm>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "concord/ca/ca_bundle.h"
#include "concord/cli/commands.h"
#include "concord/cli/workspace.h"
#include "concord/client/api_client.h"
#include "concord/client/coordinator_check.h"
#include "concord/client/user_api.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/random.h"
#include "concord/history/format.h"
#include "concord/manifest/manifest.h"
#include "concord/net/client.h"
#include "concord/seed/seed_shares.h"

namespace concord::cli {
namespace {

constexpr uint16_t kUserApiPort = 1313;
constexpr size_t kMaxKeyFile = 64 * 1024;
constexpr size_t kMaxPolicyFile = manifest::kMaxManifestSize;
constexpr size_t kMaxPolicyFiles = 1000;
constexpr absl::Duration kDefaultRetryDelay = absl::Seconds(1);

// A command failure with its exit code.
struct Failure {
  int code;
  absl::Status status;
};
template <typename T>
using Result = std::variant<T, Failure>;

Failure Usage(absl::Status s) { return Failure{kExitUsage, std::move(s)}; }
Failure Refused(absl::Status s) { return Failure{kExitInvalid, std::move(s)}; }

struct ConnectArgs {
  std::string coordinator;
  std::string manifest;
  std::string timeout = "60s";
  std::string workspace = ".";
  std::string collateral;  // bundle directory (TDX coordinators)
};

absl::StatusOr<absl::Duration> ParseTimeout(const std::string& text) {
  absl::Duration d;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds) && seconds >= 0) {
    return absl::Seconds(seconds);
  }
  if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration() || d > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout: want a duration such as 60s or 5m (at most 24h), got \"",
                     text.substr(0, 64), "\""));
  }
  return d;
}

absl::StatusOr<manifest::Manifest> LoadManifest(const std::string& path) {
  // Read up to 4x the limit so the parser names an oversized manifest (0003).
  CONCORD_ASSIGN_OR_RETURN(Bytes bytes,
                           posix::ReadFileBounded(path, 4 * manifest::kMaxManifestSize));
  absl::StatusOr<manifest::Manifest> m = manifest::Manifest::Parse(bytes);
  if (!m.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", m.status().message()));
  }
  return m;
}

absl::StatusOr<crypto::PrivateKey> LoadPrivateKey(const std::string& path) {
  // Read straight into wiping storage: no copy of the key outlives this.
  crypto::SecretBytes buffer(kMaxKeyFile);
  CONCORD_ASSIGN_OR_RETURN(size_t size, posix::ReadFileBoundedInto(path, buffer.RevealMutable()));
  crypto::SecretBytes secret(buffer.Reveal().first(size));
  absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(secret);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a PEM private key"));
  }
  return key;
}

// The coordinator check from the local manifest, or one that accepts any
// evidence (status without -m: reported as UNVERIFIED).
absl::StatusOr<net::ServerEvidenceCheck> MakeCheck(const manifest::Manifest* m,
                                                   const std::string& collateral_dir) {
  if (m == nullptr) {
    return net::ServerEvidenceCheck(
        [](const attest::Evidence& evidence,
           const std::array<uint8_t, 64>&) -> absl::StatusOr<attest::Claims> {
          attest::Claims unverified;
          unverified.platform = evidence.platform;
          return unverified;
        });
  }
  std::vector<client::CoordinatorExpectation> expectations = client::ExpectationsFromManifest(*m);
  absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> verifier =
      client::MakeCoordinatorVerifier(expectations, {.collateral_dir = collateral_dir},
                                      SystemClock::Get());
  if (!verifier.ok()) {
    return absl::Status(verifier.status().code(),
                        absl::StrCat("--collateral: ", verifier.status().message()));
  }
  return client::MakeCoordinatorCheck(std::move(expectations), *std::move(verifier),
                                      SystemClock::Get());
}

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
                                 absl::string_view body = "", bool retry_unavailable = true) {
    int attempt = 0;
    while (true) {
      ++attempt;
      absl::StatusOr<net::HttpResponse> response = client_->Call(method, target, body);
      absl::Duration delay = kDefaultRetryDelay;
      absl::Status problem;
      if (!response.ok()) {
        if (!absl::IsUnavailable(response.status())) {
          return Refused(response.status());
        }
        problem = response.status();
        client_->Close();
      } else if (response->status >= 200 && response->status < 300) {
        return *std::move(response);
      } else {
        client::ApiError error = client::ParseApiError(*response);
        if (response->status != 503) {
          return Failure{kExitInvalid, error.status, };
        }
        problem = error.status;
        delay = error.retry_after.value_or(kDefaultRetryDelay);
        delay = std::max(delay, absl::Milliseconds(200));
      }
      absl::Time now = absl::Now();
      // The last attempt happens at the deadline, not a retry delay before it.
      delay = std::min(delay, deadline_ - now);
      if (!retry_unavailable || delay <= absl::ZeroDuration()) {
        return Refused(absl::DeadlineExceededError(absl::StrCat(
            method, " ", target, ": gave up after ", attempt, " attempt(s): ", problem.message())));
      }
      ctx_.err << "concord: waiting for the coordinator (" << method << " " << target
               << ", attempt " << attempt << "): " << problem.message() << "; retrying in "
               << absl::FormatDuration(delay) << ", giving up in "
               << absl::FormatDuration(absl::Trunc(deadline_ - now, absl::Seconds(1))) << "\n";
      absl::SleepFor(delay);
    }
  }

  net::HttpsClient& client() { return *client_; }

 private:
  CommandContext& ctx_;
  std::unique_ptr<net::HttpsClient> client_;
  absl::Time deadline_;
};

absl::StatusOr<std::unique_ptr<net::HttpsClient>> Connect(
    const client::Endpoint& endpoint, net::ServerEvidenceCheck check, bool fresh_evidence,
    std::optional<crypto::PrivateKey> client_key, absl::Duration timeout) {
  net::ClientOptions options;
  options.host = endpoint.host;
  options.port = endpoint.port;
  options.check_server = std::move(check);
  options.fresh_evidence = fresh_evidence;
  options.client_key = std::move(client_key);
  options.connect_timeout = std::clamp(timeout, absl::Seconds(1), absl::Seconds(10));
  options.io_timeout = std::max(timeout, absl::Seconds(30));
  return net::HttpsClient::Create(std::move(options));
}

// Everything the online commands share: parsed endpoint, timeout, local
// manifest (optional for status) and a connected session.
struct Prepared {
  client::Endpoint endpoint;
  absl::Duration timeout;
  std::optional<manifest::Manifest> manifest;
  net::ServerEvidenceCheck check;
};

Result<Prepared> Prepare(const ConnectArgs& args, bool manifest_required) {
  Prepared p;
  absl::StatusOr<client::Endpoint> endpoint =
      client::ParseEndpoint(args.coordinator, kUserApiPort, "--coordinator");
  if (!endpoint.ok()) {
    return Usage(endpoint.status());
  }
  p.endpoint = *std::move(endpoint);
  absl::StatusOr<absl::Duration> timeout = ParseTimeout(args.timeout);
  if (!timeout.ok()) {
    return Usage(timeout.status());
  }
  p.timeout = *timeout;
  if (!args.manifest.empty()) {
    absl::StatusOr<manifest::Manifest> m = LoadManifest(args.manifest);
    if (!m.ok()) {
      return Usage(m.status());
    }
    p.manifest = *std::move(m);
  } else if (manifest_required) {
    return Usage(absl::InvalidArgumentError("--manifest is required"));
  }
  absl::StatusOr<net::ServerEvidenceCheck> check =
      MakeCheck(p.manifest.has_value() ? &*p.manifest : nullptr, args.collateral);
  if (!check.ok()) {
    // An unreadable or malformed bundle is the caller's input; expired or
    // badly signed collateral is a refusal.
    return absl::IsInvalidArgument(check.status()) ? Usage(check.status())
                                                   : Refused(check.status());
  }
  p.check = *std::move(check);
  return p;
}

Result<Session> Open(CommandContext& ctx, const Prepared& p,
                     std::optional<crypto::PrivateKey> client_key = std::nullopt) {
  absl::StatusOr<std::unique_ptr<net::HttpsClient>> c =
      Connect(p.endpoint, p.check, /*fresh_evidence=*/p.manifest.has_value(),
              std::move(client_key), p.timeout);
  if (!c.ok()) {
    return Usage(c.status());
  }
  return Session(ctx, *std::move(c), absl::Now() + p.timeout);
}

int Report(CommandContext& ctx, const Failure& f) { return Fail(ctx, f.code, f.status); }

template <typename T>
bool Failed(CommandContext& ctx, const Result<T>& r) {
  if (const Failure* f = std::get_if<Failure>(&r)) {
    Report(ctx, *f);
    return true;
  }
  return false;
}

Result<client::StatusInfo> GetStatus(Session& session) {
  Result<net::HttpResponse> r = session.Call("GET", "/v1/status");
  if (Failure* f = std::get_if<Failure>(&r)) {
    return *f;
  }
  absl::StatusOr<client::StatusInfo> s =
      client::ParseStatusResponse(std::get<net::HttpResponse>(r).body);
  if (!s.ok()) {
    return Refused(s.status());
  }
  return *std::move(s);
}

absl::Status WriteWorkspaceFile(const std::string& dir, absl::string_view name,
                                absl::string_view content, bool private_file = false) {
  return posix::WriteFileAtomic(JoinPath(dir, name), AsBytes(content), private_file ? 0600 : 0644);
}

// Records the head and says what happened; a fork is a refusal.
int RecordHead(CommandContext& ctx, const std::string& dir, const WorkspaceHead& head) {
  absl::StatusOr<HeadUpdate> update = RecordWorkspaceHead(dir, head);
  if (!update.ok()) {
    return Fail(ctx, absl::IsAborted(update.status()) ? kExitInvalid : kExitUsage,
                update.status());
  }
  if (*update == HeadUpdate::kKeptNewer) {
    ctx.err << "concord: " << JoinPath(dir, kHeadFile)
            << " already records a newer generation; left unchanged\n";
  }
  return kExitOk;
}

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
    return absl::InvalidArgumentError(absl::StrCat("--policies ", dir, ": more than ",
                                                   kMaxPolicyFiles, " files"));
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

// ---- concord set ----

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
  if (absl::Status s = MakeDirectories(args.workspace); !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }

  Result<Session> opened = Open(ctx, p);
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
    absl::StatusOr<history::Authorization> auth = history::SignAuthorization(
        *owner, history::TransitionKind::kManifest, m.hash(), previous);
    if (!auth.ok()) {
      Fail(ctx, kExitUsage, auth.status());
      return;
    }
    request.authorization = *std::move(auth);
  }
  ctx.err << "concord: " << (first_set ? "setting the first manifest" : "updating the manifest")
          << " " << HexEncode(m.hash())
          << (first_set ? "" : absl::StrCat(" over generation ", st.generation)) << "\n";
  Result<net::HttpResponse> response =
      session.Call("POST", "/v1/manifest", client::EncodeSetManifestRequest(request));
  if (Failure* f = std::get_if<Failure>(&response)) {
    if (absl::IsAborted(f->status)) {
      f->status = absl::AbortedError(absl::StrCat(
          "the manifest changed since generation ", st.generation, " (transition ",
          st.transition.has_value() ? HexEncode(*st.transition) : "none",
          "); run `concord verify` and retry (", f->status.message(), ")"));
    }
    Report(ctx, *f);
    return;
  }
  absl::StatusOr<client::TransitionResponse> result =
      client::ParseTransitionResponse(std::get<net::HttpResponse>(response).body);
  if (!result.ok()) {
    Fail(ctx, kExitInvalid, result.status());
    return;
  }
  for (const auto& [name, content] :
       {std::pair<absl::string_view, const std::string&>{"coordinator-root-ca.pem",
                                                         result->root_ca_pem},
        std::pair<absl::string_view, const std::string&>{"mesh-ca.pem", result->mesh_ca_pem}}) {
    if (absl::Status s = WriteWorkspaceFile(args.workspace, name, content); !s.ok()) {
      Fail(ctx, kExitUsage, s);
      return;
    }
  }
  if (result->seed_shares.has_value()) {
    // Never replace shares already in the workspace: they may belong to
    // another deployment that still needs them.
    std::string name = "seed-shares.json";
    std::string path = JoinPath(args.workspace, name);
    std::string content = seed::EncodeSeedSharesJson(*result->seed_shares);
    absl::Status s = posix::WriteFileAtomic(path, AsBytes(content), 0600, posix::IfExists::kRefuse);
    if (absl::IsAlreadyExists(s)) {
      name = absl::StrCat("seed-shares-", HexEncode(result->transition).substr(0, 16), ".json");
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
  if (int rc = RecordHead(ctx, args.workspace, {result->transition, result->generation});
      rc != kExitOk) {
    return;
  }
  ctx.out << "manifest set: generation " << result->generation << ", transition "
          << HexEncode(result->transition) << "\n";
  ctx.exit_code = kExitOk;
}

// ---- concord verify ----

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
    if (absl::Status s = posix::WriteFileAtomic(path, AsBytes(content), 0644); !s.ok()) {
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

// ---- concord recover ----

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
         absl::FailedPreconditionError(absl::StrCat(
             "the coordinator is in state ", st.state, "; only a replica in recovery or stale "
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
  ctx.err << "concord: recovering generation " << st.generation << " ("
          << HexEncode(*st.transition) << ")\n";
  crypto::SecretBytes body = client::EncodeRecoverRequest(*secrets, *auth, request);
  Result<net::HttpResponse> response =
      session.Call("POST", "/v1/recover", AsStringView(body.Reveal()));
  if (Failure* f = std::get_if<Failure>(&response)) {
    if (absl::IsAborted(f->status)) {
      f->status = absl::AbortedError(absl::StrCat(
          "the coordinator's head changed since generation ", st.generation,
          "; run recover again (", f->status.message(), ")"));
    }
    Report(ctx, *f);
    return;
  }
  absl::StatusOr<client::TransitionResponse> result =
      client::ParseTransitionResponse(std::get<net::HttpResponse>(response).body);
  if (!result.ok()) {
    Fail(ctx, kExitInvalid, result.status());
    return;
  }
  if (absl::Status s = MakeDirectories(args.workspace); !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  if (absl::Status s = WriteWorkspaceFile(args.workspace, "mesh-ca.pem", result->mesh_ca_pem);
      !s.ok()) {
    Fail(ctx, kExitUsage, s);
    return;
  }
  if (RecordHead(ctx, args.workspace, {result->transition, result->generation}) != kExitOk) {
    return;
  }
  ctx.out << "recovered: generation " << result->generation << ", transition "
          << HexEncode(result->transition) << "\n";
  ctx.exit_code = kExitOk;
}

// ---- concord status ----

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
    ctx.out << "coordinator: " << (verified ? "verified against the local manifest"
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

void AddConnectOptions(CLI::App* cmd, ConnectArgs& args, bool manifest, bool workspace,
                       bool timeout) {
  cmd->add_option("--coordinator,-c", args.coordinator,
                  "Coordinator user API, HOST:PORT (port defaults to 1313)")
      ->required();
  if (manifest) {
    cmd->add_option("--manifest,-m", args.manifest,
                    "The local manifest: its coordinator policies and reference values decide "
                    "which coordinator is trusted");
    cmd->add_option("--collateral", args.collateral,
                    "Collateral bundle directory (`concord collateral export`): needed to verify "
                    "a TDX coordinator");
  }
  if (workspace) {
    cmd->add_option("--workspace", args.workspace, "Workspace directory")->capture_default_str();
  }
  if (timeout) {
    cmd->add_option("--timeout", args.timeout,
                    "How long to retry an unavailable coordinator (e.g. 60s, 5m)")
        ->capture_default_str();
  }
}

}  // namespace

void AddCoordinatorCommands(CLI::App& app, CommandContext& ctx) {
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

  auto verify_args = std::make_shared<ConnectArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "Verify the coordinator and its manifest history against the local manifest");
  AddConnectOptions(verify, *verify_args, true, true, true);
  verify->get_option("--manifest")->required();
  verify->callback([&ctx, verify_args] { RunVerify(ctx, *verify_args); });

  auto recover_args = std::make_shared<RecoverArgs>();
  CLI::App* recover = app.add_subcommand(
      "recover", "Recover a coordinator in recovery with a seed share (manual recovery)");
  AddConnectOptions(recover, *recover_args, true, true, true);
  recover->add_option("--seedshare-key", recover_args->seedshare_key,
                      "Seed-share owner private key (PEM)")
      ->required();
  recover->add_option("--seed-shares", recover_args->seed_shares,
                      "seed-shares.json from the first set")
      ->required();
  recover->add_flag("--force", recover_args->force, "Recover even if ready peers exist");
  recover->add_option("--accept-head", recover_args->accept_head,
                      "Transition hash (hex) of a head to recover although its manifest is not "
                      "the local manifest");
  recover->callback([&ctx, recover_args] { RunRecover(ctx, *recover_args); });

  auto status_args = std::make_shared<StatusArgs>();
  CLI::App* status = app.add_subcommand(
      "status", "Show the coordinator's state (verified only with --manifest)");
  AddConnectOptions(status, *status_args, true, false, true);
  status->add_flag("--json", status_args->json, "Print JSON");
  status->callback([&ctx, status_args] { RunStatus(ctx, *status_args); });
}

}  // namespace concord::cli
