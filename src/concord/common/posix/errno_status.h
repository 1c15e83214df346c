// Translates errno into absl::Status once, at the POSIX seam (STYLE.md,
// "Errors"). Used by every component that calls the file API through
// concord/common/posix. Thread-safe (pure functions).
#pragma once

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace concord::posix {

// The code for `err`, chosen by what the caller should do next:
//
//   ENOENT                                          NotFound
//   EEXIST                                          AlreadyExists
//   EACCES EPERM EROFS ENOTDIR EISDIR ELOOP
//   ENAMETOOLONG                                    FailedPrecondition (fix the
//                                                   filesystem or permissions)
//   ENOSPC EDQUOT EIO EINTR EAGAIN EWOULDBLOCK
//   EMFILE ENFILE ENOMEM EBUSY                      Unavailable (retry later)
//   anything else (EBADF, EINVAL, ...)              Internal (our bug)
//
// Never returns OK and never InvalidArgument, so callers can keep
// InvalidArgument for their own input checks.
absl::StatusCode ErrnoToCode(int err);

// A Status with ErrnoToCode(err) and the message "<operation>: <strerror>",
// e.g. ErrnoToStatus(ENOENT, "open /etc/x") is NotFound("open /etc/x: No such
// file or directory"). `operation` should name the path. Call it qualified
// (posix::ErrnoToStatus): absl has a function of the same name that argument-
// dependent lookup finds for an absl::string_view argument.
// The status carries `err` for ErrnoOf.
absl::Status ErrnoToStatus(int err, absl::string_view operation);

// The errno behind a status made by ErrnoToStatus (also one returned by the
// functions in files.h), for a caller whose contract maps some errno values
// to other codes; nullopt for any other status.
std::optional<int> ErrnoOf(const absl::Status& status);

}  // namespace concord::posix
