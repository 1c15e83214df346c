// Validation of subject alternative names listed in manifest policies: DNS
// names (optionally with a leading "*." wildcard), IPv4/IPv6 addresses and
// URIs (with the SPIFFE ID rules for spiffe://). The rules are specified in
// docs/manifest.md. Thread-safe (pure functions).
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace concord::manifest::internal {

enum class SanKind { kDns, kIp, kUri };

// Longest SAN accepted (bytes); URIs are the longest kind.
inline constexpr size_t kMaxSanLength = 2048;

// Classifies `san`, or nullopt when it is none of the accepted forms.
std::optional<SanKind> ClassifySan(absl::string_view san);

// The form used to detect duplicates: DNS names compare case-insensitively,
// IP addresses by their binary value, URIs by their scheme case-folded.
std::string SanKey(absl::string_view san, SanKind kind);

}  // namespace concord::manifest::internal
