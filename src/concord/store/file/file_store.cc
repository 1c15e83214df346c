#include "concord/store/file/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/common/posix/errno_status.h"
#include "concord/common/posix/files.h"
#include "concord/common/posix/scoped_fd.h"
#include "concord/common/status_macros.h"

namespace concord::store {
namespace {

constexpr absl::string_view kMarkerName = "CONCORD_STORE";
constexpr absl::string_view kMarkerContent = "concord-file-store 1\n";
constexpr absl::string_view kObjectsName = "objects";
constexpr absl::string_view kTmpName = "tmp";
constexpr absl::string_view kLockName = "lock";

// Reads a whole file of at most `limit` bytes. NotFound when absent, DataLoss
// when larger than `limit` or not a regular file. Not posix::ReadFileBounded:
// an object that is oversized, not a regular file or growing under the read
// is a damaged store (DataLoss, Unavailable), not bad input.
absl::StatusOr<Bytes> ReadWholeFile(const std::string& path, size_t limit) {
  CONCORD_ASSIGN_OR_RETURN(posix::ScopedFd fd, posix::OpenFd(path, O_RDONLY));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return posix::ErrnoToStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::DataLossError(absl::StrCat("read ", path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > limit) {
    return absl::DataLossError(
        absl::StrCat("read ", path, ": ", st.st_size, " bytes, limit ", limit));
  }
  // Read one byte past the expected size to notice a file that grew.
  Bytes data(static_cast<size_t>(st.st_size) + 1);
  CONCORD_ASSIGN_OR_RETURN(size_t done, posix::ReadUpTo(fd.get(), data, path));
  if (done > static_cast<size_t>(st.st_size)) {
    return absl::UnavailableError(absl::StrCat("read ", path, ": file changed while reading"));
  }
  data.resize(done);
  return data;
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) {
    return posix::ErrnoToStatus(errno, absl::StrCat("mkdir ", path));
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return posix::ErrnoToStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a directory"));
  }
  return absl::OkStatus();
}

// mkdir -p for an absolute path.
absl::Status MakeDirs(const std::string& path) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    CONCORD_RETURN_IF_ERROR(MakeDir(path.substr(0, pos)));
  }
  return MakeDir(path);
}

absl::StatusOr<std::vector<std::string>> ReadDirNames(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return posix::ErrnoToStatus(errno, absl::StrCat("opendir ", dir));
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* entry = readdir(d);
    if (entry == nullptr) {
      int err = errno;
      closedir(d);
      if (err != 0) {
        return posix::ErrnoToStatus(err, absl::StrCat("readdir ", dir));
      }
      return names;
    }
    absl::string_view name(entry->d_name);
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
}

// Holds the advisory lock on `<dir>/lock`. flock() locks belong to the open
// file description, so two threads (each with its own open) exclude each
// other too, and the kernel drops the lock when a holder dies.
class FileLock final {
 public:
  static absl::StatusOr<FileLock> Acquire(const std::string& path) {
    CONCORD_ASSIGN_OR_RETURN(posix::ScopedFd fd, posix::OpenFd(path, O_RDWR | O_CREAT, 0640));
    while (flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        return posix::ErrnoToStatus(errno, absl::StrCat("flock ", path));
      }
    }
    return FileLock(std::move(fd));
  }

 private:
  explicit FileLock(posix::ScopedFd fd) : fd_(std::move(fd)) {}
  posix::ScopedFd fd_;  // closing it releases the lock
};

}  // namespace

std::string FileStore::FileNameForKey(absl::string_view key) {
  std::string name(key);
  std::replace(name.begin(), name.end(), '/', '%');
  return name;
}

FileStore::FileStore(std::string dir, Options options)
    : dir_(std::move(dir)),
      objects_dir_(absl::StrCat(dir_, "/", kObjectsName)),
      tmp_dir_(absl::StrCat(dir_, "/", kTmpName)),
      lock_path_(absl::StrCat(dir_, "/", kLockName)),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<FileStore>> FileStore::Create(std::string dir, Options options) {
  if (dir.empty() || dir.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("file store: directory must be an absolute path, got \"", dir, "\""));
  }
  while (dir.size() > 1 && dir.back() == '/') {
    dir.pop_back();
  }
  CONCORD_RETURN_IF_ERROR(MakeDirs(dir));
  auto store = std::unique_ptr<FileStore>(new FileStore(dir, std::move(options)));
  const std::string marker_path = absl::StrCat(dir, "/", kMarkerName);
  absl::StatusOr<Bytes> marker = ReadWholeFile(marker_path, 4096);
  if (marker.ok()) {
    if (AsStringView(*marker) != kMarkerContent) {
      return absl::FailedPreconditionError(
          absl::StrCat("file store ", dir, ": ", kMarkerName,
                       " does not name a supported format (want \"concord-file-store 1\")"));
    }
  } else if (absl::IsNotFound(marker.status())) {
    // A fresh directory: it may hold only our own layout (another process
    // may be initialising it right now).
    CONCORD_ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirNames(dir));
    for (const std::string& name : names) {
      if (name != kObjectsName && name != kTmpName && name != kLockName) {
        return absl::FailedPreconditionError(
            absl::StrCat("file store ", dir, ": directory is not empty and has no ", kMarkerName,
                         " marker (found \"", name, "\")"));
      }
    }
  } else {
    return marker.status();
  }
  CONCORD_RETURN_IF_ERROR(MakeDir(store->objects_dir_));
  CONCORD_RETURN_IF_ERROR(MakeDir(store->tmp_dir_));
  {
    CONCORD_ASSIGN_OR_RETURN(posix::ScopedFd lock,
                             posix::OpenFd(store->lock_path_, O_RDWR | O_CREAT, 0640));
  }
  if (!marker.ok()) {
    // Temp file + rename, so a crash never leaves a partial marker. Not
    // posix::WriteFileAtomic: the temporary must live in tmp/ (a leftover
    // next to the marker would fail the fresh-directory check above) and
    // fsync follows options_.sync.
    std::string temp = absl::StrCat(store->tmp_dir_, "/marker.XXXXXX");
    int raw = mkostemp(temp.data(), O_CLOEXEC);
    if (raw < 0) {
      return posix::ErrnoToStatus(errno, absl::StrCat("mkstemp ", temp));
    }
    posix::ScopedFd fd(raw);
    absl::Status written = posix::WriteAll(fd.get(), AsBytes(kMarkerContent), temp);
    if (written.ok() && store->options_.sync && fsync(fd.get()) != 0) {
      written = posix::ErrnoToStatus(errno, absl::StrCat("fsync ", temp));
    }
    if (written.ok()) {
      written = fd.Close(absl::StrCat("close ", temp));
    }
    if (written.ok() && rename(temp.c_str(), marker_path.c_str()) != 0) {
      written = posix::ErrnoToStatus(errno, absl::StrCat("rename ", temp));
    }
    if (!written.ok()) {
      unlink(temp.c_str());
      return written;
    }
  }
  if (store->options_.sync) {
    CONCORD_RETURN_IF_ERROR(posix::SyncDir(dir));
  }
  return store;
}

std::string FileStore::ObjectPath(absl::string_view key) const {
  return absl::StrCat(objects_dir_, "/", FileNameForKey(key));
}

void FileStore::Step(CommitStep step) {
  if (options_.commit_step_hook_for_test) {
    options_.commit_step_hook_for_test(step);
  }
}

absl::Status FileStore::SyncObjectsDir() {
  if (!options_.sync) {
    return absl::OkStatus();
  }
  return posix::SyncDir(objects_dir_);
}

absl::Status FileStore::WriteFile(absl::string_view key, ByteView value,
                                  const std::function<void()>& before_rename) {
  std::string temp = absl::StrCat(tmp_dir_, "/w.XXXXXX");
  int raw = mkostemp(temp.data(), O_CLOEXEC);
  if (raw < 0) {
    return posix::ErrnoToStatus(errno, absl::StrCat("mkstemp ", temp));
  }
  posix::ScopedFd fd(raw);
  absl::Status status;
  if (fchmod(fd.get(), 0640) != 0) {
    status = posix::ErrnoToStatus(errno, absl::StrCat("chmod ", temp));
  }
  if (status.ok()) {
    status = posix::WriteAll(fd.get(), value, temp);
  }
  if (status.ok() && options_.sync && fsync(fd.get()) != 0) {
    status = posix::ErrnoToStatus(errno, absl::StrCat("fsync ", temp));
  }
  if (status.ok()) {
    status = fd.Close(absl::StrCat("close ", temp));
  }
  if (status.ok()) {
    if (before_rename) {
      before_rename();
    }
    if (rename(temp.c_str(), ObjectPath(key).c_str()) != 0) {
      status = posix::ErrnoToStatus(errno, absl::StrCat("rename to ", ObjectPath(key)));
    }
  }
  if (!status.ok()) {
    unlink(temp.c_str());
  }
  return status;
}

absl::Status FileStore::WriteIfChanged(absl::string_view key, ByteView value) {
  absl::StatusOr<Bytes> existing = ReadWholeFile(ObjectPath(key), kMaxValueSize);
  if (existing.ok() && std::equal(existing->begin(), existing->end(), value.begin(), value.end())) {
    return absl::OkStatus();
  }
  // Absent, different or unreadable: (re)write it.
  return WriteFile(key, value, nullptr);
}

absl::StatusOr<Bytes> FileStore::Get(absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateKey(key));
  absl::StatusOr<Bytes> data = ReadWholeFile(ObjectPath(key), kMaxValueSize);
  if (absl::IsNotFound(data.status())) {
    return absl::NotFoundError(absl::StrCat("store get ", key, ": not found"));
  }
  return data;
}

absl::Status FileStore::Put(absl::string_view key, ByteView value) {
  CONCORD_RETURN_IF_ERROR(ValidatePut(key, value));
  CONCORD_RETURN_IF_ERROR(WriteIfChanged(key, value));
  CONCORD_RETURN_IF_ERROR(SyncObjectsDir());
  watchers_.Nudge(key);
  return absl::OkStatus();
}

absl::Status FileStore::Delete(absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateKey(key));
  {
    // Locked, so deleting latest cannot interleave with a commit's
    // compare and swap.
    absl::MutexLock mu_lock(&commit_mu_);
    CONCORD_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_path_));
    const std::string path = ObjectPath(key);
    if (unlink(path.c_str()) != 0) {
      if (errno == ENOENT) {
        return absl::OkStatus();
      }
      return posix::ErrnoToStatus(errno, absl::StrCat("unlink ", path));
    }
    CONCORD_RETURN_IF_ERROR(SyncObjectsDir());
  }
  watchers_.Nudge(key);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FileStore::List(absl::string_view prefix) {
  CONCORD_RETURN_IF_ERROR(ValidatePrefix(prefix));
  CONCORD_ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirNames(objects_dir_));
  std::vector<std::string> keys;
  for (std::string& name : names) {
    std::replace(name.begin(), name.end(), '%', '/');
    // Anything that does not decode to a valid key is not ours.
    if (absl::StartsWith(name, prefix) && ValidateKey(name).ok()) {
      keys.push_back(std::move(name));
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

absl::StatusOr<std::unique_ptr<WatchHandle>> FileStore::Watch(absl::string_view key,
                                                              WatchCallback callback) {
  CONCORD_RETURN_IF_ERROR(ValidateKey(key));
  std::string owned_key(key);
  auto loop = std::make_unique<internal::WatchLoop>(
      owned_key, [this, owned_key] { return Get(owned_key); }, std::move(callback),
      options_.watch_poll_interval);
  return std::make_unique<internal::RegisteredWatch>(watchers_, std::move(loop));
}

absl::Status FileStore::Commit(const std::vector<Object>& objects,
                               const std::optional<Bytes>& expected_latest, ByteView new_latest) {
  CONCORD_RETURN_IF_ERROR(ValidateCommit(objects, new_latest));
  {
    absl::MutexLock mu_lock(&commit_mu_);
    CONCORD_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_path_));
    Step(CommitStep::kLocked);
    // Re-read under the lock: this is the compare of the compare-and-swap.
    absl::StatusOr<Bytes> current = ReadWholeFile(ObjectPath(kLatestKey), kMaxValueSize);
    if (!current.ok() && !absl::IsNotFound(current.status())) {
      return current.status();
    }
    const bool matches = expected_latest.has_value()
                             ? (current.ok() && *current == *expected_latest)
                             : !current.ok();
    if (!matches) {
      return absl::AbortedError("store commit: latest does not match the expected value");
    }
    for (const Object& object : objects) {
      CONCORD_RETURN_IF_ERROR(WriteIfChanged(object.key, object.value));
    }
    // The objects are durable before latest can point at them.
    CONCORD_RETURN_IF_ERROR(SyncObjectsDir());
    Step(CommitStep::kObjectsWritten);
    CONCORD_RETURN_IF_ERROR(
        WriteFile(kLatestKey, new_latest, [this] { Step(CommitStep::kLatestTempWritten); }));
    Step(CommitStep::kLatestRenamed);
    CONCORD_RETURN_IF_ERROR(SyncObjectsDir());
  }
  for (const Object& object : objects) {
    watchers_.Nudge(object.key);
  }
  watchers_.Nudge(kLatestKey);
  return absl::OkStatus();
}

}  // namespace concord::store
