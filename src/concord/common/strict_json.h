// Strict JSON: the one parser for JSON that comes from outside the process
// (API request bodies, peers' and backends' answers, stored records, files).
// A SAX front end over nlohmann-json that stops at the first violation: a text
// over the size limit (checked before parsing), nesting deeper than the
// limit, a key repeated within one object at any depth, a byte order mark,
// content after the value, and anything that is not well-formed UTF-8 JSON.
// Parsing never recurses and never keeps more than the document it builds, so
// memory stays proportional to the input on any input. Also renders the field
// paths that messages name. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace concord::json {

// The wording of refusals. Each is a template whose placeholders are replaced
// once (a replacement is never expanded again):
//   {document}  StrictJsonOptions::document ("manifest", "body")
//   {where}     the path of the offending member or element ("a.b[1].c"; keys
//               that are not plain identifiers quoted and shortened), or
//               {document} at the top level (only a max_depth of 0 refuses
//               anything there)
//   {key}       the repeated key, quoted and shortened (EchoString)
//   {limit}     the limit broken (bytes or levels)
//   {size}      the size of the text in bytes
//   {location}  "line L, column C (byte offset O)" of the offending byte
//   {detail}    the parser's description, printable and at most ~120
//               characters; may quote a number token, never a string's value
// The defaults read "<document>: <path>: <what>", as most readers word field
// errors ("pod list: items[0].metadata.name: duplicate key"). Parsers whose
// older wording clients, documentation and tests rely on (the manifest's
// "<path>: duplicate key", the API's "<path>: duplicate field") pass their own.
struct StrictJsonMessages {
  absl::string_view too_large = "{document}: want at most {limit} bytes, got {size}";
  absl::string_view invalid = "{document}: invalid JSON at {location}: {detail}";
  absl::string_view too_deep = "{document}: {where}: want at most {limit} levels of nesting";
  absl::string_view duplicate_key = "{document}: {where}: duplicate key";
};

struct StrictJsonOptions {
  // Names the document in messages: "manifest", "body", "launch config".
  absl::string_view document = "document";
  // Longest text accepted, in bytes; longer ones are refused unread.
  size_t max_size = 0;
  // Most levels of objects and arrays: 1 allows `{"a":1}` but not
  // `{"a":[]}`; 0 allows only a scalar.
  size_t max_depth = 0;
  // The code of every refusal: InvalidArgument for input a caller sent,
  // DataLoss for a stored record or a backend's answer that should have been
  // well-formed.
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  StrictJsonMessages messages = {};
};

// Parses `text` as exactly one JSON value into `J`, which is nlohmann::json
// or nlohmann::ordered_json (key order kept as in the text). Never throws;
// std::bad_alloc is left to terminate. Returns options.code (InvalidArgument
// by default) with a message worded by options.messages for the first
// violation in text order: too large, byte order mark, not well-formed
// (including invalid UTF-8, comments and trailing content), too deep, or a
// duplicate key (compared after unescaping, so "a" and "\u0061" repeat).
template <typename J>
absl::StatusOr<J> ParseStrict(absl::string_view text, const StrictJsonOptions& options);

// For documents that carry a secret (a seed, a grant, a workload secret):
// parses like ParseStrict<nlohmann::json>, but through a DOM whose strings,
// and the lexer's token buffer (which keeps the longest token read until the
// parse ends), are overwritten when freed. The result is an ordinary
// nlohmann::json; its strings still hold the secrets' text, so the caller
// overwrites them with WipeStrings once it has decoded them.
absl::StatusOr<nlohmann::json> ParseStrictSecret(absl::string_view text,
                                                 const StrictJsonOptions& options);

// `document` as compact JSON text (invalid UTF-8 replaced), serialized
// through a copy whose buffers are overwritten when freed: dumping straight
// into a std::string reallocates as it grows and leaves the secrets' text in
// the freed blocks. The result is allocated once at its final size; the
// caller wipes it (and `document`, WipeStrings) after use.
std::string DumpSecret(const nlohmann::json& document);

// Overwrites every string value in `value` (recursively, whole capacity) and
// leaves them empty.
void WipeStrings(nlohmann::json& value);

// Path of member `key` below `parent` ("" is the top level): "parent.key".
// Keys that are not plain identifiers ([A-Za-z0-9_-], at most 64 characters)
// are quoted and shortened by EchoString.
std::string MemberPath(absl::string_view parent, absl::string_view key);

// Path of element `index` below `parent`: "parent[index]".
std::string ElementPath(absl::string_view parent, size_t index);

// `s` quoted for a message: quotes and backslashes escaped, bytes outside
// printable ASCII as \xNN, cut to 32 characters followed by "...".
std::string EchoString(absl::string_view s);

}  // namespace concord::json
