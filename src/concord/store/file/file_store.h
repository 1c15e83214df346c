// Store backend on a local directory (`file:///abs/dir`), the embedded
// default: every key is one file written as temp file -> fsync -> rename ->
// fsync(dir), so a crash leaves the old or the new value, never a mix.
// Commit() holds an advisory flock() on `<dir>/lock`, so several processes on
// one host can share the directory (local filesystems only; not NFS).
// Thread-safe; each watch polls on its own thread.
//
// Layout:  <dir>/CONCORD_STORE   marker, "concord-file-store 1\n"
//          <dir>/lock            advisory lock file (content unused)
//          <dir>/objects/<name>  one file per key, '/' written as '%'
//          <dir>/tmp/            temp files; leftovers from a crash are harmless
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/store/internal/watch_loop.h"
#include "concord/store/store.h"

namespace concord::store {

class FileStore final : public Store {
 public:
  // Points inside Commit(), reported to Options::commit_step_hook_for_test.
  enum class CommitStep {
    kLocked,             // lock held, nothing written
    kObjectsWritten,     // objects renamed into place and the directory synced
    kLatestTempWritten,  // new latest written to a synced temp file
    kLatestRenamed,      // latest renamed into place, directory not yet synced
  };

  struct Options {
    // How often a watch re-reads its key (changes made through this object
    // are seen at once; other processes' changes within this interval).
    absl::Duration watch_poll_interval = absl::Milliseconds(100);
    // false skips every fsync: only for throwaway data in tests and
    // benchmarks, never for a real deployment.
    bool sync = true;
    // Called at each CommitStep (tests simulate a crash by exiting there).
    std::function<void(CommitStep)> commit_step_hook_for_test;
  };

  // Opens the store in `dir` (absolute), creating the directory and the
  // layout when it is missing or empty. FailedPrecondition if `dir` holds
  // something else (no marker but other files, or a marker of another
  // version); InvalidArgument for a relative path; Unavailable / Internal on
  // I/O errors.
  static absl::StatusOr<std::unique_ptr<FileStore>> Create(std::string dir, Options options);

  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  absl::StatusOr<Bytes> Get(absl::string_view key) override;
  absl::Status Put(absl::string_view key, ByteView value) override;
  absl::Status Delete(absl::string_view key) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix) override;
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(absl::string_view key,
                                                     WatchCallback callback) override;
  absl::Status Commit(const std::vector<Object>& objects,
                      const std::optional<Bytes>& expected_latest, ByteView new_latest) override;

  // The file name (under objects/) that holds `key`.
  static std::string FileNameForKey(absl::string_view key);

 private:
  FileStore(std::string dir, Options options);

  std::string ObjectPath(absl::string_view key) const;
  // Writes `value` to `key` by temp file + fsync + rename (no directory sync).
  // Not posix::WriteFileAtomic: the temporary lives in tmp/, fsync follows
  // Options::sync, the commit hook runs before the rename and a batch syncs
  // the objects directory once, after all its renames.
  absl::Status WriteFile(absl::string_view key, ByteView value,
                         const std::function<void()>& before_rename);
  // Skips the write when the file already holds `value`.
  absl::Status WriteIfChanged(absl::string_view key, ByteView value);
  absl::Status SyncObjectsDir();
  void Step(CommitStep step);

  const std::string dir_;
  const std::string objects_dir_;
  const std::string tmp_dir_;
  const std::string lock_path_;
  const Options options_;
  // Serialises this process's commits before they contend for the flock.
  absl::Mutex commit_mu_;
  internal::WatcherSet watchers_;
};

}  // namespace concord::store
