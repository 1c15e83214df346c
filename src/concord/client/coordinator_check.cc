#include "concord/client/coordinator_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/snp/verifier.h"
#include "concord/common/hex.h"

namespace concord::client {

std::vector<CoordinatorExpectation> ExpectationsFromManifest(const manifest::Manifest& m) {
  std::vector<CoordinatorExpectation> out;
  for (const manifest::PolicyHash& policy : m.CoordinatorPolicies()) {
    out.push_back(CoordinatorExpectation{policy, m.ReferenceValuesFor(policy)});
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> MakeCoordinatorVerifier(
    const std::vector<CoordinatorExpectation>& expectations) {
  bool simulated = false;
  for (const CoordinatorExpectation& e : expectations) {
    simulated = simulated || !e.reference_values.simulated.empty();
  }
  absl::StatusOr<std::unique_ptr<attest::SnpVerifier>> verifier =
      attest::SnpVerifier::Create(attest::SnpVerifier::Options{.allow_simulated = simulated});
  if (!verifier.ok()) {
    return verifier.status();
  }
  return std::shared_ptr<const attest::EvidenceVerifier>(*std::move(verifier));
}

net::ServerEvidenceCheck MakeCoordinatorCheck(
    std::vector<CoordinatorExpectation> expectations,
    std::shared_ptr<const attest::EvidenceVerifier> verifier, Clock& clock) {
  return [expectations = std::move(expectations), verifier = std::move(verifier), &clock](
             const attest::Evidence& evidence,
             const std::array<uint8_t, 64>& expected_report_data) -> absl::StatusOr<attest::Claims> {
    if (evidence.platform == attest::Platform::kTdx) {
      return absl::PermissionDeniedError(
          "coordinator evidence: tdx evidence is not supported by this client");
    }
    // The policy is read from the (not yet verified) report only to pick the
    // reference values; the verifier then requires exactly that HOST_DATA.
    absl::StatusOr<attest::SnpReport> report = attest::SnpReport::Parse(evidence.report);
    if (!report.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("coordinator evidence: ", report.status().message()));
    }
    const CoordinatorExpectation* match = nullptr;
    for (const CoordinatorExpectation& e : expectations) {
      if (e.policy == report->host_data) {
        match = &e;
        break;
      }
    }
    if (match == nullptr) {
      return absl::PermissionDeniedError(absl::StrCat("coordinator policy ",
                                                      HexEncode(report->host_data),
                                                      " is not one the manifest allows"));
    }
    attest::VerifyOptions options;
    options.at = clock.Now();
    options.report_data = expected_report_data;
    options.host_data = match->policy;
    options.reference_values = match->reference_values;
    options.check_reference_values = true;
    return verifier->Verify(evidence, options);
  };
}

}  // namespace concord::client
