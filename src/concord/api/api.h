// The Concord HTTP endpoints (docs/api.md): Api turns a Coordinator into the
// three net::Handler's concordd serves, the user API (1313), the mesh API
// (7777) and plain HTTP (9102: /healthz, /readyz, /metrics). Handlers are
// thin: route by method and path (404, 405 with Allow), check Content-Type
// (415) and parse strict JSON bodies (requests.h, 400 naming the field),
// call the coordinator, and map its Status codes to HTTP errors
// {code, message, state} (503 with Retry-After). Handlers never put secrets
// into errors or logs; secrets appear only in the 200 bodies of POST
// /v1/mesh/cert (the workload secret) and POST /v1/peer/recover (seed, salt
// and mesh secret, sent with Cache-Control: no-store). /readyz follows Coordinator::Serving()
// (ready with a valid freshness lease). Routing is internal/router.h, the
// response bodies internal/responses.h, errors error_response.h (over the
// error table, wire/error_table.h), /metrics metrics_page.h. Thread-safe:
// handlers run concurrently on the server's workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/api/metrics_page.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/common/token_bucket.h"
#include "concord/coordinator/coordinator.h"
#include "concord/net/http.h"
#include "concord/net/server.h"
#include "concord/peer/peer_network.h"
#include "concord/wire/json_fields.h"

namespace concord::api {
namespace internal {
class Router;
}  // namespace internal

// Largest request body a handler accepts (413 beyond); the server's own
// limit (ServerOptions::max_body_bytes) applies first. The strict body parser
// (wire/json_fields.h) has the same bound as its backstop.
inline constexpr size_t kMaxRequestBodySize = wire::kMaxRequestBodySize;

struct ApiOptions {
  // Reported by GET /v1/status.
  std::string version = "dev";
  // Retry-After on 503 responses (rounded up to whole seconds, at least 1).
  absl::Duration retry_after = absl::Seconds(1);
  // Upper bound for POST /v1/mesh/cert's lifetime_seconds (the
  // coordinator's leaf lifetime).
  absl::Duration max_leaf_lifetime = absl::Hours(24);
  // Resident memory of the process in bytes for /metrics, or nullopt when
  // unknown. Default: none (concordd passes a /proc reader).
  std::function<std::optional<uint64_t>()> resident_memory_bytes;
  // POST /v1/attest makes a fresh report per call (up to ~1 s of the TEE on
  // TDX) for anyone: a rate bound for the whole replica and one per client
  // address (the PROXY source behind a balancer). Over it: 503 with
  // Retry-After, before any evidence is made.
  TokenBucketOptions attest_rate{.rate_per_second = 10, .burst = 20};
  TokenBucketOptions attest_rate_per_source{.rate_per_second = 2, .burst = 10};
};

struct ApiDeps {
  coordinator::Coordinator& coordinator;  // must outlive the Api
  Clock& clock;                           // mesh certificate timing
  Logger& log;
};

class Api final {
 public:
  // InvalidArgument for a non-positive retry_after or max_leaf_lifetime.
  static absl::StatusOr<std::unique_ptr<Api>> Create(ApiOptions options, ApiDeps deps);

  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;
  ~Api();

  // Handlers for the three listeners; each captures `this`, so the Api must
  // outlive the server that calls them.
  net::Handler UserHandler();
  net::Handler MeshHandler();
  net::Handler HttpHandler();

  net::HttpResponse HandleUser(const net::HttpRequest& request);
  net::HttpResponse HandleMesh(const net::HttpRequest& request);
  net::HttpResponse HandleHttp(const net::HttpRequest& request);

  // Shutdown has begun: /readyz fails from now on (other endpoints still
  // serve). Irreversible.
  void SetDraining();
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // Where /metrics reads the server's counters (set once the server exists;
  // may be called once, before the server starts).
  void SetServerStatsSource(std::function<net::ServerStats()> source);
  // Where /metrics reads the peer network's counters (replicas with
  // --peers); same rules as SetServerStatsSource.
  void SetPeerStatsSource(std::function<peer::PeerNetworkStats()> source);

  // The /metrics body.
  std::string MetricsText();

 private:
  Api(ApiOptions options, ApiDeps deps);

  // Routes, answers and counts one request (concord_requests_total).
  net::HttpResponse Dispatch(absl::string_view listener, const internal::Router& router,
                             const net::HttpRequest& request);
  // The error response for `status` in the current state; logs 5xx other
  // than 503.
  net::HttpResponse Error(const absl::Status& status);

  net::HttpResponse SetManifest(const net::HttpRequest& request);
  net::HttpResponse Manifests(const net::HttpRequest& request);
  net::HttpResponse SeedShares(const net::HttpRequest& request);
  net::HttpResponse Recover(const net::HttpRequest& request);
  net::HttpResponse Attest(const net::HttpRequest& request);
  net::HttpResponse Status(const net::HttpRequest& request);
  net::HttpResponse MeshCert(const net::HttpRequest& request);
  net::HttpResponse PeerRecover(const net::HttpRequest& request);
  net::HttpResponse PeerHead(const net::HttpRequest& request);
  net::HttpResponse Healthz(const net::HttpRequest& request);
  net::HttpResponse Readyz(const net::HttpRequest& request);
  net::HttpResponse Metrics(const net::HttpRequest& request);

  const ApiOptions options_;
  coordinator::Coordinator& coordinator_;
  Clock& clock_;
  Logger& log_;
  std::atomic<bool> draining_{false};
  TokenBucket attest_budget_;
  KeyedTokenBuckets attest_budget_per_source_;
  MetricsPage metrics_;
  std::unique_ptr<const internal::Router> user_router_;
  std::unique_ptr<const internal::Router> mesh_router_;
  std::unique_ptr<const internal::Router> http_router_;
};

}  // namespace concord::api
