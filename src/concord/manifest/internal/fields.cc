#include "concord/manifest/internal/fields.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace concord::manifest::internal {

absl::StatusOr<ObjectReader> ObjectReader::Create(
    const Json& value, std::string path, std::initializer_list<absl::string_view> allowed) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": want an object, got ", Echo(value)));
  }
  for (const auto& [key, unused] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), absl::string_view(key)) == allowed.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          MemberPath(path, key), ": unknown field, want one of ", absl::StrJoin(allowed, ", ")));
    }
  }
  return ObjectReader(value, std::move(path));
}

const Json* ObjectReader::Optional(absl::string_view key) const {
  auto it = value_->find(std::string(key));
  return it == value_->end() ? nullptr : &*it;
}

absl::StatusOr<const Json*> ObjectReader::Required(absl::string_view key) const {
  const Json* v = Optional(key);
  if (v == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(FieldPath(key), ": required field missing"));
  }
  return v;
}

absl::StatusOr<uint64_t> ReadUint(const Json& value, absl::string_view path, uint64_t max) {
  uint64_t v = 0;
  bool ok = false;
  if (value.is_number_unsigned()) {
    v = value.get<uint64_t>();
    ok = true;
  } else if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    v = static_cast<uint64_t>(value.get<int64_t>());
    ok = true;
  }
  if (!ok || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want an integer from 0 to ", max, ", got ", Echo(value)));
  }
  return v;
}

absl::StatusOr<bool> ReadBool(const Json& value, absl::string_view path) {
  if (!value.is_boolean()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want true or false, got ", Echo(value)));
  }
  return value.get<bool>();
}

absl::StatusOr<const Json::array_t*> ReadArray(const Json& value, absl::string_view path) {
  if (!value.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": want an array, got ", Echo(value)));
  }
  return &value.get_ref<const Json::array_t&>();
}

absl::StatusOr<std::string> ReadName(const Json& value, absl::string_view path) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const Json::string_t&>();
    if (!s.empty() && s.size() <= kMaxNameLength &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
      return s;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": want 1 to ", kMaxNameLength,
                                                 " printable ASCII characters, got ", Echo(value)));
}

}  // namespace concord::manifest::internal
