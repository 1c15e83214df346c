#include "concord/net/http.h"

#include "absl/strings/match.h"

namespace concord::net {

std::optional<std::string> HttpResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace concord::net
