#include "concord/collateral/refresher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"

namespace concord::collateral {

CollateralRefresher::Entry CollateralRefresher::NewEntry(absl::Time first_seen) {
  Entry entry;
  entry.first_seen = first_seen;
  return entry;
}

CollateralRefresher::CollateralRefresher(CollateralCache& cache, CollateralSource& source,
                                         const Clock& clock, Options options)
    : cache_(cache), source_(source), clock_(clock), options_(options) {}

CollateralRefresher::~CollateralRefresher() { Stop(); }

absl::Status CollateralRefresher::Want(CollateralKind kind, absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateItemKey(kind, key));
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ItemKey k(kind, std::string(key));
  not_found_.erase(k);
  auto it = entries_.find(k);
  if (it != entries_.end() && it->second.vouched) {
    return absl::OkStatus();
  }
  if (vouched_.size() >= options_.max_wanted) {
    return absl::ResourceExhaustedError(absl::StrCat("collateral refresher: ", KindName(kind), " ",
                                                     key, ": already ", vouched_.size(),
                                                     " items wanted (the limit)"));
  }
  if (it != entries_.end()) {
    by_priority_.erase(it->second.priority);
  } else {
    it = entries_.emplace(k, NewEntry(now)).first;
  }
  it->second.vouched = true;
  vouched_.push_back(std::move(k));
  return absl::OkStatus();
}

absl::Status CollateralRefresher::WantUnverified(CollateralKind kind, absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateItemKey(kind, key));
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ItemKey k(kind, std::string(key));
  if (const absl::Time* until = NotFoundUntilLocked(k, now); until != nullptr) {
    ++counters_.negative_hits;
    return absl::NotFoundError(absl::StrCat("collateral refresher: ", KindName(kind), " ", key,
                                            ": the vendor has no such item; not asked again "
                                            "before ",
                                            FormatRfc3339(*until)));
  }
  if (options_.max_unverified == 0) {
    return absl::ResourceExhaustedError("collateral refresher: unverified wants are off");
  }
  auto it = entries_.find(k);
  if (it != entries_.end()) {
    if (!it->second.vouched) {
      Entry& entry = it->second;
      by_priority_.erase(entry.priority);
      entry.priority = {entry.priority.first + 1, next_request_++};
      by_priority_.emplace(entry.priority, std::move(k));
    }
    return absl::OkStatus();
  }
  while (by_priority_.size() >= options_.max_unverified) {
    EraseUnverifiedLocked(ItemKey(by_priority_.begin()->second));
    ++counters_.evictions;
  }
  Entry entry = NewEntry(now);
  entry.priority = {1, next_request_++};
  by_priority_.emplace(entry.priority, k);
  entries_.emplace(std::move(k), std::move(entry));
  return absl::OkStatus();
}

bool CollateralRefresher::IsWanted(CollateralKind kind, absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  return entries_.contains(ItemKey(kind, std::string(key)));
}

CollateralRefresher::Result CollateralRefresher::RunOnce() {
  absl::MutexLock run_lock(&run_mu_);
  std::vector<ItemKey> vouched;
  std::vector<ItemKey> unverified;
  {
    absl::MutexLock lock(&mu_);
    DropExpiredLocked(clock_.Now());
    vouched = vouched_;
    unverified.reserve(by_priority_.size());
    for (auto it = by_priority_.rbegin(); it != by_priority_.rend(); ++it) {
      unverified.push_back(it->second);
    }
  }
  Result result;
  for (const ItemKey& k : vouched) {
    Attempt(k, result);
  }
  // Most requested (then most recently requested) first: a genuine workload
  // retries, a made-up chip is seen once unless its sender pays for every
  // request. Once the vendor (or its client's rate limit) says "later", the
  // next would only be refused too: the rest wait, uncharged, for a later
  // pass.
  bool vendor_busy = false;
  for (const ItemKey& k : unverified) {
    if (vendor_busy) {
      ++result.deferred;
      continue;
    }
    vendor_busy = Attempt(k, result) == Outcome::kVendorBusy;
  }
  return result;
}

CollateralRefresher::Outcome CollateralRefresher::Attempt(const ItemKey& k, Result& result) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(k);
    if (it == entries_.end()) {
      return Outcome::kSkipped;  // evicted or expired since the pass began
    }
    if (now < it->second.next_attempt) {
      ++result.deferred;
      return Outcome::kSkipped;
    }
  }
  // Another replica may already have stored a fresher item.
  absl::StatusOr<std::shared_ptr<const ValidatedItem>> cached = cache_.Reload(k.first, k.second);
  if (cached.ok() && (*cached)->next_update - options_.refresh_margin > now) {
    ++result.fresh;
    absl::MutexLock lock(&mu_);
    PromoteLocked(k);  // a validated item proves the key
    return Outcome::kDone;
  }
  absl::Status status;
  absl::StatusOr<CollateralItem> item = source_.Fetch(k.first, k.second);
  if (item.ok()) {
    absl::StatusOr<ValidatedItem> kept = cache_.Insert(*std::move(item));
    status = kept.status();
  } else {
    status = item.status();
  }
  absl::MutexLock lock(&mu_);
  RecordLocked(k, status, now, result);
  return absl::IsUnavailable(status) ? Outcome::kVendorBusy : Outcome::kDone;
}

void CollateralRefresher::RecordLocked(const ItemKey& k, const absl::Status& status, absl::Time now,
                                       Result& result) {
  if (status.ok()) {
    ++result.fetched;
    PromoteLocked(k);
    auto it = entries_.find(k);
    if (it != entries_.end()) {
      it->second.last_error = status;
      it->second.backoff = absl::ZeroDuration();
      it->second.next_attempt = absl::InfinitePast();
    }
    return;
  }
  ++result.failed;
  auto it = entries_.find(k);
  if (it == entries_.end()) {
    return;  // evicted or expired while it was fetched
  }
  Entry& entry = it->second;
  entry.last_error = status;
  if (!entry.vouched) {
    if (absl::IsNotFound(status)) {
      EraseUnverifiedLocked(k);
      RememberNotFoundLocked(k, now);
      return;
    }
    if (absl::IsUnavailable(status)) {
      return;  // the vendor's "later" is not this item's fault
    }
    if (++entry.failures >= options_.max_attempts) {
      EraseUnverifiedLocked(k);
      ++counters_.abandoned;
      return;
    }
  }
  entry.backoff = entry.backoff == absl::ZeroDuration()
                      ? options_.min_backoff
                      : std::min(entry.backoff * 2, options_.max_backoff);
  entry.next_attempt = now + entry.backoff;
}

void CollateralRefresher::PromoteLocked(const ItemKey& k) {
  auto it = entries_.find(k);
  if (it != entries_.end() && it->second.vouched) {
    return;
  }
  if (vouched_.size() >= options_.max_wanted) {
    if (it != entries_.end()) {
      EraseUnverifiedLocked(k);
    }
    return;
  }
  if (it == entries_.end()) {
    it = entries_.emplace(k, NewEntry(clock_.Now())).first;
  } else {
    by_priority_.erase(it->second.priority);
  }
  it->second.vouched = true;
  it->second.failures = 0;
  vouched_.push_back(k);
  ++counters_.promoted;
}

void CollateralRefresher::EraseUnverifiedLocked(const ItemKey& k) {
  auto it = entries_.find(k);
  if (it == entries_.end() || it->second.vouched) {
    return;
  }
  by_priority_.erase(it->second.priority);
  entries_.erase(it);
}

void CollateralRefresher::DropExpiredLocked(absl::Time now) {
  std::vector<ItemKey> expired;
  for (const auto& [priority, k] : by_priority_) {
    if (now >= entries_.at(k).first_seen + options_.unverified_ttl) {
      expired.push_back(k);
    }
  }
  for (const ItemKey& k : expired) {
    EraseUnverifiedLocked(k);
    ++counters_.expiries;
  }
  while (!not_found_order_.empty() && not_found_order_.front().first <= now) {
    auto it = not_found_.find(not_found_order_.front().second);
    if (it != not_found_.end() && it->second == not_found_order_.front().first) {
      not_found_.erase(it);
    }
    not_found_order_.pop_front();
  }
}

void CollateralRefresher::RememberNotFoundLocked(const ItemKey& k, absl::Time now) {
  const absl::Time until = now + options_.not_found_ttl;
  not_found_.insert_or_assign(k, until);
  not_found_order_.emplace_back(until, k);
  while (not_found_.size() > options_.max_not_found && !not_found_order_.empty()) {
    auto it = not_found_.find(not_found_order_.front().second);
    if (it != not_found_.end() && it->second == not_found_order_.front().first) {
      not_found_.erase(it);
    }
    not_found_order_.pop_front();
  }
}

const absl::Time* CollateralRefresher::NotFoundUntilLocked(const ItemKey& k, absl::Time now) const {
  auto it = not_found_.find(k);
  return it != not_found_.end() && now < it->second ? &it->second : nullptr;
}

absl::Status CollateralRefresher::LastError(CollateralKind kind, absl::string_view key) const {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ItemKey k(kind, std::string(key));
  auto it = entries_.find(k);
  if (it != entries_.end()) {
    return it->second.last_error;
  }
  if (const absl::Time* until = NotFoundUntilLocked(k, now); until != nullptr) {
    return absl::NotFoundError(absl::StrCat("collateral refresher: ", KindName(kind), " ", key,
                                            ": the vendor has no such item (until ",
                                            FormatRfc3339(*until), ")"));
  }
  return absl::OkStatus();
}

CollateralRefresher::Stats CollateralRefresher::stats() const {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  Stats out = counters_;
  out.wanted = entries_.size();
  out.unverified = by_priority_.size();
  out.not_found = static_cast<size_t>(std::count_if(
      not_found_.begin(), not_found_.end(), [now](const auto& e) { return now < e.second; }));
  return out;
}

void CollateralRefresher::Start() {
  if (thread_.joinable()) {
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    while (true) {
      RunOnce();
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || kicked_; };
      // Every verification miss kicks, and anyone can cause those: kicks
      // wait out `min_pass_gap` so that a flood costs one pass per gap.
      mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.min_pass_gap);
      mu_.AwaitWithTimeout(
          absl::Condition(&woken),
          std::max(options_.interval - options_.min_pass_gap, absl::ZeroDuration()));
      if (stopping_) {
        return;
      }
      kicked_ = false;
    }
  });
}

void CollateralRefresher::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CollateralRefresher::Kick() {
  absl::MutexLock lock(&mu_);
  kicked_ = true;
}

}  // namespace concord::collateral
