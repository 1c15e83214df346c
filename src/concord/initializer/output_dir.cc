#include "concord/initializer/output_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/common/bytes.h"
#include "concord/common/posix/errno_status.h"
#include "concord/common/posix/files.h"
#include "concord/common/posix/scoped_fd.h"
#include "concord/common/status_macros.h"

namespace concord::initializer {
namespace {

// Every I/O error is Internal (output_dir.h): concord-init decides by the
// code whether to retry, and a directory it cannot write is not retryable.
absl::Status ErrnoError(absl::string_view operation, const std::string& path, int err) {
  return absl::InternalError(
      posix::ErrnoToStatus(err, absl::StrCat(operation, " ", path)).message());
}

absl::Status AsInternal(const absl::Status& status) {
  return status.ok() ? status : absl::InternalError(status.message());
}

// Writes `data` to a new file `path` with exactly `mode` and fsyncs it. Not
// posix::WriteFileAtomic: Write() stages every file before it renames any,
// and the mode must not be narrowed by the umask.
absl::Status WriteNewFile(const std::string& path, absl::string_view data, mode_t mode) {
  absl::StatusOr<posix::ScopedFd> fd =
      posix::OpenFd(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!fd.ok()) {
    return ErrnoError("create", path, posix::ErrnoOf(fd.status()).value_or(EIO));
  }
  // The umask may have narrowed the mode; the certificates must stay
  // readable by the workload's other users, the secrets only by the owner.
  absl::Status status;
  if (::fchmod(fd->get(), mode) != 0) {
    status = ErrnoError("chmod", path, errno);
  }
  if (status.ok()) {
    status = AsInternal(posix::WriteAll(fd->get(), AsBytes(data), path));
  }
  if (status.ok() && ::fsync(fd->get()) != 0) {
    status = ErrnoError("fsync", path, errno);
  }
  if (absl::Status closed = fd->Close(absl::StrCat("close ", path)); status.ok()) {
    status = AsInternal(closed);
  }
  if (!status.ok()) {
    ::unlink(path.c_str());
  }
  return status;
}

struct PendingFile {
  std::string temp;
  std::string final;
};

}  // namespace

absl::StatusOr<std::unique_ptr<OutputDir>> OutputDir::Create(std::string dir) {
  if (dir.empty()) {
    return absl::InvalidArgumentError("output directory: want a path, got an empty one");
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("output directory ", dir, ": exists and is not a directory"));
    }
  } else if (errno == ENOENT) {
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return ErrnoError("mkdir", dir, errno);
    }
  } else {
    return ErrnoError("stat", dir, errno);
  }
  return std::unique_ptr<OutputDir>(new OutputDir(std::move(dir)));
}

absl::Status OutputDir::Write(const OutputFiles& files) {
  const std::string tag = absl::StrCat(".tmp.", ::getpid(), ".");
  std::vector<PendingFile> pending;
  auto stage = [&](absl::string_view name, absl::string_view data, mode_t mode) -> absl::Status {
    PendingFile f{absl::StrCat(dir_, "/", tag, name), absl::StrCat(dir_, "/", name)};
    // A temporary left by a crashed run of the same pid would block O_EXCL.
    ::unlink(f.temp.c_str());
    CONCORD_RETURN_IF_ERROR(WriteNewFile(f.temp, data, mode));
    pending.push_back(std::move(f));
    return absl::OkStatus();
  };
  auto cleanup = [&]() {
    for (const PendingFile& f : pending) {
      ::unlink(f.temp.c_str());
    }
  };

  absl::Status status = stage(kKeyFile, AsStringView(files.key_pem.Reveal()), 0600);
  if (status.ok()) {
    status = stage(kCertChainFile, files.cert_chain_pem, 0644);
  }
  if (status.ok()) {
    status = stage(kMeshCaFile, files.mesh_ca_pem, 0644);
  }
  if (status.ok()) {
    status = stage(kRootCaFile, files.root_ca_pem, 0644);
  }
  if (status.ok() && files.workload_secret_hex.has_value()) {
    status = stage(kWorkloadSecretFile, AsStringView(files.workload_secret_hex->Reveal()), 0600);
  }
  if (!status.ok()) {
    cleanup();
    return status;
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    if (::rename(pending[i].temp.c_str(), pending[i].final.c_str()) != 0) {
      int err = errno;
      for (size_t j = i; j < pending.size(); ++j) {
        ::unlink(pending[j].temp.c_str());
      }
      return ErrnoError("rename", pending[i].final, err);
    }
  }
  if (!files.workload_secret_hex.has_value()) {
    // A secret from an earlier manifest must not outlive the policy's.
    const std::string stale = absl::StrCat(dir_, "/", kWorkloadSecretFile);
    if (::unlink(stale.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("remove", stale, errno);
    }
  }
  return AsInternal(posix::SyncDir(dir_));
}

}  // namespace concord::initializer
