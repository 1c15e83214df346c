// Translates OpenSSL failures into absl::Status once, at the seam: the error
// queue is drained into the message ("<operation>: <openssl reason>") so a
// later call never sees stale errors. Thread-safe (the queue is per thread).
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto {

// Returns a Status with `code` and "<operation>: <drained queue or 'failed'>".
absl::Status OpenSslError(absl::StatusCode code, absl::string_view operation);

// Shorthand for OpenSslError(kInternal, operation).
absl::Status OpenSslInternal(absl::string_view operation);

// Discards whatever is on this thread's OpenSSL error queue.
void ClearOpenSslErrors();

// The DER that OpenSSL's `i2d` (i2d_X509, i2d_PUBKEY, ...) writes for `obj`;
// OpenSslError(code, operation) when it writes none.
template <typename T, typename I2d>
absl::StatusOr<Bytes> I2dDer(T* obj, I2d i2d, absl::string_view operation,
                             absl::StatusCode code = absl::StatusCode::kInternal) {
  unsigned char* der = nullptr;
  const int len = i2d(obj, &der);
  if (len <= 0) {
    return OpenSslError(code, operation);
  }
  std::unique_ptr<unsigned char, OpenSslFreeDeleter> owned(der);
  return Bytes(der, der + len);
}

}  // namespace concord::crypto
