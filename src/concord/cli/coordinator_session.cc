// The shared part of the coordinator commands (coordinator_session.h).
#include "concord/cli/coordinator_session.h"

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "concord/client/coordinator_check.h"
#include "concord/common/clock.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/secret_bytes.h"

namespace concord::cli {
namespace {

constexpr uint16_t kUserApiPort = 1313;
constexpr size_t kMaxKeyFile = 64 * 1024;
constexpr absl::Duration kDefaultRetryDelay = absl::Seconds(1);

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

}  // namespace

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

Result<net::HttpResponse> Session::Call(absl::string_view method, absl::string_view target,
                                        absl::string_view body, bool retry_unavailable) {
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
        return Failure{kExitInvalid, error.status};
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
    ctx_.err << "concord: waiting for the coordinator (" << method << " " << target << ", attempt "
             << attempt << "): " << problem.message() << "; retrying in "
             << absl::FormatDuration(delay) << ", giving up in "
             << absl::FormatDuration(absl::Trunc(deadline_ - now, absl::Seconds(1))) << "\n";
    absl::SleepFor(delay);
  }
}

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
                     std::optional<crypto::PrivateKey> client_key) {
  absl::StatusOr<std::unique_ptr<net::HttpsClient>> c =
      Connect(p.endpoint, p.check, /*fresh_evidence=*/p.manifest.has_value(), std::move(client_key),
              p.timeout);
  if (!c.ok()) {
    return Usage(c.status());
  }
  return Session(ctx, *std::move(c), absl::Now() + p.timeout);
}

Result<Session> OpenWritingTo(CommandContext& ctx, const Prepared& p, const std::string& dir) {
  if (absl::Status s = MakeDirectories(dir); !s.ok()) {
    return Usage(std::move(s));
  }
  return Open(ctx, p);
}

int Report(CommandContext& ctx, const Failure& f) { return Fail(ctx, f.code, f.status); }

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
                                absl::string_view content, bool private_file) {
  return posix::WriteFileAtomic(JoinPath(dir, name), AsBytes(content), private_file ? 0600 : 0644);
}

int RecordHead(CommandContext& ctx, const std::string& dir, const WorkspaceHead& head) {
  absl::StatusOr<HeadUpdate> update = RecordWorkspaceHead(dir, head);
  if (!update.ok()) {
    return Fail(ctx, absl::IsAborted(update.status()) ? kExitInvalid : kExitUsage, update.status());
  }
  if (*update == HeadUpdate::kKeptNewer) {
    ctx.err << "concord: " << JoinPath(dir, kHeadFile)
            << " already records a newer generation; left unchanged\n";
  }
  return kExitOk;
}

Result<client::TransitionResponse> PostTransition(
    Session& session, absl::string_view target, absl::string_view body,
    const std::function<std::string(absl::string_view)>& aborted_message) {
  Result<net::HttpResponse> response = session.Call("POST", target, body);
  if (Failure* f = std::get_if<Failure>(&response)) {
    if (absl::IsAborted(f->status)) {
      f->status = absl::AbortedError(aborted_message(f->status.message()));
    }
    return *f;
  }
  absl::StatusOr<client::TransitionResponse> result =
      client::ParseTransitionResponse(std::get<net::HttpResponse>(response).body);
  if (!result.ok()) {
    return Refused(result.status());
  }
  return *std::move(result);
}

void FinishTransition(CommandContext& ctx, const std::string& workspace, absl::string_view what,
                      const client::TransitionResponse& result) {
  if (RecordHead(ctx, workspace, {result.transition, result.generation}) != kExitOk) {
    return;
  }
  ctx.out << what << ": generation " << result.generation << ", transition "
          << HexEncode(result.transition) << "\n";
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

void AddCoordinatorCommands(CLI::App& app, CommandContext& ctx) {
  AddSetCommand(app, ctx);
  AddVerifyCommand(app, ctx);
  AddRecoverCommand(app, ctx);
  AddStatusCommand(app, ctx);
}

}  // namespace concord::cli
