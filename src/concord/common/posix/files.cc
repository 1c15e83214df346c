#include "concord/common/posix/files.h"

#include <fcntl.h>
#include <string.h>  // explicit_bzero
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/posix/errno_status.h"
#include "concord/common/status_macros.h"

namespace concord::posix {
namespace {

absl::Status TooLarge(const std::string& path, size_t max_bytes) {
  return absl::InvalidArgumentError(
      absl::StrCat("read ", path, ": file is larger than the limit of ", max_bytes, " bytes"));
}

// open(2) with O_CLOEXEC, retried on EINTR; errors name `operation`.
absl::StatusOr<ScopedFd> Open(const std::string& path, int flags, mode_t mode,
                              absl::string_view operation) {
  while (true) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) {
      return ScopedFd(fd);
    }
    if (errno != EINTR) {
      return posix::ErrnoToStatus(errno, operation);
    }
  }
}

// A name for the temporary file that no other writer in this process or
// another one uses at the same time.
std::string TempPathFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(path, ".tmp-", ::getpid(), "-", counter.fetch_add(1));
}

}  // namespace

absl::StatusOr<ScopedFd> OpenFd(const std::string& path, int flags, mode_t mode) {
  return Open(path, flags, mode, absl::StrCat("open ", path));
}

absl::StatusOr<size_t> ReadUpTo(int fd, std::span<uint8_t> out, absl::string_view what) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return posix::ErrnoToStatus(errno, absl::StrCat("read ", what));
    }
    if (n == 0) {
      break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

absl::Status WriteAll(int fd, ByteView data, absl::string_view what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return posix::ErrnoToStatus(errno, absl::StrCat("write ", what));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  CONCORD_ASSIGN_OR_RETURN(ScopedFd fd, OpenFd(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0) {
    return posix::ErrnoToStatus(errno, absl::StrCat("fsync ", dir));
  }
  return absl::OkStatus();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

absl::StatusOr<size_t> ReadFileBoundedInto(const std::string& path, std::span<uint8_t> buffer) {
  CONCORD_ASSIGN_OR_RETURN(ScopedFd fd, Open(path, O_RDONLY, 0, absl::StrCat("read ", path)));
  CONCORD_ASSIGN_OR_RETURN(size_t n, ReadUpTo(fd.get(), buffer, path));
  if (n < buffer.size()) {
    return n;  // EOF before the limit
  }
  uint8_t extra = 0;
  absl::StatusOr<size_t> more = ReadUpTo(fd.get(), std::span<uint8_t>(&extra, 1), path);
  explicit_bzero(&extra, sizeof(extra));
  CONCORD_RETURN_IF_ERROR(more.status());
  if (*more != 0) {
    return TooLarge(path, buffer.size());
  }
  return n;
}

absl::StatusOr<Bytes> ReadFileBounded(const std::string& path, size_t max_bytes) {
  CONCORD_ASSIGN_OR_RETURN(ScopedFd fd, Open(path, O_RDONLY, 0, absl::StrCat("read ", path)));
  // Grow in chunks rather than allocating the limit up front: limits are
  // generous and most files are small. Read one byte past the limit to tell
  // "exactly the limit" from "more".
  constexpr size_t kChunk = 64 * 1024;
  Bytes data;
  while (data.size() <= max_bytes) {
    size_t old_size = data.size();
    data.resize(old_size + std::min(kChunk, max_bytes + 1 - old_size));
    CONCORD_ASSIGN_OR_RETURN(size_t n,
                             ReadUpTo(fd.get(), std::span<uint8_t>(data).subspan(old_size), path));
    data.resize(old_size + n);
    if (n == 0) {
      return data;
    }
  }
  return TooLarge(path, max_bytes);
}

absl::Status WriteFileAtomic(const std::string& path, ByteView bytes, mode_t mode,
                             IfExists if_exists) {
  struct stat st;
  if (if_exists == IfExists::kRefuse && ::lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("write ", path, ": file exists (refusing to overwrite)"));
  }
  const std::string temp = TempPathFor(path);
  CONCORD_ASSIGN_OR_RETURN(ScopedFd fd, Open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode,
                                             absl::StrCat("write ", temp)));
  absl::Status status = WriteAll(fd.get(), bytes, temp);
  if (status.ok() && ::fsync(fd.get()) != 0) {
    status = posix::ErrnoToStatus(errno, absl::StrCat("fsync ", temp));
  }
  if (status.ok()) {
    status = fd.Close(absl::StrCat("close ", temp));
  }
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = posix::ErrnoToStatus(errno, absl::StrCat("rename to ", path));
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return SyncDir(DirName(path));
}

}  // namespace concord::posix
