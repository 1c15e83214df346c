// Reference-value matching on verified claims (DESIGN §5a): the one place
// that decides whether what authentic evidence states is acceptable under a
// set of reference values. The platform verifiers call it on the claims they
// have just verified; the coordinator calls it again when it serves a
// request, against the reference values of the snapshot it serves from, so a
// check made at handshake time under another manifest never decides a later
// request. Pure functions; thread-safe.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "concord/attest/evidence.h"
#include "concord/attest/reference_values.h"

namespace concord::attest {

// Componentwise a <= b (the FMC component on Turin only).
bool SnpTcbAtMost(const SnpTcb& a, const SnpTcb& b, SnpProduct product);

// The index of the first entry of `refs` for the claims' platform that the
// claims satisfy. PermissionDenied "<platform>: ..." naming the closest
// entry's first failing check, or "no reference values for this platform"
// when `refs` has none for it; InvalidArgument when the claims lack their
// platform's details (not produced by a verifier).
//   snp:       product, measurement, minimum reported TCB, guest policy
//              (SMT, ABI), VMPL, allowed CHIP_IDs;
//   tdx:       MRTD, RTMR0-3 (those set), MRSEAM, XFAM, TD attributes, TCB
//              evaluation number, accepted TCB statuses, allowed PPID/PIID;
//   simulated: the ARK pin and the measurement.
absl::StatusOr<size_t> MatchReferenceValues(const Claims& claims, const ReferenceValues& refs);

}  // namespace concord::attest
