#include "concord/common/json_fields.h"

#include "absl/strings/str_cat.h"
#include "concord/common/base64.h"
#include "concord/common/hex.h"

namespace concord::json {

using Json = nlohmann::json;

absl::Status WrongType(absl::string_view path, absl::string_view want, const Json& value) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": want ", want, ", got ", TypeName(value)));
}

std::string FieldPath(absl::string_view parent, absl::string_view name) {
  if (parent.empty()) {
    return std::string(name);
  }
  return absl::StrCat(parent, ".", name);
}

absl::string_view TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

absl::Status CheckFields(const Json& object, absl::string_view parent,
                         std::initializer_list<absl::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (absl::string_view name : allowed) {
      if (key == name) {
        known = true;
        break;
      }
    }
    if (!known) {
      // Unknown keys are input: shown only when short and printable.
      bool printable = key.size() <= 64;
      for (char c : key) {
        printable = printable && c >= 0x20 && c < 0x7f;
      }
      return absl::InvalidArgumentError(
          absl::StrCat(printable ? FieldPath(parent, key) : FieldPath(parent, "<unprintable>"),
                       ": unknown field"));
    }
  }
  return absl::OkStatus();
}

const Json* Member(const Json& object, absl::string_view name) {
  auto it = object.find(std::string(name));
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

absl::StatusOr<std::string> ReadString(const Json& value, absl::string_view path, size_t max_size) {
  if (!value.is_string()) {
    return WrongType(path, "a string", value);
  }
  const std::string& s = value.get_ref<const std::string&>();
  if (s.size() > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want at most ", max_size, " characters, got ", s.size()));
  }
  return s;
}

absl::StatusOr<Bytes> ReadHexExact(const Json& value, absl::string_view path, size_t size) {
  if (!value.is_string()) {
    return WrongType(path, absl::StrCat(size * 2, " hex characters"), value);
  }
  return HexDecodeExact(value.get_ref<const std::string&>(), size, path);
}

absl::StatusOr<Bytes> ReadHex(const Json& value, absl::string_view path, size_t max_size) {
  if (!value.is_string()) {
    return WrongType(path, "a hex string", value);
  }
  const std::string& s = value.get_ref<const std::string&>();
  if (s.empty() || s.size() > 2 * max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want 2 to ", 2 * max_size, " hex characters, got ", s.size()));
  }
  return HexDecode(s, path);
}

absl::StatusOr<Bytes> ReadBase64(const Json& value, absl::string_view path, size_t max_size) {
  if (!value.is_string()) {
    return WrongType(path, "a base64 string", value);
  }
  const std::string& s = value.get_ref<const std::string&>();
  // 4 characters per 3 bytes, checked before decoding anything.
  if (s.size() / 4 * 3 > max_size + 2) {
    return absl::ResourceExhaustedError(absl::StrCat(path, ": want at most ", max_size, " bytes"));
  }
  absl::StatusOr<Bytes> decoded = DecodeBase64Strict(s, path);
  if (!decoded.ok()) {
    return decoded.status();
  }
  if (decoded->size() > max_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": want at most ", max_size, " bytes, got ", decoded->size()));
  }
  return decoded;
}

absl::StatusOr<uint64_t> ReadUint(const Json& value, absl::string_view path, uint64_t min,
                                  uint64_t max) {
  auto range = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want an integer from ", min, " to ", max));
  };
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v < min || v > max) {
      return range();
    }
    return v;
  }
  if (value.is_number_integer() || value.is_number_float()) {
    return range();
  }
  return WrongType(path, "an integer", value);
}

absl::StatusOr<bool> ReadBool(const Json& value, absl::string_view path) {
  if (!value.is_boolean()) {
    return WrongType(path, "true or false", value);
  }
  return value.get<bool>();
}

}  // namespace concord::json
