// Offline collateral bundles: the newest cached items as self-contained
// records (item.h EncodeItem), for carrying collateral into an air-gapped
// deployment (`concord collateral export` / `import`). Every record is
// re-validated on import; the import is all or nothing as far as validation
// goes (nothing is written when any record is refused). File handling is the
// CLI's. Thread-safe as the cache is.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "concord/collateral/cache.h"
#include "concord/common/bytes.h"

namespace concord::collateral {

// Most records in one bundle.
inline constexpr size_t kMaxBundleRecords = 4096;

struct BundleRecord {
  std::string name;  // "<kind>-<hash>.json": a file name
  Bytes record;      // EncodeItem bytes
};

// The newest item of every kind and key in the cache's store. Unavailable
// from the store.
absl::StatusOr<std::vector<BundleRecord>> ExportBundle(CollateralCache& cache);

// Decodes and checks every record (CollateralCache::Check: signatures,
// validity at the clock's time, not older than the store's newest), then
// inserts them all. InvalidArgument "bundle <name>: ..." for a malformed
// record or too many; otherwise the first refusal prefixed with the record's
// name (FailedPrecondition for an older or expired item, Unauthenticated for
// a bad signature); nothing is written on any such error. Returns the number
// of records imported.
absl::StatusOr<size_t> ImportBundle(CollateralCache& cache,
                                    const std::vector<BundleRecord>& records);

// Reads the records of a bundle directory (every "*.json" file, sorted by
// name; at most kMaxBundleRecords of at most kMaxRecordSize bytes each).
// Nothing is decoded here (ImportBundle does). InvalidArgument naming the
// directory or file when it cannot be read or a limit is exceeded.
absl::StatusOr<std::vector<BundleRecord>> ReadBundleDir(const std::string& dir);

}  // namespace concord::collateral
