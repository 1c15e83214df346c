#include "concord/initializer/mesh_source.h"

#include <utility>
#include <vector>

#include "concord/client/coordinator_check.h"
#include "concord/common/status_macros.h"

namespace concord::initializer {

absl::StatusOr<std::unique_ptr<MeshCertificateSource>> MeshCertificateSource::Create(
    client::Endpoint endpoint, const WorkloadPolicy& policy,
    std::unique_ptr<attest::Attester> attester, Clock& clock,
    std::optional<absl::Duration> lifetime, const std::string& collateral_dir) {
  if (attester == nullptr) {
    return absl::InvalidArgumentError("mesh certificate source: an attester is required");
  }
  std::vector<client::CoordinatorExpectation> expectations;
  for (const manifest::PolicyHash& h : policy.coordinator_policies) {
    expectations.push_back(client::CoordinatorExpectation{h, policy.coordinator_reference_values});
  }
  CONCORD_ASSIGN_OR_RETURN(
      std::shared_ptr<const attest::EvidenceVerifier> verifier,
      client::MakeCoordinatorVerifier(expectations, {.collateral_dir = collateral_dir}, clock));
  net::ServerEvidenceCheck check =
      client::MakeCoordinatorCheck(std::move(expectations), std::move(verifier), clock);
  return std::unique_ptr<MeshCertificateSource>(new MeshCertificateSource(
      std::move(endpoint), std::move(attester), std::move(check), lifetime));
}

absl::StatusOr<client::MeshCertificate> MeshCertificateSource::Request(
    const crypto::PrivateKey& key, absl::Duration timeout) {
  return client::RequestMeshCertificate(endpoint_, key, *attester_, check_, lifetime_, timeout);
}

}  // namespace concord::initializer
