// The 200 responses of the API's endpoints (docs/api.md): the JSON bodies
// built from the coordinator's results, plain text, and Cache-Control:
// no-store. Errors are in error_response.h. Pure functions; thread-safe.
// Used only by concord/api.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/coordinator/coordinator.h"
#include "concord/net/http.h"

namespace concord::api::internal {

inline constexpr absl::string_view kJsonType = "application/json";
inline constexpr absl::string_view kTextType = "text/plain; charset=utf-8";
inline constexpr absl::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

// 200 with a JSON body.
net::HttpResponse JsonOk(std::string body);
// `status` with a text/plain body.
net::HttpResponse Text(int status, std::string body);
// `response` with Cache-Control: no-store.
net::HttpResponse NoStore(net::HttpResponse response);

// POST /v1/manifest: the transition and its CA bundle, plus the seed shares
// when the set made some. Internal if the seed-shares document is not JSON.
absl::StatusOr<net::HttpResponse> SetManifestResponse(const coordinator::TransitionResult& result);
// POST /v1/recover: the transition and its CA bundle.
net::HttpResponse RecoverResponse(const coordinator::TransitionResult& result);
// GET /v1/manifests: the served history.
net::HttpResponse ManifestsResponse(const coordinator::HistoryExport& history);
// POST /v1/attest: the evidence and the statement it covers.
net::HttpResponse AttestResponse(const coordinator::AttestResult& result);
// GET /v1/status, reporting `version`.
net::HttpResponse StatusResponse(const coordinator::StatusInfo& info, absl::string_view version);
// POST /v1/mesh/cert: the leaf, its chain and CAs, and the workload secret
// if the policy has one (serialized without leaving copies; the server wipes
// the body after sending).
net::HttpResponse MeshCertResponse(const coordinator::WorkloadCertificate& issued);

}  // namespace concord::api::internal
