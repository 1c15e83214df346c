#include "concord/store/redis/redis_store.h"

#include <openssl/evp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/store/internal/watch_loop.h"
#include "concord/store/redis/redis_connection.h"
#include "concord/store/redis/redis_reply.h"
#include "concord/store/redis/redis_url.h"

namespace concord::store {
namespace {

using internal::ParseCommitReply;
using internal::ParseConfigGetReply;
using internal::ParseGetReply;
using internal::ParseIntegerReply;
using internal::ParseScanReply;
using internal::ParseStatusReply;
using internal::RedisConnection;
using internal::RedisConnectionPool;
using internal::ReplyPtr;

// The compare-and-swap of Commit(), run atomically by Redis. KEYS[1] is
// latest, KEYS[2..] the objects; ARGV[1] is "1" when a value is expected
// (ARGV[2]) and "0" when latest must be absent, ARGV[3] the new latest,
// ARGV[4..] the object values. On a mismatch it writes nothing; latest is
// written last.
constexpr absl::string_view kCommitScript = R"lua(local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then
    return 0
  end
elseif current then
  return 0
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 2])
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
)lua";

// SCAN page size hint.
constexpr absl::string_view kScanCount = "1000";
// Longest password file read.
constexpr size_t kMaxPasswordSize = 4096;
// With notifications, a watch still re-reads this often, in case the events
// were switched off on the server after it subscribed.
constexpr absl::Duration kNotifiedWatchRecheck = absl::Seconds(30);

std::string ScriptSha1() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // One-shot digest: no OpenSSL object to own. SHA-1 only names the script
  // for EVALSHA (Redis's choice), it protects nothing.
  if (EVP_Digest(kCommitScript.data(), kCommitScript.size(), digest, &size, EVP_sha1(), nullptr) !=
      1) {
    return std::string();  // EVAL every time
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

absl::string_view View(ByteView bytes) {
  return absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// An eventfd that wakes the watch thread's poll().
class StopSignal final {
 public:
  StopSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~StopSignal() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Raise() {
    stopped_.store(true);
    uint64_t one = 1;
    // A full counter still wakes poll(); nothing to do on failure.
    (void)!write(fd_, &one, sizeof(one));
  }
  bool raised() const { return stopped_.load(); }

  // Waits up to `timeout` for the signal or, when `other_fd` >= 0, for it to
  // become readable. Returns true when stopped.
  bool Wait(absl::Duration timeout, int other_fd = -1, bool* other_ready = nullptr) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {other_fd, POLLIN, 0}};
    const int count = other_fd >= 0 ? 2 : 1;
    const int ms = static_cast<int>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 0, int64_t{1} << 30));
    int rc = poll(fds, count, ms);
    if (other_ready != nullptr) {
      *other_ready = rc > 0 && count == 2 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    }
    return raised();
  }

 private:
  const int fd_;
  std::atomic<bool> stopped_{false};
};

class RedisStore;

// A watch: the shared WatchLoop re-reads the key whenever nudged; a second
// thread nudges it on each keyspace notification (or every poll interval
// when notifications are unavailable).
class RedisWatch final : public WatchHandle {
 public:
  RedisWatch(RedisStore& store, internal::WatcherSet& watchers, std::string key,
             WatchCallback callback);
  ~RedisWatch() override;
  RedisWatch(const RedisWatch&) = delete;
  RedisWatch& operator=(const RedisWatch&) = delete;

 private:
  void Run();
  // Subscribes and forwards notifications until the connection fails or the
  // watch stops. Returns false when notifications are not available (poll).
  // Sets `subscribed` once the subscription was confirmed.
  bool FollowNotifications(RedisConnection& connection, bool& subscribed);
  void Poll();

  RedisStore& store_;
  const std::string key_;
  internal::WatchLoop* loop_ = nullptr;
  std::unique_ptr<internal::RegisteredWatch> registered_;
  StopSignal stop_;
  std::thread thread_;  // last: starts after everything above is set
};

class RedisStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<RedisStore>> Create(const RedisOptions& options,
                                                            const crypto::SecretBytes& password,
                                                            const Deps& deps) {
    std::unique_ptr<RedisStore> store(new RedisStore(options, password, deps));
    CONCORD_RETURN_IF_ERROR(store->CheckServer());
    return store;
  }

  absl::StatusOr<Bytes> Get(absl::string_view key) override {
    CONCORD_RETURN_IF_ERROR(ValidateKey(key));
    const std::string redis_key = RedisKey(key);
    std::optional<Bytes> value;
    CONCORD_RETURN_IF_ERROR(WithConnection(true, [&](RedisConnection& connection) {
      CONCORD_ASSIGN_OR_RETURN(ReplyPtr reply, connection.Command({"GET", redis_key}));
      CONCORD_ASSIGN_OR_RETURN(value, ParseGetReply(reply.get()));
      return absl::OkStatus();
    }));
    if (!value.has_value()) {
      return absl::NotFoundError(absl::StrCat("redis get ", key, ": not found"));
    }
    return *std::move(value);
  }

  absl::Status Put(absl::string_view key, ByteView value) override {
    CONCORD_RETURN_IF_ERROR(ValidatePut(key, value));
    const std::string redis_key = RedisKey(key);
    CONCORD_RETURN_IF_ERROR(WithConnection(true, [&](RedisConnection& connection) {
      CONCORD_ASSIGN_OR_RETURN(ReplyPtr reply, connection.Command({"SET", redis_key, View(value)}));
      CONCORD_RETURN_IF_ERROR(ParseStatusReply("redis SET", reply.get(), "OK"));
      return WaitForReplicas(connection);
    }));
    watchers_.Nudge(key);
    return absl::OkStatus();
  }

  absl::Status Delete(absl::string_view key) override {
    CONCORD_RETURN_IF_ERROR(ValidateKey(key));
    const std::string redis_key = RedisKey(key);
    CONCORD_RETURN_IF_ERROR(WithConnection(true, [&](RedisConnection& connection) {
      CONCORD_ASSIGN_OR_RETURN(ReplyPtr reply, connection.Command({"DEL", redis_key}));
      CONCORD_RETURN_IF_ERROR(ParseIntegerReply("redis DEL", reply.get()).status());
      return WaitForReplicas(connection);
    }));
    watchers_.Nudge(key);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix) override {
    CONCORD_RETURN_IF_ERROR(ValidatePrefix(prefix));
    // Keys and prefixes use [a-z0-9/_.-] only: nothing a glob would expand.
    const std::string pattern = absl::StrCat(key_prefix_, prefix, "*");
    std::vector<std::string> keys;
    CONCORD_RETURN_IF_ERROR(WithConnection(true, [&](RedisConnection& connection) {
      keys.clear();
      std::string cursor = "0";
      do {
        CONCORD_ASSIGN_OR_RETURN(
            ReplyPtr reply,
            connection.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount}));
        CONCORD_ASSIGN_OR_RETURN(internal::ScanPage page, ParseScanReply(reply.get(), key_prefix_));
        if (keys.size() + page.keys.size() > internal::kMaxListKeys) {
          return absl::DataLossError(
              absl::StrCat("redis list ", prefix, ": more than ", internal::kMaxListKeys, " keys"));
        }
        std::move(page.keys.begin(), page.keys.end(), std::back_inserter(keys));
        cursor = std::move(page.cursor);
      } while (cursor != "0");
      return absl::OkStatus();
    }));
    // SCAN may return a key more than once.
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(absl::string_view key,
                                                     WatchCallback callback) override {
    CONCORD_RETURN_IF_ERROR(ValidateKey(key));
    return std::unique_ptr<WatchHandle>(
        new RedisWatch(*this, watchers_, std::string(key), std::move(callback)));
  }

  absl::Status Commit(const std::vector<Object>& objects,
                      const std::optional<Bytes>& expected_latest, ByteView new_latest) override {
    CONCORD_RETURN_IF_ERROR(ValidateCommit(objects, new_latest));
    std::vector<std::string> keys;
    keys.reserve(objects.size() + 1);
    keys.push_back(RedisKey(kLatestKey));
    for (const Object& object : objects) {
      keys.push_back(RedisKey(object.key));
    }
    const std::string num_keys = absl::StrCat(keys.size());
    // Arguments after the script (or its SHA): numkeys, keys, then ARGV.
    std::vector<absl::string_view> tail = {num_keys};
    tail.insert(tail.end(), keys.begin(), keys.end());
    tail.push_back(expected_latest.has_value() ? "1" : "0");
    tail.push_back(expected_latest.has_value() ? View(*expected_latest) : absl::string_view());
    tail.push_back(View(new_latest));
    for (const Object& object : objects) {
      tail.push_back(View(object.value));
    }
    bool swapped = false;
    // Not retried on a fresh connection: the first attempt may have
    // committed, and a retry would then report Aborted.
    CONCORD_RETURN_IF_ERROR(WithConnection(false, [&](RedisConnection& connection) {
      ReplyPtr reply;
      if (!script_sha_.empty()) {
        std::vector<absl::string_view> args = {"EVALSHA", script_sha_};
        args.insert(args.end(), tail.begin(), tail.end());
        CONCORD_ASSIGN_OR_RETURN(reply, connection.Command(args));
      }
      if (reply == nullptr || internal::IsErrorCode(reply.get(), "NOSCRIPT")) {
        // Not cached on this server yet (or flushed): EVAL caches it.
        std::vector<absl::string_view> args = {"EVAL", kCommitScript};
        args.insert(args.end(), tail.begin(), tail.end());
        CONCORD_ASSIGN_OR_RETURN(reply, connection.Command(args));
      }
      CONCORD_ASSIGN_OR_RETURN(swapped, ParseCommitReply(reply.get()));
      if (!swapped) {
        return absl::OkStatus();
      }
      return WaitForReplicas(connection);
    }));
    if (!swapped) {
      return absl::AbortedError(expected_latest.has_value()
                                    ? "redis commit: latest no longer holds the expected value"
                                    : "redis commit: latest already exists");
    }
    watchers_.Nudge(kLatestKey);
    for (const Object& object : objects) {
      watchers_.Nudge(object.key);
    }
    return absl::OkStatus();
  }

  const RedisOptions& options() const { return pool_.options(); }
  const Deps& deps() const { return deps_; }
  RedisConnectionPool& pool() { return pool_; }
  std::string RedisKey(absl::string_view key) const { return absl::StrCat(key_prefix_, key); }
  Logger* log() const { return deps_.log; }

 private:
  RedisStore(const RedisOptions& options, const crypto::SecretBytes& password, const Deps& deps)
      : deps_(deps),
        pool_(options, password, deps.log),
        key_prefix_(absl::StrCat(options.prefix, "/")),
        script_sha_(ScriptSha1()) {}

  // Runs `fn` on a pooled connection. A connection that fails is dropped
  // with every idle one (Redis probably restarted); an idempotent `fn` that
  // failed on a reused connection is retried once on a new one.
  template <typename Fn>
  absl::Status WithConnection(bool idempotent, Fn fn) {
    for (int attempt = 0;; ++attempt) {
      CONCORD_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease, pool_.Acquire());
      absl::Status status = fn(*lease.connection);
      if (!lease.connection->broken()) {
        pool_.Release(std::move(lease.connection));
        return status;
      }
      pool_.DropIdle();
      if (!idempotent || !lease.reused || attempt > 0) {
        return status;
      }
    }
  }

  absl::Status WaitForReplicas(RedisConnection& connection) {
    const int want = options().replicas;
    if (want == 0) {
      return absl::OkStatus();
    }
    const std::string replicas = absl::StrCat(want);
    const std::string timeout_ms = absl::StrCat(absl::ToInt64Milliseconds(options().wait_timeout));
    CONCORD_ASSIGN_OR_RETURN(ReplyPtr reply, connection.Command({"WAIT", replicas, timeout_ms}));
    CONCORD_ASSIGN_OR_RETURN(int64_t acknowledged, ParseIntegerReply("redis WAIT", reply.get()));
    if (acknowledged < want) {
      return absl::UnavailableError(absl::StrCat(
          "redis WAIT: ", acknowledged, " of ", want, " replicas acknowledged the write within ",
          timeout_ms, " ms; it is on the primary but could be lost on failover"));
    }
    return absl::OkStatus();
  }

  // What Create() checks once: credentials, durability, notifications.
  absl::Status CheckServer() {
    CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> connection, pool_.ConnectNew());
    CONCORD_ASSIGN_OR_RETURN(ReplyPtr ping, connection->Command({"PING"}));
    if (absl::Status status = ParseStatusReply("redis PING", ping.get(), "PONG"); !status.ok()) {
      if (absl::IsUnauthenticated(status)) {
        return absl::UnauthenticatedError(
            absl::StrCat(status.message(),
                         ": the server requires a password (password_file= or "
                         "password_env= in the store URL)"));
      }
      return status;
    }
    CONCORD_RETURN_IF_ERROR(CheckDurability(*connection));
    if (options().keyspace_events == RedisKeyspaceEvents::kEnable) {
      CONCORD_RETURN_IF_ERROR(EnableKeyspaceEvents(*connection));
    }
    pool_.Release(std::move(connection));
    return absl::OkStatus();
  }

  absl::Status CheckDurability(RedisConnection& connection) {
    std::optional<std::string> values[2];
    absl::Status config_status;
    const absl::string_view names[2] = {"appendonly", "appendfsync"};
    for (int i = 0; i < 2 && config_status.ok(); ++i) {
      absl::StatusOr<ReplyPtr> reply = connection.Command({"CONFIG", "GET", names[i]});
      if (!reply.ok()) {
        return reply.status();  // connection failed: Unavailable
      }
      absl::StatusOr<std::optional<std::string>> value =
          ParseConfigGetReply(reply->get(), names[i]);
      if (!value.ok()) {
        config_status = value.status();
      } else if (!value->has_value()) {
        config_status = absl::NotFoundError(absl::StrCat(names[i], " is not a known setting"));
      } else {
        values[i] = **value;
      }
    }
    absl::Status status;
    if (!config_status.ok()) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "redis store: cannot check durability because CONFIG GET failed (",
          config_status.message(),
          "); Concord needs appendonly yes and appendfsync always and must be able to read them "
          "(managed Redis often renames or disables CONFIG); for tests and demos only, "
          "--allow-volatile-store accepts it"));
    } else {
      status = internal::CheckDurability(*values[0], *values[1]);
    }
    if (status.ok()) {
      return status;
    }
    if (!deps_.allow_volatile_store) {
      return status;
    }
    if (deps_.log != nullptr) {
      deps_.log->Warning(
          "REDIS STORE IS VOLATILE: an acknowledged commit can be lost in a crash "
          "(allowed by --allow-volatile-store; never use this in production)",
          {{"endpoint", absl::StrCat(options().host, ":", options().port)},
           {"appendonly", values[0].value_or("unknown")},
           {"appendfsync", values[1].value_or("unknown")}});
    }
    return absl::OkStatus();
  }

  absl::Status EnableKeyspaceEvents(RedisConnection& connection) {
    auto fail = [](const absl::Status& status) {
      return absl::FailedPreconditionError(
          absl::StrCat("redis store keyspace_events=enable: ", status.message(),
                       "; enable them in redis.conf (notify-keyspace-events K$g) and use "
                       "keyspace_events=detect, or keyspace_events=off to poll"));
    };
    CONCORD_ASSIGN_OR_RETURN(ReplyPtr reply,
                             connection.Command({"CONFIG", "GET", "notify-keyspace-events"}));
    absl::StatusOr<std::optional<std::string>> flags =
        ParseConfigGetReply(reply.get(), "notify-keyspace-events");
    if (!flags.ok()) {
      return fail(flags.status());
    }
    const std::string current = flags->value_or("");
    if (internal::KeyspaceFlagsCover(current)) {
      return absl::OkStatus();
    }
    const std::string wanted = internal::KeyspaceFlagsWithRequired(current);
    CONCORD_ASSIGN_OR_RETURN(
        ReplyPtr set, connection.Command({"CONFIG", "SET", "notify-keyspace-events", wanted}));
    if (absl::Status status =
            ParseStatusReply("redis CONFIG SET notify-keyspace-events", set.get(), "OK");
        !status.ok()) {
      return fail(status);
    }
    if (deps_.log != nullptr) {
      deps_.log->Info("redis keyspace notifications enabled", {{"notify-keyspace-events", wanted}});
    }
    return absl::OkStatus();
  }

  const Deps deps_;
  RedisConnectionPool pool_;
  const std::string key_prefix_;  // "<prefix>/"
  const std::string script_sha_;  // empty: always EVAL
  internal::WatcherSet watchers_;
};

RedisWatch::RedisWatch(RedisStore& store, internal::WatcherSet& watchers, std::string key,
                       WatchCallback callback)
    : store_(store), key_(std::move(key)) {
  auto loop = std::make_unique<internal::WatchLoop>(
      key_, [this]() { return store_.Get(key_); }, std::move(callback), absl::InfiniteDuration());
  loop_ = loop.get();
  registered_ = std::make_unique<internal::RegisteredWatch>(watchers, std::move(loop));
  thread_ = std::thread([this] { Run(); });
}

RedisWatch::~RedisWatch() {
  stop_.Raise();
  thread_.join();
  registered_.reset();
}

void RedisWatch::Run() {
  const RedisOptions& options = store_.options();
  if (options.keyspace_events == RedisKeyspaceEvents::kOff || !stop_.ok()) {
    Poll();
    return;
  }
  absl::Duration backoff = absl::Milliseconds(50);
  bool warned = false;
  while (!stop_.raised()) {
    absl::StatusOr<std::unique_ptr<RedisConnection>> connection = store_.pool().ConnectNew();
    if (!connection.ok()) {
      // Redis is down: re-read now and then, so the watch reports the outage
      // and, once Redis is back, the state at once.
      loop_->Nudge();
      if (stop_.Wait(std::min(backoff, store_.deps().watch_poll_interval))) {
        return;
      }
      backoff = std::min(backoff * 2, absl::Seconds(1));
      continue;
    }
    bool subscribed = false;
    if (!FollowNotifications(**connection, subscribed)) {
      if (!warned && store_.log() != nullptr) {
        warned = true;
        store_.log()->Info(
            "redis watch: keyspace notifications unavailable; polling",
            {{"key", key_}, {"interval", absl::FormatDuration(store_.deps().watch_poll_interval)}});
      }
      Poll();
      return;
    }
    // The subscription broke (or the server was busy loading): re-read,
    // then subscribe again after a pause that grows while it keeps failing.
    loop_->Nudge();
    backoff = subscribed ? absl::Milliseconds(50) : std::min(backoff * 2, absl::Seconds(1));
    if (stop_.Wait(std::min(backoff, store_.deps().watch_poll_interval))) {
      return;
    }
  }
}

bool RedisWatch::FollowNotifications(RedisConnection& connection, bool& subscribed) {
  absl::StatusOr<ReplyPtr> config = connection.Command({"CONFIG", "GET", "notify-keyspace-events"});
  if (!config.ok()) {
    return true;  // connection failed: reconnect
  }
  absl::StatusOr<std::optional<std::string>> flags =
      ParseConfigGetReply(config->get(), "notify-keyspace-events");
  if (!flags.ok() && absl::IsUnavailable(flags.status())) {
    return true;  // LOADING, BUSY: ask again later
  }
  if (!flags.ok() || !flags->has_value() || !internal::KeyspaceFlagsCover(**flags)) {
    return false;
  }
  const std::string channel =
      absl::StrCat("__keyspace@", store_.options().db, "__:", store_.RedisKey(key_));
  absl::StatusOr<ReplyPtr> confirmation = connection.Command({"SUBSCRIBE", channel});
  if (!confirmation.ok()) {
    return true;
  }
  absl::StatusOr<internal::PushKind> kind = internal::ParsePush(confirmation->get(), channel);
  if (!kind.ok() || *kind != internal::PushKind::kSubscribed) {
    return false;  // SUBSCRIBE refused (ACL): poll instead
  }
  // Changes between the last read and the subscription sent no event.
  subscribed = true;
  loop_->Nudge();
  while (true) {
    bool readable = false;
    if (stop_.Wait(kNotifiedWatchRecheck, connection.fd(), &readable)) {
      return true;
    }
    if (!readable) {
      loop_->Nudge();
      continue;
    }
    if (!connection.ReadAvailable().ok()) {
      return true;
    }
    while (true) {
      absl::StatusOr<ReplyPtr> push = connection.TakeReply();
      if (!push.ok()) {
        return true;
      }
      if (*push == nullptr) {
        break;
      }
      // Every event (set, del, expired, ...) means: read the key again.
      absl::StatusOr<internal::PushKind> push_kind = internal::ParsePush(push->get(), channel);
      if (push_kind.ok() && *push_kind == internal::PushKind::kMessage) {
        loop_->Nudge();
      }
    }
  }
}

void RedisWatch::Poll() {
  while (!stop_.Wait(store_.deps().watch_poll_interval)) {
    loop_->Nudge();
  }
}

absl::StatusOr<crypto::SecretBytes> ReadPassword(const RedisOptions& options) {
  if (!options.password_env.empty()) {
    // The composition root's environment, read once at open.
    const char* value = std::getenv(options.password_env.c_str());
    if (value == nullptr || value[0] == '\0') {
      return absl::FailedPreconditionError(
          absl::StrCat("store url redis:// password_env: environment variable ",
                       options.password_env, " is not set or empty"));
    }
    return crypto::SecretBytes(AsBytes(value));
  }
  if (options.password_file.empty()) {
    return crypto::SecretBytes();
  }
  // Read straight into wiping storage: no copy of the password outlives this.
  crypto::SecretBytes password(kMaxPasswordSize);
  absl::StatusOr<size_t> read =
      posix::ReadFileBoundedInto(options.password_file, password.RevealMutable());
  if (absl::IsInvalidArgument(read.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("store url redis:// password_file: ", options.password_file,
                     " is longer than ", kMaxPasswordSize, " bytes"));
  }
  if (!read.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store url redis:// password_file: ", read.status().message()));
  }
  const size_t size = *read;
  ByteView content = password.Reveal().first(size);
  // One trailing newline (as editors and `echo` write it) is not part of it.
  if (!content.empty() && content.back() == '\n') {
    content = content.first(content.size() - 1);
    if (!content.empty() && content.back() == '\r') {
      content = content.first(content.size() - 1);
    }
  }
  for (uint8_t c : content) {
    if (c == '\n' || c == '\r' || c == '\0') {
      return absl::FailedPreconditionError(
          absl::StrCat("store url redis:// password_file: ", options.password_file,
                       " must hold the password on one line"));
    }
  }
  if (content.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store url redis:// password_file: ", options.password_file, " is empty"));
  }
  return crypto::SecretBytes(content);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenRedisStore(const StoreUrl& url, const Deps& deps) {
  if (url.scheme != "redis") {
    return absl::InvalidArgumentError(
        absl::StrCat("store url ", url.scheme, "://: want scheme redis"));
  }
  CONCORD_ASSIGN_OR_RETURN(RedisOptions options, ParseRedisUrl(url.rest));
  CONCORD_ASSIGN_OR_RETURN(crypto::SecretBytes password, ReadPassword(options));
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<RedisStore> store,
                           RedisStore::Create(options, password, deps));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace concord::store
