// HTTP/1.1 messages as the Concord servers and clients exchange them
// (DESIGN.md §5): small value types shared by net's Server and HttpsClient,
// the API handlers, the CLI and concord-init.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/atls/atls_protocol.h"
#include "concord/attest/evidence.h"

namespace concord::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, e.g. "/v1/status"
  std::string content_type;
  std::string body;
  // TLS listeners: the client's certificate, when it sent one (its key is
  // proven by the handshake; nothing else about it is checked unless the
  // listener requires attestation).
  std::optional<atls::PeerCertificate> peer;
  // Attested listeners: what the verified evidence of `peer` states (its
  // authenticity and binding; what the caller may do is the handler's to
  // decide per request), the report data it was bound to, and when it was
  // verified, so a handler can verify it again once the claims are old.
  std::optional<attest::Claims> peer_claims;
  std::array<uint8_t, 64> peer_report_data{};
  absl::Time peer_verified_at = absl::InfinitePast();
  // "ip:port" of the client as the socket (or, later, the PROXY header) says.
  std::string remote_address;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers, e.g. {"Retry-After", "1"}.
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of the first header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(absl::string_view name) const;
};

}  // namespace concord::net
