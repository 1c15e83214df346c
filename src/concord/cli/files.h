// File helpers for the CLI: bounded reads and safe writes (temp file + fsync +
// rename; private files are created 0600). Thread-compatible.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "concord/common/bytes.h"

namespace concord::cli {

// Reads a whole file of at most `max_size` bytes. NotFound if missing,
// InvalidArgument if larger than max_size, Unavailable on I/O errors.
absl::StatusOr<Bytes> ReadFileLimited(const std::string& path, size_t max_size);

// Writes `data` to `path` atomically. `private_file` sets mode 0600 (else
// 0644). Refuses to replace an existing file unless `overwrite`
// (AlreadyExists).
absl::Status WriteFileAtomic(const std::string& path, ByteView data, bool private_file,
                             bool overwrite);

}  // namespace concord::cli
