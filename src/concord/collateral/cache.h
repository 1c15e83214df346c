// CollateralCache: the shared, content-addressed collateral cache in the
// Store (DESIGN.md §6; layout in item.h) with an in-memory front. Any replica
// reads the newest validly signed item; none ever accepts an item older than
// the newest it has seen (a high-water mark per item, kept in memory and,
// through the sorted index entries, in the store). Used by the refresher,
// bundles, the CLI and the verifier adapters; Lookup() is the verification
// hot path and never fetches from a vendor. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "concord/collateral/item.h"
#include "concord/collateral/validate.h"
#include "concord/common/clock.h"
#include "concord/store/store.h"

namespace concord::collateral {

class CollateralCache final {
 public:
  struct Deps {
    store::Store* store = nullptr;  // Required; must outlive the cache.
    const Clock* clock = nullptr;   // Required; must outlive the cache.
  };

  // InvalidArgument when a dependency is missing.
  static absl::StatusOr<std::unique_ptr<CollateralCache>> Create(Deps deps);
  CollateralCache(const CollateralCache&) = delete;
  CollateralCache& operator=(const CollateralCache&) = delete;

  // Validates `item` at the clock's time (validate.h), then keeps it unless it
  // is older (by its own issue date) than the newest item of the same kind
  // and key seen in memory or in the store: FailedPrecondition
  // "collateral: <kind> <key>: issued <date> is older than the newest seen
  // (<date>)". Re-inserting the newest item is a no-op. Writes the object,
  // then its index entry. Errors of ValidateItem; Unavailable from the store.
  absl::StatusOr<ValidatedItem> Insert(CollateralItem item);

  // The checks of Insert() without writing anything (offline bundle import
  // checks every item before it writes any). Same errors.
  absl::StatusOr<ValidatedItem> Check(CollateralItem item);

  // The newest item of `kind` and `key`: memory first, else the store (every
  // object re-hashed and re-validated as of its issue date; entries that do
  // not verify are skipped). Does not check that it is still current (the
  // verifiers do). NotFound when none is cached; Unavailable from the store;
  // DataLoss when index entries exist but none verifies.
  absl::StatusOr<std::shared_ptr<const ValidatedItem>> Lookup(CollateralKind kind,
                                                              absl::string_view key);

  // Re-reads the store's index for one item and adopts a newer one written
  // by another replica. Errors as for Lookup(); NotFound if nothing is cached.
  absl::StatusOr<std::shared_ptr<const ValidatedItem>> Reload(CollateralKind kind,
                                                              absl::string_view key);

  // Every item whose index is in the store (newest per kind and key, each
  // verified as in Lookup()), for export. Unavailable from the store.
  absl::StatusOr<std::vector<std::shared_ptr<const ValidatedItem>>> ListNewest();

  // Counts changes to the in-memory view, so adapters can rebuild derived
  // state (e.g. a TdxVerifier) only when something changed.
  uint64_t generation() const;

 private:
  explicit CollateralCache(Deps deps) : deps_(deps) {}

  using MapKey = std::pair<CollateralKind, std::string>;
  // The newest verified entry in the store's index, or NotFound.
  absl::StatusOr<std::shared_ptr<const ValidatedItem>> ReadNewestFromStore(CollateralKind kind,
                                                                           absl::string_view key);
  // Keeps `item` in memory if it is at least as new as what memory holds.
  std::shared_ptr<const ValidatedItem> Adopt(std::shared_ptr<const ValidatedItem> item);

  const Deps deps_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<MapKey, std::shared_ptr<const ValidatedItem>> newest_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

// Whether `candidate` is newer than `current`: a later issue date, or the
// same date and a greater content hash (a deterministic tie-break every
// replica agrees on).
bool IsNewer(const ValidatedItem& candidate, const ValidatedItem& current);

}  // namespace concord::collateral
