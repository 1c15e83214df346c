#include "concord/common/token_bucket.h"

#include <algorithm>
#include <utility>

namespace concord {
namespace {

// Tokens are fractional; an exact refill (rate 3/s for 1/3 s) must still
// yield a whole token despite rounding.
constexpr double kSlack = 1e-9;

}  // namespace

TokenBucket::TokenBucket(TokenBucketOptions options, const Clock& clock)
    : options_(options), clock_(clock), state_{options.burst, clock.Now()} {}

void TokenBucket::Refill(const TokenBucketOptions& options, absl::Time now, State& state) {
  if (now <= state.last) {
    return;
  }
  state.tokens =
      std::min(options.burst,
               state.tokens + options.rate_per_second * absl::ToDoubleSeconds(now - state.last));
  state.last = now;
}

absl::Duration TokenBucket::Wait(const TokenBucketOptions& options, const State& state) {
  if (state.tokens + kSlack >= 1) {
    return absl::ZeroDuration();
  }
  if (options.rate_per_second <= 0 || options.burst + kSlack < 1) {
    return absl::InfiniteDuration();
  }
  return absl::Seconds((1 - state.tokens) / options.rate_per_second);
}

bool TokenBucket::TryTake() {
  absl::MutexLock lock(&mu_);
  Refill(options_, clock_.Now(), state_);
  if (state_.tokens + kSlack < 1) {
    return false;
  }
  state_.tokens = std::max(0.0, state_.tokens - 1);
  return true;
}

absl::Duration TokenBucket::TimeUntilToken() {
  absl::MutexLock lock(&mu_);
  Refill(options_, clock_.Now(), state_);
  return Wait(options_, state_);
}

KeyedTokenBuckets::KeyedTokenBuckets(TokenBucketOptions options, size_t max_keys,
                                     const Clock& clock)
    : options_(options), max_keys_(max_keys), clock_(clock) {}

bool KeyedTokenBuckets::TryTake(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_ && now >= next_sweep_) {
      Sweep(now);
    }
    if (buckets_.size() >= max_keys_) {
      return false;
    }
    it = buckets_.emplace(std::string(key), TokenBucket::State{options_.burst, now}).first;
  }
  TokenBucket::State& state = it->second;
  TokenBucket::Refill(options_, now, state);
  if (state.tokens + kSlack < 1) {
    return false;
  }
  state.tokens = std::max(0.0, state.tokens - 1);
  return true;
}

size_t KeyedTokenBuckets::size() {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

void KeyedTokenBuckets::Sweep(absl::Time now) {
  next_sweep_ = absl::InfiniteFuture();
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    TokenBucket::Refill(options_, now, it->second);
    if (it->second.tokens + kSlack >= options_.burst) {
      it = buckets_.erase(it);
      continue;
    }
    if (options_.rate_per_second > 0) {
      next_sweep_ = std::min(next_sweep_,
                             it->second.last + absl::Seconds((options_.burst - it->second.tokens) /
                                                             options_.rate_per_second));
    }
    ++it;
  }
}

}  // namespace concord
