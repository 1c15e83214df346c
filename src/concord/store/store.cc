#include "concord/store/store.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"

namespace concord::store {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '.' ||
         c == '-';
}

// Shared rules of keys and prefixes; `what` is "store key" or "store prefix".
absl::Status ValidatePath(absl::string_view path, absl::string_view what,
                          bool allow_trailing_slash) {
  if (path.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", path.size(), " characters, limit ", kMaxKeySize));
  }
  for (char c : path) {
    if (!IsKeyChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " \"", absl::CHexEscape(path), "\": characters must be [a-z0-9/_.-]"));
    }
  }
  if (path.empty()) {
    return absl::OkStatus();
  }
  if (path.front() == '/') {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", path, "\": leading '/'"));
  }
  if (!allow_trailing_slash && path.back() == '/') {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", path, "\": trailing '/'"));
  }
  if (path.find("//") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", path, "\": empty segment"));
  }
  if (path.find("..") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", path, "\": contains \"..\""));
  }
  if (path == "." || absl::string_view(path).substr(0, 2) == "./" ||
      path.find("/./") != absl::string_view::npos ||
      (path.size() >= 2 && path.substr(path.size() - 2) == "/.")) {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", path, "\": \".\" segment"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateKey(absl::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError("store key: empty");
  }
  return ValidatePath(key, "store key", /*allow_trailing_slash=*/false);
}

absl::Status ValidatePrefix(absl::string_view prefix) {
  return ValidatePath(prefix, "store prefix", /*allow_trailing_slash=*/true);
}

absl::Status ValidatePut(absl::string_view key, ByteView value) {
  CONCORD_RETURN_IF_ERROR(ValidateKey(key));
  if (key == kLatestKey) {
    return absl::InvalidArgumentError("store put: \"latest\" is written only by Commit");
  }
  if (value.size() > kMaxValueSize) {
    return absl::InvalidArgumentError(absl::StrCat("store put ", key, ": value of ", value.size(),
                                                   " bytes, limit ", kMaxValueSize));
  }
  return absl::OkStatus();
}

absl::Status ValidateCommit(const std::vector<Object>& objects, ByteView new_latest) {
  if (objects.size() > kMaxCommitObjects) {
    return absl::InvalidArgumentError(
        absl::StrCat("store commit: ", objects.size(), " objects, limit ", kMaxCommitObjects));
  }
  if (new_latest.size() > kMaxValueSize) {
    return absl::InvalidArgumentError(absl::StrCat("store commit: latest of ", new_latest.size(),
                                                   " bytes, limit ", kMaxValueSize));
  }
  size_t total = new_latest.size();
  absl::flat_hash_set<absl::string_view> seen;
  for (const Object& object : objects) {
    CONCORD_RETURN_IF_ERROR(ValidatePut(object.key, object.value));
    if (!seen.insert(object.key).second) {
      return absl::InvalidArgumentError(absl::StrCat("store commit: duplicate key ", object.key));
    }
    total += object.key.size() + object.value.size();
  }
  if (total > kMaxCommitSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("store commit: ", total, " bytes in total, limit ", kMaxCommitSize));
  }
  return absl::OkStatus();
}

}  // namespace concord::store
