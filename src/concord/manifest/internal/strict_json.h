// Strict JSON reading for the manifest: the common strict parser
// (concord/common/strict_json.h) with key order kept and the manifest's
// wording ("<path>: duplicate key", "manifest: invalid JSON at line L, column
// C (byte offset O): ..."), plus Echo for rendering offending values in
// messages. Used by concord/manifest; thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/strict_json.h"
#include "nlohmann/json.hpp"

namespace concord::manifest::internal {

// Documents keep their key order so that messages follow the input.
using Json = nlohmann::ordered_json;

// The manifest's wording (docs/manifest.md): paths name the field without the
// document ("Policies.<hash>.Name: duplicate key"). Workload policies share it.
inline constexpr json::StrictJsonMessages kManifestMessages{
    .too_deep = "{where}: want at most {limit} levels of nesting",
    .duplicate_key = "{where}: duplicate key",
};

// Parses one JSON text. Never throws. InvalidArgument when the text is not
// well-formed UTF-8 JSON, has content after the value, starts with a byte
// order mark, repeats a key within one object ("<path>: duplicate key") or
// nests objects/arrays deeper than `max_depth` ("<path>: want at most N
// levels of nesting"). The caller bounds the size first.
absl::StatusOr<Json> ParseStrictJson(absl::string_view text, size_t max_depth);

using ::concord::json::EchoString;
using ::concord::json::ElementPath;
using ::concord::json::MemberPath;

// A short rendering of offending input for messages: strings quoted with
// non-printable bytes escaped and cut to a few dozen characters; numbers and
// literals as JSON; containers as "an object" / "an array".
std::string Echo(const Json& value);

}  // namespace concord::manifest::internal
