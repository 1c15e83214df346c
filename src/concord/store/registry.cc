#include "concord/store/registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/common/status_macros.h"

namespace concord::store {

absl::StatusOr<StoreUrl> ParseStoreUrl(absl::string_view url) {
  const size_t sep = url.find("://");
  if (sep == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("store url \"", absl::CHexEscape(url),
                     "\": want <scheme>://..., e.g. memory:// or file:///var/lib/concord"));
  }
  absl::string_view scheme = url.substr(0, sep);
  bool valid = !scheme.empty() && scheme[0] >= 'a' && scheme[0] <= 'z';
  for (char c : scheme) {
    valid = valid &&
            ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-');
  }
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat("store url: scheme \"", absl::CHexEscape(scheme),
                                                   "\" is not [a-z][a-z0-9+.-]*"));
  }
  return StoreUrl{std::string(scheme), std::string(url.substr(sep + 3))};
}

void StoreRegistry::Register(absl::string_view scheme, StoreFactory factory) {
  factories_.insert_or_assign(std::string(scheme), std::move(factory));
}

absl::StatusOr<std::unique_ptr<Store>> StoreRegistry::Open(absl::string_view url,
                                                           const Deps& deps) const {
  CONCORD_ASSIGN_OR_RETURN(StoreUrl parsed, ParseStoreUrl(url));
  auto it = factories_.find(parsed.scheme);
  if (it == factories_.end()) {
    std::vector<std::string> known;
    for (const auto& [scheme, factory] : factories_) {
      known.push_back(absl::StrCat(scheme, "://"));
    }
    std::sort(known.begin(), known.end());
    return absl::InvalidArgumentError(absl::StrCat("store url: unknown scheme \"", parsed.scheme,
                                                   "\" (known: ", absl::StrJoin(known, ", "), ")"));
  }
  return it->second(parsed, deps);
}

}  // namespace concord::store
