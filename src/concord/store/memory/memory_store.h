// In-process Store backend (`memory://`): a sorted map behind a mutex, for
// tests and single-process development. Nothing survives the process.
// Thread-safe; watch callbacks run on one thread per watch.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "concord/store/internal/watch_loop.h"
#include "concord/store/store.h"

namespace concord::store {

class MemoryStore final : public Store {
 public:
  static std::unique_ptr<MemoryStore> Create();

  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  absl::StatusOr<Bytes> Get(absl::string_view key) override;
  absl::Status Put(absl::string_view key, ByteView value) override;
  absl::Status Delete(absl::string_view key) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix) override;
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(absl::string_view key,
                                                     WatchCallback callback) override;
  absl::Status Commit(const std::vector<Object>& objects,
                      const std::optional<Bytes>& expected_latest, ByteView new_latest) override;

 private:
  MemoryStore() = default;

  absl::Mutex mu_;
  std::map<std::string, Bytes, std::less<>> data_ ABSL_GUARDED_BY(mu_);
  internal::WatcherSet watchers_;
};

}  // namespace concord::store
