// Routes one listener's requests to its endpoints by method and path and
// refuses, before any endpoint runs, what none of them takes: 404 (no such
// path), 405 with Allow (a path without this method), 413 (a POST body over
// the limit) and 415 (a non-empty POST body that is not application/json).
// Used only by concord/api's Api. Immutable after construction; thread-safe
// when its handlers are.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "concord/net/http.h"

namespace concord::api::internal {

class Router final {
 public:
  using Handle = std::function<net::HttpResponse(const net::HttpRequest&)>;
  struct Route {
    absl::string_view method;  // static strings
    absl::string_view path;
    Handle handle;
  };

  // POST bodies over `max_body_bytes` are refused with 413.
  Router(std::vector<Route> routes, size_t max_body_bytes);

  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  struct Result {
    net::HttpResponse response;
    // The request metric's endpoint label: the path, or "unknown" for a
    // path no route has (so clients cannot grow the metric set).
    std::string endpoint;
  };
  // The matched endpoint's response, or the refusal. `state` names the
  // coordinator's state for a refusal's body; it is called only then.
  Result Dispatch(const net::HttpRequest& request,
                  absl::FunctionRef<absl::string_view()> state) const;

 private:
  const std::vector<Route> routes_;
  const size_t max_body_bytes_;
};

}  // namespace concord::api::internal
