#include "concord/manifest/internal/strict_json.h"

#include <algorithm>
#include <exception>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace concord::manifest::internal {
namespace {

constexpr size_t kMaxEchoChars = 32;
constexpr size_t kMaxPlainKeyChars = 64;

bool IsPlainKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxPlainKeyChars) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

// The pieces of nlohmann's exception text worth showing: its own location
// prefix is replaced by ours, and "last read: '...'" would echo unbounded
// input, so it is dropped.
std::string DescribeParseError(const std::string& what) {
  std::string detail = what;
  if (size_t syntax = detail.find("syntax error"); syntax != std::string::npos) {
    detail = detail.substr(syntax);
  } else if (size_t colon = detail.find(": "); colon != std::string::npos) {
    detail = detail.substr(colon + 2);
  }
  if (size_t last_read = detail.find("; last read:"); last_read != std::string::npos) {
    detail.resize(last_read);
  }
  // Whatever is left may still quote input (e.g. "number overflow parsing
  // '<token>'"): keep it short and printable.
  std::string out;
  for (char c : detail) {
    if (out.size() >= 120) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

// Builds an ordered_json DOM from SAX events, checking duplicate keys and
// depth as it goes. Returning false from a callback stops the parser.
class StrictDomBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  StrictDomBuilder(absl::string_view text, size_t max_depth)
      : text_(text), max_depth_(max_depth) {}

  bool null() { return Put(Json(nullptr)) != nullptr; }
  bool boolean(bool v) { return Put(Json(v)) != nullptr; }
  bool number_integer(number_integer_t v) { return Put(Json(v)) != nullptr; }
  bool number_unsigned(number_unsigned_t v) { return Put(Json(v)) != nullptr; }
  bool number_float(number_float_t v, const string_t& /*raw*/) {
    return Put(Json(v)) != nullptr;
  }
  bool string(string_t& v) { return Put(Json(std::move(v))) != nullptr; }
  bool binary(binary_t& /*v*/) {
    error_ = absl::InvalidArgumentError("manifest: binary values are not JSON");
    return false;
  }

  bool start_object(size_t /*elements*/) { return Open(Json::object(), /*is_object=*/true); }
  bool start_array(size_t /*elements*/) { return Open(Json::array(), /*is_object=*/false); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(string_t& k) {
    Frame& frame = frames_.back();
    if (!frame.keys.insert(k).second) {
      error_ = absl::InvalidArgumentError(
          absl::StrCat(DisplayPath(MemberPath(frame.path, k)), ": duplicate key"));
      return false;
    }
    frame.pending_key = std::move(k);
    return true;
  }

  bool parse_error(size_t position, const std::string& /*last_token*/,
                   const Json::exception& ex) {
    // `position` counts the bytes read, including the offending one.
    size_t offset = position == 0 ? 0 : std::min(position - 1, text_.size());
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    error_ = absl::InvalidArgumentError(absl::StrCat(
        "manifest: invalid JSON at line ", line, ", column ", offset - line_start + 1,
        " (byte offset ", offset, "): ", DescribeParseError(ex.what())));
    return false;
  }

  const absl::Status& error() const { return error_; }
  Json& root() { return root_; }

 private:
  struct Frame {
    Json* value;
    bool is_object;
    std::string path;
    std::string pending_key;
    size_t next_index = 0;
    std::unordered_set<std::string> keys;
  };

  static std::string DisplayPath(const std::string& path) {
    return path.empty() ? "manifest" : path;
  }

  std::string CurrentChildPath() const {
    if (frames_.empty()) {
      return "";
    }
    const Frame& frame = frames_.back();
    return frame.is_object ? MemberPath(frame.path, frame.pending_key)
                           : ElementPath(frame.path, frame.next_index);
  }

  // Stores `v` at the current position and returns where it lives. Pointers
  // held in frames_ stay valid: only the innermost open container grows, and
  // none of its existing children is open.
  Json* Put(Json v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& frame = frames_.back();
    if (frame.is_object) {
      // Keys are already known to be unique, so append without the linear
      // search ordered_map::emplace would do (quadratic on large objects).
      auto& members = static_cast<std::vector<std::pair<const std::string, Json>>&>(
          frame.value->get_ref<Json::object_t&>());
      members.emplace_back(frame.pending_key, std::move(v));
      return &members.back().second;
    }
    ++frame.next_index;
    auto& elements = frame.value->get_ref<Json::array_t&>();
    elements.push_back(std::move(v));
    return &elements.back();
  }

  bool Open(Json container, bool is_object) {
    std::string path = CurrentChildPath();
    if (frames_.size() + 1 > max_depth_) {
      error_ = absl::InvalidArgumentError(absl::StrCat(
          DisplayPath(path), ": want at most ", max_depth_, " levels of nesting"));
      return false;
    }
    Json* slot = Put(std::move(container));
    frames_.push_back(Frame{slot, is_object, std::move(path), "", 0, {}});
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return true;
  }

  absl::string_view text_;
  size_t max_depth_;
  Json root_;
  std::vector<Frame> frames_;
  absl::Status error_;
};

}  // namespace

absl::StatusOr<Json> ParseStrictJson(absl::string_view text, size_t max_depth) {
  // nlohmann silently skips a UTF-8 byte order mark; the hash is over the
  // exact bytes, so refuse rather than accept an invisible prefix.
  if (text.size() >= 3 && static_cast<uint8_t>(text[0]) == 0xEF &&
      static_cast<uint8_t>(text[1]) == 0xBB && static_cast<uint8_t>(text[2]) == 0xBF) {
    return absl::InvalidArgumentError(
        "manifest: invalid JSON at line 1, column 1 (byte offset 0): want no byte order mark");
  }
  StrictDomBuilder builder(text, max_depth);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.data(), text.data() + text.size(), &builder,
                         Json::input_format_t::json, /*strict=*/true,
                         /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    // The SAX parser reports through parse_error(); anything thrown is
    // unexpected (e.g. a type error inside nlohmann), still bad input.
    return absl::InvalidArgumentError(
        absl::StrCat("manifest: invalid JSON: ", DescribeParseError(e.what())));
  }
  if (!ok) {
    if (!builder.error().ok()) {
      return builder.error();
    }
    return absl::InvalidArgumentError("manifest: invalid JSON");
  }
  return std::move(builder.root());
}

std::string MemberPath(absl::string_view parent, absl::string_view key) {
  std::string shown = IsPlainKey(key) ? std::string(key) : EchoString(key);
  if (parent.empty()) {
    return shown;
  }
  return absl::StrCat(parent, ".", shown);
}

std::string ElementPath(absl::string_view parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

std::string EchoString(absl::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  size_t shown = 0;
  for (char c : s) {
    if (shown == kMaxEchoChars) {
      out += "...";
      break;
    }
    ++shown;
    auto u = static_cast<uint8_t>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kDigits[u >> 4];
      out += kDigits[u & 0x0f];
    }
  }
  out += '"';
  return out;
}

std::string Echo(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return EchoString(value.get_ref<const Json::string_t&>());
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::binary:
      return "binary data";
    case Json::value_t::discarded:
      return "nothing";
    case Json::value_t::null:
    case Json::value_t::boolean:
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      break;
  }
  return value.dump();
}

}  // namespace concord::manifest::internal
