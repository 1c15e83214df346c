#include "concord/wire/json_fields.h"

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"

namespace concord::wire {
namespace {

// The wording docs/api.md and clients know. A syntax error says where but not
// the parser's detail, which may quote a number token of the request.
constexpr json::StrictJsonOptions kBodyOptions{
    .document = "body",
    // api.cc answers 413 before a larger body gets here; this is the backstop.
    .max_size = kMaxRequestBodySize,
    .max_depth = kMaxRequestNesting,
    .messages = {.invalid = "{document}: want a JSON object, invalid JSON at {location}",
                 .too_deep = "{document}: want at most {limit} levels of nesting at {where}",
                 .duplicate_key = "{where}: duplicate field"},
};

}  // namespace

absl::StatusOr<Json> ParseJsonObject(absl::string_view body) {
  return ParseJsonObject(body, /*carries_secrets=*/false);
}

absl::StatusOr<Json> ParseSecretJsonObject(absl::string_view body) {
  return ParseJsonObject(body, /*carries_secrets=*/true);
}

absl::StatusOr<Json> ParseJsonObject(absl::string_view body, bool carries_secrets) {
  if (body.empty()) {
    return Json::object();
  }
  absl::StatusOr<Json> parsed = carries_secrets ? json::ParseStrictSecret(body, kBodyOptions)
                                                : json::ParseStrict<Json>(body, kBodyOptions);
  if (parsed.ok() && !parsed->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body: want a JSON object, got ", json::TypeName(*parsed)));
  }
  return parsed;
}

absl::StatusOr<crypto::SecretBytes> ReadSecretHex(const Json& value, absl::string_view path,
                                                  size_t size) {
  if (!value.is_string()) {
    return json::WrongType(path, absl::StrCat(size * 2, " hex characters"), value);
  }
  crypto::SecretBytes out(size);
  CONCORD_RETURN_IF_ERROR(
      HexDecodeInto(value.get_ref<const std::string&>(), out.RevealMutable(), path));
  return out;
}

}  // namespace concord::wire
