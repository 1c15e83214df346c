// Fuzzes what the Redis store parses from outside: RESP replies (through
// hiredis's reader, then every reply interpreter of store/redis) and store
// URLs. The first byte picks the target.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/store/redis/redis_reply.h"
#include "concord/store/redis/redis_url.h"

using namespace concord::store::internal;  // NOLINT: fuzz entry point only

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const uint8_t mode = data[0];
  concord::ByteView rest(data + 1, size - 1);
  if (mode % 2 == 0) {
    (void)concord::store::ParseRedisUrl(concord::AsStringView(rest));
    return 0;
  }
  auto replies = ParseRespStream(rest, 16);
  if (!replies.ok()) {
    return 0;
  }
  for (const ReplyPtr& reply : *replies) {
    const redisReply* r = reply.get();
    (void)ParseGetReply(r);
    (void)ParseStatusReply("fuzz", r, "OK");
    (void)ParseIntegerReply("fuzz", r);
    (void)ParseScanReply(r, "concord/");
    (void)ParseConfigGetReply(r, "appendonly");
    (void)ParseCommitReply(r);
    (void)ParsePush(r, "__keyspace@0__:concord/latest");
    (void)IsErrorCode(r, "NOSCRIPT");
    if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR ||
        r->type == REDIS_REPLY_STRING) {
      absl::string_view text(r->str, r->len);
      (void)ErrorReplyToStatus("fuzz", text);
      (void)KeyspaceFlagsCover(text);
      (void)KeyspaceFlagsWithRequired(text.substr(0, 64));
      (void)CheckDurability(text, text);
    }
  }
  return 0;
}
