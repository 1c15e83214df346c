// HTTP/1.1 helpers shared by net's server and client: reason phrases,
// response/request serialization and the JSON error body of docs/api.md.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "concord/net/http.h"

namespace concord::net::internal {

// "OK", "Not Found", ... ("Unknown" for codes without a phrase here).
absl::string_view ReasonPhrase(int status);

// {"code":<code>,"message":<message>,"state":""} as an HttpResponse.
HttpResponse JsonError(int status, absl::string_view code, absl::string_view message);

// The wire form of `response`; `keep_alive` selects the Connection header.
std::string SerializeResponse(const HttpResponse& response, bool keep_alive);

// The wire form of a request with Host, Content-Length and, for a body,
// Content-Type.
std::string SerializeRequest(absl::string_view method, absl::string_view target,
                             absl::string_view host, absl::string_view body,
                             absl::string_view content_type);

}  // namespace concord::net::internal
