// Strict JSON request bodies for the API handlers: parses one JSON object
// (no duplicate keys at any depth, bounded nesting, no trailing content) and
// reads typed fields from it with messages that name the field
// ("authorization.owner_key: want a string, got a number"). Never echoes
// field values, so secrets in a request cannot reach an error message.
// Pure functions; thread-safe. Used only by concord/api.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/crypto/secret_bytes.h"
#include "nlohmann/json.hpp"

namespace concord::api::internal {

using Json = nlohmann::json;

// Most levels of nesting a request may have.
inline constexpr size_t kMaxRequestNesting = 8;

// Parses `body` as one JSON object. InvalidArgument "body: ..." for text that
// is not well-formed UTF-8 JSON, not an object, or nests deeper than
// kMaxRequestNesting; "<path>: duplicate field" for a repeated key. An empty
// body reads as {}.
absl::StatusOr<Json> ParseJsonObject(absl::string_view body);

// "parent.name", or "name" when `parent` is empty.
std::string FieldPath(absl::string_view parent, absl::string_view name);

// InvalidArgument "<path>: unknown field" for the first key of `object` not
// in `allowed`.
absl::Status CheckFields(const Json& object, absl::string_view parent,
                         std::initializer_list<absl::string_view> allowed);

// The member `name` of `object`, or nullptr when it is absent or null.
const Json* Member(const Json& object, absl::string_view name);

// Typed readers. `path` is the field's full path for messages. Each returns
// InvalidArgument "<path>: want <type>, got <json type>" on a type mismatch.
absl::StatusOr<std::string> ReadString(const Json& value, absl::string_view path, size_t max_size);
// Hex of exactly `size` bytes (either case).
absl::StatusOr<Bytes> ReadHexExact(const Json& value, absl::string_view path, size_t size);
// Hex of 1..max_size bytes.
absl::StatusOr<Bytes> ReadHex(const Json& value, absl::string_view path, size_t max_size);
// Hex of exactly `size` bytes decoded straight into wiping storage.
absl::StatusOr<crypto::SecretBytes> ReadSecretHex(const Json& value, absl::string_view path,
                                                  size_t size);
// Standard, padded, canonical base64 of at most `max_size` decoded bytes
// (ResourceExhausted "<path>: want at most N bytes" beyond).
absl::StatusOr<Bytes> ReadBase64(const Json& value, absl::string_view path, size_t max_size);
// An unsigned integer in [min, max].
absl::StatusOr<uint64_t> ReadUint(const Json& value, absl::string_view path, uint64_t min,
                                  uint64_t max);
absl::StatusOr<bool> ReadBool(const Json& value, absl::string_view path);

// "a string", "a number", "an object", ... for messages.
absl::string_view JsonTypeName(const Json& value);

// Strict standard base64 (RFC 4648 §4, padded, canonical trailing bits).
// InvalidArgument naming `path` otherwise.
absl::StatusOr<Bytes> DecodeBase64Strict(absl::string_view text, absl::string_view path);
std::string EncodeBase64(ByteView data);

}  // namespace concord::api::internal
