#include "concord/manifest/internal/san.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace concord::manifest::internal {
namespace {

constexpr size_t kMaxDnsLength = 253;
constexpr size_t kMaxLabelLength = 63;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 1123 label: letters, digits, hyphens; no hyphen at either end.
bool IsDnsLabel(absl::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) {
    return false;
  }
  if (label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '-'; });
}

bool IsDnsName(absl::string_view name) {
  size_t min_labels = 1;
  if (absl::StartsWith(name, "*.")) {
    // A wildcard must sit above a registrable-looking name: "*.com" is refused.
    name.remove_prefix(2);
    min_labels = 2;
  }
  if (name.empty() || name.size() > kMaxDnsLength) {
    return false;
  }
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.');
  if (labels.size() < min_labels) {
    return false;
  }
  if (!std::all_of(labels.begin(), labels.end(), IsDnsLabel)) {
    return false;
  }
  // An all-numeric top label would read as an IPv4 address (RFC 3696 §2).
  const absl::string_view top = labels.back();
  return !std::all_of(top.begin(), top.end(), IsDigit);
}

bool ParseIp(absl::string_view s, std::string* binary) {
  if (s.size() > INET6_ADDRSTRLEN) {
    return false;
  }
  std::string z(s);  // inet_pton wants a NUL-terminated string.
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, z.c_str(), buf) == 1) {
    if (binary != nullptr) {
      binary->assign(reinterpret_cast<const char*>(buf), 4);
    }
    return true;
  }
  if (z.find(':') != std::string::npos && inet_pton(AF_INET6, z.c_str(), buf) == 1) {
    if (binary != nullptr) {
      binary->assign(reinterpret_cast<const char*>(buf), 16);
    }
    return true;
  }
  return false;
}

// RFC 3986 characters allowed outside percent-escapes.
bool IsUriChar(char c) {
  if (IsAlpha(c) || IsDigit(c)) {
    return true;
  }
  static constexpr absl::string_view kOthers = "-._~:/?#[]@!$&'()*+,;=";
  return kOthers.find(c) != absl::string_view::npos;
}

bool IsSpiffeTrustDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '.' || c == '-' || c == '_';
}

bool IsSpiffePathChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-' || c == '_';
}

// SPIFFE ID (spiffe.io standard, "SPIFFE-ID"): spiffe://<trust domain>[/path],
// trust domain of [a-z0-9._-]+, path segments of [A-Za-z0-9._-]+ that are not
// "." or "..", no trailing slash, no query, fragment, port or user info.
bool IsSpiffeId(absl::string_view rest) {
  size_t slash = rest.find('/');
  absl::string_view trust_domain = rest.substr(0, slash);
  if (trust_domain.empty() || trust_domain.size() > 255 ||
      !std::all_of(trust_domain.begin(), trust_domain.end(), IsSpiffeTrustDomainChar)) {
    return false;
  }
  if (slash == absl::string_view::npos) {
    return true;
  }
  absl::string_view path = rest.substr(slash + 1);
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == "." || segment == ".." ||
        !std::all_of(segment.begin(), segment.end(), IsSpiffePathChar)) {
      return false;
    }
  }
  return true;
}

// Returns the length of the scheme of an absolute "scheme://authority..." URI,
// or 0 when `s` is not one.
size_t UriSchemeLength(absl::string_view s) {
  size_t sep = s.find("://");
  if (sep == absl::string_view::npos || sep == 0 || !IsAlpha(s[0])) {
    return 0;
  }
  for (size_t i = 1; i < sep; ++i) {
    char c = s[i];
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') {
      return 0;
    }
  }
  return sep;
}

bool IsUri(absl::string_view s) {
  size_t scheme_len = UriSchemeLength(s);
  if (scheme_len == 0) {
    return false;
  }
  absl::string_view rest = s.substr(scheme_len + 3);
  if (absl::EqualsIgnoreCase(s.substr(0, scheme_len), "spiffe")) {
    // The SPIFFE ID standard fixes the scheme in lower case.
    return s.substr(0, scheme_len) == "spiffe" && IsSpiffeId(rest);
  }
  // The authority (up to the first '/', '?' or '#') must not be empty.
  size_t authority_end = rest.find_first_of("/?#");
  if (rest.substr(0, authority_end).empty()) {
    return false;
  }
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '%') {
      if (i + 2 >= rest.size() || !IsHex(rest[i + 1]) || !IsHex(rest[i + 2])) {
        return false;
      }
      i += 2;
    } else if (!IsUriChar(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<SanKind> ClassifySan(absl::string_view san) {
  if (san.empty() || san.size() > kMaxSanLength) {
    return std::nullopt;
  }
  if (ParseIp(san, nullptr)) {
    return SanKind::kIp;
  }
  if (san.find("://") != absl::string_view::npos) {
    return IsUri(san) ? std::optional(SanKind::kUri) : std::nullopt;
  }
  if (IsDnsName(san)) {
    return SanKind::kDns;
  }
  return std::nullopt;
}

std::string SanKey(absl::string_view san, SanKind kind) {
  switch (kind) {
    case SanKind::kDns:
      return "dns:" + absl::AsciiStrToLower(san);
    case SanKind::kIp: {
      std::string binary;
      ParseIp(san, &binary);
      return "ip:" + binary;
    }
    case SanKind::kUri: {
      size_t scheme_len = UriSchemeLength(san);
      return "uri:" + absl::AsciiStrToLower(san.substr(0, scheme_len)) +
             std::string(san.substr(scheme_len));
    }
  }
  return std::string(san);
}

}  // namespace concord::manifest::internal
