// The mesh API (DESIGN §5a): the handshake's evidence check (authenticity
// and binding only), the per-request authorization of a caller against the
// snapshot it is served from (claims verified again when old), and
// workload certificate issuance.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "concord/ca/ca_certs.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/coordinator/authorization.h"
#include "concord/coordinator/internal/impl.h"

namespace concord::coordinator {

using internal::Short;

absl::StatusOr<attest::Claims> Coordinator::Impl::CheckWorkloadEvidence(
    const attest::Evidence& evidence, const std::array<uint8_t, 64>& report_data) const {
  // Authenticity and binding only, in every state: what the caller may do is
  // decided per request, on the snapshot that request is served from
  // (Authorize). A handshake made while uninitialized, in recovery or under
  // an older manifest therefore decides nothing later.
  attest::VerifyOptions options;
  options.at = deps_.clock.Now();
  options.report_data = report_data;
  options.check_reference_values = false;
  return deps_.verifier.Verify(evidence, options);
}

absl::StatusOr<attest::Claims> Coordinator::Impl::CurrentClaims(
    const AttestedCaller& caller) const {
  const absl::Time now = deps_.clock.Now();
  const attest::Claims& claims = caller.claims;
  const bool young =
      now - caller.verified_at <= options_.max_claims_age && caller.verified_at <= now;
  const bool signer_valid = now >= claims.signer_not_before && now <= claims.signer_not_after;
  if (young && signer_valid) {
    return claims;
  }
  if (caller.evidence == nullptr) {
    return absl::UnauthenticatedError(
        "caller: attested claims are past their maximum age; reconnect");
  }
  attest::VerifyOptions options;
  options.at = now;
  options.report_data = caller.report_data;
  options.check_reference_values = false;
  absl::StatusOr<attest::Claims> fresh = deps_.verifier.Verify(*caller.evidence, options);
  if (!fresh.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("caller: evidence verified again: ", fresh.status().message()));
  }
  return fresh;
}

absl::StatusOr<const manifest::PolicyEntry*> Coordinator::Impl::Authorize(
    MeshOperation op, const AttestedCaller& caller, const Active& active) const {
  absl::StatusOr<attest::Claims> claims = CurrentClaims(caller);
  absl::StatusOr<const manifest::PolicyEntry*> entry =
      claims.ok() ? AuthorizeMeshCaller(op, *claims, *active.history.head().manifest,
                                        active.history.generation())
                  : absl::StatusOr<const manifest::PolicyEntry*>(claims.status());
  if (op != MeshOperation::kIssueCertificate && !entry.ok()) {
    Audit(MeshOperationName(op), entry.status(),
          {{"peer_policy", HexEncode(caller.claims.host_data)},
           {"peer_measurement", HexEncode(caller.claims.measurement)},
           {"generation", absl::StrCat(active.history.generation())},
           {"head", Short(active.history.head().hash)}});
  }
  return entry;
}

absl::StatusOr<WorkloadCertificate> Coordinator::Impl::IssueMeshCertificate(
    const AttestedCaller& caller, const crypto::PublicKey& key,
    std::optional<absl::Duration> lifetime) {
  if (lifetime.has_value() &&
      (*lifetime <= absl::ZeroDuration() || *lifetime > options_.leaf_lifetime)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lifetime_seconds: want 1 to ", absl::ToInt64Seconds(options_.leaf_lifetime)));
  }
  // One snapshot: the caller is authorized against it and served from it.
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> snapshot,
                           ServingActive("mesh certificate", nullptr));
  CONCORD_ASSIGN_OR_RETURN(const manifest::PolicyEntry* entry,
                           Authorize(MeshOperation::kIssueCertificate, caller, *snapshot));
  manifest::PolicyHash policy{};
  std::copy(caller.claims.host_data.begin(), caller.claims.host_data.end(), policy.begin());
  const uint64_t generation = snapshot->history.generation();
  absl::StatusOr<ca::Sans> sans = ca::ClassifySans(entry->sans);
  if (!sans.ok()) {
    // The manifest allows a policy without SANs; such a policy can hold a
    // secret but not a certificate. The operator has to change the manifest.
    return absl::FailedPreconditionError(
        absl::StrCat("mesh certificate: policy \"", entry->name, "\": ", sans.status().message()));
  }
  CONCORD_ASSIGN_OR_RETURN(
      ca::IssuedCertificate leaf,
      snapshot->issuer->Issue(key, *sans, lifetime.value_or(options_.leaf_lifetime)));
  const ca::CaBundle& bundle = snapshot->issuer->bundle();
  WorkloadCertificate out;
  out.chain_pem = bundle.WorkloadChainPem(leaf.der);
  out.leaf = std::move(leaf);
  out.mesh_ca_pem = bundle.MeshCaPem();
  out.root_ca_pem = bundle.RootCaPem();
  if (entry->workload_secret_id.has_value()) {
    CONCORD_ASSIGN_OR_RETURN(out.workload_secret,
                             snapshot->seed->DeriveWorkloadSecret(*entry->workload_secret_id));
  }
  out.policy_name = entry->name;
  out.policy = policy;
  out.generation = generation;
  return out;
}

}  // namespace concord::coordinator
