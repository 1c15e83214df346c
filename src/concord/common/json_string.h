// JSON string literals for hand-built JSON (log lines, fixed-shape error
// bodies): quotes, backslashes and control characters (including DEL) are
// escaped, so a value can never end the string or split a line. Bytes >= 0x80
// pass through unchanged. Pure functions, thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace concord {

// Appends `s` as a quoted JSON string to `out`.
void AppendJsonQuoted(std::string& out, absl::string_view s);

// `s` as a quoted JSON string.
inline std::string JsonQuote(absl::string_view s) {
  std::string out;
  AppendJsonQuoted(out, s);
  return out;
}

}  // namespace concord
