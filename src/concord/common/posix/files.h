// Whole-file reads with a size limit and atomic file replacement, plus the
// few descriptor-level steps they are built from (open, write all, sync a
// directory). Used by the CLI, concordd, concord-init, the file store, the
// simulated host, the issuers and the store backends' password files.
// Thread-safe: no shared state besides the filesystem; two writers of the
// same path race as rename(2) does (last one wins).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/common/posix/scoped_fd.h"

namespace concord::posix {

// open(2) with O_CLOEXEC added, retried on EINTR. Errors as ErrnoToStatus
// with "open <path>".
absl::StatusOr<ScopedFd> OpenFd(const std::string& path, int flags, mode_t mode = 0);

// Reads from `fd` until `out` is full or at EOF, retrying short reads and
// EINTR; returns the count. Errors as ErrnoToStatus with "read <what>".
absl::StatusOr<size_t> ReadUpTo(int fd, std::span<uint8_t> out, absl::string_view what);

// Writes all of `data` to `fd`, retrying short writes and EINTR. Errors as
// ErrnoToStatus with "write <what>".
[[nodiscard]] absl::Status WriteAll(int fd, ByteView data, absl::string_view what);

// fsyncs the directory `dir`, so that a rename or unlink in it is durable.
// Errors as ErrnoToStatus with "open <dir>" or "fsync <dir>".
[[nodiscard]] absl::Status SyncDir(const std::string& dir);

// The directory part of `path` ("." when it has none, "/" for "/x").
std::string DirName(const std::string& path);

// Reads the whole file at `path` (following symlinks; pipes and other
// non-seekable files work too) if it holds at most `max_bytes` bytes.
// InvalidArgument "read <path>: file is larger than the limit of <max_bytes>
// bytes" when it holds more; InvalidArgument comes from nothing else. Open
// and read errors as ErrnoToStatus with "read <path>" (NotFound when absent).
absl::StatusOr<Bytes> ReadFileBounded(const std::string& path, size_t max_bytes);

// The same, into `buffer`, whose size is the limit: returns how many bytes
// were read. For secrets: pass crypto::SecretBytes::RevealMutable() and no
// copy of the content is made outside `buffer` (the one byte read to detect
// an oversized file is wiped).
absl::StatusOr<size_t> ReadFileBoundedInto(const std::string& path, std::span<uint8_t> buffer);

// What WriteFileAtomic does when `path` already exists.
enum class IfExists {
  kReplace,
  // AlreadyExists "write <path>: file exists (refusing to overwrite)".
  kRefuse,
};

// Replaces `path` with `bytes` so that a reader or a crash sees the old file
// or the new one, never a mix: writes a new temporary file next to it (same
// directory, created with O_EXCL | O_NOFOLLOW and `mode`, which the process
// umask narrows as open(2) does), fsyncs it, renames it over `path` and
// fsyncs the directory. On any error before the rename the temporary file is
// removed and `path` is untouched. Errors as ErrnoToStatus naming the
// temporary file or `path`.
[[nodiscard]] absl::Status WriteFileAtomic(const std::string& path, ByteView bytes, mode_t mode,
                                           IfExists if_exists = IfExists::kReplace);

}  // namespace concord::posix
