#include "concord/coordinator/authorization.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/attest/match.h"
#include "concord/common/hex.h"

namespace concord::coordinator {
namespace {

absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

}  // namespace

absl::string_view MeshOperationName(MeshOperation op) {
  switch (op) {
    case MeshOperation::kIssueCertificate:
      return "mesh certificate";
    case MeshOperation::kPeerRecovery:
      return "peer recovery";
    case MeshOperation::kPeerHead:
      return "peer head";
  }
  return "mesh operation";
}

absl::Status CheckPeerIdentity(const attest::Claims& claims, const LaunchConfig& launch) {
  if (launch.reference_values.empty()) {
    return absl::PermissionDeniedError(
        "peer identity: the launch config has no ReferenceValues, so no peer can be recognised");
  }
  absl::StatusOr<size_t> matched = attest::MatchReferenceValues(claims, launch.reference_values);
  if (!matched.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("peer identity: evidence does not match the launch config's ReferenceValues: ",
                     matched.status().message()));
  }
  const Bytes own(launch.policy_hash.begin(), launch.policy_hash.end());
  if (claims.host_data == own) {
    return absl::OkStatus();
  }
  for (const manifest::PolicyHash& upgrade : launch.recovery_policies) {
    if (claims.host_data == Bytes(upgrade.begin(), upgrade.end())) {
      return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "peer identity: policy ", HexEncode(claims.host_data),
      " is neither this replica's own launch config nor a RecoveryPolicies entry of it"));
}

absl::StatusOr<const manifest::PolicyEntry*> AuthorizeMeshCaller(MeshOperation op,
                                                                 const attest::Claims& claims,
                                                                 const manifest::Manifest& manifest,
                                                                 uint64_t generation) {
  const absl::string_view what = MeshOperationName(op);
  manifest::PolicyHash policy{};
  if (claims.host_data.size() != policy.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": host data: want ", policy.size(),
                                                   " bytes, got ", claims.host_data.size()));
  }
  std::copy(claims.host_data.begin(), claims.host_data.end(), policy.begin());
  const manifest::PolicyEntry* entry = manifest.FindPolicy(policy);
  if (entry == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "policy ", HexEncode(policy), " is not in the manifest (generation ", generation, ")"));
  }
  // Evidence that reaches a secret-bearing operation is always checked
  // against reference values: never the policy hash alone.
  absl::StatusOr<size_t> matched =
      attest::MatchReferenceValues(claims, manifest.ReferenceValuesFor(policy));
  if (!matched.ok()) {
    return Prefixed(
        absl::StrCat(what, ": policy \"", entry->name, "\" (generation ", generation, ")"),
        matched.status());
  }
  if (op == MeshOperation::kIssueCertificate) {
    return entry;
  }
  if (entry->role != manifest::PolicyRole::kCoordinator) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, ": policy ", HexEncode(policy),
                     " is not a coordinator policy of the manifest (generation ", generation, ")"));
  }
  // Serving a peer is governed by the verified manifest (the operator adds
  // a new coordinator policy for an upgrade, which the old replicas' launch
  // configs cannot name); the launch config's rule governs whom this replica
  // trusts as a source (CheckPeerIdentity; decision 0025).
  return entry;
}

}  // namespace concord::coordinator
