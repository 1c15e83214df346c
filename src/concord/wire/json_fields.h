// Strict JSON request bodies for the API handlers: ParseJsonObject parses one
// JSON object with the common strict parser (concord/common/strict_json.h)
// and the API's wording, and the typed field readers of
// concord/common/json_fields.h are forwarded here under their old names.
// ReadSecretHex stays here because it fills crypto::SecretBytes and common
// cannot depend on crypto. Never echoes field values, so secrets in a request
// cannot reach an error message. Pure functions; thread-safe. Used by the
// API handlers (concord/api) and both ends of the peer API (concord/peer).
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/base64.h"
#include "concord/common/json_fields.h"
#include "concord/crypto/secret_bytes.h"
#include "nlohmann/json.hpp"

namespace concord::wire {

using Json = nlohmann::json;

// Largest request body the API handlers accept (api.h answers 413 beyond);
// ParseJsonObject refuses larger text as a backstop.
inline constexpr size_t kMaxRequestBodySize = 1536 * 1024;

// Most levels of nesting a request may have.
inline constexpr size_t kMaxRequestNesting = 8;

// Parses `body` as one JSON object. InvalidArgument "body: ..." for text that
// is not well-formed UTF-8 JSON ("body: want a JSON object, invalid JSON at
// line L, column C (byte offset O)"), not an object, or nests deeper than
// kMaxRequestNesting ("body: want at most 8 levels of nesting at <path>",
// refused as soon as the parser gets there); "<path>: duplicate field" for a
// repeated key. An empty body reads as {}. The size is bounded by the caller
// (kMaxRequestBodySize).
absl::StatusOr<Json> ParseJsonObject(absl::string_view body);
// The same for a body that carries a secret (json::ParseStrictSecret): the
// parser's own buffers are overwritten when freed; the caller overwrites the
// returned DOM's strings (json::WipeStrings) once it has read them.
absl::StatusOr<Json> ParseSecretJsonObject(absl::string_view body);
absl::StatusOr<Json> ParseJsonObject(absl::string_view body, bool carries_secrets);

// Hex of exactly `size` bytes decoded straight into wiping storage;
// InvalidArgument "<path>: want <2*size> hex characters, got ..." or
// "<path>: want hex characters" (never which digit).
absl::StatusOr<crypto::SecretBytes> ReadSecretHex(const Json& value, absl::string_view path,
                                                  size_t size);

using ::concord::DecodeBase64Strict;
using ::concord::EncodeBase64;
using ::concord::json::CheckFields;
using ::concord::json::FieldPath;
using ::concord::json::Member;
using ::concord::json::ReadBase64;
using ::concord::json::ReadBool;
using ::concord::json::ReadHex;
using ::concord::json::ReadHexExact;
using ::concord::json::ReadString;
using ::concord::json::ReadUint;

inline absl::string_view JsonTypeName(const Json& value) { return json::TypeName(value); }

}  // namespace concord::wire
