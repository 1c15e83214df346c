// Parses the part of a Redis store URL after "redis://" into RedisOptions:
//   redis://host[:port]/prefix[?option=value&...]
// Pure (no I/O, no environment): the password named by password_file= or
// password_env= is resolved by OpenRedisStore(). Used by redis_store.cc, the
// tests and the fuzzer. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace concord::store {

// How a Watch() learns about changes.
enum class RedisKeyspaceEvents {
  // CONFIG GET notify-keyspace-events on every (re)connect of a watch: use
  // notifications when the server emits the events Concord needs (K plus $ and
  // g, or A), otherwise poll at Deps::watch_poll_interval. The default.
  kDetect,
  // At open, add the missing flags with CONFIG SET notify-keyspace-events
  // (fails the open when CONFIG is not allowed), then as kDetect.
  kEnable,
  // Never subscribe: always poll.
  kOff,
};

struct RedisOptions {
  std::string host;  // name, IPv4 or IPv6 (without brackets)
  int port = 6379;
  // Every key is stored as "<prefix>/<key>"; the prefix follows the key rules
  // of store.h (e.g. "concord" or "prod/concord").
  std::string prefix;
  int db = 0;                 // SELECT db (0 = no SELECT)
  std::string user;           // ACL user for AUTH (empty: legacy AUTH)
  std::string password_file;  // file holding the password (one line)
  std::string password_env;   // environment variable holding the password
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(5);
  int replicas = 0;  // WAIT <replicas> after every write (0: no WAIT)
  absl::Duration wait_timeout = absl::Seconds(1);
  RedisKeyspaceEvents keyspace_events = RedisKeyspaceEvents::kDetect;
};

// Longest URL accepted (the rest after "redis://").
inline constexpr size_t kMaxRedisUrlSize = 2048;

// Parses "host[:port]/prefix[?options]". Options: db, user, password_file,
// password_env, connect_timeout_ms, timeout_ms, replicas, wait_timeout_ms,
// keyspace_events (detect|enable|off). InvalidArgument naming the field and
// what was expected: credentials in the authority ("user:pass@") are refused
// without echoing them, as are unknown or repeated options.
absl::StatusOr<RedisOptions> ParseRedisUrl(absl::string_view rest);

}  // namespace concord::store
