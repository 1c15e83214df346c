// CollateralRefresher: keeps wanted collateral items in the cache, fetching
// from the vendors what is missing or near expiry, off the verification hot
// path. RunOnce() does one pass on the injected clock (tests drive it by
// hand); Start() runs passes on a background thread until Stop() or
// destruction, and Kick() asks that thread for a pass now (a verifier that
// missed an item). Failures back off per item (doubling from `min_backoff` to
// `max_backoff`); the vendor clients add their own rate limits. Thread-safe.
//
// Wants come in two classes (docs/collateral.md, "Wanted items"). Vouched
// items (Want) name something known to exist: the replica's own evidence, a
// fixed vendor key, an FMSPC from a PCK certificate Intel signed, or an item
// fetched before; they are kept until the process ends. Unverified items
// (WantUnverified) are named only by evidence nobody has authenticated (the
// chip ID of an SNP report without certificates), so anyone can make them
// up. They live in a bounded pool keyed by item and ranked by how often, then
// how recently, they were requested: a new want evicts the lowest-ranked
// entry, never refused; an entry expires `unverified_ttl` after it was first
// seen or after `max_attempts` failed fetches; a vendor "not found" drops it
// and refuses the key for `not_found_ttl`. A pass tries the highest-ranked
// unverified items first and stops trying them at the first Unavailable (the
// vendor or its rate limit said "later"), uncharged. A genuine workload
// retries its handshake, so its key rises above made-up chips seen once; the
// newest key goes first among equals. A fetched item becomes vouched.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
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
    // Least pause between two background passes, however often Kick() is
    // called (concordd kicks on every verification miss).
    absl::Duration min_pass_gap = absl::Seconds(1);
    // Most vouched items kept wanted (Want() refuses beyond).
    size_t max_wanted = 4096;
    // The unverified pool: most entries (the lowest-ranked is evicted for a
    // new one), their lifetime from first sight, and the failed fetches
    // (other than Unavailable) after which one is dropped.
    size_t max_unverified = 256;
    absl::Duration unverified_ttl = absl::Hours(1);
    int max_attempts = 5;
    // Unverified keys the vendor answered "not found" for are refused this
    // long; at most `max_not_found` are remembered (the oldest go first).
    absl::Duration not_found_ttl = absl::Hours(1);
    size_t max_not_found = 4096;
  };
  struct Result {
    size_t fetched = 0;   // new items kept
    size_t fresh = 0;     // cached and not near expiry
    size_t deferred = 0;  // skipped: backing off, or the vendor said "later" this pass
    size_t failed = 0;    // fetch or validation failed this pass
  };
  // Counters since creation and the current sizes, for monitoring.
  struct Stats {
    size_t wanted = 0;           // items wanted now, both classes
    size_t unverified = 0;       // of which unverified
    size_t not_found = 0;        // keys remembered as absent at the vendor
    uint64_t evictions = 0;      // unverified wants evicted for new ones
    uint64_t expiries = 0;       // unverified wants dropped unfetched after unverified_ttl
    uint64_t abandoned = 0;      // unverified wants dropped after max_attempts failures
    uint64_t negative_hits = 0;  // WantUnverified() refused for a "not found" key
    uint64_t promoted = 0;       // unverified items fetched, now vouched
  };

  // `cache`, `source` and `clock` must outlive the refresher.
  CollateralRefresher(CollateralCache& cache, CollateralSource& source, const Clock& clock,
                      Options options);
  ~CollateralRefresher();
  CollateralRefresher(const CollateralRefresher&) = delete;
  CollateralRefresher& operator=(const CollateralRefresher&) = delete;

  // Adds a vouched item to keep cached (idempotent; an unverified entry for
  // it becomes vouched, a "not found" memory of it is forgotten).
  // InvalidArgument for a bad key; ResourceExhausted when `max_wanted`
  // vouched items are wanted already.
  absl::Status Want(CollateralKind kind, absl::string_view key);
  // Adds an item named by unauthenticated evidence to the unverified pool,
  // or counts another request for it (no-op for a vouched item). Evicts the
  // lowest-ranked entry (fewest requests, then least recent) when the pool is
  // full. InvalidArgument for a bad key; NotFound while the vendor's "not
  // found" for it is remembered.
  absl::Status WantUnverified(CollateralKind kind, absl::string_view key);
  // Whether the item is wanted (either class).
  bool IsWanted(CollateralKind kind, absl::string_view key) const;

  // One pass: vouched items in the order they were wanted, then unverified
  // ones, highest-ranked first. Drops expired entries first.
  Result RunOnce();
  // The last error of an item, OK if its last attempt succeeded or none ran;
  // NotFound while a "not found" for an unverified item is remembered.
  absl::Status LastError(CollateralKind kind, absl::string_view key) const;
  Stats stats() const;

  // Background passes every `interval`; Stop() waits for the thread.
  void Start();
  void Stop();
  // Wakes the background thread for a pass (no-op when not started), no
  // sooner than `min_pass_gap` after the last one. The per-item back-off
  // still applies, so kicks cannot hammer a vendor.
  void Kick();

 private:
  using ItemKey = std::pair<CollateralKind, std::string>;
  struct Entry {
    bool vouched = false;
    absl::Time first_seen;
    // Unverified: the key in `by_priority_`: how many times it was
    // requested, then when last (a request counter, so that requests at the
    // same clock time still order).
    std::pair<uint64_t, uint64_t> priority;
    int failures = 0;  // unverified: failed fetches other than Unavailable
    absl::Time next_attempt = absl::InfinitePast();
    absl::Duration backoff = absl::ZeroDuration();
    absl::Status last_error;
  };
  enum class Outcome { kDone, kSkipped, kVendorBusy };

  static Entry NewEntry(absl::Time first_seen);

  // Fetches one item if it is due; records the result.
  Outcome Attempt(const ItemKey& k, Result& result);
  // Applies a fetch result to the item's entry.
  void RecordLocked(const ItemKey& k, const absl::Status& status, absl::Time now, Result& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes an entry vouched (room permitting; else it is dropped: the item is
  // cached, and a later miss wants it again).
  void PromoteLocked(const ItemKey& k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseUnverifiedLocked(const ItemKey& k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropExpiredLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RememberNotFoundLocked(const ItemKey& k, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The time until which `k` is remembered as not found, if it is at `now`.
  const absl::Time* NotFoundUntilLocked(const ItemKey& k, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  CollateralCache& cache_;
  CollateralSource& source_;
  const Clock& clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<ItemKey, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::vector<ItemKey> vouched_ ABSL_GUARDED_BY(mu_);  // in the order wanted
  // Unverified entries, least requested (then least recently) first.
  std::map<std::pair<uint64_t, uint64_t>, ItemKey> by_priority_ ABSL_GUARDED_BY(mu_);
  uint64_t next_request_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<ItemKey, absl::Time> not_found_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<absl::Time, ItemKey>> not_found_order_ ABSL_GUARDED_BY(mu_);
  Stats counters_ ABSL_GUARDED_BY(mu_);
  absl::Mutex run_mu_;  // one pass at a time
  // Background thread control, guarded by mu_.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace concord::collateral
