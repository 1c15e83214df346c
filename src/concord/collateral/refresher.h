// CollateralRefresher: keeps wanted collateral items in the cache, fetching
// from the vendors what is missing or near expiry, off the verification hot
// path. RunOnce() does one pass on the injected clock (tests drive it by
// hand); Start() runs passes on a background thread until Stop() or
// destruction, and Kick() asks that thread for a pass now (a verifier that
// missed an item). Failures back off per item (doubling from `min_backoff` to
// `max_backoff`); the vendor clients add their own rate limits. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/vendor_client.h"
#include "concord/common/clock.h"

namespace concord::collateral {

class CollateralRefresher final {
 public:
  struct Options {
    // Refetch when the cached item expires within this margin.
    absl::Duration refresh_margin = absl::Hours(24);
    absl::Duration min_backoff = absl::Minutes(1);
    absl::Duration max_backoff = absl::Hours(1);
    // Pause between background passes.
    absl::Duration interval = absl::Minutes(1);
    // Most items kept wanted. Wanted items may come from evidence that has
    // not verified yet (its FMSPC or chip ID), so the set is bounded.
    size_t max_wanted = 256;
  };
  struct Result {
    size_t fetched = 0;   // new items kept
    size_t fresh = 0;     // cached and not near expiry
    size_t deferred = 0;  // skipped: backing off
    size_t failed = 0;    // fetch or validation failed this pass
  };

  // `cache`, `source` and `clock` must outlive the refresher.
  CollateralRefresher(CollateralCache& cache, CollateralSource& source, const Clock& clock,
                      Options options);
  ~CollateralRefresher();
  CollateralRefresher(const CollateralRefresher&) = delete;
  CollateralRefresher& operator=(const CollateralRefresher&) = delete;

  // Adds an item to keep cached (idempotent). InvalidArgument for a bad key;
  // ResourceExhausted when `max_wanted` items are wanted already.
  absl::Status Want(CollateralKind kind, absl::string_view key);
  // Whether the item is wanted.
  bool IsWanted(CollateralKind kind, absl::string_view key) const;

  // One pass over the wanted items.
  Result RunOnce();
  // The last error of an item, OK if its last attempt succeeded or none ran.
  absl::Status LastError(CollateralKind kind, absl::string_view key) const;

  // Background passes every `interval`; Stop() waits for the thread.
  void Start();
  void Stop();
  // Wakes the background thread for a pass now (no-op when not started). The
  // per-item back-off still applies, so kicks cannot hammer a vendor.
  void Kick();

 private:
  struct State {
    absl::Time next_attempt = absl::InfinitePast();
    absl::Duration backoff = absl::ZeroDuration();
    absl::Status last_error;
  };
  using ItemKey = std::pair<CollateralKind, std::string>;

  CollateralCache& cache_;
  CollateralSource& source_;
  const Clock& clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::vector<ItemKey> wanted_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<ItemKey, State> state_ ABSL_GUARDED_BY(mu_);
  absl::Mutex run_mu_;  // one pass at a time
  // Background thread control, guarded by mu_.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace concord::collateral
