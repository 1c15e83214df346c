#include "concord/common/base64.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace concord {
namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::string EncodeBase64(ByteView data) { return absl::Base64Escape(AsStringView(data)); }

absl::StatusOr<Bytes> DecodeBase64Strict(absl::string_view text, absl::string_view field) {
  if (text.size() % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": want padded base64 (length a multiple of 4), got ", text.size(), " characters"));
  }
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0 || !IsBase64Char(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": want standard base64, bad character at offset ", i));
    }
  }
  if (padding > 2) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": want at most 2 padding characters"));
  }
  std::string decoded;
  if (!absl::Base64Unescape(text, &decoded)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": want standard base64"));
  }
  // Canonical form only: unused trailing bits must be zero.
  if (absl::Base64Escape(decoded) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want canonical base64 (non-zero trailing bits)"));
  }
  return Bytes(decoded.begin(), decoded.end());
}

}  // namespace concord
