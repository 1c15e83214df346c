// Manual recovery (DESIGN §8, POST /v1/recover): a seed-share owner brings
// a replica in recovery or stale back to ready with the seed, committing a
// recovery transition with a fresh mesh secret. The caller is checked
// cheaply against the store's unverified head first, then fully under
// write_mu_ against the verified head.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "concord/ca/ca_certs.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/coordinator/internal/impl.h"
#include "concord/history/format.h"
#include "concord/history/objects.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/seed/secrets.h"

namespace concord::coordinator {
namespace {

using history::TransitionKind;
using history::VerifiedHistory;
using internal::Prefixed;
using internal::Short;

}  // namespace

absl::Status Coordinator::Impl::PrecheckRecoveryCaller(const RecoverRequest& request) const {
  if (request.authorization.owner_key.spki_der() != request.caller.spki_der()) {
    return absl::PermissionDeniedError(
        "recover: authorization.owner_key: must be the caller's key");
  }
  std::optional<UnverifiedHead> head;
  {
    absl::MutexLock lock(&mu_);
    head = unverified_;
  }
  if (!head.has_value() || !head->manifest_hash.has_value()) {
    return absl::OkStatus();  // nothing read yet: the full checks decide
  }
  if (request.expected_previous != head->transition_hash) {
    return absl::AbortedError(
        absl::StrCat("recover: expected_previous ", HexEncode(request.expected_previous),
                     " is not the store's head ", HexEncode(head->transition_hash),
                     ": re-read the status and sign again"));
  }
  if (absl::Status signed_ok = history::VerifyAuthorization(
          request.authorization, TransitionKind::kRecovery, *head->manifest_hash,
          head->transition_hash, &verified_authorizations_);
      !signed_ok.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("recover: authorization: ", signed_ok.message()));
  }
  absl::StatusOr<Bytes> manifest_bytes =
      history::ReadObject(deps_.store, history::ObjectType::kManifest, *head->manifest_hash);
  if (!manifest_bytes.ok()) {
    return absl::OkStatus();  // the full checks report the store's state
  }
  absl::StatusOr<manifest::Manifest> manifest = manifest::Manifest::Parse(*manifest_bytes);
  if (manifest.ok() && !manifest->IsSeedshareOwner(request.caller)) {
    return absl::PermissionDeniedError(
        "recover: the caller is not a seed-share owner of the store's head manifest");
  }
  return absl::OkStatus();
}

absl::StatusOr<TransitionResult> Coordinator::Impl::Recover(const RecoverRequest& request) {
  // The caller first: nothing that costs this replica or its peers a round
  // trip happens for a caller who is not a seed-share owner of the head.
  CONCORD_RETURN_IF_ERROR(PrecheckRecoveryCaller(request));
  if (!request.force && deps_.peers != nullptr) {
    const State current = state();
    if (current == State::kRecovery || current == State::kStale) {
      // Asked without holding write_mu_: this is a network round trip.
      const std::vector<std::string> ready = ReadyPeers();
      if (!ready.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("recover: ready peers exist (", absl::StrJoin(ready, ", "),
                         "): they recover this replica by themselves; use --force"));
      }
    }
  }
  absl::MutexLock write_lock(&write_mu_);
  BeginStoreRound();
  const State current = state();
  if (current != State::kRecovery && current != State::kStale) {
    return WrongState("recover", current);
  }
  absl::StatusOr<seed::SeedSecrets> secrets =
      seed::SeedSecrets::FromBytes(request.seed, request.salt);
  if (!secrets.ok()) {
    return Prefixed("recover", secrets.status());
  }
  auto seed = std::make_shared<const seed::SeedSecrets>(*std::move(secrets));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey history_key, seed->DeriveHistoryKey());
  const crypto::PublicKey history_public = history_key.public_key();

  // The seed must sign the stored latest before anything else is believed.
  absl::StatusOr<Bytes> latest_bytes = deps_.store.Get(store::kLatestKey);
  if (!latest_bytes.ok()) {
    if (latest_bytes.status().code() == absl::StatusCode::kNotFound) {
      return absl::FailedPreconditionError("recover: the store holds no history (latest missing)");
    }
    return Prefixed("recover", latest_bytes.status());
  }
  absl::StatusOr<history::Latest> latest = history::ParseLatest(*latest_bytes);
  if (!latest.ok()) {
    return absl::DataLossError(absl::StrCat("recover: latest: ", latest.status().message()));
  }
  if (!history::VerifyLatest(history_public, *latest).ok()) {
    return absl::UnauthenticatedError("recover: the seed does not verify the stored history");
  }
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<history::HistoryVerifier> verifier,
      history::HistoryVerifier::Create(deps_.store, history_public, AuthOptions()));
  absl::StatusOr<VerifiedHistory> verified = verifier->VerifyLatest(*latest_bytes);
  if (!verified.ok()) {
    if (verified.status().code() == absl::StatusCode::kDataLoss) {
      RaiseAlarm(absl::StrCat("stored history does not verify: ", verified.status().message()));
    }
    return Prefixed("recover", verified.status());
  }
  const history::VerifiedTransition& head = verified->head();
  if (!head.manifest->IsSeedshareOwner(request.caller)) {
    return absl::PermissionDeniedError(
        "recover: the caller is not a seed-share owner of the current manifest");
  }
  // (authorization.owner_key == caller was checked by PrecheckRecoveryCaller.)
  if (request.expected_previous != head.hash) {
    return absl::AbortedError(absl::StrCat(
        "recover: expected_previous ", HexEncode(request.expected_previous),
        " is not the verified head ", HexEncode(head.hash), ": re-read the status and sign again"));
  }
  if (request.minimum_head.has_value()) {
    const bool found = std::any_of(verified->transitions.begin(), verified->transitions.end(),
                                   [&](const auto& t) { return t->hash == *request.minimum_head; });
    if (!found) {
      return absl::FailedPreconditionError(
          absl::StrCat("recover: minimum head ", HexEncode(*request.minimum_head),
                       " is not in the store's history (head ", HexEncode(head.hash),
                       ", generation ", verified->generation(), "): was the store rolled back?"));
    }
  }
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle head_bundle, ReadBundle(head.transition.ca_bundle_hash));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey root_key, seed->DeriveRootCaKey());
  if (root_key.public_key().spki_der() != head_bundle.root_public_key().spki_der()) {
    return absl::DataLossError("recover: the stored root CA does not match the seed");
  }
  CONCORD_ASSIGN_OR_RETURN(seed::MeshSecret fresh_mesh, seed::MeshSecret::Generate(deps_.random));
  auto mesh = std::make_shared<const seed::MeshSecret>(std::move(fresh_mesh));
  const uint64_t generation = verified->generation() + 1;
  CONCORD_ASSIGN_OR_RETURN(
      crypto::PrivateKey mesh_key,
      mesh->DeriveMeshCaKey(generation, head.hash, head.transition.manifest_hash));
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle,
                           ca::CreateCaBundle(root_key, head_bundle.root_der(), mesh_key,
                                              generation, deps_.clock.Now(), deps_.random));
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<history::HistoryWriter> writer,
      history::HistoryWriter::Create(deps_.store, std::move(history_key), AuthOptions()));
  history::AppendRequest append;
  append.kind = TransitionKind::kRecovery;
  append.ca_bundle = bundle.Serialize();
  append.authorization = request.authorization;
  absl::StatusOr<VerifiedHistory> appended = writer->Append(*verified, append);
  if (!appended.ok()) {
    return Prefixed("recover", appended.status());
  }
  TransitionResult result{appended->head().hash, appended->generation(), bundle, std::nullopt};
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> next,
                           BuildActive(*std::move(appended), seed, mesh, bundle));
  verifier_ = std::move(verifier);
  writer_ = std::move(writer);
  pending_.reset();
  deps_.log.Info("recovered", {{"replica", options_.replica_name},
                               {"generation", absl::StrCat(result.generation)},
                               {"transition", Short(result.transition_hash)}});
  ClearAlarms();
  absl::MutexLock lock(&mu_);
  active_ = std::move(next);
  unverified_.reset();
  ConfirmLeaseFromStore();
  SetState(State::kReady, "manual recovery committed");
  return result;
}

}  // namespace concord::coordinator
