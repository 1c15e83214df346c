// WebClientFetcher: the production HttpFetcher, one net::WebClient (plain
// HTTP or HTTPS with X.509 checks) to a vendor base URL, serialised by a
// mutex because WebClient is not thread-safe. Built only where net/ has the
// WebClient implementation (library concord_collateral_web). Thread-safe.
#pragma once

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "concord/collateral/vendor_client.h"
#include "concord/net/web_client.h"

namespace concord::collateral {

class WebClientFetcher final : public HttpFetcher {
 public:
  // Errors of WebClient::Create (InvalidArgument naming the bad option).
  static absl::StatusOr<std::unique_ptr<WebClientFetcher>> Create(net::WebClientOptions options);

  absl::StatusOr<net::HttpResponse> Get(absl::string_view target) override;

 private:
  explicit WebClientFetcher(std::unique_ptr<net::WebClient> client) : client_(std::move(client)) {}
  absl::Mutex mu_;
  std::unique_ptr<net::WebClient> client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace concord::collateral
