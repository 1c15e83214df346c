// Maps store URL schemes ("memory", "file", "etcd", "redis") to factories, so
// configuration names a backend without the caller linking against it. The
// composition root fills a registry (store/builtin.h) and opens the URL from
// its flags. Register() before use; Open() is then thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/common/log.h"
#include "concord/store/store.h"

namespace concord::store {

// What a backend may need from its host.
struct Deps {
  // How often polling watches re-read (file store; Redis without keyspace
  // notifications).
  absl::Duration watch_poll_interval = absl::Milliseconds(100);
  // Redis: accept a server without `appendonly yes` + `appendfsync always`
  // (DESIGN.md §6; concordd --allow-volatile-store). Tests and demos only.
  bool allow_volatile_store = false;
  // Reconnects, endpoint failover and durability warnings (never values or
  // credentials). Null: silent.
  Logger* log = nullptr;
};

// A parsed store URL: "<scheme>://<rest>".
struct StoreUrl {
  std::string scheme;  // lower case, e.g. "file"
  std::string rest;    // everything after "://", e.g. "/var/lib/concord"
};

// Splits "<scheme>://<rest>". InvalidArgument when there is no "://" or the
// scheme is not [a-z][a-z0-9+.-]*.
absl::StatusOr<StoreUrl> ParseStoreUrl(absl::string_view url);

using StoreFactory =
    std::function<absl::StatusOr<std::unique_ptr<Store>>(const StoreUrl& url, const Deps& deps)>;

class StoreRegistry final {
 public:
  StoreRegistry() = default;
  StoreRegistry(const StoreRegistry&) = delete;
  StoreRegistry& operator=(const StoreRegistry&) = delete;

  // Registers `factory` for `scheme`, replacing an earlier one.
  void Register(absl::string_view scheme, StoreFactory factory);

  // Opens `url` with the factory of its scheme. InvalidArgument for a
  // malformed URL or an unknown scheme; otherwise whatever the factory
  // returns.
  absl::StatusOr<std::unique_ptr<Store>> Open(absl::string_view url, const Deps& deps) const;

 private:
  absl::flat_hash_map<std::string, StoreFactory> factories_;
};

}  // namespace concord::store
