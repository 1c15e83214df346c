// Private to store/redis: turns hiredis replies (RESP2) into values and
// Status, one function per command shape, so every reply the server (which
// is untrusted) sends is checked for type and size in one place. Pure
// functions, no I/O; the fuzzer drives them through hiredis's own reader.
// Thread-safe (no state).
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"

namespace concord::store::internal {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Most keys one List() returns; more is treated as a corrupt store.
inline constexpr size_t kMaxListKeys = size_t{1} << 20;

// An error reply ("-NOSCRIPT ...", "-WRONGPASS ...") as a Status chosen by
// what the caller should do next: LOADING, BUSY, READONLY, MASTERDOWN,
// TRYAGAIN, CLUSTERDOWN, MISCONF, OOM -> Unavailable; NOAUTH, WRONGPASS ->
// Unauthenticated; NOPERM -> PermissionDenied; anything else -> Internal.
// The message is "<operation>: redis replied <CODE> ..."; with
// `echo_detail` false only the error code is kept (AUTH: never echo).
absl::Status ErrorReplyToStatus(absl::string_view operation, absl::string_view error_text,
                                bool echo_detail = true);

// True when `reply` is an error whose code (first word) is `code`.
bool IsErrorCode(const redisReply* reply, absl::string_view code);

// GET: the value, std::nullopt for nil. DataLoss when over kMaxValueSize or
// of an unexpected type; an error reply as ErrorReplyToStatus().
absl::StatusOr<std::optional<Bytes>> ParseGetReply(const redisReply* reply);

// A simple "+OK" style status reply equal to `want`.
absl::Status ParseStatusReply(absl::string_view operation, const redisReply* reply,
                              absl::string_view want);

// An integer reply.
absl::StatusOr<int64_t> ParseIntegerReply(absl::string_view operation, const redisReply* reply);

// One SCAN page: the next cursor ("0" when done) and the keys under
// `redis_prefix` with the prefix removed. Keys that are not valid store keys
// (written by something else) are skipped.
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};
absl::StatusOr<ScanPage> ParseScanReply(const redisReply* reply, absl::string_view redis_prefix);

// CONFIG GET <parameter>: its value, std::nullopt when the server does not
// know the parameter (empty array).
absl::StatusOr<std::optional<std::string>> ParseConfigGetReply(const redisReply* reply,
                                                               absl::string_view parameter);

// The commit script's reply: true when it swapped, false on a mismatch.
absl::StatusOr<bool> ParseCommitReply(const redisReply* reply);

// What a subscribed connection received.
enum class PushKind { kSubscribed, kMessage, kOther };
// Classifies a reply on a connection subscribed to `channel`: the
// confirmation of SUBSCRIBE, a message on it, or anything else (ignored).
// Internal for a malformed push.
absl::StatusOr<PushKind> ParsePush(const redisReply* reply, absl::string_view channel);

// notify-keyspace-events flags: does `flags` make Redis publish the keyspace
// events of SET (string class '$') and DEL (generic class 'g')?
bool KeyspaceFlagsCover(absl::string_view flags);
// `flags` plus whatever of "K$g" it lacks (for CONFIG SET).
std::string KeyspaceFlagsWithRequired(absl::string_view flags);

// The DESIGN §6 durability rule: OK only for appendonly "yes" and appendfsync
// "always"; otherwise FailedPrecondition naming both settings and the fix.
absl::Status CheckDurability(absl::string_view appendonly, absl::string_view appendfsync);

// Most array elements one reply may announce, nested arrays included. hiredis
// allocates an array's element table when it reads the header "*N", before
// any element arrived, so without a bound 13 bytes from the server (or from
// anyone between us and it) cost gigabytes. 2^18 pointers are 2 MiB; a SCAN
// page (COUNT 1000) and the commit script's replies are far below.
inline constexpr size_t kMaxReplyElements = size_t{1} << 18;

// Puts kMaxReplyElements on a hiredis reader: an array header that would
// exceed it fails the reader ("Out of memory" in hiredis's words; Message()
// says what happened). Install once per reader; the object must outlive it.
// Not thread-safe (one per reader, as the reader is).
class ReplyLimits final {
 public:
  ReplyLimits() = default;
  ReplyLimits(const ReplyLimits&) = delete;
  ReplyLimits& operator=(const ReplyLimits&) = delete;

  void Install(redisReader* reader);
  // After a reader error: true when this bound refused a header.
  bool exceeded() const { return exceeded_; }
  // The refusal, for error messages.
  std::string Message() const;

 private:
  static void* CreateArray(const redisReadTask* task, int elements);

  redisReplyObjectFunctions functions_{};
  void* (*default_create_array_)(const redisReadTask*, int) = nullptr;
  size_t elements_in_reply_ = 0;
  bool exceeded_ = false;
  long long refused_elements_ = 0;
};

// Parses a byte stream of RESP replies with hiredis's reader (the fuzzer's
// entry point), under ReplyLimits. InvalidArgument for a protocol error or an
// array over kMaxReplyElements; at most `max_replies`.
absl::StatusOr<std::vector<ReplyPtr>> ParseRespStream(ByteView data, size_t max_replies);

}  // namespace concord::store::internal
