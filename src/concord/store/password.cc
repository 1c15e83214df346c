#include "concord/store/password.h"

#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "concord/common/bytes.h"
#include "concord/common/posix/files.h"

namespace concord::store {
namespace {

absl::Status PasswordError(const PasswordRules& rules, absl::string_view option,
                           absl::string_view detail) {
  return absl::Status(rules.code, absl::StrCat(rules.context, " ", option, ": ", detail));
}

}  // namespace

absl::StatusOr<crypto::SecretBytes> ReadStorePassword(const PasswordSource& source,
                                                      const PasswordRules& rules) {
  if (!source.env.empty()) {
    // The composition root's environment, read once at open.
    const char* value = std::getenv(source.env.c_str());
    if (value == nullptr || value[0] == '\0') {
      return PasswordError(
          rules, "password_env",
          absl::StrCat("environment variable ", source.env, " is not set or empty"));
    }
    return crypto::SecretBytes(AsBytes(value));
  }
  if (source.file.empty()) {
    return crypto::SecretBytes();
  }
  // Read straight into wiped memory, at most two bytes beyond the limit: room
  // for a password of max_bytes plus "\r\n"; a longer file is refused unread.
  crypto::SecretBytes password(rules.max_bytes + 2);
  absl::StatusOr<size_t> read = posix::ReadFileBoundedInto(source.file, password.RevealMutable());
  if (absl::IsInvalidArgument(read.status())) {
    return PasswordError(rules, "password_file",
                         absl::StrCat(source.file, " is longer than ", rules.max_bytes, " bytes"));
  }
  if (!read.ok()) {
    // One wording for every open or read error (the backends' messages).
    return PasswordError(rules, "password_file", absl::StrCat("cannot open ", source.file));
  }
  ByteView content = password.Reveal().first(*read);
  if (!content.empty() && content.back() == '\n') {
    content = content.first(content.size() - 1);
    if (!content.empty() && content.back() == '\r') {
      content = content.first(content.size() - 1);
    }
  }
  if (content.size() > rules.max_bytes) {
    return PasswordError(rules, "password_file",
                         absl::StrCat(source.file, " is longer than ", rules.max_bytes, " bytes"));
  }
  if (rules.one_line) {
    for (uint8_t c : content) {
      if (c == '\n' || c == '\r' || c == '\0') {
        return PasswordError(rules, "password_file",
                             absl::StrCat(source.file, " must hold the password on one line"));
      }
    }
  }
  if (content.empty()) {
    return PasswordError(rules, "password_file", absl::StrCat(source.file, " is empty"));
  }
  return crypto::SecretBytes(content);
}

}  // namespace concord::store
