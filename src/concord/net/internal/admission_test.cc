#include "concord/net/internal/admission.h"

#include "gtest/gtest.h"

namespace concord::net::internal {
namespace {

TEST(ConnectionCounterTest, SourceLimitRefusesOnlyThatSource) {
  ConnectionCounter counter(100, {10});
  EXPECT_EQ(counter.Admit(0, "10.0.0.1", 2), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.Admit(0, "10.0.0.1", 2), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.Admit(0, "10.0.0.1", 2), ConnectionRefusal::kSourceLimit);
  EXPECT_EQ(counter.Admit(0, "10.0.0.2", 2), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.open(0, "10.0.0.1"), 2u);
  EXPECT_EQ(counter.open(0), 3u);
  counter.Release(0, "10.0.0.1");
  EXPECT_EQ(counter.Admit(0, "10.0.0.1", 2), ConnectionRefusal::kNone);
}

TEST(ConnectionCounterTest, ListenerLimitLeavesOtherListenersTheirShare) {
  ConnectionCounter counter(4, {2, 2});
  EXPECT_EQ(counter.Admit(0, "a", 10), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.Admit(0, "b", 10), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.Admit(0, "c", 10), ConnectionRefusal::kListenerLimit);
  EXPECT_EQ(counter.Admit(1, "a", 10), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.Admit(1, "a", 10), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.open(), 4u);
}

TEST(ConnectionCounterTest, ServerLimitAppliesAcrossListeners) {
  ConnectionCounter counter(2, {2, 2});
  EXPECT_EQ(counter.Admit(0, "a", 10), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.Admit(1, "a", 10), ConnectionRefusal::kNone);
  EXPECT_EQ(counter.Admit(1, "b", 10), ConnectionRefusal::kServerLimit);
  counter.Release(0, "a");
  EXPECT_EQ(counter.Admit(1, "b", 10), ConnectionRefusal::kNone);
}

TEST(ConnectionCounterTest, MoveCountsAgainstTheNewSourceOnly) {
  ConnectionCounter counter(100, {100});
  ASSERT_EQ(counter.Admit(0, "via 10.0.0.9", 100), ConnectionRefusal::kNone);
  ASSERT_EQ(counter.Admit(0, "via 10.0.0.9", 100), ConnectionRefusal::kNone);
  ASSERT_EQ(counter.Admit(0, "via 10.0.0.9", 100), ConnectionRefusal::kNone);
  EXPECT_TRUE(counter.Move(0, "via 10.0.0.9", "203.0.113.7", 1));
  EXPECT_FALSE(counter.Move(0, "via 10.0.0.9", "203.0.113.7", 1));
  EXPECT_TRUE(counter.Move(0, "via 10.0.0.9", "203.0.113.8", 1));
  EXPECT_EQ(counter.open(0, "via 10.0.0.9"), 1u);  // the refused one stays there
  EXPECT_EQ(counter.open(0, "203.0.113.7"), 1u);
  EXPECT_EQ(counter.open(0), 3u);
  counter.Release(0, "203.0.113.7");
  counter.Release(0, "203.0.113.8");
  counter.Release(0, "via 10.0.0.9");
  EXPECT_EQ(counter.open(), 0u);
  // Releasing what was never counted changes nothing.
  counter.Release(0, "via 10.0.0.9");
  EXPECT_EQ(counter.open(), 0u);
}

TEST(ByteBudgetTest, ReservesUpToTheLimitAndReleases) {
  ByteBudget budget(100);
  EXPECT_TRUE(budget.TryReserve(60));
  EXPECT_FALSE(budget.TryReserve(41));
  EXPECT_TRUE(budget.TryReserve(40));
  EXPECT_FALSE(budget.TryReserve(1));
  budget.Release(60);
  EXPECT_EQ(budget.used(), 40u);
  EXPECT_FALSE(budget.TryReserve(UINT64_MAX));
  EXPECT_TRUE(budget.TryReserve(60));
}

}  // namespace
}  // namespace concord::net::internal
