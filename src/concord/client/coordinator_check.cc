#include "concord/client/coordinator_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/attest/snp/verifier.h"
#include "concord/collateral/bundle.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/verifiers.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/store/memory/memory_store.h"

namespace concord::client {

std::vector<CoordinatorExpectation> ExpectationsFromManifest(const manifest::Manifest& m) {
  std::vector<CoordinatorExpectation> out;
  for (const manifest::PolicyHash& policy : m.CoordinatorPolicies()) {
    out.push_back(CoordinatorExpectation{policy, m.ReferenceValuesFor(policy)});
  }
  return out;
}

namespace {

// Owns what the platform verifier reads: the SNP verifier and a collateral
// cache over an in-memory store holding the bundle (possibly empty).
class BundleVerifier final : public attest::EvidenceVerifier {
 public:
  BundleVerifier(std::unique_ptr<attest::SnpVerifier> snp, std::unique_ptr<store::Store> store,
                 std::unique_ptr<collateral::CollateralCache> cache)
      : snp_(std::move(snp)),
        store_(std::move(store)),
        cache_(std::move(cache)),
        platform_(*snp_, *cache_) {}

  absl::StatusOr<attest::Claims> Verify(const attest::Evidence& evidence,
                                        const attest::VerifyOptions& options) const override {
    absl::StatusOr<attest::Claims> claims = platform_.Verify(evidence, options);
    if (absl::IsFailedPrecondition(claims.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          claims.status().message(),
          "; give this client a collateral bundle (--collateral DIR, written by `concord "
          "collateral export`)"));
    }
    return claims;
  }

 private:
  const std::unique_ptr<attest::SnpVerifier> snp_;
  const std::unique_ptr<store::Store> store_;
  const std::unique_ptr<collateral::CollateralCache> cache_;
  const collateral::PlatformVerifier platform_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> MakeCoordinatorVerifier(
    const std::vector<CoordinatorExpectation>& expectations,
    const CoordinatorVerifierOptions& options, const Clock& clock) {
  bool simulated = false;
  for (const CoordinatorExpectation& e : expectations) {
    simulated = simulated || !e.reference_values.simulated.empty();
  }
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<attest::SnpVerifier> snp,
      attest::SnpVerifier::Create(attest::SnpVerifier::Options{.allow_simulated = simulated}));
  std::unique_ptr<store::Store> memory = store::MemoryStore::Create();
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<collateral::CollateralCache> cache,
                           collateral::CollateralCache::Create({memory.get(), &clock}));
  if (!options.collateral_dir.empty()) {
    CONCORD_ASSIGN_OR_RETURN(std::vector<collateral::BundleRecord> records,
                             collateral::ReadBundleDir(options.collateral_dir));
    CONCORD_RETURN_IF_ERROR(collateral::ImportBundle(*cache, records).status());
  }
  return std::shared_ptr<const attest::EvidenceVerifier>(
      std::make_shared<BundleVerifier>(std::move(snp), std::move(memory), std::move(cache)));
}

absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> MakeCoordinatorVerifier(
    const std::vector<CoordinatorExpectation>& expectations) {
  return MakeCoordinatorVerifier(expectations, CoordinatorVerifierOptions(), SystemClock::Get());
}

net::ServerEvidenceCheck MakeCoordinatorCheck(
    std::vector<CoordinatorExpectation> expectations,
    std::shared_ptr<const attest::EvidenceVerifier> verifier, Clock& clock) {
  return
      [expectations = std::move(expectations), verifier = std::move(verifier), &clock](
          const attest::Evidence& evidence,
          const std::array<uint8_t, 64>& expected_report_data) -> absl::StatusOr<attest::Claims> {
        // The policy is read from the (not yet verified) evidence only to pick
        // the reference values; the verifier then requires exactly that policy.
        CONCORD_ASSIGN_OR_RETURN(manifest::PolicyHash policy, attest::ClaimedPolicyHash(evidence));
        const CoordinatorExpectation* match = nullptr;
        for (const CoordinatorExpectation& e : expectations) {
          if (e.policy == policy) {
            match = &e;
            break;
          }
        }
        if (match == nullptr) {
          return absl::PermissionDeniedError(absl::StrCat("coordinator policy ", HexEncode(policy),
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
