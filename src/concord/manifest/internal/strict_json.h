// Strict JSON reading for the manifest: a SAX front end over nlohmann-json
// that rejects duplicate object keys at any depth, nesting beyond a limit,
// trailing content and a byte order mark, and turns every parse failure into
// an InvalidArgument status with line, column and byte offset. Also the small
// helpers that render field paths and echo offending input in messages.
// Used only by concord/manifest; thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace concord::manifest::internal {

// Documents keep their key order so that messages follow the input.
using Json = nlohmann::ordered_json;

// Parses one JSON text. Never throws. InvalidArgument when the text is not
// well-formed UTF-8 JSON, has content after the value, starts with a byte
// order mark, repeats a key within one object ("<path>: duplicate key") or
// nests objects/arrays deeper than `max_depth` ("<path>: want at most N
// levels of nesting").
absl::StatusOr<Json> ParseStrictJson(absl::string_view text, size_t max_depth);

// Path of member `key` below `parent` ("" is the root): "Parent.key". Keys
// that are not plain identifiers are quoted and shortened.
std::string MemberPath(absl::string_view parent, absl::string_view key);

// Path of element `index` below `parent`: "Parent[index]".
std::string ElementPath(absl::string_view parent, size_t index);

// A short rendering of offending input for messages: strings quoted with
// non-printable bytes escaped and cut to a few dozen characters; numbers and
// literals as JSON; containers as "an object" / "an array".
std::string Echo(const Json& value);
std::string EchoString(absl::string_view s);

}  // namespace concord::manifest::internal
