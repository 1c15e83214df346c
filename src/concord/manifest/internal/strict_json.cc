#include "concord/manifest/internal/strict_json.h"

#include <limits>

namespace concord::manifest::internal {

absl::StatusOr<Json> ParseStrictJson(absl::string_view text, size_t max_depth) {
  return json::ParseStrict<Json>(text, {.document = "manifest",
                                        .max_size = std::numeric_limits<size_t>::max(),
                                        .max_depth = max_depth,
                                        .messages = kManifestMessages});
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
