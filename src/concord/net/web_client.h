// A blocking HTTP/1.1 client for ordinary web services, checked the ordinary
// way (X.509 chain to a CA bundle plus host name), unlike HttpsClient which
// checks a coordinator's evidence: the etcd v3 JSON gateway (DESIGN.md §6),
// AMD KDS and Intel PCS (collateral). One connection, kept alive and reused;
// reconnects transparently when the server closed it. Not thread-safe: one
// client per thread (or a mutex around it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/net/http.h"

namespace concord::net {

struct WebClientOptions {
  // "http://host:port" or "https://host[:port]" (host: name, IPv4 or [IPv6];
  // default ports 80/443). No path, query or user info.
  std::string base_url;
  // https: PEM file of trusted CAs; empty: the system's default trust store.
  // The server certificate must chain to it and match the URL's host (name
  // or IP address).
  std::string ca_file;
  // https: optional client certificate chain and key (PEM files), e.g. for
  // etcd with --client-cert-auth.
  std::string client_cert_file;
  std::string client_key_file;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Per request: from sending the request to the end of the response.
  absl::Duration io_timeout = absl::Seconds(10);
  size_t max_response_bytes = 16 * 1024 * 1024;
  // Sent with every request (e.g. {"Authorization", "..."}): values are not
  // logged or put in error messages.
  std::vector<std::pair<std::string, std::string>> default_headers;
};

// Receives one chunk of a streamed response body; return false to stop.
using BodyChunkCallback = std::function<bool(absl::string_view chunk)>;

class WebClient final {
 public:
  // InvalidArgument naming the bad option (malformed URL, unreadable CA or
  // key file, key not matching the certificate).
  static absl::StatusOr<std::unique_ptr<WebClient>> Create(WebClientOptions options);
  ~WebClient();
  WebClient(const WebClient&) = delete;
  WebClient& operator=(const WebClient&) = delete;

  // Sends one request and reads the whole response. Any HTTP status is a
  // response, not an error. Errors: Unavailable (cannot connect, TLS
  // handshake or certificate check failed, connection lost, timeout), with
  // the host and the reason; DataLoss for a malformed response or one over
  // max_response_bytes.
  absl::StatusOr<HttpResponse> Call(
      absl::string_view method, absl::string_view target, absl::string_view body = "",
      absl::string_view content_type = "application/json",
      const std::vector<std::pair<std::string, std::string>>& headers = {});

  // For long-lived streamed responses (etcd watch): sends the request, then
  // passes the body to `on_chunk` as it arrives (chunked transfer decoded)
  // until the server ends it, `on_chunk` returns false, Cancel() is called,
  // or nothing arrives for `idle_timeout`. Returns the response head (status
  // and headers, empty body) on a clean end or stop; errors as for Call().
  // Uses its own connection; the kept-alive one is untouched.
  absl::StatusOr<HttpResponse> Stream(absl::string_view method, absl::string_view target,
                                      absl::string_view body, absl::Duration idle_timeout,
                                      const BodyChunkCallback& on_chunk);

  // Thread-safe: makes a running Stream() return promptly (Cancelled).
  void Cancel();

 private:
  class Impl;
  explicit WebClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace concord::net
