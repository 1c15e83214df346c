#include "concord/store/redis/redis_connection.h"

#include <sys/time.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "concord/common/status_macros.h"

namespace concord::store::internal {
namespace {

constexpr std::chrono::milliseconds kInitialBackoff(50);
constexpr std::chrono::milliseconds kMaxBackoff(1000);
// Idle connections kept for reuse; more concurrent callers get their own.
constexpr size_t kMaxIdle = 8;

}  // namespace

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisOptions& options, const crypto::SecretBytes& password) {
  const std::string endpoint = absl::StrCat(options.host, ":", options.port);
  redisContext* context = redisConnectWithTimeout(options.host.c_str(), options.port,
                                                  absl::ToTimeval(options.connect_timeout));
  if (context == nullptr) {
    return absl::ResourceExhaustedError("redis connect: cannot allocate a context");
  }
  std::unique_ptr<RedisConnection> connection(new RedisConnection(context, endpoint));
  if (context->err != 0) {
    return absl::UnavailableError(absl::StrCat("redis connect ", endpoint, ": ", context->errstr));
  }
  if (redisSetTimeout(context, absl::ToTimeval(options.command_timeout)) != REDIS_OK) {
    return connection->IoError("redis set timeout");
  }
  // Keep-alive only speeds up noticing a dead peer; failure is harmless.
  (void)redisEnableKeepAlive(context);
  if (!password.empty()) {
    absl::string_view secret(reinterpret_cast<const char*>(password.Reveal().data()),
                             password.size());
    std::vector<absl::string_view> args = {"AUTH"};
    if (!options.user.empty()) {
      args.push_back(options.user);
    }
    args.push_back(secret);
    CONCORD_ASSIGN_OR_RETURN(ReplyPtr reply, connection->Command(args));
    if (reply->type == REDIS_REPLY_ERROR) {
      absl::Status status =
          ErrorReplyToStatus("redis AUTH", absl::string_view(reply->str, reply->len),
                             /*echo_detail=*/false);
      std::string who = options.user.empty() ? std::string("the default user")
                                             : absl::StrCat("user \"", options.user, "\"");
      return absl::Status(status.code(), absl::StrCat(status.message(), ": ", endpoint,
                                                      " rejected the password of ", who,
                                                      " (check password_file= / password_env=)"));
    }
    CONCORD_RETURN_IF_ERROR(ParseStatusReply("redis AUTH", reply.get(), "OK"));
  }
  if (options.db != 0) {
    const std::string db = absl::StrCat(options.db);
    CONCORD_ASSIGN_OR_RETURN(ReplyPtr reply, connection->Command({"SELECT", db}));
    CONCORD_RETURN_IF_ERROR(ParseStatusReply(absl::StrCat("redis SELECT ", db), reply.get(), "OK"));
  }
  return connection;
}

RedisConnection::~RedisConnection() { redisFree(context_); }

absl::Status RedisConnection::IoError(absl::string_view operation) const {
  if (limits_.exceeded()) {
    return absl::DataLossError(absl::StrCat(operation, " ", endpoint_, ": ", limits_.Message()));
  }
  return absl::UnavailableError(
      absl::StrCat(operation, " ", endpoint_, ": ",
                   context_->errstr[0] != '\0' ? context_->errstr : "connection failed"));
}

absl::StatusOr<ReplyPtr> RedisConnection::Command(const std::vector<absl::string_view>& args) {
  if (broken()) {
    return IoError("redis command");
  }
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (absl::string_view arg : args) {
    argv.push_back(arg.data() != nullptr ? arg.data() : "");
    argvlen.push_back(arg.size());
  }
  void* raw =
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), argvlen.data());
  if (raw == nullptr) {
    return IoError(absl::StrCat("redis ", args.empty() ? "" : args.front()));
  }
  return ReplyPtr(static_cast<redisReply*>(raw));
}

absl::Status RedisConnection::ReadAvailable() {
  if (broken() || redisBufferRead(context_) != REDIS_OK) {
    return IoError("redis read");
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplyPtr> RedisConnection::TakeReply() {
  void* raw = nullptr;
  if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
    return IoError("redis read");
  }
  return ReplyPtr(static_cast<redisReply*>(raw));
}

bool RedisConnection::broken() const { return context_->err != 0; }

int RedisConnection::fd() const { return context_->fd; }

RedisConnectionPool::RedisConnectionPool(const RedisOptions& options,
                                         const crypto::SecretBytes& password, Logger* log)
    : options_(options), password_(password), log_(log) {}

absl::StatusOr<RedisConnectionPool::Lease> RedisConnectionPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      Lease lease{std::move(idle_.back()), true};
      idle_.pop_back();
      return lease;
    }
  }
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> connection, ConnectNew());
  return Lease{std::move(connection), false};
}

void RedisConnectionPool::Release(std::unique_ptr<RedisConnection> connection) {
  if (connection == nullptr || connection->broken()) {
    return;
  }
  absl::MutexLock lock(&mu_);
  if (idle_.size() < kMaxIdle) {
    idle_.push_back(std::move(connection));
  }
}

void RedisConnectionPool::DropIdle() {
  std::vector<std::unique_ptr<RedisConnection>> dropped;
  absl::MutexLock lock(&mu_);
  dropped.swap(idle_);
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnectionPool::ConnectNew() {
  {
    absl::MutexLock lock(&mu_);
    if (down_ && SteadyClock::now() < next_attempt_) {
      return absl::Status(last_error_.code(),
                          absl::StrCat(last_error_.message(), " (reconnecting with backoff)"));
    }
  }
  absl::StatusOr<std::unique_ptr<RedisConnection>> connection =
      RedisConnection::Connect(options_, password_);
  absl::MutexLock lock(&mu_);
  if (connection.ok()) {
    if (down_ && log_ != nullptr) {
      log_->Info("redis store reconnected",
                 {{"endpoint", absl::StrCat(options_.host, ":", options_.port)}});
    }
    down_ = false;
    backoff_ = {};
    return connection;
  }
  if (!down_ && log_ != nullptr) {
    log_->Warning("redis store connection failed; reconnecting with backoff",
                  {{"endpoint", absl::StrCat(options_.host, ":", options_.port)},
                   {"error", std::string(connection.status().message())}});
  }
  backoff_ = down_ ? std::min<SteadyClock::duration>(backoff_ * 2, kMaxBackoff)
                   : SteadyClock::duration(kInitialBackoff);
  down_ = true;
  next_attempt_ = SteadyClock::now() + backoff_;
  last_error_ = connection.status();
  return connection.status();
}

}  // namespace concord::store::internal
