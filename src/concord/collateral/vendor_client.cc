#include "concord/collateral/vendor_client.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "concord/attest/snp/report.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/x509.h"

namespace concord::collateral {
namespace {

using attest::SnpProduct;

constexpr absl::Duration kMaxRetryAfter = absl::Hours(1);

// Maps a vendor answer to a status; 429/503 also close `gate` until the
// Retry-After time.
absl::Status CheckResponse(const net::HttpResponse& response, absl::string_view what,
                           RequestGate& gate, absl::Time now, absl::Duration fallback) {
  if (response.status == 200) {
    if (response.body.empty() || response.body.size() > kMaxBodySize) {
      return absl::DataLossError(absl::StrCat(what, ": want a body of 1 to ", kMaxBodySize,
                                              " bytes, got ", response.body.size()));
    }
    return absl::OkStatus();
  }
  if (response.status == 429 || response.status == 503) {
    const absl::Duration delay = ParseRetryAfter(response, now, fallback);
    gate.BackOff(delay);
    return absl::UnavailableError(absl::StrCat(what, ": HTTP ", response.status, ", retry after ",
                                               FormatRfc3339(now + delay)));
  }
  if (response.status == 404) {
    return absl::NotFoundError(absl::StrCat(what, ": HTTP 404 (no such item)"));
  }
  if (response.status >= 500) {
    return absl::UnavailableError(absl::StrCat(what, ": HTTP ", response.status));
  }
  return absl::DataLossError(absl::StrCat(what, ": unexpected HTTP ", response.status));
}

// `pace`, when given, is checked after the server's back-off gate, so a
// request refused for back-off does not use up the pacing slot.
absl::StatusOr<net::HttpResponse> DoGet(HttpFetcher& fetcher, absl::string_view target,
                                        absl::string_view what, RequestGate& gate,
                                        RequestGate* pace, const Clock& clock,
                                        absl::Duration fallback) {
  CONCORD_RETURN_IF_ERROR(gate.Acquire(what));
  if (pace != nullptr) {
    CONCORD_RETURN_IF_ERROR(pace->Acquire(what));
  }
  CONCORD_ASSIGN_OR_RETURN(net::HttpResponse response, fetcher.Get(target));
  CONCORD_RETURN_IF_ERROR(CheckResponse(response, what, gate, clock.Now(), fallback));
  return response;
}

// The item (kind, key) as the vendor served it.
CollateralItem ServedItem(CollateralKind kind, absl::string_view key,
                          const net::HttpResponse& response) {
  CollateralItem item;
  item.kind = kind;
  item.key = std::string(key);
  item.body = ToBytes(response.body);
  return item;
}

std::string Spl(uint8_t v) { return absl::StrFormat("%02d", v); }

}  // namespace

absl::Status RequestGate::Acquire(absl::string_view what) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (now < next_allowed_) {
    return absl::UnavailableError(
        absl::StrCat(what, ": rate limited, retry after ", FormatRfc3339(next_allowed_)));
  }
  next_allowed_ = now + min_interval_;
  return absl::OkStatus();
}

void RequestGate::BackOff(absl::Duration delay) {
  const absl::Time until = clock_.Now() + delay;
  absl::MutexLock lock(&mu_);
  next_allowed_ = std::max(next_allowed_, until);
}

absl::Time RequestGate::next_allowed() const {
  absl::MutexLock lock(&mu_);
  return next_allowed_;
}

absl::Duration ParseRetryAfter(const net::HttpResponse& response, absl::Time now,
                               absl::Duration fallback) {
  std::optional<std::string> value = response.Header("Retry-After");
  if (!value.has_value()) {
    return fallback;
  }
  absl::string_view v = absl::StripAsciiWhitespace(*value);
  uint32_t seconds = 0;
  absl::Duration delay = fallback;
  if (absl::SimpleAtoi(v, &seconds)) {
    delay = absl::Seconds(seconds);
  } else {
    absl::Time when;
    std::string err;
    if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", v, absl::UTCTimeZone(), &when, &err)) {
      delay = std::max(when - now, absl::ZeroDuration());
    }
  }
  return std::min(delay, kMaxRetryAfter);
}

absl::StatusOr<std::string> PercentDecode(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
      continue;
    }
    if (i + 2 >= value.size()) {
      return absl::InvalidArgumentError("percent-encoding: truncated escape");
    }
    absl::StatusOr<Bytes> b = HexDecodeExact(value.substr(i + 1, 2), 1, "percent-encoding");
    if (!b.ok()) {
      return absl::InvalidArgumentError("percent-encoding: malformed escape");
    }
    out.push_back(static_cast<char>((*b)[0]));
    i += 2;
  }
  return out;
}

// --- KDS ---

KdsClient::KdsClient(HttpFetcher& fetcher, const Clock& clock, Options options)
    : fetcher_(fetcher),
      clock_(clock),
      options_(options),
      vcek_gate_(clock, options.vcek_interval),
      server_gate_(clock, absl::ZeroDuration()) {}

absl::StatusOr<std::string> KdsClient::Target(CollateralKind kind, absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateItemKey(kind, key));
  switch (kind) {
    case CollateralKind::kSnpVcek: {
      CONCORD_ASSIGN_OR_RETURN(SnpVcekKeyParts parts, ParseSnpVcekKey(key));
      const attest::SnpTcb tcb = attest::DecodeSnpTcb(parts.reported_tcb, parts.product);
      std::string target = absl::StrCat("/vcek/v1/", attest::SnpProductName(parts.product), "/",
                                        HexEncode(parts.hwid), "?");
      if (parts.product == SnpProduct::kTurin) {
        absl::StrAppend(&target, "fmcSPL=", Spl(tcb.fmc), "&");
      }
      absl::StrAppend(&target, "blSPL=", Spl(tcb.bootloader), "&teeSPL=", Spl(tcb.tee),
                      "&snpSPL=", Spl(tcb.snp), "&ucodeSPL=", Spl(tcb.microcode));
      return target;
    }
    case CollateralKind::kSnpCertChain:
    case CollateralKind::kSnpCrl: {
      CONCORD_ASSIGN_OR_RETURN(SnpProduct product, ParseSnpProductKey(key));
      return absl::StrCat("/vcek/v1/", attest::SnpProductName(product),
                          kind == CollateralKind::kSnpCrl ? "/crl" : "/cert_chain");
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("AMD KDS: does not serve ", KindName(kind)));
  }
}

absl::StatusOr<CollateralItem> KdsClient::Fetch(CollateralKind kind, absl::string_view key) {
  CONCORD_ASSIGN_OR_RETURN(std::string target, Target(kind, key));
  RequestGate* pace = kind == CollateralKind::kSnpVcek ? &vcek_gate_ : nullptr;
  CONCORD_ASSIGN_OR_RETURN(net::HttpResponse response,
                           DoGet(fetcher_, target, absl::StrCat("AMD KDS ", KindName(kind)),
                                 server_gate_, pace, clock_, options_.default_retry_after));
  return ServedItem(kind, key, response);
}

// --- PCS ---

PcsClient::PcsClient(HttpFetcher& fetcher, const Clock& clock, Options options)
    : fetcher_(fetcher),
      clock_(clock),
      options_(options),
      server_gate_(clock, absl::ZeroDuration()) {}

absl::StatusOr<std::string> PcsClient::Target(CollateralKind kind, absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(ValidateItemKey(kind, key));
  switch (kind) {
    case CollateralKind::kTdxTcbInfo:
      return absl::StrCat("/tdx/certification/v4/tcb?fmspc=", key);
    case CollateralKind::kTdxQeIdentity:
      return std::string("/tdx/certification/v4/qe/identity");
    case CollateralKind::kTdxPckCrl:
      return absl::StrCat("/sgx/certification/v4/pckcrl?ca=", key, "&encoding=der");
    case CollateralKind::kTdxRootCaCrl:
      return std::string("/sgx/certification/v4/rootcacrl");
    default:
      return absl::InvalidArgumentError(absl::StrCat("Intel PCS: does not serve ", KindName(kind)));
  }
}

absl::StatusOr<CollateralItem> PcsClient::Fetch(CollateralKind kind, absl::string_view key) {
  CONCORD_ASSIGN_OR_RETURN(std::string target, Target(kind, key));
  const std::string what = absl::StrCat("Intel PCS ", KindName(kind));
  CONCORD_ASSIGN_OR_RETURN(
      net::HttpResponse response,
      DoGet(fetcher_, target, what, server_gate_, nullptr, clock_, options_.default_retry_after));
  CollateralItem item = ServedItem(kind, key, response);
  absl::string_view header;
  switch (kind) {
    case CollateralKind::kTdxTcbInfo:
      header = "TCB-Info-Issuer-Chain";
      break;
    case CollateralKind::kTdxQeIdentity:
      header = "SGX-Enclave-Identity-Issuer-Chain";
      break;
    case CollateralKind::kTdxPckCrl:
      header = "SGX-PCK-CRL-Issuer-Chain";
      break;
    default:
      break;
  }
  if (!header.empty()) {
    std::optional<std::string> chain = response.Header(header);
    if (!chain.has_value() || chain->empty()) {
      return absl::DataLossError(absl::StrCat(what, ": header ", header, ": missing"));
    }
    if (chain->size() > 3 * kMaxIssuerChainSize) {
      return absl::DataLossError(absl::StrCat(what, ": header ", header, ": too long"));
    }
    absl::StatusOr<std::string> pem = PercentDecode(*chain);
    if (!pem.ok()) {
      return absl::DataLossError(
          absl::StrCat(what, ": header ", header, ": ", pem.status().message()));
    }
    item.issuer_chain_pem = *std::move(pem);
  }
  if (kind == CollateralKind::kTdxRootCaCrl && !response.body.empty() && response.body[0] != 0x30 &&
      !absl::StartsWith(response.body, "-----")) {
    // Served as hex text by some PCS versions.
    absl::StatusOr<Bytes> der = HexDecode(absl::StripAsciiWhitespace(response.body), "Root CA CRL");
    if (!der.ok()) {
      return absl::DataLossError(absl::StrCat(what, ": want DER, PEM or hex"));
    }
    item.body = *std::move(der);
  }
  return item;
}

absl::StatusOr<CollateralItem> VendorSource::Fetch(CollateralKind kind, absl::string_view key) {
  const bool amd = kind == CollateralKind::kSnpVcek || kind == CollateralKind::kSnpCertChain ||
                   kind == CollateralKind::kSnpCrl;
  CollateralSource* source = amd ? kds_ : pcs_;
  if (source == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("collateral: no ", amd ? "AMD KDS" : "Intel PCS",
                                                   " client configured for ", KindName(kind)));
  }
  return source->Fetch(kind, key);
}

}  // namespace concord::collateral
