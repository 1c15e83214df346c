// The freshness lease (DESIGN §7; decision 0016): its bookkeeping
// (internal::FreshnessLease), the gate every serving operation passes
// (ServingActive), and one confirmation round: a verified store read, else
// a ready peer's signed head equal to this replica's own.
#include "concord/coordinator/internal/freshness_lease.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/coordinator/internal/impl.h"
#include "concord/history/format.h"

namespace concord::coordinator {

namespace internal {

void FreshnessLease::Confirm(const std::string& by, absl::Time as_of) {
  // An older answer arriving late moves nothing backwards.
  if (!confirmed_at_.has_value() || as_of >= *confirmed_at_) {
    confirmed_at_ = as_of;
    confirmed_by_ = by;
  }
  if (by == "store" && (!store_confirmed_at_.has_value() || as_of > *store_confirmed_at_)) {
    store_confirmed_at_ = as_of;
  }
  ++confirmations_;
}

bool FreshnessLease::Valid(absl::Time now) const {
  return confirmed_at_.has_value() && now - *confirmed_at_ < lease_;
}

bool FreshnessLease::StoreFresh(absl::Time now) const {
  return store_confirmed_at_.has_value() && now - *store_confirmed_at_ < lease_;
}

absl::Status FreshnessLease::Expired(absl::string_view operation, absl::Time now) const {
  const std::string ago = confirmed_at_.has_value()
                              ? absl::StrCat(absl::FormatDuration(now - *confirmed_at_), " ago")
                              : std::string("never");
  return absl::UnavailableError(absl::StrCat(operation,
                                             ": freshness lease expired (last confirmed ", ago,
                                             "): store and peers unreachable"));
}

}  // namespace internal

using internal::kPeerStateReady;

absl::StatusOr<std::shared_ptr<const Coordinator::Impl::Active>> Coordinator::Impl::ServingActive(
    absl::string_view operation, bool* store_fresh) const {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kReady || active_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(operation, ": state ", StateName(state_), ": not ready"));
  }
  const absl::Time now = deps_.clock.Now();
  if (!lease_.Valid(now)) {
    return lease_.Expired(operation, now);
  }
  if (store_fresh != nullptr) {
    *store_fresh = lease_.StoreFresh(now);
  }
  return active_;
}

bool Coordinator::Impl::Serving() const { return ServingActive("serving", nullptr).ok(); }

bool Coordinator::Impl::CheckLease(const std::shared_ptr<const Active>& snapshot) {
  uint64_t before = 0;
  {
    absl::MutexLock lock(&mu_);
    before = lease_.confirmations();
  }
  // A verified read equal to the head, or a newer head followed, confirms
  // (FollowLatest); a rolled-back, forged or missing latest does not.
  Refresh();
  {
    absl::MutexLock lock(&mu_);
    if (lease_.confirmations() != before && lease_.store_confirmed_at() == lease_.confirmed_at()) {
      return true;
    }
    if (state_ != State::kReady || active_ != snapshot) {
      return true;  // the state moved on (followed or stale): nothing to confirm
    }
  }
  return ConfirmFromPeers(snapshot);
}

bool Coordinator::Impl::ConfirmFromPeers(const std::shared_ptr<const Active>& snapshot) {
  if (deps_.peers == nullptr) {
    return false;
  }
  const Bytes& own_latest = snapshot->history.latest_bytes;
  const uint64_t own_generation = snapshot->history.generation();
  const absl::Time asked_at = deps_.clock.Now();
  std::vector<FromPeer<PeerHead>> heads = deps_.peers->ExchangeHeads(own_latest);
  for (const FromPeer<PeerHead>& head : heads) {
    absl::Status identity = AcceptPeer(head.claims);
    if (!identity.ok()) {
      deps_.log.Warning("peer head ignored", {{"replica", options_.replica_name},
                                              {"peer", head.peer},
                                              {"error", std::string(identity.message())}});
      continue;
    }
    absl::StatusOr<history::Latest> latest = history::ParseLatest(head.value.latest);
    if (!latest.ok() || !history::VerifyLatest(snapshot->history_key, *latest).ok()) {
      RaiseAlarm(absl::StrCat("peer ", head.peer,
                              " sent a head that is not signed by this deployment's history key"));
      continue;
    }
    if (latest->generation > own_generation) {
      // A peer knows a newer head: it must be in the store; re-read it.
      absl::MutexLock lock(&queue_mu_);
      event_ = true;
      continue;
    }
    if (head.value.state != kPeerStateReady || head.value.latest != own_latest) {
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (state_ == State::kReady && active_ == snapshot) {
      lease_.Confirm(absl::StrCat("peer ", head.peer), asked_at);
      return true;
    }
  }
  return false;
}

}  // namespace concord::coordinator
