#include "concord/collateral/bundle.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"

namespace concord::collateral {
namespace {

absl::Status Prefixed(const absl::Status& s, absl::string_view name) {
  return absl::Status(s.code(), absl::StrCat("bundle ", name, ": ", s.message()));
}

}  // namespace

absl::StatusOr<std::vector<BundleRecord>> ExportBundle(CollateralCache& cache) {
  CONCORD_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<const ValidatedItem>> items,
                           cache.ListNewest());
  std::vector<BundleRecord> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    out.push_back(BundleRecord{absl::StrCat(KindName(item->item.kind), "-", item->hash, ".json"),
                               EncodeItem(item->item)});
  }
  return out;
}

absl::StatusOr<size_t> ImportBundle(CollateralCache& cache,
                                    const std::vector<BundleRecord>& records) {
  if (records.size() > kMaxBundleRecords) {
    return absl::InvalidArgumentError(
        absl::StrCat("bundle: more than ", kMaxBundleRecords, " records (", records.size(), ")"));
  }
  std::vector<CollateralItem> items;
  items.reserve(records.size());
  for (const BundleRecord& r : records) {
    absl::StatusOr<CollateralItem> item = DecodeItem(r.record);
    if (!item.ok()) {
      return Prefixed(item.status(), r.name);
    }
    absl::StatusOr<ValidatedItem> checked = cache.Check(*item);
    if (!checked.ok()) {
      return Prefixed(checked.status(), r.name);
    }
    items.push_back(*std::move(item));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    absl::StatusOr<ValidatedItem> kept = cache.Insert(std::move(items[i]));
    if (!kept.ok()) {
      return Prefixed(kept.status(), records[i].name);
    }
  }
  return items.size();
}

absl::StatusOr<std::vector<BundleRecord>> ReadBundleDir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (absl::EndsWith(name, ".json")) {
      names.push_back(name);
    }
    if (names.size() > kMaxBundleRecords) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir, ": more than ", kMaxBundleRecords, " records"));
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": ", ec.message()));
  }
  std::sort(names.begin(), names.end());
  std::vector<BundleRecord> records;
  records.reserve(names.size());
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    absl::StatusOr<Bytes> data = posix::ReadFileBounded(path, kMaxRecordSize);
    if (!data.ok()) {
      return absl::InvalidArgumentError(data.status().message());
    }
    records.push_back({name, *std::move(data)});
  }
  return records;
}

}  // namespace concord::collateral
