// Typed, path-aware access to the fields of a parsed JSON document: each
// reader returns InvalidArgument "<field path>: want <expectation>, got
// <echo>" on a mismatch. Used by the manifest parser; thread-safe (pure).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/common/hex.h"
#include "concord/manifest/internal/strict_json.h"

namespace concord::manifest::internal {

// A JSON object with a fixed set of allowed fields. Borrows the value, which
// must outlive the reader.
class ObjectReader final {
 public:
  // InvalidArgument if `value` is not an object ("<path>: want an object,
  // got ...") or has a field not in `allowed` ("<path>.<key>: unknown field,
  // want one of A, B, C"); the first unknown field in document order is named.
  static absl::StatusOr<ObjectReader> Create(const Json& value, std::string path,
                                             std::initializer_list<absl::string_view> allowed);

  const std::string& path() const { return path_; }
  std::string FieldPath(absl::string_view key) const { return MemberPath(path_, key); }

  // The field's value, or nullptr when absent.
  const Json* Optional(absl::string_view key) const;
  // The field's value; InvalidArgument "<path>.<key>: required field missing".
  absl::StatusOr<const Json*> Required(absl::string_view key) const;

 private:
  ObjectReader(const Json& value, std::string path) : value_(&value), path_(std::move(path)) {}
  const Json* value_;
  std::string path_;
};

// Integer in [0, max]; floats (even 1.0) are refused.
absl::StatusOr<uint64_t> ReadUint(const Json& value, absl::string_view path, uint64_t max);

absl::StatusOr<bool> ReadBool(const Json& value, absl::string_view path);

// "<path>: want an array, got ...".
absl::StatusOr<const Json::array_t*> ReadArray(const Json& value, absl::string_view path);

// The longest Name of a manifest entry or a workload policy.
inline constexpr size_t kMaxNameLength = 128;

// A Name: 1 to kMaxNameLength printable ASCII characters.
absl::StatusOr<std::string> ReadName(const Json& value, absl::string_view path);

// A string of exactly 2*N hex characters (either case) decoded to N bytes.
template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> ReadHexArray(const Json& value, absl::string_view path) {
  if (!value.is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want a string of ", 2 * N, " hex characters, got ", Echo(value)));
  }
  absl::StatusOr<Bytes> bytes = HexDecodeExact(value.get_ref<const Json::string_t&>(), N, path);
  if (!bytes.ok()) {
    return bytes.status();
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

// Lower-case hex of a fixed-size array.
template <size_t N>
std::string HexOf(const std::array<uint8_t, N>& a) {
  return HexEncode(ByteView(a.data(), a.size()));
}

}  // namespace concord::manifest::internal
