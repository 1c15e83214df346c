// Clients for the vendor collateral services: AMD KDS (VCEK by product, chip
// ID and reported TCB; ASK+ARK cert_chain; the ARK's CRL) and Intel PCS v4
// (TDX TCB info by FMSPC, QE identity, PCK CRL, Root CA CRL, with the issuer
// chain headers). Each returns a CollateralItem exactly as served; validation
// and caching are the cache's job. HTTP goes through the HttpFetcher seam
// (WebClientFetcher in web_fetcher.h for real use). KDS allows about one VCEK
// request per 10 s per address: the client enforces that on the injected
// clock and honours 429/503 Retry-After by refusing to call again before it
// (Unavailable, never sleeping). Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/collateral/item.h"
#include "concord/common/clock.h"
#include "concord/net/http.h"

namespace concord::collateral {

inline constexpr absl::string_view kDefaultKdsBaseUrl = "https://kdsintf.amd.com";
inline constexpr absl::string_view kDefaultPcsBaseUrl = "https://api.trustedservices.intel.com";

// One GET against a fixed base URL. Implementations must be thread-safe.
class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  // GETs `target` (path and query). Any HTTP status is a response; errors
  // only for transport failures (Unavailable) or malformed responses.
  virtual absl::StatusOr<net::HttpResponse> Get(absl::string_view target) = 0;
};

// Fetches one item by kind and key (item.h). Thread-safe.
class CollateralSource {
 public:
  virtual ~CollateralSource() = default;
  // InvalidArgument for a malformed key or a kind this source does not serve;
  // NotFound when the vendor has no such item (404); Unavailable when the
  // vendor cannot be reached, answers 429/5xx, or the client is rate limited
  // or backing off (retry later; the message says when); DataLoss for a
  // response that is not what the endpoint serves.
  virtual absl::StatusOr<CollateralItem> Fetch(CollateralKind kind, absl::string_view key) = 0;
};

// Client-side request pacing and server back-off on one clock.
class RequestGate final {
 public:
  // `min_interval`: least time between two requests (zero: none).
  RequestGate(const Clock& clock, absl::Duration min_interval)
      : clock_(clock), min_interval_(min_interval) {}
  RequestGate(const RequestGate&) = delete;
  RequestGate& operator=(const RequestGate&) = delete;

  // OK and records the request, or Unavailable "<what>: rate limited, retry
  // after <time>" when called before the next allowed time.
  absl::Status Acquire(absl::string_view what);
  // Blocks requests until now + `delay` (429/503 Retry-After).
  void BackOff(absl::Duration delay);
  absl::Time next_allowed() const;

 private:
  const Clock& clock_;
  const absl::Duration min_interval_;
  mutable absl::Mutex mu_;
  absl::Time next_allowed_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// Parses a Retry-After value (delay-seconds or an IMF-fixdate HTTP date) at
// `now`; a missing or unreadable value gives `fallback`. Capped at 1 hour.
absl::Duration ParseRetryAfter(const net::HttpResponse& response, absl::Time now,
                               absl::Duration fallback);

// Percent-decodes a header value (Intel's URL-encoded PEM issuer chains).
// InvalidArgument for a malformed escape.
absl::StatusOr<std::string> PercentDecode(absl::string_view value);

class KdsClient final : public CollateralSource {
 public:
  struct Options {
    absl::Duration vcek_interval = absl::Seconds(10);
    // Used when a 429/503 carries no usable Retry-After.
    absl::Duration default_retry_after = absl::Seconds(60);
  };
  // `fetcher` and `clock` must outlive the client.
  KdsClient(HttpFetcher& fetcher, const Clock& clock, Options options);
  KdsClient(HttpFetcher& fetcher, const Clock& clock) : KdsClient(fetcher, clock, Options()) {}

  // kSnpVcek, kSnpCertChain, kSnpCrl.
  absl::StatusOr<CollateralItem> Fetch(CollateralKind kind, absl::string_view key) override;

  // The request target of an item, e.g.
  // "/vcek/v1/Milan/<hwid>?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115";
  // Turin puts fmcSPL first and uses the 8-byte hwID.
  static absl::StatusOr<std::string> Target(CollateralKind kind, absl::string_view key);

 private:
  HttpFetcher& fetcher_;
  const Clock& clock_;
  const Options options_;
  RequestGate vcek_gate_;    // one VCEK per vcek_interval
  RequestGate server_gate_;  // Retry-After from any KDS answer
};

class PcsClient final : public CollateralSource {
 public:
  struct Options {
    absl::Duration default_retry_after = absl::Seconds(60);
  };
  PcsClient(HttpFetcher& fetcher, const Clock& clock, Options options);
  PcsClient(HttpFetcher& fetcher, const Clock& clock) : PcsClient(fetcher, clock, Options()) {}

  // kTdxTcbInfo, kTdxQeIdentity, kTdxPckCrl, kTdxRootCaCrl. The Root CA CRL
  // may be served as DER, PEM or hex text; it is kept as DER.
  absl::StatusOr<CollateralItem> Fetch(CollateralKind kind, absl::string_view key) override;

  static absl::StatusOr<std::string> Target(CollateralKind kind, absl::string_view key);

 private:
  HttpFetcher& fetcher_;
  const Clock& clock_;
  const Options options_;
  RequestGate server_gate_;
};

// Routes AMD kinds to `kds` and Intel kinds to `pcs` (either may be null:
// InvalidArgument for its kinds). Both must outlive it.
class VendorSource final : public CollateralSource {
 public:
  VendorSource(CollateralSource* kds, CollateralSource* pcs) : kds_(kds), pcs_(pcs) {}
  absl::StatusOr<CollateralItem> Fetch(CollateralKind kind, absl::string_view key) override;

 private:
  CollateralSource* const kds_;
  CollateralSource* const pcs_;
};

}  // namespace concord::collateral
