#include "concord/store/testing/conformance.h"

#include <atomic>
#include <barrier>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"

namespace concord::store::testing {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST_P(StoreConformanceTest, GetMissingKeyReturnsNotFound) {
  EXPECT_THAT(store().Get("manifests/absent"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Get(kLatestKey), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, PutThenGetReturnsValue) {
  ASSERT_THAT(store().Put("manifests/ab", AsBytes("hello")), IsOk());
  EXPECT_THAT(store().Get("manifests/ab"), IsOkAndHolds(ToBytes("hello")));
}

TEST_P(StoreConformanceTest, PutSameValueTwiceIsIdempotent) {
  ASSERT_THAT(store().Put("certs/x", AsBytes("v")), IsOk());
  ASSERT_THAT(store().Put("certs/x", AsBytes("v")), IsOk());
  EXPECT_THAT(store().Get("certs/x"), IsOkAndHolds(ToBytes("v")));
  EXPECT_THAT(store().List("certs/"), IsOkAndHolds(ElementsAre("certs/x")));
}

TEST_P(StoreConformanceTest, PutReplacesValue) {
  ASSERT_THAT(store().Put("certs/x", AsBytes("old")), IsOk());
  ASSERT_THAT(store().Put("certs/x", AsBytes("new")), IsOk());
  EXPECT_THAT(store().Get("certs/x"), IsOkAndHolds(ToBytes("new")));
}

TEST_P(StoreConformanceTest, PutEmptyValueRoundTrips) {
  ASSERT_THAT(store().Put("empty", ByteView()), IsOk());
  EXPECT_THAT(store().Get("empty"), IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest, PutBinaryValueRoundTrips) {
  Bytes value;
  for (int i = 0; i < 256; ++i) {
    value.push_back(static_cast<uint8_t>(i));
  }
  ASSERT_THAT(store().Put("bin", value), IsOk());
  EXPECT_THAT(store().Get("bin"), IsOkAndHolds(value));
}

TEST_P(StoreConformanceTest, PutLatestIsRejected) {
  EXPECT_THAT(store().Put(kLatestKey, AsBytes("x")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Commit")));
  EXPECT_THAT(store().Get(kLatestKey), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, ListReturnsSortedKeysUnderPrefix) {
  for (const char* key :
       {"transitions/bb", "transitions/aa", "manifests/zz", "transitionsx", "transitions/ab/c"}) {
    ASSERT_THAT(store().Put(key, AsBytes(key)), IsOk());
  }
  EXPECT_THAT(store().List("transitions/"),
              IsOkAndHolds(ElementsAre("transitions/aa", "transitions/ab/c", "transitions/bb")));
  EXPECT_THAT(store().List("transitions/a"),
              IsOkAndHolds(ElementsAre("transitions/aa", "transitions/ab/c")));
  EXPECT_THAT(store().List(""),
              IsOkAndHolds(ElementsAre("manifests/zz", "transitions/aa", "transitions/ab/c",
                                       "transitions/bb", "transitionsx")));
  EXPECT_THAT(store().List("policies/"), IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest, DeleteRemovesKeyAndIgnoresMissingKey) {
  ASSERT_THAT(store().Put("certs/x", AsBytes("v")), IsOk());
  ASSERT_THAT(store().Delete("certs/x"), IsOk());
  EXPECT_THAT(store().Get("certs/x"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Delete("certs/x"), IsOk());
  EXPECT_THAT(store().List(""), IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest, InvalidKeysAreRejectedEverywhere) {
  const std::string too_long(kMaxKeySize + 1, 'a');
  for (const std::string& key :
       {std::string(""), std::string("/abs"), std::string("Upper"), std::string("a//b"),
        std::string("a/../b"), std::string(".."), std::string("a/"), std::string("sp ace"),
        std::string("a/./b"), std::string("."), std::string("nul\0x", 5), std::string("x\xff"),
        std::string("a..b"), too_long}) {
    SCOPED_TRACE(key);
    EXPECT_THAT(store().Get(key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Put(key, AsBytes("v")), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Delete(key), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Watch(key, [](const absl::StatusOr<Bytes>&) {}),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store().Commit({{key, ToBytes("v")}}, std::nullopt, AsBytes("l")),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(store().List("/x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().List("a/../"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().List("A"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Get(kLatestKey), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().List(""), IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreConformanceTest, LongestValidKeyWorks) {
  const std::string key(kMaxKeySize, 'k');
  ASSERT_THAT(store().Put(key, AsBytes("v")), IsOk());
  EXPECT_THAT(store().Get(key), IsOkAndHolds(ToBytes("v")));
}

TEST_P(StoreConformanceTest, OversizeValuesAreRejected) {
  const Bytes max(kMaxValueSize, 0x5a);
  ASSERT_THAT(store().Put("big", max), IsOk());
  EXPECT_THAT(store().Get("big"), IsOkAndHolds(max));
  const Bytes over(kMaxValueSize + 1, 0x5a);
  EXPECT_THAT(store().Put("over", over), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Commit({{"over", over}}, std::nullopt, AsBytes("l")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Commit({}, std::nullopt, over), StatusIs(absl::StatusCode::kInvalidArgument));
  // Two values that fit alone but not together in one commit.
  const Bytes half(kMaxCommitSize / 2 + 1, 1);
  EXPECT_THAT(store().Commit({{"a", half}, {"b", half}}, std::nullopt, AsBytes("l")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<Object> many;
  for (size_t i = 0; i <= kMaxCommitObjects; ++i) {
    many.push_back({absl::StrCat("o/", i), ToBytes("v")});
  }
  EXPECT_THAT(store().Commit(many, std::nullopt, AsBytes("l")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Get("over"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Get(kLatestKey), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, CommitRejectsLatestAmongObjectsAndDuplicates) {
  EXPECT_THAT(store().Commit({{std::string(kLatestKey), ToBytes("x")}}, std::nullopt, AsBytes("l")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      store().Commit({{"a", ToBytes("1")}, {"a", ToBytes("2")}}, std::nullopt, AsBytes("l")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  EXPECT_THAT(store().Get(kLatestKey), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Get("a"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, CommitCreatesLatestWhenExpectedAbsent) {
  ASSERT_THAT(store().Commit({{"transitions/t1", ToBytes("T1")}, {"manifests/m1", ToBytes("M1")}},
                             std::nullopt, AsBytes("L1")),
              IsOk());
  EXPECT_THAT(store().Get(kLatestKey), IsOkAndHolds(ToBytes("L1")));
  EXPECT_THAT(store().Get("transitions/t1"), IsOkAndHolds(ToBytes("T1")));
  EXPECT_THAT(store().Get("manifests/m1"), IsOkAndHolds(ToBytes("M1")));
  EXPECT_THAT(store().List(""),
              IsOkAndHolds(ElementsAre("latest", "manifests/m1", "transitions/t1")));
}

TEST_P(StoreConformanceTest, CommitExpectingAbsenceAbortsWhenLatestExists) {
  ASSERT_THAT(store().Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  EXPECT_THAT(store().Commit({{"transitions/t2", ToBytes("T2")}}, std::nullopt, AsBytes("L2")),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store().Get(kLatestKey), IsOkAndHolds(ToBytes("L1")));
  EXPECT_THAT(store().Get("transitions/t2"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, CommitSwapsWhenExpectedMatches) {
  ASSERT_THAT(store().Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  ASSERT_THAT(store().Commit({{"transitions/t2", ToBytes("T2")}}, ToBytes("L1"), AsBytes("L2")),
              IsOk());
  EXPECT_THAT(store().Get(kLatestKey), IsOkAndHolds(ToBytes("L2")));
  EXPECT_THAT(store().Get("transitions/t2"), IsOkAndHolds(ToBytes("T2")));
}

TEST_P(StoreConformanceTest, CommitMismatchAbortsAndWritesNothing) {
  ASSERT_THAT(store().Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  EXPECT_THAT(store().Commit({{"transitions/t2", ToBytes("T2")}}, ToBytes("L0"), AsBytes("L2")),
              StatusIs(absl::StatusCode::kAborted));
  // A prefix or extension of the current value is not a match either.
  EXPECT_THAT(store().Commit({}, ToBytes("L"), AsBytes("L2")),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store().Commit({}, ToBytes("L10"), AsBytes("L2")),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store().Get(kLatestKey), IsOkAndHolds(ToBytes("L1")));
  EXPECT_THAT(store().Get("transitions/t2"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, CommitExpectingValueAbortsWhenLatestAbsent) {
  EXPECT_THAT(store().Commit({{"x", ToBytes("1")}}, ToBytes("L1"), AsBytes("L2")),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store().Get(kLatestKey), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Get("x"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, CommitWithExistingIdenticalObjectSucceeds) {
  ASSERT_THAT(store().Put("manifests/m", AsBytes("M")), IsOk());
  ASSERT_THAT(store().Commit({{"manifests/m", ToBytes("M")}}, std::nullopt, AsBytes("L1")), IsOk());
  EXPECT_THAT(store().Get("manifests/m"), IsOkAndHolds(ToBytes("M")));
}

TEST_P(StoreConformanceTest, DeleteLatestThenCommitExpectingAbsenceSucceeds) {
  ASSERT_THAT(store().Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  ASSERT_THAT(store().Delete(kLatestKey), IsOk());
  EXPECT_THAT(store().Commit({}, std::nullopt, AsBytes("L2")), IsOk());
  EXPECT_THAT(store().Get(kLatestKey), IsOkAndHolds(ToBytes("L2")));
}

TEST_P(StoreConformanceTest, WatchReportsInitialStateUpdatesAndDeletion) {
  WatchRecorder recorder;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               store().Watch(kLatestKey, recorder.Callback()));
  ASSERT_TRUE(recorder.WaitForLast(std::nullopt));
  ASSERT_THAT(store().Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("L1"));
  ASSERT_THAT(store().Commit({}, ToBytes("L1"), AsBytes("L2")), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("L2"));
  ASSERT_THAT(store().Delete(kLatestKey), IsOk());
  ASSERT_TRUE(recorder.WaitForLast(std::nullopt));
}

TEST_P(StoreConformanceTest, WatchReportsExistingValueFirst) {
  ASSERT_THAT(store().Put("certs/c", AsBytes("C1")), IsOk());
  WatchRecorder recorder;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               store().Watch("certs/c", recorder.Callback()));
  ASSERT_TRUE(recorder.WaitForLast("C1"));
  ASSERT_THAT(store().Put("certs/c", AsBytes("C2")), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("C2"));
}

TEST_P(StoreConformanceTest, WatchNeverMissesTheFinalStateOfABurst) {
  WatchRecorder recorder;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               store().Watch(kLatestKey, recorder.Callback()));
  std::optional<Bytes> expected;
  for (int i = 0; i < 50; ++i) {
    Bytes next = ToBytes(absl::StrCat("L", i));
    ASSERT_THAT(store().Commit({}, expected, next), IsOk());
    expected = next;
  }
  ASSERT_TRUE(recorder.WaitForLast("L49"));
}

TEST_P(StoreConformanceTest, WatchIgnoresOtherKeys) {
  WatchRecorder recorder;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               store().Watch("certs/a", recorder.Callback()));
  ASSERT_TRUE(recorder.WaitForLast(std::nullopt));
  ASSERT_THAT(store().Put("certs/b", AsBytes("B")), IsOk());
  ASSERT_THAT(store().Put("certs/a", AsBytes("A")), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("A"));
  // Exactly the initial NotFound and "A": "certs/b" never reached it.
  EXPECT_EQ(recorder.count(), 2u);
}

TEST_P(StoreConformanceTest, DestroyedWatchStopsReporting) {
  WatchRecorder recorder;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               store().Watch(kLatestKey, recorder.Callback()));
  ASSERT_TRUE(recorder.WaitForLast(std::nullopt));
  handle.reset();
  const size_t before = recorder.count();
  ASSERT_THAT(store().Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  // A second watch seeing L1 proves the change is visible; the first one,
  // destroyed, must still be silent.
  WatchRecorder second;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle2,
                               store().Watch(kLatestKey, second.Callback()));
  ASSERT_TRUE(second.WaitForLast("L1"));
  handle2.reset();
  EXPECT_EQ(recorder.count(), before);
}

TEST_P(StoreConformanceTest, ConcurrentCommitsHaveExactlyOneWinnerPerRound) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 25;
  CommitRounds result = RunCommitRounds(kThreads, kRounds, [&](int t, int round) {
    // Every contender expects the previous round's value; the value of a
    // round is the same whoever wins it, so rounds stay in lockstep.
    std::optional<Bytes> expected;
    if (round > 0) {
      expected = ToBytes(absl::StrCat("round-", round - 1));
    }
    return store().Commit({{absl::StrCat("objs/r", round, "-t", t), ToBytes("x")}}, expected,
                          ToBytes(absl::StrCat("round-", round)));
  });
  EXPECT_EQ(result.unexpected, 0);
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(result.wins[round], 1) << "round " << round;
  }
  EXPECT_THAT(store().Get(kLatestKey), IsOkAndHolds(ToBytes(absl::StrCat("round-", kRounds - 1))));
  // Losers wrote nothing: one object per round.
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<std::string> objs, store().List("objs/"));
  EXPECT_EQ(objs.size(), static_cast<size_t>(kRounds));
}

TEST_P(StoreConformanceTest, ConcurrentPutsAndGetsSeeWholeValues) {
  constexpr int kThreads = 4;
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const Bytes value(1000 + 100 * t, static_cast<uint8_t>(t));
        if (!store().Put("shared", value).ok()) {
          torn.fetch_add(1);
        }
        absl::StatusOr<Bytes> got = store().Get("shared");
        if (!got.ok() || got->empty() || got->size() != 1000 + 100 * size_t{got->front()} ||
            *got != Bytes(got->size(), got->front())) {
          torn.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace

std::string StoreConformanceParamName(const ::testing::TestParamInfo<StoreConformanceParam>& info) {
  return info.param.name;
}

void StoreConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<Store>> store = GetParam().make_store();
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
}

void StoreConformanceTest::TearDown() { store_.reset(); }

WatchCallback WatchRecorder::Callback() {
  return [this](const absl::StatusOr<Bytes>& state) {
    absl::MutexLock lock(&mu_);
    states_.push_back(state);
  };
}

bool WatchRecorder::WaitForLast(const std::optional<std::string>& want) {
  absl::MutexLock lock(&mu_);
  auto matches = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (states_.empty()) {
      return false;
    }
    const absl::StatusOr<Bytes>& last = states_.back();
    if (!want.has_value()) {
      return absl::IsNotFound(last.status());
    }
    return last.ok() && *last == ToBytes(*want);
  };
  return mu_.AwaitWithTimeout(absl::Condition(&matches), deadline_);
}

bool WatchRecorder::WaitForError(absl::StatusCode code) {
  absl::MutexLock lock(&mu_);
  auto matches = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !states_.empty() && states_.back().status().code() == code;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&matches), deadline_);
}

size_t WatchRecorder::count() {
  absl::MutexLock lock(&mu_);
  return states_.size();
}

CommitRounds RunCommitRounds(int threads, int rounds,
                             const std::function<absl::Status(int thread, int round)>& commit) {
  std::barrier sync(threads);
  std::vector<std::atomic<int>> wins(rounds);
  std::atomic<int> unexpected{0};
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      for (int round = 0; round < rounds; ++round) {
        sync.arrive_and_wait();
        absl::Status status = commit(t, round);
        if (status.ok()) {
          wins[round].fetch_add(1);
        } else if (!absl::IsAborted(status)) {
          unexpected.fetch_add(1);
        }
        sync.arrive_and_wait();
      }
    });
  }
  for (std::thread& thread : running) {
    thread.join();
  }
  CommitRounds result;
  for (const std::atomic<int>& w : wins) {
    result.wins.push_back(w.load());
  }
  result.unexpected = unexpected.load();
  return result;
}

}  // namespace concord::store::testing
