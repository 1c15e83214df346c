#include "concord/collateral/refresher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace concord::collateral {

CollateralRefresher::CollateralRefresher(CollateralCache& cache, CollateralSource& source,
                                         const Clock& clock, Options options)
    : cache_(cache), source_(source), clock_(clock), options_(options) {}

CollateralRefresher::~CollateralRefresher() { Stop(); }

absl::Status CollateralRefresher::Want(CollateralKind kind, absl::string_view key) {
  absl::Status ok = ValidateItemKey(kind, key);
  if (!ok.ok()) {
    return ok;
  }
  absl::MutexLock lock(&mu_);
  ItemKey k(kind, std::string(key));
  if (std::find(wanted_.begin(), wanted_.end(), k) != wanted_.end()) {
    return absl::OkStatus();
  }
  if (wanted_.size() >= options_.max_wanted) {
    return absl::ResourceExhaustedError(absl::StrCat("collateral refresher: ", KindName(kind), " ",
                                                     key, ": already ", wanted_.size(),
                                                     " items wanted (the limit)"));
  }
  wanted_.push_back(std::move(k));
  return absl::OkStatus();
}

bool CollateralRefresher::IsWanted(CollateralKind kind, absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  return std::find(wanted_.begin(), wanted_.end(), ItemKey(kind, std::string(key))) !=
         wanted_.end();
}

CollateralRefresher::Result CollateralRefresher::RunOnce() {
  absl::MutexLock run_lock(&run_mu_);
  std::vector<ItemKey> wanted;
  {
    absl::MutexLock lock(&mu_);
    wanted = wanted_;
  }
  Result result;
  for (const ItemKey& k : wanted) {
    const absl::Time now = clock_.Now();
    {
      absl::MutexLock lock(&mu_);
      if (now < state_[k].next_attempt) {
        ++result.deferred;
        continue;
      }
    }
    // Another replica may already have stored a fresher item.
    absl::StatusOr<std::shared_ptr<const ValidatedItem>> cached = cache_.Reload(k.first, k.second);
    if (cached.ok() && (*cached)->next_update - options_.refresh_margin > now) {
      ++result.fresh;
      continue;
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
    State& st = state_[k];
    st.last_error = status;
    if (status.ok()) {
      ++result.fetched;
      st.backoff = absl::ZeroDuration();
      st.next_attempt = absl::InfinitePast();
    } else {
      ++result.failed;
      st.backoff = st.backoff == absl::ZeroDuration()
                       ? options_.min_backoff
                       : std::min(st.backoff * 2, options_.max_backoff);
      st.next_attempt = now + st.backoff;
    }
  }
  return result;
}

absl::Status CollateralRefresher::LastError(CollateralKind kind, absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto it = state_.find(ItemKey(kind, std::string(key)));
  return it == state_.end() ? absl::OkStatus() : it->second.last_error;
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
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || kicked_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), options_.interval);
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
