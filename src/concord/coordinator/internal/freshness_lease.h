// The freshness lease's bookkeeping (DESIGN §7): when and by whom this
// replica's head was last confirmed, and whether that is recent enough to
// serve. Used by Coordinator::Impl (freshness_lease.cc), which decides when
// a confirmation counts. Not thread-safe: the owner guards it with the lock
// that also guards the state it confirms (Coordinator::Impl::mu_).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace concord::coordinator::internal {

class FreshnessLease final {
 public:
  // `lease`: how long a confirmation keeps the replica serving (positive).
  explicit FreshnessLease(absl::Duration lease) : lease_(lease) {}

  FreshnessLease(const FreshnessLease&) = delete;
  FreshnessLease& operator=(const FreshnessLease&) = delete;

  // `by` is "store" or "peer <name>"; `as_of` is when the confirming read or
  // exchange began, never when its answer arrived: an answer that took long
  // confirms only what was true when it was asked. A confirmation never
  // moves the lease backwards.
  void Confirm(const std::string& by, absl::Time as_of);

  // Confirmed less than the lease ago.
  bool Valid(absl::Time now) const;
  // Confirmed from the store itself less than the lease ago.
  bool StoreFresh(absl::Time now) const;
  // Unavailable "<operation>: freshness lease expired (last confirmed ...)".
  absl::Status Expired(absl::string_view operation, absl::Time now) const;

  absl::Duration lease() const { return lease_; }
  // The last confirmation (unset before the first) and who made it.
  const std::optional<absl::Time>& confirmed_at() const { return confirmed_at_; }
  const std::string& confirmed_by() const { return confirmed_by_; }
  // The last confirmation made by reading the store.
  const std::optional<absl::Time>& store_confirmed_at() const { return store_confirmed_at_; }
  // Confirmations made so far (store and peers).
  uint64_t confirmations() const { return confirmations_; }

 private:
  const absl::Duration lease_;
  std::optional<absl::Time> confirmed_at_;
  std::optional<absl::Time> store_confirmed_at_;
  std::string confirmed_by_;
  uint64_t confirmations_ = 0;
};

}  // namespace concord::coordinator::internal
