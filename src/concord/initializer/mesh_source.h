// The production CertificateSource: an attested connection to the
// coordinator's mesh API (client::RequestMeshCertificate), with this
// process's evidence from an Attester and the coordinator checked against
// the expectations in the workload's own policy document only. Used by
// concord-init. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/attester.h"
#include "concord/client/api_client.h"
#include "concord/common/clock.h"
#include "concord/initializer/initializer.h"
#include "concord/initializer/workload_policy.h"

namespace concord::initializer {

class MeshCertificateSource final : public CertificateSource {
 public:
  // `clock` must outlive the source. `collateral_dir` (may be empty): a
  // collateral bundle for verifying a TDX coordinator, read once here.
  // InvalidArgument if the policy's reference values cannot make a verifier
  // or the bundle cannot be read; the bundle's validation errors otherwise
  // (client::MakeCoordinatorVerifier).
  static absl::StatusOr<std::unique_ptr<MeshCertificateSource>> Create(
      client::Endpoint endpoint, const WorkloadPolicy& policy,
      std::unique_ptr<attest::Attester> attester, Clock& clock,
      std::optional<absl::Duration> lifetime, const std::string& collateral_dir = "");

  MeshCertificateSource(const MeshCertificateSource&) = delete;
  MeshCertificateSource& operator=(const MeshCertificateSource&) = delete;

  absl::StatusOr<client::MeshCertificate> Request(const crypto::PrivateKey& key,
                                                  absl::Duration timeout) override;

 private:
  MeshCertificateSource(client::Endpoint endpoint, std::unique_ptr<attest::Attester> attester,
                        net::ServerEvidenceCheck check, std::optional<absl::Duration> lifetime)
      : endpoint_(std::move(endpoint)),
        attester_(std::move(attester)),
        check_(std::move(check)),
        lifetime_(lifetime) {}

  client::Endpoint endpoint_;
  std::unique_ptr<attest::Attester> attester_;
  net::ServerEvidenceCheck check_;
  std::optional<absl::Duration> lifetime_;
};

}  // namespace concord::initializer
