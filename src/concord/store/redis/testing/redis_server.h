// TESTONLY: runs a real /usr/bin/redis-server on 127.0.0.1 and a free port
// with its own temp data dir (durable by default: appendonly yes, appendfsync
// always, no RDB snapshots), waits until it answers PING, and stops it when
// destroyed. Kill()/Restart() simulate a crash on the same port and dir.
// Not thread-safe; Command() may be called from any one thread at a time.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace concord::store::testing {

class RedisServer final {
 public:
  struct Options {
    // Appended after the defaults, so they override them (Redis applies
    // configuration in order), e.g. {"--appendonly", "no"}.
    std::vector<std::string> extra_args;
    // The password Command() authenticates with (when requirepass is set).
    std::string admin_password;
  };

  // Starts a server and waits (polling PING, 10 s at most) until it answers.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start() { return Start(Options()); }
  ~RedisServer();  // SIGTERM, then waits for the process
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // "redis://127.0.0.1:<port>/<prefix>" plus "?<query>" when not empty.
  std::string Url(absl::string_view prefix, absl::string_view query = "") const;
  // The part after "redis://", for OpenRedisStore's StoreUrl::rest.
  std::string UrlRest(absl::string_view prefix, absl::string_view query = "") const;

  // Runs one command on a fresh connection; returns the reply as text
  // (status, bulk string, integer; arrays are joined with '\n'). An error
  // reply becomes an Internal status holding its text.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args) const;
  absl::Status FlushAll() const;

  // SIGKILL (a crash), then waits for the process to be gone.
  absl::Status Kill();
  // Starts the server again on the same port and dir and waits for it.
  absl::Status Restart();

 private:
  RedisServer(Options options, std::string dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}
  absl::Status Launch();
  absl::Status WaitReady();
  void Stop(int signal);

  const Options options_;
  const std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace concord::store::testing
