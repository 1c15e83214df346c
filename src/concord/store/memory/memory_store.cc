#include "concord/store/memory/memory_store.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"

namespace concord::store {

std::unique_ptr<MemoryStore> MemoryStore::Create() {
  return std::unique_ptr<MemoryStore>(new MemoryStore());
}

absl::StatusOr<Bytes> MemoryStore::Get(absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  auto it = data_.find(key);
  if (it == data_.end()) {
    return absl::NotFoundError(absl::StrCat("store get ", key, ": not found"));
  }
  return it->second;
}

absl::Status MemoryStore::Put(absl::string_view key, ByteView value) {
  CONCORD_RETURN_IF_ERROR(ValidatePut(key, value));
  {
    absl::MutexLock lock(&mu_);
    data_.insert_or_assign(std::string(key), Bytes(value.begin(), value.end()));
  }
  watchers_.Nudge(key);
  return absl::OkStatus();
}

absl::Status MemoryStore::Delete(absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateKey(key));
  {
    absl::MutexLock lock(&mu_);
    auto it = data_.find(key);
    if (it == data_.end()) {
      return absl::OkStatus();
    }
    data_.erase(it);
  }
  watchers_.Nudge(key);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemoryStore::List(absl::string_view prefix) {
  CONCORD_RETURN_IF_ERROR(ValidatePrefix(prefix));
  std::vector<std::string> keys;
  absl::MutexLock lock(&mu_);
  for (auto it = data_.lower_bound(prefix);
       it != data_.end() && absl::StartsWith(it->first, prefix); ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<WatchHandle>> MemoryStore::Watch(absl::string_view key,
                                                                WatchCallback callback) {
  CONCORD_RETURN_IF_ERROR(ValidateKey(key));
  std::string owned_key(key);
  auto loop = std::make_unique<internal::WatchLoop>(
      owned_key, [this, owned_key] { return Get(owned_key); }, std::move(callback),
      absl::InfiniteDuration());
  return std::make_unique<internal::RegisteredWatch>(watchers_, std::move(loop));
}

absl::Status MemoryStore::Commit(const std::vector<Object>& objects,
                                 const std::optional<Bytes>& expected_latest, ByteView new_latest) {
  CONCORD_RETURN_IF_ERROR(ValidateCommit(objects, new_latest));
  {
    absl::MutexLock lock(&mu_);
    auto it = data_.find(kLatestKey);
    const bool matches = expected_latest.has_value()
                             ? (it != data_.end() && it->second == *expected_latest)
                             : it == data_.end();
    if (!matches) {
      return absl::AbortedError("store commit: latest does not match the expected value");
    }
    for (const Object& object : objects) {
      data_.insert_or_assign(object.key, object.value);
    }
    data_.insert_or_assign(std::string(kLatestKey), Bytes(new_latest.begin(), new_latest.end()));
  }
  for (const Object& object : objects) {
    watchers_.Nudge(object.key);
  }
  watchers_.Nudge(kLatestKey);
  return absl::OkStatus();
}

}  // namespace concord::store
