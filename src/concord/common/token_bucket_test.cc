#include "concord/common/token_bucket.h"

#include "concord/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace concord {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1790000000);

TEST(TokenBucketTest, AllowsBurstThenRefusesUntilRefilled) {
  testing::FakeClock clock(kStart);
  TokenBucket bucket({.rate_per_second = 2, .burst = 3}, clock);
  EXPECT_TRUE(bucket.TryTake());
  EXPECT_TRUE(bucket.TryTake());
  EXPECT_TRUE(bucket.TryTake());
  EXPECT_FALSE(bucket.TryTake());
  EXPECT_EQ(bucket.TimeUntilToken(), absl::Milliseconds(500));
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(bucket.TryTake());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(bucket.TimeUntilToken(), absl::ZeroDuration());
  EXPECT_TRUE(bucket.TryTake());
  EXPECT_FALSE(bucket.TryTake());
}

TEST(TokenBucketTest, RefillStopsAtTheBurst) {
  testing::FakeClock clock(kStart);
  TokenBucket bucket({.rate_per_second = 3, .burst = 2}, clock);
  clock.Advance(absl::Hours(1));
  EXPECT_TRUE(bucket.TryTake());
  EXPECT_TRUE(bucket.TryTake());
  EXPECT_FALSE(bucket.TryTake());
  // An exact refill period yields a whole token despite rounding.
  clock.Advance(absl::Seconds(1) / 3);
  EXPECT_TRUE(bucket.TryTake());
}

TEST(TokenBucketTest, ClockGoingBackwardsAddsNothing) {
  testing::FakeClock clock(kStart);
  TokenBucket bucket({.rate_per_second = 1, .burst = 1}, clock);
  EXPECT_TRUE(bucket.TryTake());
  clock.Set(kStart - absl::Hours(1));
  EXPECT_FALSE(bucket.TryTake());
  clock.Set(kStart + absl::Milliseconds(999));
  EXPECT_FALSE(bucket.TryTake());
  clock.Set(kStart + absl::Seconds(1));
  EXPECT_TRUE(bucket.TryTake());
}

TEST(TokenBucketTest, ZeroRateNeverRefills) {
  testing::FakeClock clock(kStart);
  TokenBucket bucket({.rate_per_second = 0, .burst = 1}, clock);
  EXPECT_TRUE(bucket.TryTake());
  clock.Advance(absl::Hours(24));
  EXPECT_FALSE(bucket.TryTake());
  EXPECT_EQ(bucket.TimeUntilToken(), absl::InfiniteDuration());
}

TEST(KeyedTokenBucketsTest, EachKeyHasItsOwnBucket) {
  testing::FakeClock clock(kStart);
  KeyedTokenBuckets buckets({.rate_per_second = 1, .burst = 2}, 16, clock);
  EXPECT_TRUE(buckets.TryTake("10.0.0.1"));
  EXPECT_TRUE(buckets.TryTake("10.0.0.1"));
  EXPECT_FALSE(buckets.TryTake("10.0.0.1"));
  EXPECT_TRUE(buckets.TryTake("10.0.0.2"));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(buckets.TryTake("10.0.0.1"));
  EXPECT_FALSE(buckets.TryTake("10.0.0.1"));
}

TEST(KeyedTokenBucketsTest, FullTableRefusesNewKeysUntilABucketRefills) {
  testing::FakeClock clock(kStart);
  KeyedTokenBuckets buckets({.rate_per_second = 1, .burst = 2}, 2, clock);
  EXPECT_TRUE(buckets.TryTake("a"));
  EXPECT_TRUE(buckets.TryTake("b"));
  EXPECT_TRUE(buckets.TryTake("b"));
  EXPECT_FALSE(buckets.TryTake("c"));  // a and b are still refilling
  EXPECT_EQ(buckets.size(), 2u);
  clock.Advance(absl::Seconds(1));  // a is full again, b is not
  EXPECT_TRUE(buckets.TryTake("c"));
  EXPECT_EQ(buckets.size(), 2u);
  EXPECT_FALSE(buckets.TryTake("d"));
  // b kept its state: one token earned in the second.
  EXPECT_TRUE(buckets.TryTake("b"));
  EXPECT_FALSE(buckets.TryTake("b"));
}

}  // namespace
}  // namespace concord
