#include "concord/common/strict_json.h"

#include <string.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "concord/common/wiping_allocator.h"

namespace concord::json {
namespace {

constexpr size_t kMaxEchoChars = 32;
constexpr size_t kMaxPlainKeyChars = 64;
constexpr size_t kMaxDetailChars = 120;

bool IsPlainKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxPlainKeyChars) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

void AppendMemberPath(std::string& path, absl::string_view key) {
  if (!path.empty()) {
    path += '.';
  }
  if (IsPlainKey(key)) {
    absl::StrAppend(&path, key);
  } else {
    absl::StrAppend(&path, EchoString(key));
  }
}

void AppendElementPath(std::string& path, size_t index) { absl::StrAppend(&path, "[", index, "]"); }

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
    if (out.size() >= kMaxDetailChars) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

// What a message may say about one violation; see StrictJsonMessages.
struct Violation {
  std::string where = {};
  std::string key = {};
  size_t limit = 0;
  size_t offset = 0;
  std::string detail = {};
};

absl::Status Refuse(const StrictJsonOptions& options, absl::string_view text,
                    absl::string_view wording, const Violation& v) {
  // Line and column are counted only here, on the way out.
  const size_t offset = std::min(v.offset, text.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const std::string location = absl::StrCat("line ", line, ", column ", offset - line_start + 1,
                                            " (byte offset ", offset, ")");
  return absl::Status(
      options.code,
      absl::StrReplaceAll(wording, {{"{document}", options.document},
                                    {"{where}", v.where.empty() ? options.document : v.where},
                                    {"{key}", EchoString(v.key)},
                                    {"{limit}", absl::StrCat(v.limit)},
                                    {"{size}", absl::StrCat(text.size())},
                                    {"{location}", location},
                                    {"{detail}", v.detail}}));
}

// Hashes any string type by its characters (std::hash has no
// specialization for strings with another allocator).
struct KeyHash {
  template <typename S>
  size_t operator()(const S& s) const {
    return std::hash<std::string_view>()(std::string_view(s.data(), s.size()));
  }
};

// A DOM whose strings use WipingAllocator (ParseStrictSecret).
using WipingJson = nlohmann::basic_json<std::map, std::vector, WipingString>;

// Builds a DOM from SAX events, checking duplicate keys and depth as it goes;
// returning false from a callback stops the parser there. Each open container
// keeps only its own key or index, and paths are put together only for a
// message, so memory is bounded by the document, whatever its shape.
template <typename J>
class StrictDomBuilder {
 public:
  using number_integer_t = typename J::number_integer_t;
  using number_unsigned_t = typename J::number_unsigned_t;
  using number_float_t = typename J::number_float_t;
  using string_t = typename J::string_t;
  using binary_t = typename J::binary_t;

  explicit StrictDomBuilder(size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return Put(J(nullptr)); }
  bool boolean(bool v) { return Put(J(v)); }
  bool number_integer(number_integer_t v) { return Put(J(v)); }
  bool number_unsigned(number_unsigned_t v) { return Put(J(v)); }
  // A template: nlohmann's binary readers (never used here, but
  // instantiated) pass std::string whatever J's string type is.
  template <typename RawString>
  bool number_float(number_float_t v, const RawString& /*raw*/) {
    return Put(J(v));
  }
  bool string(string_t& v) { return Put(J(std::move(v))); }
  bool binary(binary_t& /*v*/) {
    // The JSON lexer never produces binary values.
    Fail(&StrictJsonMessages::invalid, Violation{.detail = "binary values are not JSON"});
    return false;
  }

  bool start_object(size_t /*elements*/) { return Open(J::object(), /*is_object=*/true); }
  bool start_array(size_t /*elements*/) { return Open(J::array(), /*is_object=*/false); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(string_t& k) {
    Frame& frame = frames_.back();
    auto [it, inserted] = frame.keys.insert(k);
    if (!inserted) {
      std::string where = PathOf(frames_.size());
      AppendMemberPath(where, k);
      Fail(&StrictJsonMessages::duplicate_key,
           Violation{.where = std::move(where), .key = std::string(k.data(), k.size())});
      return false;
    }
    // Set elements do not move when the set grows.
    frame.key = &*it;
    return true;
  }

  bool parse_error(size_t position, const std::string& /*last_token*/,
                   const typename J::exception& ex) {
    // `position` counts the bytes read, including the offending one.
    Fail(&StrictJsonMessages::invalid, Violation{.offset = position == 0 ? 0 : position - 1,
                                                 .detail = DescribeParseError(ex.what())});
    return false;
  }

  // The violation that stopped the parser, if any: which wording and what to
  // fill it with.
  absl::string_view StrictJsonMessages::*wording() const { return wording_; }
  const Violation& violation() const { return violation_; }
  J& root() { return root_; }

 private:
  struct Frame {
    J* value;
    bool is_object;
    // The key of the member being read (objects, pointing into `keys`) or
    // the number of elements stored so far (arrays): enough to name the open
    // child.
    const string_t* key = nullptr;
    size_t next_index = 0;
    std::unordered_set<string_t, KeyHash> keys;
  };

  void Fail(absl::string_view StrictJsonMessages::*wording, Violation v) {
    wording_ = wording;
    violation_ = std::move(v);
  }

  // Path of the container frames_[count - 1] (the top level is "").
  std::string PathOf(size_t count) const {
    std::string path;
    for (size_t i = 0; i + 1 < count; ++i) {
      const Frame& f = frames_[i];
      if (f.is_object) {
        AppendMemberPath(path, *f.key);
      } else {
        AppendElementPath(path, f.next_index - 1);
      }
    }
    return path;
  }

  // Path of the value about to be stored in the innermost open container.
  std::string NextChildPath() const {
    if (frames_.empty()) {
      return "";
    }
    std::string path = PathOf(frames_.size());
    const Frame& f = frames_.back();
    if (f.is_object) {
      AppendMemberPath(path, *f.key);
    } else {
      AppendElementPath(path, f.next_index);
    }
    return path;
  }

  // Stores `v` at the current position and records where it lives. Pointers
  // held in frames_ stay valid: only the innermost open container grows, and
  // none of its existing children is open.
  bool Put(J v) {
    last_ = Store(std::move(v));
    return true;
  }

  J* Store(J v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& frame = frames_.back();
    if (frame.is_object) {
      auto& members = frame.value->template get_ref<typename J::object_t&>();
      if constexpr (std::is_same_v<J, nlohmann::ordered_json>) {
        // Keys are already known to be unique, so append without the linear
        // search ordered_map::emplace would do (quadratic on large objects).
        auto& entries = static_cast<std::vector<std::pair<const std::string, J>>&>(members);
        entries.emplace_back(*frame.key, std::move(v));
        return &entries.back().second;
      } else {
        return &members.emplace(*frame.key, std::move(v)).first->second;
      }
    }
    ++frame.next_index;
    auto& elements = frame.value->template get_ref<typename J::array_t&>();
    elements.push_back(std::move(v));
    return &elements.back();
  }

  bool Open(J container, bool is_object) {
    if (frames_.size() >= max_depth_) {
      Fail(&StrictJsonMessages::too_deep, Violation{.where = NextChildPath(), .limit = max_depth_});
      return false;
    }
    Put(std::move(container));
    frames_.push_back(Frame{last_, is_object, nullptr, 0, {}});
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return true;
  }

  size_t max_depth_;
  J root_;
  J* last_ = nullptr;
  std::vector<Frame> frames_;
  absl::string_view StrictJsonMessages::*wording_ = nullptr;
  Violation violation_;
};

}  // namespace

template <typename J>
absl::StatusOr<J> ParseStrict(absl::string_view text, const StrictJsonOptions& options) {
  const StrictJsonMessages& messages = options.messages;
  if (text.size() > options.max_size) {
    return Refuse(options, text, messages.too_large, Violation{.limit = options.max_size});
  }
  // nlohmann silently skips a UTF-8 byte order mark; refuse rather than
  // accept an invisible prefix that other readers may not skip.
  if (text.size() >= 3 && static_cast<uint8_t>(text[0]) == 0xEF &&
      static_cast<uint8_t>(text[1]) == 0xBB && static_cast<uint8_t>(text[2]) == 0xBF) {
    return Refuse(options, text, messages.invalid,
                  Violation{.offset = 0, .detail = "want no byte order mark"});
  }
  StrictDomBuilder<J> builder(options.max_depth);
  bool ok = false;
  try {
    ok = J::sax_parse(text.data(), text.data() + text.size(), &builder,
                      nlohmann::json::input_format_t::json, /*strict=*/true,
                      /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception& e) {
    // The SAX parser reports through parse_error(); anything thrown is
    // unexpected, still bad input.
    return Refuse(options, text, messages.invalid,
                  Violation{.offset = text.size(), .detail = DescribeParseError(e.what())});
  }
  if (!ok) {
    if (builder.wording() == nullptr) {
      return Refuse(options, text, messages.invalid,
                    Violation{.offset = text.size(), .detail = "parser stopped"});
    }
    return Refuse(options, text, messages.*builder.wording(), builder.violation());
  }
  return std::move(builder.root());
}

template absl::StatusOr<WipingJson> ParseStrict<WipingJson>(absl::string_view text,
                                                            const StrictJsonOptions& options);

namespace {

// A deep copy between DOMs of different string types.
template <typename To, typename From>
To CopyJson(const From& value) {
  using FromString = typename From::string_t;
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      To out = To::object();
      for (const auto& [key, child] : value.items()) {
        out.emplace(typename To::string_t(key.data(), key.size()), CopyJson<To>(child));
      }
      return out;
    }
    case nlohmann::json::value_t::array: {
      To out = To::array();
      for (const From& child : value) {
        out.push_back(CopyJson<To>(child));
      }
      return out;
    }
    case nlohmann::json::value_t::string: {
      const FromString& text = value.template get_ref<const FromString&>();
      return To(typename To::string_t(text.data(), text.size()));
    }
    case nlohmann::json::value_t::boolean:
      return To(value.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return To(value.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return To(value.template get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      return To(value.template get<double>());
    default:
      return To(nullptr);
  }
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseStrictSecret(absl::string_view text,
                                                 const StrictJsonOptions& options) {
  absl::StatusOr<WipingJson> parsed = ParseStrict<WipingJson>(text, options);
  if (!parsed.ok()) {
    return parsed.status();
  }
  return CopyJson<nlohmann::json>(*parsed);
}

std::string DumpSecret(const nlohmann::json& document) {
  const WipingJson copy = CopyJson<WipingJson>(document);
  const WipingString text = copy.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return std::string(text.data(), text.size());
}

void WipeStrings(nlohmann::json& value) {
  if (value.is_string()) {
    WipeString(value.get_ref<std::string&>());
    return;
  }
  if (value.is_object() || value.is_array()) {
    for (auto& child : value) {
      WipeStrings(child);
    }
  }
}

template absl::StatusOr<nlohmann::json> ParseStrict<nlohmann::json>(
    absl::string_view text, const StrictJsonOptions& options);
template absl::StatusOr<nlohmann::ordered_json> ParseStrict<nlohmann::ordered_json>(
    absl::string_view text, const StrictJsonOptions& options);

std::string MemberPath(absl::string_view parent, absl::string_view key) {
  std::string path(parent);
  AppendMemberPath(path, key);
  return path;
}

std::string ElementPath(absl::string_view parent, size_t index) {
  std::string path(parent);
  AppendElementPath(path, index);
  return path;
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

}  // namespace concord::json
