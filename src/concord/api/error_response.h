// Errors as HTTP responses (docs/api.md, "Errors"): the JSON body
// {code, message, state} with the status and code of the API's error table
// (error_table.h), Retry-After on 503. Used by the Api's handlers and router.
// Pure functions; thread-safe.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/net/http.h"
#include "concord/wire/error_table.h"

namespace concord::api {

// {code, message, state} with the mapped status; Retry-After on 503
// (`retry_after` rounded up to whole seconds, at least 1). An OK `status`
// is answered as Internal.
net::HttpResponse ErrorResponse(const absl::Status& status, absl::string_view state,
                                absl::Duration retry_after);

// {code, message, state} with `error`'s HTTP status and name, no extra
// header (the router's refusals).
net::HttpResponse ErrorResponseFor(const wire::ApiErrorCode& error, absl::string_view message,
                                   absl::string_view state);

}  // namespace concord::api
