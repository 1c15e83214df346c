#include "concord/api/api.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/api/error_response.h"
#include "concord/api/internal/responses.h"
#include "concord/api/internal/router.h"
#include "concord/api/requests.h"
#include "concord/common/hex.h"
#include "concord/peer/peer_messages.h"

namespace concord::api {
namespace {

using internal::JsonOk;
using internal::NoStore;
using internal::Router;
using internal::Text;

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

}  // namespace

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
      metrics_(coordinator_, clock_, options_.resident_memory_bytes) {
  auto to = [this](net::HttpResponse (Api::*handle)(const net::HttpRequest&)) -> Router::Handle {
    return [this, handle](const net::HttpRequest& request) { return (this->*handle)(request); };
  };
  std::vector<Router::Route> user = {
      {"POST", "/v1/manifest", to(&Api::SetManifest)},
      {"GET", "/v1/manifests", to(&Api::Manifests)},
      {"GET", "/v1/seedshares", to(&Api::SeedShares)},
      {"POST", "/v1/recover", to(&Api::Recover)},
      {"POST", "/v1/attest", to(&Api::Attest)},
      {"GET", "/v1/status", to(&Api::Status)},
  };
  std::vector<Router::Route> mesh = {
      {"POST", "/v1/mesh/cert", to(&Api::MeshCert)},
      {"POST", "/v1/peer/recover", to(&Api::PeerRecover)},
      {"POST", "/v1/peer/head", to(&Api::PeerHead)},
  };
  std::vector<Router::Route> http = {
      {"GET", "/healthz", to(&Api::Healthz)},
      {"GET", "/readyz", to(&Api::Readyz)},
      {"GET", "/metrics", to(&Api::Metrics)},
  };
  user_router_ = std::make_unique<const Router>(std::move(user), kMaxRequestBodySize);
  mesh_router_ = std::make_unique<const Router>(std::move(mesh), kMaxRequestBodySize);
  http_router_ = std::make_unique<const Router>(std::move(http), kMaxRequestBodySize);
}

Api::~Api() = default;

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
  return Dispatch("user", *user_router_, request);
}

net::HttpResponse Api::HandleMesh(const net::HttpRequest& request) {
  return Dispatch("mesh", *mesh_router_, request);
}

net::HttpResponse Api::HandleHttp(const net::HttpRequest& request) {
  return Dispatch("http", *http_router_, request);
}

net::HttpResponse Api::Dispatch(absl::string_view listener, const Router& router,
                                const net::HttpRequest& request) {
  Router::Result result =
      router.Dispatch(request, [this] { return coordinator::StateName(coordinator_.state()); });
  metrics_.CountRequest(listener, result.endpoint, result.response.status);
  return std::move(result.response);
}

net::HttpResponse Api::Error(const absl::Status& status) {
  net::HttpResponse response =
      ErrorResponse(status, coordinator::StateName(coordinator_.state()), options_.retry_after);
  if (response.status >= 500 && response.status != 503) {
    log_.Error("request failed", {{"code", wire::ErrorCodeName(status.code())},
                                  {"error", std::string(status.message())}});
  }
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
  metrics_.ObserveManifestSet(clock_.Now() - start);
  absl::StatusOr<net::HttpResponse> response = internal::SetManifestResponse(*result);
  if (!response.ok()) {
    return Error(response.status());
  }
  log_.Info("manifest set", {{"generation", absl::StrCat(result->generation)},
                             {"transition", HexEncode(result->transition_hash)}});
  return *std::move(response);
}

net::HttpResponse Api::Manifests(const net::HttpRequest&) {
  absl::StatusOr<coordinator::HistoryExport> history = coordinator_.ExportHistory();
  if (!history.ok()) {
    return Error(history.status());
  }
  return internal::ManifestsResponse(*history);
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
  return internal::RecoverResponse(*result);
}

net::HttpResponse Api::Attest(const net::HttpRequest& request) {
  absl::StatusOr<atls::Nonce> nonce = ParseAttestRequest(request.body);
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
  return internal::AttestResponse(*result);
}

net::HttpResponse Api::Status(const net::HttpRequest&) {
  return internal::StatusResponse(coordinator_.Status(), options_.version);
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
  absl::StatusOr<coordinator::WorkloadCertificate> issued = coordinator_.IssueMeshCertificate(
      AttestedCallerOf(request), request.peer->key, parsed->lifetime);
  metrics_.ObserveMeshCertIssue(clock_.Now() - start);
  if (!issued.ok()) {
    return Error(issued.status());
  }
  return internal::MeshCertResponse(*issued);
}

net::HttpResponse Api::PeerRecover(const net::HttpRequest& request) {
  if (!request.peer.has_value() || !request.peer_claims.has_value()) {
    return Error(
        absl::UnauthenticatedError("peer recover: an attested client certificate is required"));
  }
  if (absl::Status parsed = peer::ParsePeerRecoverRequest(request.body); !parsed.ok()) {
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
  return NoStore(JsonOk(peer::EncodePeerRecoverResponse(*grant, coordinator_.Status().replica)));
}

net::HttpResponse Api::PeerHead(const net::HttpRequest& request) {
  if (!request.peer.has_value() || !request.peer_claims.has_value()) {
    return Error(
        absl::UnauthenticatedError("peer head: an attested client certificate is required"));
  }
  absl::StatusOr<Bytes> latest = peer::ParsePeerHeadRequest(request.body);
  if (!latest.ok()) {
    return NoStore(Error(latest.status()));
  }
  absl::StatusOr<coordinator::PeerHead> head =
      coordinator_.ServePeerHead(AttestedCallerOf(request), *latest);
  if (!head.ok()) {
    return NoStore(Error(head.status()));
  }
  return NoStore(JsonOk(peer::EncodePeerHeadResponse(*head)));
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
  metrics_.SetServerStatsSource(std::move(source));
}

void Api::SetPeerStatsSource(std::function<peer::PeerNetworkStats()> source) {
  metrics_.SetPeerStatsSource(std::move(source));
}

net::HttpResponse Api::Metrics(const net::HttpRequest&) {
  net::HttpResponse response = Text(200, MetricsText());
  response.content_type = std::string(internal::kMetricsType);
  return response;
}

std::string Api::MetricsText() { return metrics_.Render(draining()); }

}  // namespace concord::api
