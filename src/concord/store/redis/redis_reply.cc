#include "concord/store/redis/redis_reply.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "concord/store/store.h"

namespace concord::store::internal {
namespace {

// Longest part of a server error message we repeat.
constexpr size_t kMaxEchoedError = 160;

absl::string_view ReplyText(const redisReply* reply) {
  return absl::string_view(reply->str == nullptr ? "" : reply->str,
                           reply->str == nullptr ? 0 : reply->len);
}

absl::string_view TypeName(int type) {
  switch (type) {
    case REDIS_REPLY_STRING:
      return "bulk string";
    case REDIS_REPLY_ARRAY:
      return "array";
    case REDIS_REPLY_INTEGER:
      return "integer";
    case REDIS_REPLY_NIL:
      return "nil";
    case REDIS_REPLY_STATUS:
      return "status";
    case REDIS_REPLY_ERROR:
      return "error";
    default:
      return "unknown";
  }
}

absl::Status Unexpected(absl::string_view operation, const redisReply* reply,
                        absl::string_view want) {
  return absl::InternalError(
      absl::StrCat(operation, ": want ", want, " reply from redis, got ", TypeName(reply->type)));
}

absl::string_view ErrorCode(absl::string_view text) {
  return text.substr(0, std::min(text.find(' '), size_t{32}));
}

}  // namespace

absl::Status ErrorReplyToStatus(absl::string_view operation, absl::string_view error_text,
                                bool echo_detail) {
  absl::string_view code = ErrorCode(error_text);
  std::string message = absl::StrCat(operation, ": redis replied ", absl::CEscape(code));
  if (echo_detail && code.size() < error_text.size()) {
    absl::StrAppend(&message, " (",
                    absl::CEscape(error_text.substr(code.size() + 1, kMaxEchoedError)), ")");
  }
  for (absl::string_view retry :
       {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "OOM"}) {
    if (code == retry) {
      return absl::UnavailableError(message);
    }
  }
  if (code == "NOAUTH" || code == "WRONGPASS") {
    return absl::UnauthenticatedError(message);
  }
  if (code == "NOPERM") {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

bool IsErrorCode(const redisReply* reply, absl::string_view code) {
  return reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
         ErrorCode(ReplyText(reply)) == code;
}

absl::StatusOr<std::optional<Bytes>> ParseGetReply(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_NIL:
      return std::nullopt;
    case REDIS_REPLY_STRING: {
      if (reply->len > kMaxValueSize) {
        return absl::DataLossError(absl::StrCat("redis GET: stored value of ", reply->len,
                                                " bytes exceeds the limit of ", kMaxValueSize));
      }
      absl::string_view text = ReplyText(reply);
      return std::optional<Bytes>(Bytes(text.begin(), text.end()));
    }
    case REDIS_REPLY_ERROR:
      return ErrorReplyToStatus("redis GET", ReplyText(reply));
    default:
      return absl::DataLossError(
          absl::StrCat("redis GET: want a bulk string or nil, got ", TypeName(reply->type)));
  }
}

absl::Status ParseStatusReply(absl::string_view operation, const redisReply* reply,
                              absl::string_view want) {
  if (reply->type == REDIS_REPLY_ERROR) {
    return ErrorReplyToStatus(operation, ReplyText(reply));
  }
  if (reply->type != REDIS_REPLY_STATUS || ReplyText(reply) != want) {
    return Unexpected(operation, reply, absl::StrCat("status \"", want, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseIntegerReply(absl::string_view operation, const redisReply* reply) {
  if (reply->type == REDIS_REPLY_ERROR) {
    return ErrorReplyToStatus(operation, ReplyText(reply));
  }
  if (reply->type != REDIS_REPLY_INTEGER) {
    return Unexpected(operation, reply, "an integer");
  }
  return static_cast<int64_t>(reply->integer);
}

absl::StatusOr<ScanPage> ParseScanReply(const redisReply* reply, absl::string_view redis_prefix) {
  if (reply->type == REDIS_REPLY_ERROR) {
    return ErrorReplyToStatus("redis SCAN", ReplyText(reply));
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_ARRAY) {
    return absl::InternalError("redis SCAN: want [cursor, [keys...]]");
  }
  ScanPage page;
  absl::string_view cursor = ReplyText(reply->element[0]);
  uint64_t cursor_value = 0;
  if (cursor.empty() || cursor.size() > 20 || !absl::SimpleAtoi(cursor, &cursor_value)) {
    return absl::InternalError("redis SCAN: cursor is not an unsigned integer");
  }
  page.cursor = std::string(cursor);
  const redisReply* keys = reply->element[1];
  if (keys->elements > kMaxListKeys) {
    return absl::DataLossError(
        absl::StrCat("redis SCAN: page of ", keys->elements, " keys exceeds ", kMaxListKeys));
  }
  for (size_t i = 0; i < keys->elements; ++i) {
    const redisReply* key = keys->element[i];
    if (key->type != REDIS_REPLY_STRING) {
      return absl::InternalError("redis SCAN: want bulk string keys");
    }
    absl::string_view name = ReplyText(key);
    if (!absl::ConsumePrefix(&name, redis_prefix) || !ValidateKey(name).ok()) {
      continue;
    }
    page.keys.emplace_back(name);
  }
  return page;
}

absl::StatusOr<std::optional<std::string>> ParseConfigGetReply(const redisReply* reply,
                                                               absl::string_view parameter) {
  std::string operation = absl::StrCat("redis CONFIG GET ", parameter);
  if (reply->type == REDIS_REPLY_ERROR) {
    return ErrorReplyToStatus(operation, ReplyText(reply));
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
    return Unexpected(operation, reply, "a [name, value] array");
  }
  for (size_t i = 0; i + 1 < reply->elements; i += 2) {
    const redisReply* name = reply->element[i];
    const redisReply* value = reply->element[i + 1];
    if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING) {
      return Unexpected(operation, reply, "bulk string names and values");
    }
    if (ReplyText(name) == parameter) {
      return std::optional<std::string>(std::string(ReplyText(value).substr(0, 256)));
    }
  }
  return std::nullopt;
}

absl::StatusOr<bool> ParseCommitReply(const redisReply* reply) {
  if (reply->type == REDIS_REPLY_ERROR) {
    return ErrorReplyToStatus("redis commit script", ReplyText(reply));
  }
  if (reply->type != REDIS_REPLY_INTEGER || (reply->integer != 0 && reply->integer != 1)) {
    return absl::InternalError("redis commit script: want integer 0 or 1");
  }
  return reply->integer == 1;
}

absl::StatusOr<PushKind> ParsePush(const redisReply* reply, absl::string_view channel) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING) {
    return absl::InternalError("redis subscription: want a [kind, channel, payload] push");
  }
  absl::string_view kind = ReplyText(reply->element[0]);
  const redisReply* name = reply->element[1];
  if (name->type != REDIS_REPLY_STRING || ReplyText(name) != channel) {
    return PushKind::kOther;
  }
  if (kind == "subscribe") {
    return PushKind::kSubscribed;
  }
  if (kind == "message") {
    return PushKind::kMessage;
  }
  return PushKind::kOther;
}

bool KeyspaceFlagsCover(absl::string_view flags) {
  const bool keyspace = absl::StrContains(flags, 'K');
  const bool all = absl::StrContains(flags, 'A');
  return keyspace && (all || (absl::StrContains(flags, '$') && absl::StrContains(flags, 'g')));
}

std::string KeyspaceFlagsWithRequired(absl::string_view flags) {
  std::string out(flags);
  for (char flag : {'K', '$', 'g'}) {
    if (!absl::StrContains(out, flag)) {
      out.push_back(flag);
    }
  }
  return out;
}

absl::Status CheckDurability(absl::string_view appendonly, absl::string_view appendfsync) {
  if (appendonly == "yes" && appendfsync == "always") {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "redis store: the server runs with appendonly ", absl::CEscape(appendonly.substr(0, 16)),
      " and appendfsync ", absl::CEscape(appendfsync.substr(0, 16)),
      "; Concord needs appendonly yes and appendfsync always so that an acknowledged commit "
      "survives a crash (set both in redis.conf, or CONFIG SET appendonly yes and CONFIG SET "
      "appendfsync always, then CONFIG REWRITE); for tests and demos only, "
      "--allow-volatile-store accepts it"));
}

void ReplyLimits::Install(redisReader* reader) {
  // hiredis's default table is private to it: copy it from the reader and
  // wrap only createArray (freeObject stays hiredis's freeReplyObject).
  functions_ = *reader->fn;
  default_create_array_ = functions_.createArray;
  functions_.createArray = &ReplyLimits::CreateArray;
  reader->fn = &functions_;
  reader->privdata = this;
}

void* ReplyLimits::CreateArray(const redisReadTask* task, int elements) {
  auto* self = static_cast<ReplyLimits*>(task->privdata);
  if (task->parent == nullptr) {
    self->elements_in_reply_ = 0;  // a new top-level reply
  }
  const size_t count = elements > 0 ? static_cast<size_t>(elements) : 0;
  if (count > kMaxReplyElements - self->elements_in_reply_) {
    self->exceeded_ = true;
    self->refused_elements_ = elements;
    return nullptr;  // hiredis fails the reader
  }
  self->elements_in_reply_ += count;
  return self->default_create_array_(task, elements);
}

std::string ReplyLimits::Message() const {
  return absl::StrCat("redis reader: an array reply announces ", refused_elements_,
                      " elements, over the bound of ", kMaxReplyElements,
                      " per reply (a corrupt or hostile server)");
}

absl::StatusOr<std::vector<ReplyPtr>> ParseRespStream(ByteView data, size_t max_replies) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(), redisReaderFree);
  if (reader == nullptr) {
    return absl::ResourceExhaustedError("redis reader: out of memory");
  }
  ReplyLimits limits;
  limits.Install(reader.get());
  if (redisReaderFeed(reader.get(), reinterpret_cast<const char*>(data.data()), data.size()) !=
      REDIS_OK) {
    return absl::InvalidArgumentError("redis reader: cannot buffer input");
  }
  std::vector<ReplyPtr> replies;
  while (replies.size() < max_replies) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
      if (limits.exceeded()) {
        return absl::InvalidArgumentError(limits.Message());
      }
      return absl::InvalidArgumentError(
          absl::StrCat("redis reader: protocol error: ", reader->errstr));
    }
    if (raw == nullptr) {
      break;
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

}  // namespace concord::store::internal
