#include "concord/api/internal/router.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/api/error_response.h"
#include "concord/api/internal/responses.h"
#include "concord/wire/error_table.h"

namespace concord::api::internal {
namespace {

// The media type of a Content-Type value, lower case, parameters dropped.
std::string MediaType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(media));
}

}  // namespace

Router::Router(std::vector<Route> routes, size_t max_body_bytes)
    : routes_(std::move(routes)), max_body_bytes_(max_body_bytes) {}

Router::Result Router::Dispatch(const net::HttpRequest& request,
                                absl::FunctionRef<absl::string_view()> state) const {
  absl::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  const Route* match = nullptr;
  std::vector<absl::string_view> allowed;
  for (const Route& route : routes_) {
    if (route.path != path) {
      continue;
    }
    allowed.push_back(route.method);
    if (route.method == request.method) {
      match = &route;
    }
  }
  Result result;
  result.endpoint = allowed.empty() ? "unknown" : std::string(path);
  if (allowed.empty()) {
    result.response = ErrorResponseFor(wire::ApiErrorCodeFor(absl::StatusCode::kNotFound),
                                       "no such endpoint", state());
  } else if (match == nullptr) {
    result.response = ErrorResponseFor(
        wire::kMethodNotAllowed,
        absl::StrCat("method not allowed; use ", absl::StrJoin(allowed, ", ")), state());
    result.response.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
  } else if (match->method == "POST" && request.body.size() > max_body_bytes_) {
    result.response = ErrorResponseFor(
        wire::ApiErrorCodeFor(absl::StatusCode::kResourceExhausted),
        absl::StrCat("body: want at most ", max_body_bytes_, " bytes, got ", request.body.size()),
        state());
  } else if (match->method == "POST" && !request.body.empty() &&
             MediaType(request.content_type) != kJsonType) {
    result.response = ErrorResponseFor(wire::kUnsupportedMediaType,
                                       "Content-Type: want application/json", state());
  } else {
    result.response = match->handle(request);
  }
  return result;
}

}  // namespace concord::api::internal
