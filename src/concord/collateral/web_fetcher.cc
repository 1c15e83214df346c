#include "concord/collateral/web_fetcher.h"

#include <utility>

#include "concord/common/status_macros.h"

namespace concord::collateral {

absl::StatusOr<std::unique_ptr<WebClientFetcher>> WebClientFetcher::Create(
    net::WebClientOptions options) {
  // Vendor answers are small; a larger one is refused by the client.
  options.max_response_bytes = std::min<size_t>(options.max_response_bytes, 2 * kMaxBodySize);
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<net::WebClient> client,
                           net::WebClient::Create(std::move(options)));
  return std::unique_ptr<WebClientFetcher>(new WebClientFetcher(std::move(client)));
}

absl::StatusOr<net::HttpResponse> WebClientFetcher::Get(absl::string_view target) {
  absl::MutexLock lock(&mu_);
  return client_->Call("GET", target, "", "application/json",
                       {{"Accept", "application/json, application/pkix-cert, */*"}});
}

}  // namespace concord::collateral
