#include "concord/wire/error_table.h"

namespace concord::wire {
namespace {

using Code = absl::StatusCode;

// docs/api.md, "Errors", lists the same rows. The rows with read_as nullopt
// are read by their HTTP status, which gives: OUT_OF_RANGE InvalidArgument,
// UNKNOWN Internal, UNIMPLEMENTED and CANCELLED Unavailable.
constexpr ApiErrorCode kTable[] = {
    {"OK", 200, Code::kOk, std::nullopt},
    {"INVALID_ARGUMENT", 400, Code::kInvalidArgument, Code::kInvalidArgument},
    {"OUT_OF_RANGE", 400, Code::kOutOfRange, std::nullopt},
    {"UNAUTHENTICATED", 401, Code::kUnauthenticated, Code::kUnauthenticated},
    {"PERMISSION_DENIED", 403, Code::kPermissionDenied, Code::kPermissionDenied},
    {"NOT_FOUND", 404, Code::kNotFound, Code::kNotFound},
    kMethodNotAllowed,
    {"ABORTED", 409, Code::kAborted, Code::kAborted},
    {"ALREADY_EXISTS", 409, Code::kAlreadyExists, Code::kAlreadyExists},
    {"FAILED_PRECONDITION", 412, Code::kFailedPrecondition, Code::kFailedPrecondition},
    // Too large a body is bad input for the client, not a quota to wait for.
    {"PAYLOAD_TOO_LARGE", 413, Code::kResourceExhausted, Code::kInvalidArgument},
    kUnsupportedMediaType,
    {"INTERNAL", 500, Code::kInternal, Code::kInternal},
    {"DATA_LOSS", 500, Code::kDataLoss, Code::kDataLoss},
    {"UNKNOWN", 500, Code::kUnknown, std::nullopt},
    {"UNIMPLEMENTED", 501, Code::kUnimplemented, std::nullopt},
    {"UNAVAILABLE", 503, Code::kUnavailable, Code::kUnavailable},
    {"DEADLINE_EXCEEDED", 503, Code::kDeadlineExceeded, Code::kDeadlineExceeded},
    {"CANCELLED", 503, Code::kCancelled, std::nullopt},
    // Read, never sent: the server names ResourceExhausted PAYLOAD_TOO_LARGE.
    {"RESOURCE_EXHAUSTED", 0, std::nullopt, Code::kResourceExhausted},
};

constexpr size_t kUnknownRow = 14;
static_assert(kTable[kUnknownRow].sent_for == Code::kUnknown);

}  // namespace

absl::Span<const ApiErrorCode> ApiErrorTable() { return kTable; }

const ApiErrorCode& ApiErrorCodeFor(absl::StatusCode code) {
  for (const ApiErrorCode& row : kTable) {
    if (row.sent_for == code) {
      return row;
    }
  }
  // absl::Status::code() is always canonical; anything else is Unknown's.
  return kTable[kUnknownRow];
}

int HttpStatusForCode(absl::StatusCode code) { return ApiErrorCodeFor(code).http_status; }

std::string ErrorCodeName(absl::StatusCode code) { return std::string(ApiErrorCodeFor(code).name); }

absl::StatusCode ClientCodeForHttpStatus(int http_status) {
  for (const ApiErrorCode& row : kTable) {
    if (row.http_status == http_status && row.read_as.has_value()) {
      return *row.read_as;
    }
  }
  if (http_status == 429 || http_status >= 500) {
    return Code::kUnavailable;
  }
  return Code::kUnknown;
}

absl::StatusCode ClientCodeForError(int http_status, absl::string_view name) {
  if (!name.empty()) {
    for (const ApiErrorCode& row : kTable) {
      if (row.name == name && row.read_as.has_value()) {
        return *row.read_as;
      }
    }
  }
  return ClientCodeForHttpStatus(http_status);
}

}  // namespace concord::wire
