// What a client expects of the coordinator and how it checks it (DESIGN.md
// §1, §5): the coordinator policy hashes it accepts, with the reference
// values for each, from the operator's local manifest (CLI) or the
// workload's own policy document (concord-init). The check runs inside the
// aTLS handshake, before anything is sent. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "concord/attest/evidence.h"
#include "concord/attest/reference_values.h"
#include "concord/common/clock.h"
#include "concord/manifest/manifest.h"
#include "concord/net/client.h"

namespace concord::client {

struct CoordinatorExpectation {
  manifest::PolicyHash policy{};
  attest::ReferenceValues reference_values;
};

// The manifest's coordinator policies with their effective reference values.
std::vector<CoordinatorExpectation> ExpectationsFromManifest(const manifest::Manifest& m);

struct CoordinatorVerifierOptions {
  // A collateral bundle directory (`concord collateral export`, docs/
  // collateral.md): TDX coordinators need one (TCB info, QE identity, CRLs),
  // and it supplies the VCEK for SNP evidence that carries none. Empty: SNP
  // with its own VCEK and simulated evidence only.
  std::string collateral_dir;
};

// A verifier for coordinator evidence: SNP with the compiled-in AMD roots,
// TDX with the Intel root and the bundle's collateral, plus simulated
// evidence when any expectation has simulated reference values. The bundle
// is read and every record re-validated at `clock`'s time here: errors of
// collateral::ReadBundleDir / ImportBundle (InvalidArgument for an unreadable
// or malformed bundle, FailedPrecondition for expired or older items,
// Unauthenticated for a bad signature). `clock` must outlive the verifier.
absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> MakeCoordinatorVerifier(
    const std::vector<CoordinatorExpectation>& expectations,
    const CoordinatorVerifierOptions& options, const Clock& clock);
absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> MakeCoordinatorVerifier(
    const std::vector<CoordinatorExpectation>& expectations);

// The handshake check: the policy the evidence names (HOST_DATA on SNP,
// MRCONFIGID[0:32] on TDX) must be one of the expected policies, and the evidence must verify (at
// clock.Now()) with that policy's reference values and the expected report data. PermissionDenied
// "coordinator policy <hex> is not one the manifest allows" for another
// policy; the verifier's error otherwise. `clock` must outlive the check.
net::ServerEvidenceCheck MakeCoordinatorCheck(
    std::vector<CoordinatorExpectation> expectations,
    std::shared_ptr<const attest::EvidenceVerifier> verifier, Clock& clock);

}  // namespace concord::client
