#include "concord/store/builtin.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/store/file/file_store.h"
#include "concord/store/memory/memory_store.h"
#if defined(CONCORD_WITH_ETCD)
#include "concord/store/etcd/etcd_store.h"
#endif
#if defined(CONCORD_WITH_REDIS)
#include "concord/store/redis/redis_store.h"
#endif

namespace concord::store {
namespace {

absl::StatusOr<std::unique_ptr<Store>> OpenMemory(const StoreUrl& url, const Deps&) {
  if (!url.rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("store url memory://", url.rest, ": want exactly memory://"));
  }
  return std::unique_ptr<Store>(MemoryStore::Create());
}

absl::StatusOr<std::unique_ptr<Store>> OpenFile(const StoreUrl& url, const Deps& deps) {
  // file:///abs/dir: an empty authority, then an absolute path.
  if (url.rest.empty() || url.rest.front() != '/' || url.rest == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat("store url file://", url.rest,
                     ": want file:///absolute/directory (three slashes, no host)"));
  }
  if (url.rest.find_first_of("?#") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("store url file://", url.rest, ": query and fragment are not supported"));
  }
  FileStore::Options options;
  options.watch_poll_interval = deps.watch_poll_interval;
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<FileStore> store,
                           FileStore::Create(url.rest, std::move(options)));
  return std::unique_ptr<Store>(std::move(store));
}

[[maybe_unused]] StoreFactory NotBuilt(absl::string_view scheme, absl::string_view cmake_option) {
  return [scheme = std::string(scheme), cmake_option = std::string(cmake_option)](
             const StoreUrl&, const Deps&) -> absl::StatusOr<std::unique_ptr<Store>> {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", scheme, "://: backend not built into this binary (configure with -D",
                     cmake_option, "=ON)"));
  };
}

}  // namespace

void RegisterBuiltinStores(StoreRegistry& registry) {
  registry.Register("memory", OpenMemory);
  registry.Register("file", OpenFile);
#if defined(CONCORD_WITH_ETCD)
  registry.Register("etcd", OpenEtcdStore);
#else
  registry.Register("etcd", NotBuilt("etcd", "CONCORD_WITH_ETCD"));
#endif
#if defined(CONCORD_WITH_REDIS)
  registry.Register("redis", OpenRedisStore);
#else
  registry.Register("redis", NotBuilt("redis", "CONCORD_WITH_REDIS"));
#endif
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view url, const Deps& deps) {
  StoreRegistry registry;
  RegisterBuiltinStores(registry);
  return registry.Open(url, deps);
}

}  // namespace concord::store
