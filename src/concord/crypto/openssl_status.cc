#include "concord/crypto/openssl_status.h"

#include <openssl/err.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace concord::crypto {

absl::Status OpenSslError(absl::StatusCode code, absl::string_view operation) {
  std::string detail;
  unsigned long err;
  int count = 0;
  while ((err = ERR_get_error()) != 0) {
    if (count++ < 4) {  // Keep the message short; the first errors are the cause.
      char buf[256];
      ERR_error_string_n(err, buf, sizeof(buf));
      absl::StrAppend(&detail, detail.empty() ? "" : "; ", buf);
    }
  }
  if (detail.empty()) {
    detail = "failed";
  }
  return absl::Status(code, absl::StrCat(operation, ": ", detail));
}

absl::Status OpenSslInternal(absl::string_view operation) {
  return OpenSslError(absl::StatusCode::kInternal, operation);
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace concord::crypto
