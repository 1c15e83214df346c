// Token buckets: rate bounds on work an unauthenticated caller can trigger
// (DESIGN.md §5a). net::Server bounds per-handshake attestation with them;
// api can bound `POST /v1/attest` the same way. Time comes from an injected
// Clock, so tests drive them with testing::FakeClock. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/common/clock.h"

namespace concord {

struct TokenBucketOptions {
  double rate_per_second = 1;  // tokens added per second (0: never refills)
  double burst = 1;            // capacity; a new bucket starts full
};

// One bucket: up to `burst` operations at once, then `rate_per_second`.
class TokenBucket final {
 public:
  // `clock` must outlive the bucket. A clock that goes backwards adds no
  // tokens until it passes its latest reading again.
  TokenBucket(TokenBucketOptions options, const Clock& clock);
  TokenBucket(const TokenBucket&) = delete;
  TokenBucket& operator=(const TokenBucket&) = delete;

  // Takes one token: true when one was there, false (nothing taken) when
  // the bucket is empty.
  bool TryTake();
  // How long until a token is there (zero when one is now): a Retry-After.
  absl::Duration TimeUntilToken();

 private:
  struct State {
    double tokens = 0;
    absl::Time last;
  };
  friend class KeyedTokenBuckets;
  // Adds the tokens earned since `state.last`, up to the burst.
  static void Refill(const TokenBucketOptions& options, absl::Time now, State& state);
  static absl::Duration Wait(const TokenBucketOptions& options, const State& state);

  const TokenBucketOptions options_;
  const Clock& clock_;
  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
};

// One bucket per key (a client address), each with the same options, at
// most `max_keys` at once: a bucket that has refilled to its burst is the
// same as a new one, so it is forgotten when room is needed. When `max_keys`
// buckets are all still refilling, a new key is refused (fails closed).
class KeyedTokenBuckets final {
 public:
  // `clock` must outlive this.
  KeyedTokenBuckets(TokenBucketOptions options, size_t max_keys, const Clock& clock);
  KeyedTokenBuckets(const KeyedTokenBuckets&) = delete;
  KeyedTokenBuckets& operator=(const KeyedTokenBuckets&) = delete;

  // Takes one token from `key`'s bucket, as TokenBucket::TryTake.
  bool TryTake(absl::string_view key);
  // The number of buckets held now.
  size_t size();

 private:
  // Forgets every full bucket; sets next_sweep_ to when the next one fills.
  void Sweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TokenBucketOptions options_;
  const size_t max_keys_;
  const Clock& clock_;
  absl::Mutex mu_;
  std::unordered_map<std::string, TokenBucket::State> buckets_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace concord
