#include "concord/api/api.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "concord/common/strict_json.h"
#include "concord/api/internal/json_fields.h"
#include "concord/api/peer_messages.h"
#include "concord/api/requests.h"
#include "concord/common/hex.h"
#include "concord/common/time_format.h"
#include "concord/seed/seed_shares.h"
#include "nlohmann/json.hpp"

namespace concord::api {
namespace {

using Json = nlohmann::json;
using internal::EncodeBase64;

constexpr absl::string_view kJsonType = "application/json";
constexpr absl::string_view kTextType = "text/plain; charset=utf-8";
constexpr absl::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

// Buckets for mesh certificate issuance, in seconds (a leaf costs ~1 ms;
// the tail covers a store read under load).
std::vector<double> IssueBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

// What the mesh handshake established about the caller; the coordinator
// authorizes each request on its own snapshot (DESIGN §5a). Callers have
// checked that the request carries a peer certificate with claims.
coordinator::AttestedCaller AttestedCallerOf(const net::HttpRequest& request) {
  coordinator::AttestedCaller caller;
  caller.claims = *request.peer_claims;
  caller.verified_at = request.peer_verified_at;
  caller.evidence = request.peer->evidence.has_value() ? &*request.peer->evidence : nullptr;
  caller.report_data = request.peer_report_data;
  return caller;
}

std::string ErrorBody(absl::string_view code, absl::string_view message, absl::string_view state) {
  Json body = Json::object();
  body["code"] = std::string(code);
  // Coordinator messages are plain text; replace anything nlohmann cannot
  // serialize rather than throw.
  body["message"] = std::string(message);
  body["state"] = std::string(state);
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

net::HttpResponse PlainError(int status, absl::string_view code, absl::string_view message,
                             absl::string_view state) {
  net::HttpResponse response;
  response.status = status;
  response.content_type = std::string(kJsonType);
  response.body = ErrorBody(code, message, state);
  return response;
}

net::HttpResponse Text(int status, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.content_type = std::string(kTextType);
  response.body = std::move(body);
  return response;
}

// The media type of a Content-Type value, lower case, parameters dropped.
std::string MediaType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(media));
}

Json OptionalHex(const std::optional<crypto::Sha256Digest>& digest) {
  if (!digest.has_value()) {
    return nullptr;
  }
  return HexEncode(*digest);
}

Json TransitionJson(const coordinator::TransitionResult& result) {
  Json body = Json::object();
  body["transition"] = HexEncode(result.transition_hash);
  body["generation"] = result.generation;
  body["root_ca"] = result.bundle.RootCaPem();
  body["mesh_ca"] = result.bundle.MeshCaPem();
  body["intermediate"] = result.bundle.IntermediatePem();
  return body;
}

}  // namespace

struct Api::Route {
  absl::string_view method;
  absl::string_view path;
  net::HttpResponse (Api::*handle)(const net::HttpRequest&);
};

namespace {

constexpr size_t kUserRouteCount = 6;
constexpr size_t kMeshRouteCount = 3;
constexpr size_t kHttpRouteCount = 3;

}  // namespace

net::HttpResponse ErrorResponse(const absl::Status& status, absl::string_view state,
                                absl::Duration retry_after) {
  absl::Status error =
      status.ok() ? absl::InternalError("error response for an OK status") : status;
  const ApiErrorCode& row = ApiErrorCodeFor(error.code());
  net::HttpResponse response = PlainError(row.http_status, row.name, error.message(), state);
  if (response.status == 503) {
    int64_t seconds = static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(retry_after)));
    response.headers.emplace_back("Retry-After", absl::StrCat(std::max<int64_t>(seconds, 1)));
  }
  return response;
}

absl::StatusOr<std::unique_ptr<Api>> Api::Create(ApiOptions options, ApiDeps deps) {
  if (options.retry_after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("api: retry_after must be positive");
  }
  if (options.max_leaf_lifetime < absl::Seconds(1)) {
    return absl::InvalidArgumentError("api: max_leaf_lifetime must be at least 1s");
  }
  return std::unique_ptr<Api>(new Api(std::move(options), deps));
}

Api::Api(ApiOptions options, ApiDeps deps)
    : options_(std::move(options)),
      coordinator_(deps.coordinator),
      clock_(deps.clock),
      log_(deps.log),
      attest_budget_(options_.attest_rate, clock_),
      attest_budget_per_source_(options_.attest_rate_per_source, /*max_keys=*/4096, clock_),
      requests_("concord_requests_total", "API requests by listener, endpoint and HTTP status.",
                {"listener", "endpoint", "code"}),
      mesh_cert_issue_(IssueBuckets()),
      manifest_set_(IssueBuckets()) {}

net::Handler Api::UserHandler() {
  return [this](const net::HttpRequest& request) { return HandleUser(request); };
}
net::Handler Api::MeshHandler() {
  return [this](const net::HttpRequest& request) { return HandleMesh(request); };
}
net::Handler Api::HttpHandler() {
  return [this](const net::HttpRequest& request) { return HandleHttp(request); };
}

net::HttpResponse Api::HandleUser(const net::HttpRequest& request) {
  static constexpr Route kRoutes[kUserRouteCount] = {
      {"POST", "/v1/manifest", &Api::SetManifest}, {"GET", "/v1/manifests", &Api::Manifests},
      {"GET", "/v1/seedshares", &Api::SeedShares}, {"POST", "/v1/recover", &Api::Recover},
      {"POST", "/v1/attest", &Api::Attest},        {"GET", "/v1/status", &Api::Status},
  };
  return Dispatch("user", kRoutes, kUserRouteCount, request);
}

net::HttpResponse Api::HandleMesh(const net::HttpRequest& request) {
  static constexpr Route kRoutes[kMeshRouteCount] = {
      {"POST", "/v1/mesh/cert", &Api::MeshCert},
      {"POST", "/v1/peer/recover", &Api::PeerRecover},
      {"POST", "/v1/peer/head", &Api::PeerHead},
  };
  return Dispatch("mesh", kRoutes, kMeshRouteCount, request);
}

net::HttpResponse Api::HandleHttp(const net::HttpRequest& request) {
  static constexpr Route kRoutes[kHttpRouteCount] = {
      {"GET", "/healthz", &Api::Healthz},
      {"GET", "/readyz", &Api::Readyz},
      {"GET", "/metrics", &Api::Metrics},
  };
  return Dispatch("http", kRoutes, kHttpRouteCount, request);
}

net::HttpResponse Api::Dispatch(absl::string_view listener, const Route* routes, size_t route_count,
                                const net::HttpRequest& request) {
  absl::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  const Route* match = nullptr;
  std::vector<absl::string_view> allowed;
  for (size_t i = 0; i < route_count; ++i) {
    if (routes[i].path != path) {
      continue;
    }
    allowed.push_back(routes[i].method);
    if (routes[i].method == request.method) {
      match = &routes[i];
    }
  }
  net::HttpResponse response;
  // Unknown paths share one label so clients cannot grow the metric set.
  absl::string_view endpoint = allowed.empty() ? "unknown" : path;
  if (allowed.empty()) {
    const ApiErrorCode& not_found = ApiErrorCodeFor(absl::StatusCode::kNotFound);
    response = PlainError(not_found.http_status, not_found.name, "no such endpoint",
                          coordinator::StateName(coordinator_.state()));
  } else if (match == nullptr) {
    response = PlainError(kMethodNotAllowed.http_status, kMethodNotAllowed.name,
                          absl::StrCat("method not allowed; use ", absl::StrJoin(allowed, ", ")),
                          coordinator::StateName(coordinator_.state()));
    response.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
  } else if (match->method == "POST" && request.body.size() > kMaxRequestBodySize) {
    response = Error(absl::ResourceExhaustedError(absl::StrCat(
        "body: want at most ", kMaxRequestBodySize, " bytes, got ", request.body.size())));
  } else if (match->method == "POST" && !request.body.empty() &&
             MediaType(request.content_type) != kJsonType) {
    response = PlainError(kUnsupportedMediaType.http_status, kUnsupportedMediaType.name,
                          "Content-Type: want application/json",
                          coordinator::StateName(coordinator_.state()));
  } else {
    response = (this->*(match->handle))(request);
  }
  requests_
      .WithLabels({std::string(listener), std::string(endpoint), absl::StrCat(response.status)})
      .Increment();
  return response;
}

net::HttpResponse Api::Error(const absl::Status& status) {
  net::HttpResponse response =
      ErrorResponse(status, coordinator::StateName(coordinator_.state()), options_.retry_after);
  if (response.status >= 500 && response.status != 503) {
    log_.Error("request failed",
               {{"code", ErrorCodeName(status.code())}, {"error", std::string(status.message())}});
  }
  return response;
}

net::HttpResponse Api::NoStore(net::HttpResponse response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

net::HttpResponse Api::JsonOk(const std::string& body) {
  net::HttpResponse response;
  response.status = 200;
  response.content_type = std::string(kJsonType);
  response.body = body;
  return response;
}

net::HttpResponse Api::SetManifest(const net::HttpRequest& request) {
  const absl::Time start = clock_.Now();
  absl::StatusOr<coordinator::SetManifestRequest> parsed = ParseSetManifestRequest(request.body);
  if (!parsed.ok()) {
    return Error(parsed.status());
  }
  absl::StatusOr<coordinator::TransitionResult> result = coordinator_.SetManifest(*parsed);
  if (!result.ok()) {
    return Error(result.status());
  }
  manifest_set_.Observe(clock_.Now() - start);
  nlohmann::json body = TransitionJson(*result);
  if (result->seed_shares.has_value()) {
    nlohmann::json shares = nlohmann::json::parse(seed::EncodeSeedSharesJson(*result->seed_shares),
                                                  nullptr, /*allow_exceptions=*/false);
    if (shares.is_discarded()) {
      return Error(absl::InternalError("manifest: seed-shares document is not JSON"));
    }
    body["seed_shares"] = std::move(shares);
  }
  log_.Info("manifest set", {{"generation", absl::StrCat(result->generation)},
                             {"transition", HexEncode(result->transition_hash)}});
  return JsonOk(body.dump());
}

net::HttpResponse Api::Manifests(const net::HttpRequest&) {
  absl::StatusOr<coordinator::HistoryExport> history = coordinator_.ExportHistory();
  if (!history.ok()) {
    return Error(history.status());
  }
  nlohmann::json body = nlohmann::json::object();
  body["latest"] = EncodeBase64(history->latest);
  body["history_key"] = HexEncode(history->history_key.spki_der());
  nlohmann::json transitions = nlohmann::json::array();
  for (const auto& entry : history->transitions) {
    transitions.push_back(
        {{"hash", HexEncode(entry.hash)}, {"transition", EncodeBase64(entry.transition)}});
  }
  body["transitions"] = std::move(transitions);
  nlohmann::json manifests = nlohmann::json::object();
  for (const auto& [hash, bytes] : history->manifests) {
    manifests[HexEncode(hash)] = EncodeBase64(bytes);
  }
  body["manifests"] = std::move(manifests);
  nlohmann::json bundles = nlohmann::json::object();
  for (const auto& [hash, bytes] : history->ca_bundles) {
    bundles[HexEncode(hash)] = EncodeBase64(bytes);
  }
  body["ca_bundles"] = std::move(bundles);
  return JsonOk(body.dump());
}

net::HttpResponse Api::SeedShares(const net::HttpRequest& request) {
  if (!request.peer.has_value()) {
    return Error(absl::UnauthenticatedError(
        "seedshares: a client certificate with a seed-share owner's key is required"));
  }
  absl::StatusOr<seed::SeedSharesDocument> document = coordinator_.SeedShare(request.peer->key);
  if (!document.ok()) {
    return Error(document.status());
  }
  return JsonOk(seed::EncodeSeedSharesJson(*document));
}

net::HttpResponse Api::Recover(const net::HttpRequest& request) {
  if (!request.peer.has_value()) {
    return Error(absl::UnauthenticatedError(
        "recover: a client certificate with a seed-share owner's key is required"));
  }
  absl::StatusOr<ParsedRecoverRequest> parsed =
      ParseRecoverRequest(request.body, request.peer->key);
  if (!parsed.ok()) {
    return Error(parsed.status());
  }
  absl::StatusOr<coordinator::TransitionResult> result = coordinator_.Recover(parsed->request);
  if (!result.ok()) {
    return Error(result.status());
  }
  log_.Warning("manual recovery committed", {{"generation", absl::StrCat(result->generation)},
                                             {"transition", HexEncode(result->transition_hash)},
                                             {"owner", HexEncode(request.peer->key.SpkiSha256())}});
  return JsonOk(TransitionJson(*result).dump());
}

net::HttpResponse Api::Attest(const net::HttpRequest& request) {
  absl::StatusOr<net::Nonce> nonce = ParseAttestRequest(request.body);
  if (!nonce.ok()) {
    return Error(nonce.status());
  }
  // Bounded before the (costly) evidence is made: per address first, so one
  // client cannot drain the replica's budget for everyone.
  const absl::string_view address = request.remote_address;
  const size_t colon = address.rfind(':');
  const absl::string_view source =
      colon == absl::string_view::npos ? address : address.substr(0, colon);
  if (!attest_budget_per_source_.TryTake(source) || !attest_budget_.TryTake()) {
    return Error(absl::UnavailableError(
        "attest: too many attestation requests; retry after the Retry-After delay"));
  }
  absl::StatusOr<coordinator::AttestResult> result = coordinator_.Attest(*nonce);
  if (!result.ok()) {
    return Error(result.status());
  }
  nlohmann::json certs = nlohmann::json::array();
  for (const Bytes& cert : result->evidence.certs) {
    certs.push_back(EncodeBase64(cert));
  }
  const net::AttestStatement& statement = result->statement;
  nlohmann::json body = nlohmann::json::object();
  body["evidence"] = {{"platform", std::string(attest::PlatformName(result->evidence.platform))},
                      {"report", EncodeBase64(result->evidence.report)},
                      {"certs", std::move(certs)}};
  body["state"] = statement.state;
  body["generation"] = statement.generation;
  body["transition"] = HexEncode(statement.transition_hash);
  body["history_key"] = result->history_key.has_value()
                            ? nlohmann::json(HexEncode(result->history_key->spki_der()))
                            : nlohmann::json(nullptr);
  body["root_ca"] = result->bundle.has_value() ? nlohmann::json(result->bundle->RootCaPem())
                                               : nlohmann::json(nullptr);
  body["mesh_ca"] = result->bundle.has_value() ? nlohmann::json(result->bundle->MeshCaPem())
                                               : nlohmann::json(nullptr);
  body["root_ca_spki_sha256"] = HexEncode(statement.root_ca_spki_sha256);
  body["mesh_ca_spki_sha256"] = HexEncode(statement.mesh_ca_spki_sha256);
  body["history_key_spki_sha256"] = HexEncode(statement.history_key_spki_sha256);
  return JsonOk(body.dump());
}

net::HttpResponse Api::Status(const net::HttpRequest&) {
  coordinator::StatusInfo info = coordinator_.Status();
  nlohmann::json body = nlohmann::json::object();
  body["state"] = std::string(coordinator::StateName(info.state));
  body["replica"] = info.replica;
  body["generation"] = info.generation;
  body["transition"] = OptionalHex(info.transition_hash);
  body["manifest"] = OptionalHex(info.manifest_hash);
  body["head_verified"] = info.transition_hash.has_value() && !info.head_unverified;
  // Uninitialized: the challenge a first set signs over (DESIGN §6).
  body["challenge"] = OptionalHex(info.genesis_challenge);
  body["alarms"] = info.alarms;
  body["version"] = options_.version;
  return JsonOk(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

net::HttpResponse Api::MeshCert(const net::HttpRequest& request) {
  if (!request.peer.has_value() || !request.peer_claims.has_value()) {
    return Error(
        absl::UnauthenticatedError("mesh cert: an attested client certificate is required"));
  }
  absl::StatusOr<MeshCertRequest> parsed =
      ParseMeshCertRequest(request.body, options_.max_leaf_lifetime);
  if (!parsed.ok()) {
    return Error(parsed.status());
  }
  const absl::Time start = clock_.Now();
  absl::StatusOr<coordinator::WorkloadCertificate> issued =
      coordinator_.IssueMeshCertificate(AttestedCallerOf(request), request.peer->key,
                                        parsed->lifetime);
  mesh_cert_issue_.Observe(clock_.Now() - start);
  if (!issued.ok()) {
    return Error(issued.status());
  }
  nlohmann::json body = nlohmann::json::object();
  body["certificate"] = issued->leaf.pem;
  body["chain"] = issued->chain_pem;
  body["mesh_ca"] = issued->mesh_ca_pem;
  body["root_ca"] = issued->root_ca_pem;
  if (issued->workload_secret.has_value()) {
    body["workload_secret"] = HexEncode(issued->workload_secret->Reveal());
  }
  body["not_after"] = FormatRfc3339(issued->leaf.not_after);
  body["policy"] = issued->policy_name;
  body["generation"] = issued->generation;
  net::HttpResponse response = JsonOk(json::DumpSecret(body));
  json::WipeStrings(body);  // the workload secret's hex; the server wipes the body
  return response;
}

net::HttpResponse Api::PeerRecover(const net::HttpRequest& request) {
  if (!request.peer.has_value() || !request.peer_claims.has_value()) {
    return Error(
        absl::UnauthenticatedError("peer recover: an attested client certificate is required"));
  }
  if (absl::Status parsed = ParsePeerRecoverRequest(request.body); !parsed.ok()) {
    return Error(parsed);
  }
  absl::StatusOr<coordinator::PeerRecoveryGrant> grant =
      coordinator_.ServePeerRecovery(AttestedCallerOf(request));
  if (!grant.ok()) {
    // A refused identity is worth a warning; "not serving" answers to a
    // peer retrying every few hundred milliseconds are not.
    if (grant.status().code() == absl::StatusCode::kPermissionDenied) {
      log_.Warning("peer recovery refused", {{"peer", request.remote_address},
                                             {"error", std::string(grant.status().message())}});
    } else {
      log_.Debug("peer recovery refused", {{"peer", request.remote_address},
                                           {"error", std::string(grant.status().message())}});
    }
    return NoStore(Error(grant.status()));
  }
  // The body carries the secrets: nothing of it is logged.
  log_.Info("peer recovery served", {{"peer", request.remote_address},
                                     {"peer_policy", HexEncode(request.peer_claims->host_data)}});
  return NoStore(JsonOk(EncodePeerRecoverResponse(*grant, coordinator_.Status().replica)));
}

net::HttpResponse Api::PeerHead(const net::HttpRequest& request) {
  if (!request.peer.has_value() || !request.peer_claims.has_value()) {
    return Error(
        absl::UnauthenticatedError("peer head: an attested client certificate is required"));
  }
  absl::StatusOr<Bytes> latest = ParsePeerHeadRequest(request.body);
  if (!latest.ok()) {
    return NoStore(Error(latest.status()));
  }
  absl::StatusOr<coordinator::PeerHead> head =
      coordinator_.ServePeerHead(AttestedCallerOf(request), *latest);
  if (!head.ok()) {
    return NoStore(Error(head.status()));
  }
  return NoStore(JsonOk(EncodePeerHeadResponse(*head)));
}

net::HttpResponse Api::Healthz(const net::HttpRequest&) {
  // Liveness only: no coordinator lock, no store (DESIGN §8).
  return Text(200, "ok\n");
}

net::HttpResponse Api::Readyz(const net::HttpRequest&) {
  if (draining()) {
    return Text(503, "not ready: shutting down\n");
  }
  // Ready with a valid freshness lease (DESIGN §7): a replica cut off from
  // the store and its peers leaves coordinator-ready within the lease.
  if (coordinator_.Serving()) {
    return Text(200, "ready\n");
  }
  const coordinator::State state = coordinator_.state();
  if (state == coordinator::State::kReady) {
    return Text(503, "not ready: freshness lease expired (store and peers unreachable)\n");
  }
  return Text(503, absl::StrCat("not ready: ", coordinator::StateName(state), "\n"));
}

void Api::SetDraining() { draining_.store(true, std::memory_order_release); }

void Api::SetServerStatsSource(std::function<net::ServerStats()> source) {
  absl::MutexLock lock(&stats_mu_);
  server_stats_ = std::move(source);
}

void Api::SetPeerStatsSource(std::function<PeerNetworkStats()> source) {
  absl::MutexLock lock(&stats_mu_);
  peer_stats_ = std::move(source);
}

net::HttpResponse Api::Metrics(const net::HttpRequest&) {
  net::HttpResponse response = Text(200, MetricsText());
  response.content_type = std::string(kMetricsType);
  return response;
}

std::string Api::MetricsText() {
  std::string out;
  requests_.Render(&out);
  AppendHistogram(&out, "concord_mesh_cert_issue_seconds",
                  "Time to issue a mesh certificate (POST /v1/mesh/cert).", mesh_cert_issue_);
  AppendHistogram(&out, "concord_manifest_set_seconds",
                  "Time from a POST /v1/manifest body to its committed transition (successful "
                  "sets only).",
                  manifest_set_);

  const coordinator::StatusInfo info = coordinator_.Status();
  AppendMetricHeader(&out, "concord_state", "gauge", "1 for the replica's current state.");
  for (coordinator::State state :
       {coordinator::State::kUninitialized, coordinator::State::kRecovery,
        coordinator::State::kReady, coordinator::State::kStale}) {
    AppendSample(&out, "concord_state", {{"state", std::string(coordinator::StateName(state))}},
                 state == info.state ? 1 : 0);
  }
  AppendMetricHeader(&out, "concord_generation", "gauge",
                     "Generation of the head transition (0 without a history).");
  AppendSample(&out, "concord_generation", {}, static_cast<double>(info.generation));
  AppendMetricHeader(&out, "concord_alarms_total", "counter",
                     "Alarms raised since start (latest vanished, failed or moved back).");
  AppendSample(&out, "concord_alarms_total", {}, static_cast<double>(info.alarms_raised));
  AppendMetricHeader(&out, "concord_alarms_active", "gauge", "Alarms currently active.");
  AppendSample(&out, "concord_alarms_active", {}, static_cast<double>(info.alarms.size()));
  AppendMetricHeader(&out, "concord_draining", "gauge", "1 once shutdown has begun.");
  AppendSample(&out, "concord_draining", {}, draining() ? 1 : 0);

  // Freshness lease (DESIGN §7).
  const absl::Time now = clock_.Now();
  AppendMetricHeader(&out, "concord_serving", "gauge",
                     "1 while ready with a valid freshness lease (what /readyz reports).");
  AppendSample(&out, "concord_serving", {}, info.serving ? 1 : 0);
  AppendMetricHeader(&out, "concord_lease_remaining_seconds", "gauge",
                     "Seconds until the freshness lease expires (0 when expired or never "
                     "confirmed).");
  AppendSample(&out, "concord_lease_remaining_seconds", {},
               info.lease_expires_at.has_value()
                   ? std::max(0.0, absl::ToDoubleSeconds(*info.lease_expires_at - now))
                   : 0.0);
  AppendMetricHeader(&out, "concord_lease_confirmed_by_peer", "gauge",
                     "1 when the last lease confirmation came from a peer's signed head, 0 "
                     "when from the store.");
  AppendSample(&out, "concord_lease_confirmed_by_peer", {},
               absl::StartsWith(info.lease_confirmed_by, "peer") ? 1 : 0);
  if (info.lease_store_confirmed_at.has_value()) {
    AppendMetricHeader(&out, "concord_lease_store_confirmation_age_seconds", "gauge",
                       "Seconds since the head was last confirmed by reading the store.");
    AppendSample(&out, "concord_lease_store_confirmation_age_seconds", {},
                 std::max(0.0, absl::ToDoubleSeconds(now - *info.lease_store_confirmed_at)));
  }

  std::function<net::ServerStats()> stats_source;
  std::function<PeerNetworkStats()> peer_source;
  {
    absl::MutexLock lock(&stats_mu_);
    stats_source = server_stats_;
    peer_source = peer_stats_;
  }
  if (peer_source) {
    const PeerNetworkStats peers = peer_source();
    const struct {
      absl::string_view name;
      absl::string_view help;
      uint64_t value;
    } kPeer[] = {
        {"concord_peer_recovery_attempts_total",
         "Peer recovery rounds (each asks the discovered peers in turn).", peers.recovery_rounds},
        {"concord_peer_recovery_grants_total",
         "Recovery grants received from an accepted peer (adopted only if the store's head "
         "matches).",
         peers.recovery_grants},
        {"concord_peer_head_rounds_total", "Head exchange rounds.", peers.head_rounds},
        {"concord_peer_heads_received_total", "Signed heads received from peers.",
         peers.heads_received},
        {"concord_peer_failures_total",
         "Peer calls that failed (unreachable, evidence or identity refused, error status).",
         peers.peer_failures},
    };
    for (const auto& metric : kPeer) {
      AppendMetricHeader(&out, metric.name, "counter", metric.help);
      AppendSample(&out, metric.name, {}, static_cast<double>(metric.value));
    }
  }
  if (stats_source) {
    const net::ServerStats stats = stats_source();
    const struct {
      absl::string_view name;
      absl::string_view type;
      absl::string_view help;
      uint64_t value;
    } kServer[] = {
        {"concord_server_connections_accepted_total", "counter", "Connections accepted.",
         stats.connections_accepted},
        {"concord_server_handshakes_failed_total", "counter",
         "TLS handshakes that failed (including rejected evidence).", stats.handshakes_failed},
        {"concord_server_verifications_refused_total", "counter",
         "Handshakes refused because too many verifications were pending.",
         stats.verifications_refused},
        {"concord_server_timeouts_total", "counter",
         "Connections closed by a handshake, header, body or idle timeout.", stats.timeouts},
        {"concord_server_requests_total", "counter", "HTTP requests read by the server.",
         stats.requests},
        {"concord_server_open_connections", "gauge", "Connections open now.",
         stats.open_connections},
    };
    for (const auto& metric : kServer) {
      AppendMetricHeader(&out, metric.name, metric.type, metric.help);
      AppendSample(&out, metric.name, {}, static_cast<double>(metric.value));
    }
    AppendServerAdmission(&out, stats);
  }
  if (options_.resident_memory_bytes) {
    if (std::optional<uint64_t> rss = options_.resident_memory_bytes(); rss.has_value()) {
      AppendMetricHeader(&out, "process_resident_memory_bytes", "gauge",
                         "Resident memory size in bytes.");
      AppendSample(&out, "process_resident_memory_bytes", {}, static_cast<double>(*rss));
    }
  }
  return out;
}

}  // namespace concord::api
