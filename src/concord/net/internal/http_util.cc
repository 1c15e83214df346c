#include "concord/net/internal/http_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "concord/common/json_string.h"

namespace concord::net::internal {

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

HttpResponse JsonError(int status, absl::string_view code, absl::string_view message) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = absl::StrCat("{\"code\":", JsonQuote(code), ",\"message\":", JsonQuote(message),
                               ",\"state\":\"\"}");
  return response;
}

namespace {
// Header names and values must not carry CR/LF (response splitting).
bool SafeHeaderText(absl::string_view s) {
  return s.find_first_of("\r\n") == absl::string_view::npos;
}
}  // namespace

std::string SerializeResponse(const HttpResponse& response, bool keep_alive) {
  int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  if (!response.content_type.empty() && SafeHeaderText(response.content_type)) {
    absl::StrAppend(&out, "Content-Type: ", response.content_type, "\r\n");
  }
  absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  absl::StrAppend(&out, "Connection: ", keep_alive ? "keep-alive" : "close", "\r\n");
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || !SafeHeaderText(name) || !SafeHeaderText(value) ||
        name.find(':') != std::string::npos) {
      continue;
    }
    std::string lower = absl::AsciiStrToLower(name);
    if (lower == "content-length" || lower == "connection" || lower == "content-type") {
      continue;
    }
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  out += "\r\n";
  out += response.body;
  return out;
}

std::string SerializeRequest(absl::string_view method, absl::string_view target,
                             absl::string_view host, absl::string_view body,
                             absl::string_view content_type) {
  std::string out = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", host, "\r\n");
  if (!body.empty() && !content_type.empty()) {
    absl::StrAppend(&out, "Content-Type: ", content_type, "\r\n");
  }
  absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n\r\n");
  out.append(body.data(), body.size());
  return out;
}

}  // namespace concord::net::internal
