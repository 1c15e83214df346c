#include "concord/client/api_client.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/common/time_format.h"
#include "concord/wire/error_table.h"
#include "nlohmann/json.hpp"

namespace concord::client {
namespace {

// Longest host name (RFC 1035) or address text accepted.
constexpr size_t kMaxHostSize = 253;
// Longest API error message shown to the operator.
constexpr size_t kMaxShownMessage = 1024;
// Largest Retry-After honoured: a server asking for more is capped.
constexpr absl::Duration kMaxRetryAfter = absl::Minutes(5);
// Error bodies are small ({code, message, state}); a larger or deeper one is
// shown as text.
constexpr json::StrictJsonOptions kErrorBodyOptions{
    .document = "error body", .max_size = 64 * 1024, .max_depth = 8};
// The mesh certificate is flat today; unknown fields, nested or not, are
// ignored.
constexpr json::StrictJsonOptions kMeshCertificateOptions{.document = "mesh certificate response",
                                                          .max_size = 1024 * 1024,
                                                          .max_depth = 8,
                                                          .code = absl::StatusCode::kDataLoss};

absl::Status BadEndpoint(absl::string_view field, absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field,
                                                 ": want HOST:PORT, [IPv6]:PORT or HOST, got \"",
                                                 text.substr(0, 300), "\" (", why, ")"));
}

bool ValidHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// Keeps printable ASCII only: the message ends up on the operator's terminal.
std::string Printable(absl::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxShownMessage)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text, uint16_t default_port,
                                       absl::string_view field) {
  if (text.empty()) {
    return BadEndpoint(field, text, "empty");
  }
  absl::string_view host;
  absl::string_view port_text;
  bool bracketed = false;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return BadEndpoint(field, text, "no closing ']'");
    }
    host = text.substr(1, close - 1);
    bracketed = true;
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return BadEndpoint(field, text, "want ':' after ']'");
      }
      port_text = rest.substr(1);
      if (port_text.empty()) {
        return BadEndpoint(field, text, "empty port");
      }
    }
  } else {
    size_t colon = text.find(':');
    if (colon != absl::string_view::npos && text.find(':', colon + 1) != absl::string_view::npos) {
      return BadEndpoint(field, text, "IPv6 addresses need brackets");
    }
    host = text.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = text.substr(colon + 1);
      if (port_text.empty()) {
        return BadEndpoint(field, text, "empty port");
      }
    }
  }
  if (host.empty()) {
    return BadEndpoint(field, text, "empty host");
  }
  if (host.size() > kMaxHostSize) {
    return BadEndpoint(field, text, "host too long");
  }
  for (char c : host) {
    if (!ValidHostChar(c) && !(bracketed && c == ':')) {
      return BadEndpoint(field, text, "invalid character in host");
    }
  }
  Endpoint endpoint{std::string(host), default_port};
  if (!port_text.empty()) {
    uint32_t port = 0;
    bool digits = port_text.size() <= 5 && std::all_of(port_text.begin(), port_text.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || !absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535) {
      return BadEndpoint(field, text, "port must be 1..65535");
    }
    endpoint.port = static_cast<uint16_t>(port);
  }
  if (endpoint.port == 0) {
    return BadEndpoint(field, text, "no port");
  }
  return endpoint;
}

ApiError ParseApiError(const net::HttpResponse& response) {
  ApiError error;
  error.http_status = response.status;
  // Header lookup by hand (case-insensitive), so this parser has no link-time
  // dependency on the HTTP implementation.
  for (const auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, "Retry-After")) {
      int64_t seconds = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &seconds) && seconds >= 0) {
        error.retry_after = std::min(absl::Seconds(seconds), kMaxRetryAfter);
      }
      break;
    }
  }
  // The body's "code" when it is a structured error.
  std::string code_name;
  std::string message;
  // An error body is {code, message, state}; anything else (including JSON
  // that is not strict) is shown as text.
  absl::StatusOr<nlohmann::json> parsed =
      json::ParseStrict<nlohmann::json>(response.body, kErrorBodyOptions);
  bool structured = false;
  if (parsed.ok() && parsed->is_object()) {
    const nlohmann::json& json = *parsed;
    auto code_it = json.find("code");
    auto message_it = json.find("message");
    if (code_it != json.end() && code_it->is_string() && message_it != json.end() &&
        message_it->is_string()) {
      structured = true;
      code_name = code_it->get<std::string>();
      message = Printable(message_it->get<std::string>());
      auto state_it = json.find("state");
      if (state_it != json.end() && state_it->is_string()) {
        error.state = Printable(state_it->get<std::string>());
      }
    }
  }
  if (!structured) {
    message = absl::StrCat("HTTP ", response.status);
    std::string body = Printable(absl::StripAsciiWhitespace(response.body));
    if (!body.empty()) {
      absl::StrAppend(&message, ": ", body.substr(0, 200));
    }
  }
  if (!error.state.empty()) {
    absl::StrAppend(&message, " (coordinator state: ", error.state, ")");
  }
  error.status = absl::Status(wire::ClientCodeForError(response.status, code_name), message);
  return error;
}

}  // namespace concord::client

namespace concord::client {

absl::StatusOr<MeshCertificate> ParseMeshCertificateResponse(absl::string_view body) {
  auto malformed = [](absl::string_view field, absl::string_view want) {
    return absl::DataLossError(absl::StrCat("mesh certificate response: ", field, ": ", want));
  };
  CONCORD_ASSIGN_OR_RETURN(nlohmann::json json,
                           json::ParseStrictSecret(body, kMeshCertificateOptions));
  // The workload secret's hex text: overwritten whatever the outcome.
  struct WipeOnExit {
    nlohmann::json& document;
    ~WipeOnExit() { json::WipeStrings(document); }
  } wipe{json};
  if (!json.is_object()) {
    return malformed("body", "want a JSON object");
  }
  auto string_field = [&](absl::string_view field) -> absl::StatusOr<std::string> {
    auto it = json.find(std::string(field));
    if (it == json.end() || !it->is_string()) {
      return malformed(field, "want a string");
    }
    return it->get<std::string>();
  };
  MeshCertificate cert;
  CONCORD_ASSIGN_OR_RETURN(cert.certificate_pem, string_field("certificate"));
  CONCORD_ASSIGN_OR_RETURN(cert.chain_pem, string_field("chain"));
  CONCORD_ASSIGN_OR_RETURN(cert.mesh_ca_pem, string_field("mesh_ca"));
  CONCORD_ASSIGN_OR_RETURN(cert.root_ca_pem, string_field("root_ca"));
  CONCORD_ASSIGN_OR_RETURN(cert.policy_name, string_field("policy"));
  CONCORD_ASSIGN_OR_RETURN(std::string not_after, string_field("not_after"));
  absl::StatusOr<absl::Time> parsed_not_after = ParseRfc3339(not_after, "not_after");
  if (!parsed_not_after.ok()) {
    return malformed("not_after", "want an RFC 3339 time");
  }
  cert.not_after = *parsed_not_after;
  auto generation = json.find("generation");
  if (generation == json.end() || !generation->is_number_unsigned() ||
      generation->get<uint64_t>() == 0) {
    return malformed("generation", "want a positive integer");
  }
  cert.generation = generation->get<uint64_t>();
  if (auto secret = json.find("workload_secret"); secret != json.end() && !secret->is_null()) {
    if (!secret->is_string()) {
      return malformed("workload_secret", "want 64 hex characters");
    }
    std::string& hex = secret->get_ref<std::string&>();
    absl::StatusOr<Bytes> bytes = HexDecodeExact(hex, 32, "workload_secret");
    OPENSSL_cleanse(hex.data(), hex.size());
    if (!bytes.ok()) {
      return malformed("workload_secret", "want 64 hex characters");
    }
    cert.workload_secret = crypto::SecretBytes(*bytes);
    OPENSSL_cleanse(bytes->data(), bytes->size());
  }
  return cert;
}

}  // namespace concord::client
