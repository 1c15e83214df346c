#include "concord/client/verify_coordinator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/atls/atls_protocol.h"
#include "concord/client/user_api.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/keys.h"
#include "concord/history/format.h"

namespace concord::client {

absl::StatusOr<CoordinatorVerification> VerifyCoordinator(const VerifyCoordinatorRequest& request) {
  atls::Nonce nonce;
  CONCORD_RETURN_IF_ERROR(request.random->Fill(nonce));
  CONCORD_ASSIGN_OR_RETURN(net::HttpResponse attest_reply,
                           request.call("POST", "/v1/attest", EncodeAttestRequest(nonce)));
  CONCORD_ASSIGN_OR_RETURN(AttestResponse attest, ParseAttestResponse(attest_reply.body, nonce));
  if (absl::StatusOr<attest::Claims> claims = VerifyAttestResponse(attest, request.check);
      !claims.ok()) {
    return absl::Status(claims.status().code(),
                        absl::StrCat("attest statement: ", claims.status().message()));
  }
  const atls::AttestStatement& statement = attest.statement;
  if (statement.generation == 0 || !attest.history_key_spki.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the coordinator has no manifest yet (state ", statement.state, ")"));
  }
  absl::StatusOr<crypto::PublicKey> history_key =
      crypto::PublicKey::FromSpkiDer(*attest.history_key_spki);
  if (!history_key.ok()) {
    return absl::DataLossError("attest response: history_key is not a key");
  }

  CONCORD_ASSIGN_OR_RETURN(net::HttpResponse manifests_reply,
                           request.call("GET", "/v1/manifests", ""));
  CONCORD_ASSIGN_OR_RETURN(ManifestsResponse served, ParseManifestsResponse(manifests_reply.body));
  absl::StatusOr<history::VerifiedHistory> verified = VerifyServedHistory(served, *history_key);
  if (!verified.ok()) {
    return absl::Status(verified.status().code(),
                        absl::StrCat("history: ", verified.status().message()));
  }
  const history::VerifiedTransition& head = verified->head();
  if (head.hash != statement.transition_hash || verified->generation() != statement.generation) {
    return absl::AbortedError(absl::StrCat(
        "the served history's head (generation ", verified->generation(), ", ",
        HexEncode(head.hash), ") is not the attested head (generation ", statement.generation, ", ",
        HexEncode(statement.transition_hash), "); the history changed meanwhile: retry"));
  }
  auto bundle_bytes = served.ca_bundles.find(head.transition.ca_bundle_hash);
  if (bundle_bytes == served.ca_bundles.end()) {
    return absl::DataLossError("manifests: the head's CA bundle is missing");
  }
  absl::StatusOr<ca::CaBundle> bundle = ca::CaBundle::Parse(bundle_bytes->second);
  if (!bundle.ok()) {
    return absl::DataLossError(absl::StrCat("head CA bundle: ", bundle.status().message()));
  }
  if (bundle->root_public_key().SpkiSha256() != statement.root_ca_spki_sha256 ||
      bundle->mesh_ca_public_key().SpkiSha256() != statement.mesh_ca_spki_sha256) {
    return absl::PermissionDeniedError(
        "the head's CA certificates are not the ones the attested statement names");
  }

  uint64_t manifest_generation = 0;
  for (const auto& t : verified->transitions) {
    if (t->transition.kind == history::TransitionKind::kManifest) {
      manifest_generation = t->transition.generation;
    }
  }
  const bool newest_is_local = head.manifest->bytes() == request.local_manifest->bytes();
  return CoordinatorVerification{
      .platform = attest.evidence.platform,
      .state = statement.state,
      .history = *std::move(verified),
      .ca_bundle = *std::move(bundle),
      .manifest_generation = manifest_generation,
      .newest_manifest_is_local = newest_is_local,
  };
}

}  // namespace concord::client
