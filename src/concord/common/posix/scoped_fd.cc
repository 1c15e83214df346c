#include "concord/common/posix/scoped_fd.h"

#include <unistd.h>

#include <cerrno>

#include "concord/common/posix/errno_status.h"

namespace concord::posix {

void ScopedFd::Reset(int fd) {
  // Linux frees the descriptor even when close() fails (EINTR included), so
  // it is never retried.
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
}

absl::Status ScopedFd::Close(absl::string_view operation) {
  if (fd_ < 0) {
    return absl::OkStatus();
  }
  if (::close(std::exchange(fd_, -1)) != 0) {
    return posix::ErrnoToStatus(errno, operation);
  }
  return absl::OkStatus();
}

}  // namespace concord::posix
