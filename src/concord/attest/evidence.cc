#include "concord/attest/evidence.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/attest/tdx/verifier.h"
#include "concord/common/hex.h"
#include "concord/common/time_format.h"

namespace concord::attest {

absl::string_view PlatformName(Platform platform) {
  switch (platform) {
    case Platform::kSnp:
      return "snp";
    case Platform::kTdx:
      return "tdx";
    case Platform::kSimulated:
      return "simulated";
  }
  return "unknown";
}

absl::StatusOr<std::array<uint8_t, 32>> ClaimedPolicyHash(const Evidence& evidence) {
  std::array<uint8_t, 32> policy{};
  if (evidence.platform == Platform::kTdx) {
    absl::StatusOr<TdxQuote> quote = TdxQuote::Parse(evidence.report);
    if (!quote.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("evidence: ", quote.status().message()));
    }
    std::copy_n(quote->body.mrconfigid.begin(), policy.size(), policy.begin());
    return policy;
  }
  absl::StatusOr<SnpReport> report = SnpReport::Parse(evidence.report);
  if (!report.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("evidence: ", report.status().message()));
  }
  return report->host_data;
}

absl::StatusOr<Platform> ParsePlatform(absl::string_view name) {
  for (Platform p : {Platform::kSnp, Platform::kTdx, Platform::kSimulated}) {
    if (name == PlatformName(p)) {
      return p;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("platform: want snp, tdx or simulated, got \"", name, "\""));
}

nlohmann::json ClaimsToJson(const Claims& claims) {
  nlohmann::json j = nlohmann::json::object();
  j["platform"] = std::string(PlatformName(claims.platform));
  j["product"] = claims.product;
  j["measurement"] = HexEncode(claims.measurement);
  j["report_data"] = HexEncode(claims.report_data);
  j["host_data"] = HexEncode(claims.host_data);
  j["chip_id"] = HexEncode(claims.chip_id);
  if (claims.signer_not_before != absl::InfinitePast()) {
    j["signer_not_before"] = FormatRfc3339(claims.signer_not_before);
  }
  if (claims.signer_not_after != absl::InfiniteFuture()) {
    j["signer_not_after"] = FormatRfc3339(claims.signer_not_after);
  }
  if (claims.snp.has_value()) {
    const SnpClaims& snp = *claims.snp;
    nlohmann::json s = SnpReportToJson(snp.report, snp.product);
    s["signing_key"] = std::string(SnpSigningKeyName(snp.signing_key));
    s["signer_product_name"] = snp.signer_product_name;
    if (snp.matched_reference_value.has_value()) {
      s["matched_reference_value"] = *snp.matched_reference_value;
    }
    j["snp"] = std::move(s);
  }
  if (claims.tdx.has_value()) {
    j["tdx"] = TdxClaimsToJson(*claims.tdx);
  }
  return j;
}

}  // namespace concord::attest
