#include "concord/collateral/cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"

namespace concord::collateral {
namespace {

// Index entries examined per item, newest first, before giving up: bounds
// the work a store flooded with bogus entries can cause.
constexpr size_t kMaxEntriesScanned = 32;

}  // namespace

bool IsNewer(const ValidatedItem& candidate, const ValidatedItem& current) {
  if (candidate.issue_date != current.issue_date) {
    return candidate.issue_date > current.issue_date;
  }
  return candidate.hash > current.hash;
}

absl::StatusOr<std::unique_ptr<CollateralCache>> CollateralCache::Create(Deps deps) {
  if (deps.store == nullptr || deps.clock == nullptr) {
    return absl::InvalidArgumentError("collateral cache: store and clock are required");
  }
  return std::unique_ptr<CollateralCache>(new CollateralCache(deps));
}

uint64_t CollateralCache::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

std::shared_ptr<const ValidatedItem> CollateralCache::Adopt(
    std::shared_ptr<const ValidatedItem> item) {
  absl::MutexLock lock(&mu_);
  auto& slot = newest_[MapKey(item->item.kind, item->item.key)];
  if (slot == nullptr || IsNewer(*item, *slot)) {
    slot = std::move(item);
    ++generation_;
  }
  return slot;
}

absl::StatusOr<std::shared_ptr<const ValidatedItem>> CollateralCache::ReadNewestFromStore(
    CollateralKind kind, absl::string_view key) {
  const std::string dir = IndexDir(kind, key);
  CONCORD_ASSIGN_OR_RETURN(std::vector<std::string> names, deps_.store->List(dir));
  if (names.empty()) {
    return absl::NotFoundError(
        absl::StrCat("collateral: ", KindName(kind), " ", key, ": not cached"));
  }
  size_t scanned = 0;
  for (auto it = names.rbegin(); it != names.rend() && scanned < kMaxEntriesScanned;
       ++it, ++scanned) {
    absl::StatusOr<IndexEntryName> entry =
        ParseIndexEntryName(absl::string_view(*it).substr(dir.size()));
    if (!entry.ok()) {
      continue;
    }
    absl::StatusOr<Bytes> record = deps_.store->Get(ObjectKey(entry->hash));
    if (absl::IsUnavailable(record.status())) {
      return record.status();
    }
    if (!record.ok() || HexEncode(crypto::Sha256(*record)) != entry->hash) {
      continue;
    }
    absl::StatusOr<CollateralItem> item = DecodeItem(*record);
    if (!item.ok() || item->kind != kind || item->key != key) {
      continue;
    }
    absl::StatusOr<ValidatedItem> valid =
        ValidateItem(*std::move(item), deps_.clock->Now(), WindowCheck::kAsOfIssueDate);
    if (!valid.ok() ||
        absl::ToUnixSeconds(valid->issue_date) != absl::ToUnixSeconds(entry->issue_date)) {
      continue;
    }
    return std::make_shared<const ValidatedItem>(*std::move(valid));
  }
  return absl::DataLossError(
      absl::StrCat("collateral: ", KindName(kind), " ", key, ": no stored index entry verifies"));
}

absl::StatusOr<std::shared_ptr<const ValidatedItem>> CollateralCache::Lookup(
    CollateralKind kind, absl::string_view key) {
  {
    absl::MutexLock lock(&mu_);
    auto it = newest_.find(MapKey(kind, std::string(key)));
    if (it != newest_.end()) {
      return it->second;
    }
  }
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const ValidatedItem> item,
                           ReadNewestFromStore(kind, key));
  return Adopt(std::move(item));
}

absl::StatusOr<std::shared_ptr<const ValidatedItem>> CollateralCache::Reload(
    CollateralKind kind, absl::string_view key) {
  absl::StatusOr<std::shared_ptr<const ValidatedItem>> stored = ReadNewestFromStore(kind, key);
  if (stored.ok()) {
    return Adopt(*std::move(stored));
  }
  if (!absl::IsNotFound(stored.status()) && !absl::IsDataLoss(stored.status())) {
    return stored.status();
  }
  absl::MutexLock lock(&mu_);
  auto it = newest_.find(MapKey(kind, std::string(key)));
  if (it != newest_.end()) {
    return it->second;
  }
  return stored.status();
}

absl::StatusOr<ValidatedItem> CollateralCache::Insert(CollateralItem item) {
  CONCORD_ASSIGN_OR_RETURN(ValidatedItem valid, Check(std::move(item)));
  const CollateralKind kind = valid.item.kind;
  const std::string& key = valid.item.key;
  CONCORD_RETURN_IF_ERROR(deps_.store->Put(ObjectKey(valid.hash), EncodeItem(valid.item)));
  IndexRecord record{kind, key, valid.hash, valid.issue_date, valid.next_update};
  CONCORD_RETURN_IF_ERROR(deps_.store->Put(IndexEntryKey(kind, key, valid.issue_date, valid.hash),
                                           EncodeIndexRecord(record)));
  Adopt(std::make_shared<const ValidatedItem>(valid));
  return valid;
}

absl::StatusOr<ValidatedItem> CollateralCache::Check(CollateralItem item) {
  CONCORD_ASSIGN_OR_RETURN(ValidatedItem valid, ValidateItem(std::move(item), deps_.clock->Now()));
  const CollateralKind kind = valid.item.kind;
  const std::string key = valid.item.key;
  // The high-water mark: the newest of memory and the store.
  absl::StatusOr<std::shared_ptr<const ValidatedItem>> newest = Reload(kind, key);
  if (!newest.ok() && !absl::IsNotFound(newest.status()) && !absl::IsDataLoss(newest.status())) {
    return newest.status();
  }
  if (newest.ok()) {
    const ValidatedItem& seen = **newest;
    if (valid.issue_date < seen.issue_date) {
      return absl::FailedPreconditionError(absl::StrCat(
          "collateral: ", KindName(kind), " ", key, ": issued ", FormatRfc3339(valid.issue_date),
          " is older than the newest seen (", FormatRfc3339(seen.issue_date), ")"));
    }
  }
  return valid;
}

absl::StatusOr<std::vector<std::shared_ptr<const ValidatedItem>>> CollateralCache::ListNewest() {
  CONCORD_ASSIGN_OR_RETURN(std::vector<std::string> names, deps_.store->List(kIndexPrefix));
  // Distinct index directories ("collateral/index/<kind>/<digest>/").
  std::vector<std::pair<CollateralKind, std::string>> items;
  std::string last_dir;
  for (const std::string& name : names) {
    const size_t slash = name.rfind('/');
    if (slash == std::string::npos || name.compare(0, slash + 1, last_dir) == 0) {
      continue;
    }
    last_dir = name.substr(0, slash + 1);
    absl::StatusOr<Bytes> data = deps_.store->Get(name);
    if (absl::IsUnavailable(data.status())) {
      return data.status();
    }
    if (!data.ok()) {
      continue;
    }
    absl::StatusOr<IndexRecord> record = DecodeIndexRecord(*data);
    if (!record.ok() || IndexDir(record->kind, record->key) != last_dir) {
      continue;
    }
    items.emplace_back(record->kind, record->key);
  }
  std::vector<std::shared_ptr<const ValidatedItem>> out;
  for (const auto& [kind, key] : items) {
    absl::StatusOr<std::shared_ptr<const ValidatedItem>> item = Reload(kind, key);
    if (absl::IsUnavailable(item.status())) {
      return item.status();
    }
    if (item.ok()) {
      out.push_back(*std::move(item));
    }
  }
  return out;
}

}  // namespace concord::collateral
