#include "concord/common/posix/files.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::posix {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;

class FilesTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") {
        names.push_back(name);
      }
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  mode_t ModeOf(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  std::string dir_ = testing::MakeTempDir("posix");
};

TEST_F(FilesTest, ReadReturnsTheWholeFile) {
  ASSERT_THAT(WriteFileAtomic(Path("f"), AsBytes("hello"), 0644), IsOk());
  EXPECT_THAT(ReadFileBounded(Path("f"), 5), IsOkAndHolds(Eq(ToBytes("hello"))));
  EXPECT_THAT(ReadFileBounded(Path("f"), 1 << 20), IsOkAndHolds(Eq(ToBytes("hello"))));
}

TEST_F(FilesTest, ReadOfEmptyFileIsEmpty) {
  ASSERT_THAT(WriteFileAtomic(Path("f"), ByteView(), 0644), IsOk());
  EXPECT_THAT(ReadFileBounded(Path("f"), 0), IsOkAndHolds(Eq(Bytes())));
}

TEST_F(FilesTest, ReadOverTheLimitIsInvalidArgumentNamingPathAndLimit) {
  ASSERT_THAT(WriteFileAtomic(Path("f"), AsBytes("hello!"), 0644), IsOk());
  EXPECT_THAT(ReadFileBounded(Path("f"), 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "read " + Path("f") + ": file is larger than the limit of 5 bytes"));
}

TEST_F(FilesTest, ReadEnforcesTheLimitBeyondOneChunk) {
  Bytes big(200 * 1024, 'x');
  ASSERT_THAT(WriteFileAtomic(Path("big"), big, 0644), IsOk());
  EXPECT_THAT(ReadFileBounded(Path("big"), big.size()), IsOkAndHolds(Eq(big)));
  EXPECT_THAT(ReadFileBounded(Path("big"), big.size() - 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit of 204799 bytes")));
}

TEST_F(FilesTest, ReadMissingFileIsNotFoundNamingThePath) {
  EXPECT_THAT(ReadFileBounded(Path("missing"), 10),
              StatusIs(absl::StatusCode::kNotFound,
                       "read " + Path("missing") + ": No such file or directory"));
}

TEST_F(FilesTest, ReadOfDirectoryIsFailedPreconditionNamingThePath) {
  EXPECT_THAT(ReadFileBounded(dir_, 10),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read " + dir_ + ": ")));
}

TEST_F(FilesTest, ReadWorksOnPipes) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "abc", 3), 3);
  ::close(fds[1]);
  std::string path = "/proc/self/fd/" + std::to_string(fds[0]);
  EXPECT_THAT(ReadFileBounded(path, 3), IsOkAndHolds(Eq(ToBytes("abc"))));
  ::close(fds[0]);
}

TEST_F(FilesTest, ReadIntoFillsTheBufferAndEnforcesItsSize) {
  ASSERT_THAT(WriteFileAtomic(Path("key"), AsBytes("secret"), 0600), IsOk());
  std::vector<uint8_t> buffer(6);
  EXPECT_THAT(ReadFileBoundedInto(Path("key"), buffer), IsOkAndHolds(Eq(6u)));
  EXPECT_EQ(AsStringView(buffer), "secret");
  std::vector<uint8_t> larger(10);
  EXPECT_THAT(ReadFileBoundedInto(Path("key"), larger), IsOkAndHolds(Eq(6u)));
  std::vector<uint8_t> small(5);
  EXPECT_THAT(ReadFileBoundedInto(Path("key"), small),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "read " + Path("key") + ": file is larger than the limit of 5 bytes"));
  EXPECT_THAT(ReadFileBoundedInto(Path("none"), small), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FilesTest, WriteReplacesAndLeavesOnlyTheFile) {
  ASSERT_THAT(WriteFileAtomic(Path("f"), AsBytes("one"), 0644), IsOk());
  ASSERT_THAT(WriteFileAtomic(Path("f"), AsBytes("two"), 0644), IsOk());
  EXPECT_THAT(ReadFileBounded(Path("f"), 10), IsOkAndHolds(Eq(ToBytes("two"))));
  EXPECT_THAT(Names(), ElementsAre("f"));
}

TEST_F(FilesTest, WriteHonoursTheMode) {
  mode_t old = ::umask(022);
  EXPECT_THAT(WriteFileAtomic(Path("private"), AsBytes("k"), 0600), IsOk());
  EXPECT_THAT(WriteFileAtomic(Path("public"), AsBytes("c"), 0644), IsOk());
  EXPECT_EQ(ModeOf(Path("private")), 0600u);
  EXPECT_EQ(ModeOf(Path("public")), 0644u);
  // Replacing a public file with a private one narrows the mode too.
  EXPECT_THAT(WriteFileAtomic(Path("public"), AsBytes("k"), 0600), IsOk());
  EXPECT_EQ(ModeOf(Path("public")), 0600u);
  ::umask(old);
}

TEST_F(FilesTest, WriteRefusingToOverwriteKeepsTheOldFile) {
  ASSERT_THAT(WriteFileAtomic(Path("f"), AsBytes("old"), 0644), IsOk());
  EXPECT_THAT(WriteFileAtomic(Path("f"), AsBytes("new"), 0644, IfExists::kRefuse),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "write " + Path("f") + ": file exists (refusing to overwrite)"));
  EXPECT_THAT(ReadFileBounded(Path("f"), 10), IsOkAndHolds(Eq(ToBytes("old"))));
  EXPECT_THAT(WriteFileAtomic(Path("g"), AsBytes("new"), 0644, IfExists::kRefuse), IsOk());
  EXPECT_THAT(Names(), ElementsAre("f", "g"));
}

TEST_F(FilesTest, FailedWriteLeavesNoTemporaryFile) {
  // rename(2) cannot replace a non-empty directory with a file.
  ASSERT_EQ(::mkdir(Path("d").c_str(), 0700), 0);
  ASSERT_THAT(WriteFileAtomic(Path("d/inner"), AsBytes("x"), 0644), IsOk());
  EXPECT_THAT(WriteFileAtomic(Path("d"), AsBytes("x"), 0644),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(Path("d"))));
  EXPECT_THAT(Names(), ElementsAre("d"));
}

TEST_F(FilesTest, WriteIntoMissingDirectoryNamesThePath) {
  EXPECT_THAT(WriteFileAtomic(Path("no/f"), AsBytes("x"), 0644),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(Path("no/f"))));
  EXPECT_THAT(Names(), ElementsAre());
}

TEST(DirNameTest, SplitsAtTheLastSlash) {
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(DirName("c"), ".");
}

}  // namespace
}  // namespace concord::posix
