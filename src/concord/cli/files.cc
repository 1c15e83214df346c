#include "concord/cli/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace concord::cli {
namespace {

absl::Status ErrnoStatus(absl::string_view op, const std::string& path, int err) {
  std::string msg = absl::StrCat(op, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) {
    return absl::NotFoundError(msg);
  }
  if (err == EEXIST) {
    return absl::AlreadyExistsError(msg);
  }
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(msg);
  }
  return absl::UnavailableError(msg);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

absl::StatusOr<Bytes> ReadFileLimited(const std::string& path, size_t max_size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus("read", path, errno);
  }
  Bytes data;
  uint8_t buf[64 * 1024];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      close(fd);
      return ErrnoStatus("read", path, err);
    }
    if (n == 0) {
      break;
    }
    if (data.size() + static_cast<size_t>(n) > max_size) {
      close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("read ", path, ": file is larger than the limit of ", max_size, " bytes"));
    }
    data.insert(data.end(), buf, buf + n);
  }
  close(fd);
  return data;
}

absl::Status WriteFileAtomic(const std::string& path, ByteView data, bool private_file,
                             bool overwrite) {
  struct stat st;
  if (!overwrite && lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("write ", path, ": file exists (refusing to overwrite)"));
  }
  std::string tmp = absl::StrCat(path, ".tmp-", getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, private_file ? 0600 : 0644);
  if (fd < 0) {
    return ErrnoStatus("write", tmp, errno);
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return ErrnoStatus("write", tmp, err);
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus("fsync", tmp, err);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoStatus("rename", path, err);
  }
  int dir = open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return absl::OkStatus();
}

}  // namespace concord::cli
