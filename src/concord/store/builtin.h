// The store backends built into this binary, for the composition roots
// (concordd, concord): RegisterBuiltinStores() fills a registry with
// memory://, file:///abs/dir and, unless compiled in, etcd:// and redis://
// entries that explain the backend is not built. OpenStore() is the one-call
// form. Thread-safe.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/store/registry.h"
#include "concord/store/store.h"

namespace concord::store {

// Registers memory://, file:// (rest must be an absolute path: file:///dir),
// etcd:// and redis://.
void RegisterBuiltinStores(StoreRegistry& registry);

// Opens `url` with the built-in backends. InvalidArgument for a malformed URL
// or unknown scheme, FailedPrecondition for a backend not built into this
// binary, otherwise what the backend's Create() returns.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view url, const Deps& deps);

}  // namespace concord::store
