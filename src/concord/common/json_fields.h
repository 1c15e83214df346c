// Typed readers for documents parsed by concord/common/strict_json.h: each
// checks one field's type, size and form and returns InvalidArgument naming
// the field's path ("authorization.owner_key: want a hex string, got a
// number"). Messages never echo values (a field may hold a secret); an
// unknown key is shown only when it is short and printable. Used by the API's
// request and peer message parsers and by the Kubernetes pod list reader.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "nlohmann/json.hpp"

namespace concord::json {

// "parent.name", or "name" when `parent` is empty. Names are shown as given:
// for keys the reader chose, not for keys read from input (MemberPath).
std::string FieldPath(absl::string_view parent, absl::string_view name);

// InvalidArgument "<path>: unknown field" for the first key of `object` not
// in `allowed` ("<parent>.<unprintable>" for a key that is long or not
// printable ASCII).
absl::Status CheckFields(const nlohmann::json& object, absl::string_view parent,
                         std::initializer_list<absl::string_view> allowed);

// The member `name` of `object`, or nullptr when it is absent or null.
const nlohmann::json* Member(const nlohmann::json& object, absl::string_view name);

// "a string", "a number", "an object", ... for messages.
absl::string_view TypeName(const nlohmann::json& value);

// Typed readers. `path` is the field's full path for messages. Each returns
// InvalidArgument "<path>: want <type>, got <json type>" on a type mismatch.
absl::StatusOr<std::string> ReadString(const nlohmann::json& value, absl::string_view path,
                                       size_t max_size);
// Hex of exactly `size` bytes (either case).
absl::StatusOr<Bytes> ReadHexExact(const nlohmann::json& value, absl::string_view path,
                                   size_t size);
// Hex of 1..max_size bytes.
absl::StatusOr<Bytes> ReadHex(const nlohmann::json& value, absl::string_view path, size_t max_size);
// Standard, padded, canonical base64 of at most `max_size` decoded bytes
// (ResourceExhausted "<path>: want at most N bytes" beyond, checked before
// decoding).
absl::StatusOr<Bytes> ReadBase64(const nlohmann::json& value, absl::string_view path,
                                 size_t max_size);
// An unsigned integer in [min, max].
absl::StatusOr<uint64_t> ReadUint(const nlohmann::json& value, absl::string_view path, uint64_t min,
                                  uint64_t max);
absl::StatusOr<bool> ReadBool(const nlohmann::json& value, absl::string_view path);

// InvalidArgument "<path>: want <want>, got <json type>".
absl::Status WrongType(absl::string_view path, absl::string_view want, const nlohmann::json& value);

}  // namespace concord::json
