// Who may do what on the mesh API, decided per request (DESIGN §5a). The
// handshake only establishes that a caller's evidence is authentic and bound
// to its connection; every request is then authorized here against the
// reference values, policy and role of the one snapshot (manifest and launch
// config) the request is served from. Nothing checked earlier, under another
// state or manifest, decides a later request.
//
//   kIssueCertificate  the caller's policy hash (HOST_DATA / MRCONFIGID) is a
//                      policy of the manifest and its evidence matches that
//                      policy's reference values;
//   kPeerRecovery,     as above, for a policy with Role coordinator: the
//   kPeerHead          operator-signed manifest decides which coordinators
//                      are served (an upgrade adds its new coordinator
//                      policy there), always on full evidence.
//
// The peer identity rule (CheckPeerIdentity) decides the other direction:
// which replicas this one trusts as a source of secrets, of lease
// confirmations and of "ready peers exist". Only the replica's own measured
// launch config decides that, never the store (decision 0025).
//
// Pure functions over their arguments; thread-safe.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/evidence.h"
#include "concord/coordinator/launch_config.h"
#include "concord/manifest/manifest.h"

namespace concord::coordinator {

enum class MeshOperation { kIssueCertificate, kPeerRecovery, kPeerHead };

// "mesh certificate", "peer recovery", "peer head".
absl::string_view MeshOperationName(MeshOperation op);

// The peer identity rule (DESIGN §5a): full evidence against `launch`'s
// ReferenceValues (never the policy hash alone, never this replica's own
// TCB as the floor) and a policy hash that is `launch`'s own or one of its
// RecoveryPolicies. PermissionDenied "peer identity: ..." otherwise,
// including when `launch` has no ReferenceValues (no peer can be recognised).
absl::Status CheckPeerIdentity(const attest::Claims& claims, const LaunchConfig& launch);

// May the caller whose verified claims are `claims` do `op` now, under
// `manifest` (generation `generation`)? Returns the manifest
// entry the caller acts as. PermissionDenied naming the operation and the
// failed rule; InvalidArgument for claims without a 32-byte policy hash.
absl::StatusOr<const manifest::PolicyEntry*> AuthorizeMeshCaller(MeshOperation op,
                                                                 const attest::Claims& claims,
                                                                 const manifest::Manifest& manifest,
                                                                 uint64_t generation);

}  // namespace concord::coordinator
