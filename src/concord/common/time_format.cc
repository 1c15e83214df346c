#include "concord/common/time_format.h"

#include "absl/strings/str_cat.h"

namespace concord {

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text, absl::string_view field) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want an RFC 3339 time such as 2025-06-01T00:00:00Z, got \"",
                     text.substr(0, 64), "\""));
  }
  return t;
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace concord
