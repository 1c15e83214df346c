// RFC 3339 time parsing and formatting (UTC, "2025-06-01T00:00:00Z"), used by
// the CLI's --at flags and by protocol documents. Thread-safe (pure).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace concord {

// Parses an RFC 3339 timestamp. InvalidArgument naming `field` on bad input.
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text, absl::string_view field);

// Formats `t` as "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds).
std::string FormatRfc3339(absl::Time t);

}  // namespace concord
