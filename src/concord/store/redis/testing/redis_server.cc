#include "concord/store/redis/testing/redis_server.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concord/testing/ports.h"
#include "concord/testing/testdata.h"

extern char** environ;

namespace concord::store::testing {
namespace {

constexpr char kRedisServer[] = "/usr/bin/redis-server";
constexpr absl::Duration kStartDeadline = absl::Seconds(10);
constexpr int kStartAttempts = 5;
constexpr absl::Duration kStopDeadline = absl::Seconds(2);

std::string ReplyToText(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(reply->integer);
    case REDIS_REPLY_NIL:
      return "";
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> parts;
      for (size_t i = 0; i < reply->elements; ++i) {
        parts.push_back(ReplyToText(reply->element[i]));
      }
      return absl::StrJoin(parts, "\n");
    }
    default:
      return std::string(reply->str, reply->len);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(Options options) {
  std::unique_ptr<RedisServer> server(
      new RedisServer(std::move(options), concord::testing::MakeTempDir("redis")));
  absl::Status status;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    server->port_ = concord::testing::FreeLoopbackPort();
    if (server->port_ == 0) {
      return absl::InternalError("bind to 127.0.0.1:0 failed");
    }
    status = server->Launch();
    if (status.ok()) {
      status = server->WaitReady();
    }
    if (status.ok()) {
      return server;
    }
    server->Stop(SIGKILL);  // lost the port to someone else: try another
  }
  return status;
}

RedisServer::~RedisServer() { Stop(SIGTERM); }

std::string RedisServer::Url(absl::string_view prefix, absl::string_view query) const {
  return absl::StrCat("redis://", UrlRest(prefix, query));
}

std::string RedisServer::UrlRest(absl::string_view prefix, absl::string_view query) const {
  return absl::StrCat("127.0.0.1:", port_, "/", prefix, query.empty() ? "" : "?", query);
}

absl::Status RedisServer::Launch() {
  std::vector<std::string> args = {kRedisServer,
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--appendonly",
                                   "yes",
                                   "--appendfsync",
                                   "always",
                                   "--save",
                                   "",
                                   "--daemonize",
                                   "no",
                                   "--logfile",
                                   absl::StrCat(dir_, "/redis.log")};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, kRedisServer, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("posix_spawn ", kRedisServer, " failed: errno ", rc));
  }
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status RedisServer::WaitReady() {
  const absl::Time deadline = absl::Now() + kStartDeadline;
  while (absl::Now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("redis-server exited during start-up; see ", dir_, "/redis.log"));
    }
    absl::StatusOr<std::string> pong = Command({"PING"});
    if (pong.ok() && *pong == "PONG") {
      return absl::OkStatus();
    }
    // Polling the server's readiness, not waiting for time to pass.
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "redis-server on port ", port_, " not ready within ", absl::FormatDuration(kStartDeadline)));
}

absl::StatusOr<std::string> RedisServer::Command(const std::vector<std::string>& args) const {
  timeval timeout{2, 0};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (context == nullptr || context->err != 0) {
    std::string error = context == nullptr ? "no memory" : context->errstr;
    redisFree(context);
    return absl::UnavailableError(absl::StrCat("connect: ", error));
  }
  redisSetTimeout(context, timeout);
  auto run = [&](const std::vector<std::string>& command) -> absl::StatusOr<std::string> {
    std::vector<const char*> argv;
    std::vector<size_t> argvlen;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      argvlen.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), argvlen.data()));
    if (reply == nullptr) {
      return absl::UnavailableError(absl::StrCat("command: ", context->errstr));
    }
    std::string text = ReplyToText(reply);
    const bool error = reply->type == REDIS_REPLY_ERROR;
    freeReplyObject(reply);
    if (error) {
      return absl::InternalError(text);
    }
    return text;
  };
  absl::StatusOr<std::string> result = std::string();
  if (!options_.admin_password.empty()) {
    result = run({"AUTH", options_.admin_password});
  }
  if (result.ok()) {
    result = run(args);
  }
  redisFree(context);
  return result;
}

absl::Status RedisServer::FlushAll() const { return Command({"FLUSHALL"}).status(); }

absl::Status RedisServer::Kill() {
  Stop(SIGKILL);
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  Stop(SIGTERM);
  absl::Status status = Launch();
  if (!status.ok()) {
    return status;
  }
  return WaitReady();
}

void RedisServer::Stop(int signal) {
  if (pid_ <= 0) {
    return;
  }
  kill(pid_, signal);
  int wstatus = 0;
  // Redis ignores SIGTERM while it writes its first AOF file (after CONFIG
  // SET appendonly yes): give it a moment, then kill it.
  const absl::Time deadline = absl::Now() + kStopDeadline;
  while (signal != SIGKILL && absl::Now() < deadline) {
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  kill(pid_, SIGKILL);
  while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace concord::store::testing
