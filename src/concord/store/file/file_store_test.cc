// File-store-only tests: several processes on one directory, crashes between
// the steps of a commit, the on-disk layout. The shared behaviour is covered
// by the conformance suite in store_test.cc.
#include "concord/store/file/file_store.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::store {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::MakeTempDir;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<FileStore> OpenOrDie(const std::string& dir, FileStore::Options options = {}) {
  auto store = FileStore::Create(dir, std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

void WriteRawFile(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

bool FileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Waits for `pid` and returns its exit code (-1 if it did not exit normally).
int WaitExitCode(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// State shared by forked processes (anonymous shared mapping).
struct RaceShared {
  static constexpr int kRounds = 60;
  pthread_barrier_t barrier;
  std::atomic<int> wins[kRounds];
  std::atomic<int> aborted;
  std::atomic<int> errors;
};

TEST(FileStoreTest, TwoProcessesRacingCommitsHaveOneWinnerPerRound) {
  static_assert(std::atomic<int>::is_always_lock_free);
  constexpr int kProcesses = 2;
  const std::string dir = MakeTempDir("concord-file-race");
  ASSERT_NE(OpenOrDie(dir), nullptr);  // lays out the directory

  void* mem =
      mmap(nullptr, sizeof(RaceShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* shared = new (mem) RaceShared();
  pthread_barrierattr_t attr;
  pthread_barrierattr_init(&attr);
  pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  ASSERT_EQ(pthread_barrier_init(&shared->barrier, &attr, kProcesses), 0);
  pthread_barrierattr_destroy(&attr);

  pid_t pids[kProcesses];
  for (int p = 0; p < kProcesses; ++p) {
    pids[p] = fork();
    ASSERT_GE(pids[p], 0);
    if (pids[p] == 0) {
      // Child: its own store object on the shared directory. It never
      // returns early, so the other process never waits at the barrier alone.
      auto store = FileStore::Create(dir, {});
      for (int round = 0; round < RaceShared::kRounds; ++round) {
        pthread_barrier_wait(&shared->barrier);
        if (!store.ok()) {
          shared->errors.fetch_add(1);
          continue;
        }
        std::optional<Bytes> expected;
        if (round > 0) {
          expected = ToBytes(absl::StrCat("round-", round - 1));
        }
        absl::Status status =
            (*store)->Commit({{absl::StrCat("objs/r", round, "-p", p), ToBytes("x")}}, expected,
                             ToBytes(absl::StrCat("round-", round)));
        if (status.ok()) {
          shared->wins[round].fetch_add(1);
        } else if (absl::IsAborted(status)) {
          shared->aborted.fetch_add(1);
        } else {
          shared->errors.fetch_add(1);
        }
      }
      _exit(0);
    }
  }
  for (pid_t pid : pids) {
    EXPECT_EQ(WaitExitCode(pid), 0);
  }
  EXPECT_EQ(shared->errors.load(), 0);
  for (int round = 0; round < RaceShared::kRounds; ++round) {
    EXPECT_EQ(shared->wins[round].load(), 1) << "round " << round;
  }
  EXPECT_EQ(shared->aborted.load(), RaceShared::kRounds * (kProcesses - 1));

  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Get(kLatestKey),
              IsOkAndHolds(ToBytes(absl::StrCat("round-", RaceShared::kRounds - 1))));
  // Every loser left nothing behind: exactly one object per round.
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<std::string> objs, store->List("objs/"));
  EXPECT_EQ(objs.size(), static_cast<size_t>(RaceShared::kRounds));
  pthread_barrier_destroy(&shared->barrier);
  shared->~RaceShared();
  munmap(mem, sizeof(RaceShared));
}

// A child process starts a commit of L2 over L1 and dies at `step`.
std::string StepName(FileStore::CommitStep step) {
  switch (step) {
    case FileStore::CommitStep::kLocked:
      return "Locked";
    case FileStore::CommitStep::kObjectsWritten:
      return "ObjectsWritten";
    case FileStore::CommitStep::kLatestTempWritten:
      return "LatestTempWritten";
    case FileStore::CommitStep::kLatestRenamed:
      return "LatestRenamed";
  }
  return "Unknown";
}

class FileStoreCrashTest : public ::testing::TestWithParam<FileStore::CommitStep> {};

TEST_P(FileStoreCrashTest, CrashMidCommitLeavesOldOrNewLatestAndLaterCommitsWork) {
  const FileStore::CommitStep crash_at = GetParam();
  const std::string dir = MakeTempDir("concord-file-crash");
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit({{"objs/one", ToBytes("1")}}, std::nullopt, AsBytes("L1")), IsOk());

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FileStore::Options options;
    options.commit_step_hook_for_test = [crash_at](FileStore::CommitStep step) {
      if (step == crash_at) {
        _exit(42);  // no cleanup, no unlock: as if killed here
      }
    };
    auto child = FileStore::Create(dir, std::move(options));
    if (!child.ok()) {
      _exit(1);
    }
    (void)(*child)->Commit({{"objs/two", ToBytes("2")}}, ToBytes("L1"), AsBytes("L2"));
    _exit(2);  // the crash point was never reached
  }
  ASSERT_EQ(WaitExitCode(pid), 42);

  const bool renamed = crash_at == FileStore::CommitStep::kLatestRenamed;
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes latest, store->Get(kLatestKey));
  EXPECT_EQ(latest, ToBytes(renamed ? "L2" : "L1"));
  // The dead process's lock is gone and its leftovers do not matter.
  ASSERT_THAT(store->Commit({{"objs/three", ToBytes("3")}}, latest, AsBytes("L3")), IsOk());
  EXPECT_THAT(store->Get(kLatestKey), IsOkAndHolds(ToBytes("L3")));
  EXPECT_THAT(store->Get("objs/one"), IsOkAndHolds(ToBytes("1")));
  EXPECT_THAT(store->Get("objs/three"), IsOkAndHolds(ToBytes("3")));
  // A fresh open (another replica starting) works too.
  auto reopened = OpenOrDie(dir);
  ASSERT_NE(reopened, nullptr);
  EXPECT_THAT(reopened->Get(kLatestKey), IsOkAndHolds(ToBytes("L3")));
}

INSTANTIATE_TEST_SUITE_P(Steps, FileStoreCrashTest,
                         ::testing::Values(FileStore::CommitStep::kLocked,
                                           FileStore::CommitStep::kObjectsWritten,
                                           FileStore::CommitStep::kLatestTempWritten,
                                           FileStore::CommitStep::kLatestRenamed),
                         [](const ::testing::TestParamInfo<FileStore::CommitStep>& info) {
                           return StepName(info.param);
                         });

TEST(FileStoreTest, LeftoverTempFilesAndStaleLockDoNotBreakReadsOrCommits) {
  const std::string dir = MakeTempDir("concord-file-leftovers");
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  // A half-written temp file of a crashed writer and garbage in the lock file.
  WriteRawFile(dir + "/tmp/w.AbC123", "L9-half-writ");
  WriteRawFile(dir + "/tmp/w.empty0", "");
  WriteRawFile(dir + "/lock", "pid 12345 held this once");
  EXPECT_THAT(store->Get(kLatestKey), IsOkAndHolds(ToBytes("L1")));
  EXPECT_THAT(store->List(""), IsOkAndHolds(ElementsAre("latest")));
  EXPECT_THAT(store->Commit({}, ToBytes("L1"), AsBytes("L2")), IsOk());
  auto reopened = OpenOrDie(dir);
  ASSERT_NE(reopened, nullptr);
  EXPECT_THAT(reopened->Get(kLatestKey), IsOkAndHolds(ToBytes("L2")));
}

TEST(FileStoreTest, CommitLeavesNoTempFiles) {
  const std::string dir = MakeTempDir("concord-file-clean");
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit({{"a/b", ToBytes("x")}}, std::nullopt, AsBytes("L1")), IsOk());
  ASSERT_THAT(store->Put("c", AsBytes("y")), IsOk());
  DIR* d = opendir((dir + "/tmp").c_str());
  ASSERT_NE(d, nullptr);
  int entries = 0;
  while (struct dirent* e = readdir(d)) {
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") {
      ++entries;
    }
  }
  closedir(d);
  EXPECT_EQ(entries, 0);
}

TEST(FileStoreTest, KeysAreSingleFilesAndForeignFilesAreIgnored) {
  const std::string dir = MakeTempDir("concord-file-layout");
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Put("manifests/ab", AsBytes("M")), IsOk());
  EXPECT_EQ(FileStore::FileNameForKey("manifests/ab"), "manifests%ab");
  EXPECT_TRUE(FileExists(dir + "/objects/manifests%ab"));
  EXPECT_TRUE(FileExists(dir + "/CONCORD_STORE"));
  WriteRawFile(dir + "/objects/README.TXT", "not a key");
  WriteRawFile(dir + "/objects/x%%y", "not a key");
  EXPECT_THAT(store->List(""), IsOkAndHolds(ElementsAre("manifests/ab")));
}

TEST(FileStoreTest, OversizedFileIsDataLoss) {
  const std::string dir = MakeTempDir("concord-file-oversize");
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  WriteRawFile(dir + "/objects/big", std::string(kMaxValueSize + 1, 'x'));
  EXPECT_THAT(store->Get("big"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("limit")));
}

TEST(FileStoreTest, RefusesDirectoryThatIsNotAStore) {
  const std::string dir = MakeTempDir("concord-file-foreign");
  WriteRawFile(dir + "/important.txt", "operator data");
  EXPECT_THAT(FileStore::Create(dir, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not empty")));
  const std::string other = MakeTempDir("concord-file-version");
  WriteRawFile(other + "/CONCORD_STORE", "concord-file-store 99\n");
  EXPECT_THAT(FileStore::Create(other, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("format")));
  EXPECT_THAT(FileStore::Create("relative/dir", {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FileStoreTest, CreatesMissingDirectories) {
  const std::string dir = MakeTempDir("concord-file-mkdir") + "/a/b/store";
  auto store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Put("k", AsBytes("v")), IsOk());
}

TEST(FileStoreTest, WatchSeesCommitsMadeThroughAnotherHandle) {
  const std::string dir = MakeTempDir("concord-file-watch");
  FileStore::Options options;
  options.watch_poll_interval = absl::Milliseconds(2);
  auto watcher_store = OpenOrDie(dir, options);
  auto writer_store = OpenOrDie(dir);
  ASSERT_NE(watcher_store, nullptr);
  ASSERT_NE(writer_store, nullptr);
  absl::Mutex mu;
  std::optional<Bytes> last;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto handle, watcher_store->Watch(kLatestKey, [&](const absl::StatusOr<Bytes>& s) {
        absl::MutexLock lock(&mu);
        if (s.ok()) {
          last = *s;
        }
      }));
  ASSERT_THAT(writer_store->Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  absl::MutexLock lock(&mu);
  auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return last.has_value() && *last == ToBytes("L1");
  };
  EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(20)));
}

}  // namespace

// Found by argument-dependent lookup, so outside the unnamed namespace: test
// logs name the step instead of dumping its bytes.
void PrintTo(FileStore::CommitStep step, std::ostream* os) { *os << StepName(step); }

}  // namespace concord::store
