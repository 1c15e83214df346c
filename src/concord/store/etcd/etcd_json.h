// The etcd v3 JSON gateway's wire format as EtcdStore uses it (DESIGN.md §6):
// request bodies and strict parsers for the range, txn, watch and
// authenticate responses and for gateway errors. Keys and values travel
// base64-encoded; 64-bit integers as decimal strings; proto3 omits zero
// values (an empty value, `succeeded: false`, event type PUT). Pure
// functions, thread-safe; also the fuzz target's surface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"

namespace concord::store::etcd {

// Largest response body parsed (the gateway's own limit is about 2 MiB for
// our requests; a range of keys can be larger, so List pages would be
// needed beyond this).
inline constexpr size_t kMaxEtcdResponseBytes = 8 * 1024 * 1024;

struct KeyValue {
  std::string key;
  Bytes value;
  int64_t mod_revision = 0;
};

struct RangeResult {
  int64_t revision = 0;  // the store revision the read saw
  std::vector<KeyValue> kvs;
};

struct WatchMessage {
  int64_t revision = 0;
  bool created = false;
  bool canceled = false;
  int64_t compact_revision = 0;
  // Events in order; `deleted` events carry no value.
  struct Event {
    bool deleted = false;
    KeyValue kv;
  };
  std::vector<Event> events;
};

// {"key":..,"range_end":..,"keys_only":..} and friends.
std::string RangeRequest(absl::string_view key, absl::string_view range_end, bool keys_only);
std::string PutRequest(absl::string_view key, ByteView value);
std::string DeleteRequest(absl::string_view key);
// A txn that succeeds if `compare_key` holds `expected` (nullopt: does not
// exist) and then puts every (key, value) in order.
std::string CommitTxnRequest(absl::string_view compare_key, const std::optional<Bytes>& expected,
                             const std::vector<std::pair<std::string, ByteView>>& puts);
std::string WatchCreateRequest(absl::string_view key, int64_t start_revision);
std::string AuthenticateRequest(absl::string_view user, ByteView password);

// DataLoss naming the field for anything that is not the documented shape.
absl::StatusOr<RangeResult> ParseRangeResponse(absl::string_view body);
// Whether the txn's compare held.
absl::StatusOr<bool> ParseTxnResponse(absl::string_view body);
// One line of the watch stream: {"result":{...}} or {"error":{...}}; an
// error object comes back as its mapped Status.
absl::StatusOr<WatchMessage> ParseWatchMessage(absl::string_view line);
absl::StatusOr<std::string> ParseAuthenticateResponse(absl::string_view body);

// The Status for a non-200 gateway answer ({"error","code","message"}):
// Unavailable for unavailable/deadline codes and 5xx, Unauthenticated (16),
// PermissionDenied (7), InvalidArgument (3), FailedPrecondition (9),
// otherwise Internal; the message starts with `operation`.
absl::Status GatewayError(absl::string_view operation, int http_status, absl::string_view body);

// True if `status` (from GatewayError) says the auth token is missing,
// invalid or expired, so a fresh token may fix it.
bool IsAuthTokenError(const absl::Status& status);

}  // namespace concord::store::etcd
