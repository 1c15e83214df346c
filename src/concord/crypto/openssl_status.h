// Translates OpenSSL failures into absl::Status once, at the seam: the error
// queue is drained into the message ("<operation>: <openssl reason>") so a
// later call never sees stale errors. Thread-safe (the queue is per thread).
#pragma once

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace concord::crypto {

// Returns a Status with `code` and "<operation>: <drained queue or 'failed'>".
absl::Status OpenSslError(absl::StatusCode code, absl::string_view operation);

// Shorthand for OpenSslError(kInternal, operation).
absl::Status OpenSslInternal(absl::string_view operation);

// Discards whatever is on this thread's OpenSSL error queue.
void ClearOpenSslErrors();

}  // namespace concord::crypto
