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

// A verifier for coordinator evidence: SNP with the compiled-in AMD roots,
// plus simulated evidence when any expectation has simulated reference
// values.
absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> MakeCoordinatorVerifier(
    const std::vector<CoordinatorExpectation>& expectations);

// The handshake check: the evidence's HOST_DATA must name one of the
// expected policies, and the evidence must verify (at clock.Now()) with that
// policy's reference values and the expected report data. PermissionDenied
// "coordinator policy <hex> is not one the manifest allows" for another
// policy; the verifier's error otherwise. `clock` must outlive the check.
net::ServerEvidenceCheck MakeCoordinatorCheck(std::vector<CoordinatorExpectation> expectations,
                                              std::shared_ptr<const attest::EvidenceVerifier> verifier,
                                              Clock& clock);

}  // namespace concord::client
