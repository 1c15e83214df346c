#include "concord/api/error_response.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/api/internal/responses.h"
#include "nlohmann/json.hpp"

namespace concord::api {

net::HttpResponse ErrorResponseFor(const wire::ApiErrorCode& error, absl::string_view message,
                                   absl::string_view state) {
  nlohmann::json body = nlohmann::json::object();
  body["code"] = std::string(error.name);
  // Coordinator messages are plain text; replace anything nlohmann cannot
  // serialize rather than throw.
  body["message"] = std::string(message);
  body["state"] = std::string(state);
  net::HttpResponse response;
  response.status = error.http_status;
  response.content_type = std::string(internal::kJsonType);
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

net::HttpResponse ErrorResponse(const absl::Status& status, absl::string_view state,
                                absl::Duration retry_after) {
  absl::Status error =
      status.ok() ? absl::InternalError("error response for an OK status") : status;
  net::HttpResponse response =
      ErrorResponseFor(wire::ApiErrorCodeFor(error.code()), error.message(), state);
  if (response.status == 503) {
    int64_t seconds = static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(retry_after)));
    response.headers.emplace_back("Retry-After", absl::StrCat(std::max<int64_t>(seconds, 1)));
  }
  return response;
}

}  // namespace concord::api
