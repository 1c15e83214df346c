// The API's error table (docs/api.md, "Errors"): which HTTP status and JSON
// error "code" the server sends for each absl::StatusCode, and which
// StatusCode a client makes of an error response. One table serves the
// server (api.h), the user-API client (client/api_client.h) and the peer
// client (peer/peer_network.h), so the two directions cannot drift apart. In
// wire/ (target concord_wire, common and crypto only) so a client can use it
// without linking the server. Pure functions over constant data; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace concord::wire {

// One row: an error "code" string of the API, the HTTP status it is sent
// with, the Status code the server sends it for, and what a client reads it
// as.
struct ApiErrorCode {
  absl::string_view name;  // the JSON error's "code"
  int http_status;         // 0: never sent (read only)
  // The server sends this row for a Status with this code; nullopt for the
  // router's own refusals (405, 415) and names it only reads.
  std::optional<absl::StatusCode> sent_for;
  // What a client makes of a response naming this row; nullopt: the client
  // goes by the HTTP status (ClientCodeForHttpStatus).
  std::optional<absl::StatusCode> read_as;
};

// The router's refusals, which no Status code produces.
inline constexpr ApiErrorCode kMethodNotAllowed{"METHOD_NOT_ALLOWED", 405, std::nullopt,
                                                absl::StatusCode::kInvalidArgument};
inline constexpr ApiErrorCode kUnsupportedMediaType{"UNSUPPORTED_MEDIA_TYPE", 415, std::nullopt,
                                                    absl::StatusCode::kInvalidArgument};

// Every row. For an HTTP status several rows share, the first with a
// `read_as` is what that status means on its own (INTERNAL before DATA_LOSS,
// ABORTED before ALREADY_EXISTS).
absl::Span<const ApiErrorCode> ApiErrorTable();

// The row the server sends for `code` (every code has one; OK maps to 200).
const ApiErrorCode& ApiErrorCodeFor(absl::StatusCode code);

// The HTTP status for a Status code (docs/api.md, "Errors").
int HttpStatusForCode(absl::StatusCode code);
// The error's "code" string: absl's upper-case code name, except
// PAYLOAD_TOO_LARGE (ResourceExhausted); METHOD_NOT_ALLOWED and
// UNSUPPORTED_MEDIA_TYPE come from the router.
std::string ErrorCodeName(absl::StatusCode code);

// What a client makes of an HTTP status alone: the first row with that
// status and a `read_as`; else 429 and any other 5xx are Unavailable (retry
// later), anything else Unknown.
absl::StatusCode ClientCodeForHttpStatus(int http_status);

// What a client makes of an error response: the `read_as` of the row named
// `name` (the body's "code"; empty when the body names none), else by the
// HTTP status (ClientCodeForHttpStatus). Never OK: Unknown instead.
absl::StatusCode ClientCodeForError(int http_status, absl::string_view name);

}  // namespace concord::wire
