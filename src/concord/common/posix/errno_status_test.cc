#include "concord/common/posix/errno_status.h"

#include <cerrno>

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::posix {
namespace {

using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ErrnoToStatusTest, MessageNamesOperationAndReason) {
  EXPECT_THAT(
      posix::ErrnoToStatus(ENOENT, "open /nonexistent/x"),
      StatusIs(absl::StatusCode::kNotFound, "open /nonexistent/x: No such file or directory"));
}

TEST(ErrnoToStatusTest, CodesFollowWhatTheCallerShouldDoNext) {
  EXPECT_EQ(ErrnoToCode(ENOENT), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToCode(EEXIST), absl::StatusCode::kAlreadyExists);
  for (int err : {EACCES, EPERM, EROFS, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG}) {
    EXPECT_EQ(ErrnoToCode(err), absl::StatusCode::kFailedPrecondition) << err;
  }
  for (int err : {ENOSPC, EDQUOT, EIO, EINTR, EAGAIN, EWOULDBLOCK, EMFILE, ENFILE, ENOMEM, EBUSY}) {
    EXPECT_EQ(ErrnoToCode(err), absl::StatusCode::kUnavailable) << err;
  }
  for (int err : {EBADF, EINVAL, EFAULT, 0}) {
    EXPECT_EQ(ErrnoToCode(err), absl::StatusCode::kInternal) << err;
  }
}

TEST(ErrnoToStatusTest, NeverReturnsOkOrInvalidArgument) {
  for (int err = 0; err < 200; ++err) {
    absl::Status s = posix::ErrnoToStatus(err, "op");
    EXPECT_FALSE(s.ok()) << err;
    EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument) << err;
    EXPECT_THAT(s, StatusIs(s.code(), HasSubstr("op: ")));
  }
}

TEST(ErrnoToStatusTest, ErrnoOfRecoversTheErrno) {
  EXPECT_EQ(ErrnoOf(posix::ErrnoToStatus(EBUSY, "op")), EBUSY);
  EXPECT_EQ(ErrnoOf(absl::UnavailableError("op: busy")), std::nullopt);
  EXPECT_EQ(ErrnoOf(absl::OkStatus()), std::nullopt);
}

}  // namespace
}  // namespace concord::posix
