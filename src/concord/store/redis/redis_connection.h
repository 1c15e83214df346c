// Private to store/redis: one blocking hiredis connection with connect and
// command timeouts, AUTH and SELECT done at connect, and a pool that hands
// connections to concurrent callers and reconnects with bounded exponential
// backoff. RedisConnection is not thread-safe (one user at a time);
// RedisConnectionPool is thread-safe.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/log.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/store/redis/redis_reply.h"
#include "concord/store/redis/redis_url.h"

namespace concord::store::internal {

class RedisConnection final {
 public:
  // Connects within options.connect_timeout, sets the command timeout, then
  // AUTH (when `password` is not empty) and SELECT (db != 0). Unavailable when
  // the server cannot be reached; Unauthenticated when it rejects the
  // credentials (the message never holds them).
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(
      const RedisOptions& options, const crypto::SecretBytes& password);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and waits for its reply (an error reply is a reply,
  // not a failed Status). Unavailable when the connection failed or timed
  // out; the connection is then broken() and must be discarded.
  absl::StatusOr<ReplyPtr> Command(const std::vector<absl::string_view>& args);

  // For a subscribed connection: reads what the socket holds (call when
  // poll() reports it readable), then TakeReply() returns the complete
  // replies one by one (null when none is left). Unavailable as Command().
  absl::Status ReadAvailable();
  absl::StatusOr<ReplyPtr> TakeReply();

  bool broken() const;
  int fd() const;

 private:
  RedisConnection(redisContext* context, std::string endpoint)
      : context_(context), endpoint_(std::move(endpoint)) {
    if (context_->reader != nullptr) {
      limits_.Install(context_->reader);
    }
  }
  absl::Status IoError(absl::string_view operation) const;

  redisContext* const context_;
  const std::string endpoint_;  // "host:port", for messages
  ReplyLimits limits_;          // on context_->reader, which the destructor body frees first
};

// Connections for concurrent callers: Acquire() returns an idle one or makes
// a new one; after a failed connect, new connects are refused (Unavailable,
// at once) until a backoff of 50 ms doubling to 1 s has passed, so callers
// fail fast while Redis is down and reconnect promptly when it is back.
class RedisConnectionPool final {
 public:
  // `log` may be null; `options` and `password` are copied.
  RedisConnectionPool(const RedisOptions& options, const crypto::SecretBytes& password,
                      Logger* log);
  RedisConnectionPool(const RedisConnectionPool&) = delete;
  RedisConnectionPool& operator=(const RedisConnectionPool&) = delete;

  struct Lease {
    std::unique_ptr<RedisConnection> connection;
    bool reused = false;  // came from the idle list (it may have gone stale)
  };
  absl::StatusOr<Lease> Acquire();
  // Returns a healthy connection to the idle list (broken ones are dropped).
  void Release(std::unique_ptr<RedisConnection> connection);
  // Drops every idle connection (after one failed: the others likely did too).
  void DropIdle();
  // A new connection outside the pool (subscriptions), under the same backoff.
  absl::StatusOr<std::unique_ptr<RedisConnection>> ConnectNew();

  const RedisOptions& options() const { return options_; }

 private:
  using SteadyClock = std::chrono::steady_clock;

  const RedisOptions options_;
  const crypto::SecretBytes password_;
  Logger* const log_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  SteadyClock::duration backoff_ ABSL_GUARDED_BY(mu_){};
  SteadyClock::time_point next_attempt_ ABSL_GUARDED_BY(mu_){};
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace concord::store::internal
