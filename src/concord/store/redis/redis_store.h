// The Redis Store backend (DESIGN.md §6): redis://host[:port]/prefix[?options]
// (options in redis_url.h; operator guide in docs/stores.md). Objects are
// plain Redis strings under "<prefix>/<key>"; Commit() is one Lua script
// (EVALSHA, EVAL on NOSCRIPT); Watch() follows keyspace notifications or
// polls. Registered as "redis" by store/builtin.cc when CONCORD_WITH_REDIS.
// The returned Store is thread-safe (a pool of connections).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "concord/store/registry.h"
#include "concord/store/store.h"

namespace concord::store {

// Opens the store named by `url` (scheme "redis"): parses the URL, reads the
// password from password_file= or the password_env= variable, connects
// (AUTH, SELECT), checks durability (CONFIG GET appendonly / appendfsync)
// and, with keyspace_events=enable, turns on keyspace notifications.
// InvalidArgument for a bad URL (naming the field); FailedPrecondition when
// the password cannot be read, or the server is not durable (or CONFIG is
// unavailable) and deps.allow_volatile_store is false (when true, a warning
// goes to deps.log); Unauthenticated / PermissionDenied when the server
// refuses the credentials (never included in messages); Unavailable when it
// cannot be reached.
absl::StatusOr<std::unique_ptr<Store>> OpenRedisStore(const StoreUrl& url, const Deps& deps);

}  // namespace concord::store
