#include "concord/common/posix/scoped_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "concord/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace concord::posix {
namespace {

using ::concord::testing::IsOk;

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int NewFd() {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[1]);
  return fds[0];
}

TEST(ScopedFdTest, DestructorCloses) {
  int raw = NewFd();
  {
    ScopedFd fd(raw);
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(fd.get(), raw);
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(ScopedFdTest, DefaultIsEmpty) {
  ScopedFd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(fd.get(), -1);
  EXPECT_THAT(fd.Close("close nothing"), IsOk());
}

TEST(ScopedFdTest, MoveTransfersOwnership) {
  int raw = NewFd();
  ScopedFd a(raw);
  ScopedFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(b.get(), raw);
  ScopedFd c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(ScopedFdTest, MoveAssignClosesThePreviousDescriptor) {
  int first = NewFd();
  int second = NewFd();
  ScopedFd a(first);
  a = ScopedFd(second);
  EXPECT_FALSE(IsOpen(first));
  EXPECT_TRUE(IsOpen(second));
}

TEST(ScopedFdTest, ReleaseGivesUpOwnership) {
  int raw = NewFd();
  {
    ScopedFd fd(raw);
    EXPECT_EQ(fd.Release(), raw);
  }
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
}

TEST(ScopedFdTest, CloseReportsAndEmpties) {
  int raw = NewFd();
  ScopedFd fd(raw);
  EXPECT_THAT(fd.Close("close pipe"), IsOk());
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(IsOpen(raw));
}

}  // namespace
}  // namespace concord::posix
