#include "concord/api/internal/json_fields.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"

namespace concord::api::internal {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

absl::Status WrongType(absl::string_view path, absl::string_view want, const Json& value) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": want ", want, ", got ", JsonTypeName(value)));
}

// Tracks the keys of every open object while nlohmann parses, so a repeated
// key is found at any depth (nlohmann itself keeps the last one silently).
struct ParseTracker {
  struct Frame {
    bool is_object = false;
    std::string path;
    std::set<std::string> keys;
    std::string last_key;
  };
  std::vector<Frame> frames;
  std::string error;

  std::string ChildPath() const {
    if (frames.empty()) {
      return "";
    }
    const Frame& top = frames.back();
    if (top.is_object) {
      return FieldPath(top.path, top.last_key);
    }
    return absl::StrCat(top.path.empty() ? "body" : top.path, "[]");
  }

  bool Event(int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (static_cast<size_t>(depth) >= kMaxRequestNesting && error.empty()) {
          error = absl::StrCat("body: want at most ", kMaxRequestNesting, " levels of nesting");
        }
        frames.push_back(Frame{event == Json::parse_event_t::object_start, ChildPath(), {}, {}});
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!frames.empty()) {
          frames.pop_back();
        }
        break;
      case Json::parse_event_t::key:
        if (!frames.empty() && parsed.is_string()) {
          Frame& top = frames.back();
          top.last_key = parsed.get<std::string>();
          if (!top.keys.insert(top.last_key).second && error.empty()) {
            error = absl::StrCat(FieldPath(top.path, top.last_key), ": duplicate field");
          }
        }
        break;
      case Json::parse_event_t::value:
        break;
    }
    return true;
  }
};

}  // namespace

std::string FieldPath(absl::string_view parent, absl::string_view name) {
  if (parent.empty()) {
    return std::string(name);
  }
  return absl::StrCat(parent, ".", name);
}

absl::string_view JsonTypeName(const Json& value) {
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

absl::StatusOr<Json> ParseJsonObject(absl::string_view body) {
  if (body.empty()) {
    return Json::object();
  }
  ParseTracker tracker;
  Json::parser_callback_t callback = [&tracker](int depth, Json::parse_event_t event,
                                                Json& parsed) {
    return tracker.Event(depth, event, parsed);
  };
  Json parsed;
  try {
    parsed = Json::parse(body.begin(), body.end(), callback, /*allow_exceptions=*/true,
                         /*ignore_comments=*/false);
  } catch (const Json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    return absl::InvalidArgumentError(
        absl::StrCat("body: want a JSON object, invalid JSON at byte ", e.byte));
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError("body: want a JSON object, invalid JSON");
  }
  if (!tracker.error.empty()) {
    return absl::InvalidArgumentError(tracker.error);
  }
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body: want a JSON object, got ", JsonTypeName(parsed)));
  }
  return parsed;
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
      // Unknown keys are client input: shown only when short and printable.
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

absl::StatusOr<crypto::SecretBytes> ReadSecretHex(const Json& value, absl::string_view path,
                                                  size_t size) {
  if (!value.is_string()) {
    return WrongType(path, absl::StrCat(size * 2, " hex characters"), value);
  }
  const std::string& s = value.get_ref<const std::string&>();
  if (s.size() != 2 * size) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want ", 2 * size, " hex characters, got ", s.size()));
  }
  crypto::SecretBytes out(size);
  auto bytes = out.RevealMutable();
  for (size_t i = 0; i < size; ++i) {
    int hi = HexDigit(s[2 * i]);
    int lo = HexDigit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      // No offset: it would say which digit of a secret is malformed.
      return absl::InvalidArgumentError(absl::StrCat(path, ": want hex characters"));
    }
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

absl::StatusOr<Bytes> DecodeBase64Strict(absl::string_view text, absl::string_view path) {
  if (text.size() % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": want padded base64 (length a multiple of 4), got ", text.size(), " characters"));
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
          absl::StrCat(path, ": want standard base64, bad character at offset ", i));
    }
  }
  if (padding > 2) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": want at most 2 padding characters"));
  }
  std::string decoded;
  if (!absl::Base64Unescape(text, &decoded)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": want standard base64"));
  }
  // Canonical form only: unused trailing bits must be zero.
  if (absl::Base64Escape(decoded) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want canonical base64 (non-zero trailing bits)"));
  }
  return Bytes(decoded.begin(), decoded.end());
}

std::string EncodeBase64(ByteView data) {
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
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

}  // namespace concord::api::internal
