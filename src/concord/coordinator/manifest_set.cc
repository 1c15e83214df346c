// Manifest sets (DESIGN §6): the first set (its one-time challenge, the
// check that no peer already has a history, the idempotent retry) and
// owner-authorized updates, plus seed-share re-issue.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/ca/ca_certs.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/coordinator/internal/impl.h"
#include "concord/crypto/hash.h"
#include "concord/history/format.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/seed/secrets.h"
#include "concord/seed/seed_shares.h"

namespace concord::coordinator {
namespace {

using history::TransitionKind;
using history::VerifiedHistory;
using internal::IsTransient;
using internal::Prefixed;
using internal::Short;

bool IsZero(const crypto::Sha256Digest& hash) {
  return std::all_of(hash.begin(), hash.end(), [](uint8_t b) { return b == 0; });
}

bool SameAuthorization(const std::optional<history::Authorization>& a,
                       const std::optional<history::Authorization>& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  return !a.has_value() ||
         (a->owner_key.spki_der() == b->owner_key.spki_der() && a->signature == b->signature);
}

}  // namespace

absl::StatusOr<TransitionResult> Coordinator::Impl::SetManifest(const SetManifestRequest& request) {
  size_t total = request.manifest.size();
  for (const Bytes& policy : request.policies) {
    total += policy.size();
  }
  if (total > manifest::kMaxManifestSize) {
    return absl::InvalidArgumentError(absl::StrCat("manifest: manifest and policies: want at most ",
                                                   manifest::kMaxManifestSize,
                                                   " bytes in total, got ", total));
  }
  if (state() == State::kUninitialized) {
    // Asked without holding write_mu_: a network round trip.
    CONCORD_RETURN_IF_ERROR(CheckNoPeerHasAHistory(request));
  }
  absl::MutexLock write_lock(&write_mu_);
  BeginStoreRound();
  const State current = state();
  switch (current) {
    case State::kUninitialized:
      return FirstSet(request);
    case State::kReady:
      return Update(request);
    case State::kRecovery:
    case State::kStale:
      return WrongState("manifest", current);
  }
  return absl::InternalError("manifest: unknown state");
}

absl::Status Coordinator::Impl::CheckNoPeerHasAHistory(const SetManifestRequest& request) {
  if (deps_.peers == nullptr) {
    return absl::OkStatus();
  }
  // The caller first: a first set that this replica would refuse anyway
  // (another replica's challenge, a signature that does not verify) costs
  // no peer round trip.
  if (request.genesis_challenge.has_value() && *request.genesis_challenge != genesis_challenge_) {
    return absl::OkStatus();  // FirstSet refuses it
  }
  if (request.authorization.has_value() &&
      !history::VerifyAuthorization(
           *request.authorization, TransitionKind::kManifest, crypto::Sha256(request.manifest),
           request.genesis_challenge.value_or(crypto::Sha256Digest{}), &verified_authorizations_)
           .ok()) {
    return absl::OkStatus();  // FirstSet refuses it
  }
  for (const FromPeer<PeerHead>& head : deps_.peers->ExchangeHeads(Bytes())) {
    if (head.value.latest.empty() || !AcceptPeer(head.claims).ok()) {
      continue;
    }
    absl::StatusOr<history::Latest> latest = history::ParseLatest(head.value.latest);
    const std::string generation =
        latest.ok() ? absl::StrCat(latest->generation) : std::string("unreadable");
    RaiseAlarm(absl::StrCat("a first set was attempted while peer ", head.peer,
                            " reports a history (generation ", generation,
                            "): is the store's latest lost?"));
    return absl::FailedPreconditionError(absl::StrCat(
        "manifest: peer ", head.peer, " reports a history (generation ", generation,
        "): a first set here would fork the deployment; restore the store's latest or let "
        "this replica recover from its peers"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Coordinator::Impl::PendingFirstSet>>
Coordinator::Impl::PrepareFirstSet(const SetManifestRequest& request,
                                   const manifest::Manifest& manifest) const {
  auto pending = std::make_unique<PendingFirstSet>();
  pending->manifest = request.manifest;
  pending->policies = request.policies;
  pending->authorization = request.authorization;
  pending->genesis_challenge = request.genesis_challenge;
  CONCORD_ASSIGN_OR_RETURN(seed::SeedSecrets seed, seed::SeedSecrets::Generate(deps_.random));
  CONCORD_ASSIGN_OR_RETURN(seed::MeshSecret mesh, seed::MeshSecret::Generate(deps_.random));
  pending->seed = std::make_shared<const seed::SeedSecrets>(std::move(seed));
  pending->mesh = std::make_shared<const seed::MeshSecret>(std::move(mesh));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey root_key, pending->seed->DeriveRootCaKey());
  const absl::Time now = deps_.clock.Now();
  CONCORD_ASSIGN_OR_RETURN(Bytes root_der,
                           ca::CreateRootCaCertificate(root_key, "", now, deps_.random));
  // The genesis transition's previous-hash field: the challenge, or zeros.
  const crypto::Sha256Digest previous = request.genesis_challenge.value_or(crypto::Sha256Digest{});
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey mesh_key,
                           pending->mesh->DeriveMeshCaKey(1, previous, manifest.hash()));
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle,
                           ca::CreateCaBundle(root_key, root_der, mesh_key, 1, now, deps_.random));
  pending->bundle = bundle.Serialize();
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey history_key, pending->seed->DeriveHistoryKey());
  CONCORD_ASSIGN_OR_RETURN(
      pending->verifier,
      history::HistoryVerifier::Create(deps_.store, history_key.public_key(), AuthOptions()));
  CONCORD_ASSIGN_OR_RETURN(
      pending->writer,
      history::HistoryWriter::Create(deps_.store, std::move(history_key), AuthOptions()));
  return pending;
}

absl::StatusOr<TransitionResult> Coordinator::Impl::FirstSet(const SetManifestRequest& request) {
  if (request.expected_previous.has_value() && !IsZero(*request.expected_previous)) {
    return absl::AbortedError(absl::StrCat("manifest: expected_previous ",
                                           HexEncode(*request.expected_previous),
                                           " is not the head: no manifest has been set yet"));
  }
  absl::StatusOr<manifest::Manifest> manifest = manifest::Manifest::Parse(request.manifest);
  if (!manifest.ok()) {
    return manifest.status();
  }
  CONCORD_RETURN_IF_ERROR(manifest::ValidateForPlatforms(*manifest, options_.launch.platforms));
  // The one-time challenge: a signed first set signs over the challenge this
  // replica issued, so a recorded one (the genesis objects are public)
  // cannot be replayed here, after `latest` is lost or onto a new replica.
  if (request.genesis_challenge.has_value() &&
      (IsZero(genesis_challenge_) || *request.genesis_challenge != genesis_challenge_)) {
    return absl::AbortedError(
        "manifest: challenge: not the one this replica issued (GET /v1/status shows it while "
        "uninitialized): re-read the status and sign again");
  }
  if (request.authorization.has_value() && !request.genesis_challenge.has_value()) {
    return absl::InvalidArgumentError(
        "challenge: required with a signed first set: sign over the challenge GET /v1/status "
        "shows (in place of the previous transition hash)");
  }
  // Fail before anything is committed if shares cannot be made.
  if (manifest->seedshare_owner_keys().size() > seed::kMaxSeedShares) {
    return absl::InvalidArgumentError("manifest: SeedshareOwnerKeys: too many keys");
  }
  if (pending_ == nullptr || pending_->manifest != request.manifest ||
      pending_->policies != request.policies ||
      !SameAuthorization(pending_->authorization, request.authorization) ||
      pending_->genesis_challenge != request.genesis_challenge) {
    CONCORD_ASSIGN_OR_RETURN(pending_, PrepareFirstSet(request, *manifest));
  }
  history::AppendRequest append;
  append.kind = TransitionKind::kManifest;
  append.manifest = request.manifest;
  append.policies = request.policies;
  append.ca_bundle = pending_->bundle;
  append.authorization = request.authorization;
  append.genesis_challenge = request.genesis_challenge;
  absl::StatusOr<VerifiedHistory> appended = pending_->writer->Append(std::nullopt, append);
  if (appended.ok()) {
    CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle, ca::CaBundle::Parse(pending_->bundle));
    return AdoptFirstSet(*std::move(appended), *manifest, std::move(bundle));
  }
  if (appended.status().code() == absl::StatusCode::kAborted) {
    // A `latest` exists: ours from an attempt whose reply was lost, or
    // another coordinator's.
    absl::StatusOr<VerifiedHistory> ours = pending_->verifier->Verify();
    if (ours.ok() && ours->generation() == 1 &&
        ours->head().transition.manifest_hash == manifest->hash() &&
        SameAuthorization(ours->head().transition.authorization, request.authorization)) {
      // Serve the bundle that was committed, which need not be the one
      // prepared now (certificate signatures are randomized).
      CONCORD_ASSIGN_OR_RETURN(ca::CaBundle stored,
                               ReadBundle(ours->head().transition.ca_bundle_hash));
      return AdoptFirstSet(*std::move(ours), *manifest, std::move(stored));
    }
    pending_.reset();
    {
      absl::MutexLock lock(&queue_mu_);
      reread_ = true;  // the watch loop moves this replica to recovery
    }
    return absl::AbortedError(
        "manifest: another coordinator set the first manifest; this replica enters recovery");
  }
  if (!IsTransient(appended.status())) {
    pending_.reset();  // refused: nothing was committed
  }
  return Prefixed("manifest", appended.status());
}

absl::StatusOr<TransitionResult> Coordinator::Impl::AdoptFirstSet(
    VerifiedHistory history, const manifest::Manifest& manifest, ca::CaBundle bundle) {
  CONCORD_ASSIGN_OR_RETURN(seed::SeedSharesDocument shares,
                           seed::MakeSeedShares(*pending_->seed, manifest.seedshare_owner_keys()));
  TransitionResult result{history.head().hash, history.generation(), bundle, std::move(shares)};
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Active> next,
                           BuildActive(std::move(history), pending_->seed, pending_->mesh, bundle));
  verifier_ = std::move(pending_->verifier);
  writer_ = std::move(pending_->writer);
  pending_.reset();
  deps_.log.Info("first manifest set", {{"replica", options_.replica_name},
                                        {"generation", "1"},
                                        {"transition", Short(result.transition_hash)},
                                        {"manifest", Short(manifest.hash())}});
  absl::MutexLock lock(&mu_);
  active_ = std::move(next);
  unverified_.reset();
  ConfirmLeaseFromStore();
  SetState(State::kReady, "first manifest committed");
  return result;
}

absl::StatusOr<TransitionResult> Coordinator::Impl::RetriedFirstSet(const Active& current) {
  const history::VerifiedTransition& genesis = *current.history.transitions.front();
  CONCORD_ASSIGN_OR_RETURN(ca::CaBundle bundle, ReadBundle(genesis.transition.ca_bundle_hash));
  Memo& memo = *current.memo;
  absl::MutexLock lock(&memo.mu);
  if (memo.retried_shares == nullptr) {
    CONCORD_ASSIGN_OR_RETURN(
        seed::SeedSharesDocument shares,
        seed::MakeSeedShares(*current.seed, genesis.manifest->seedshare_owner_keys()));
    memo.retried_shares = std::make_shared<const seed::SeedSharesDocument>(std::move(shares));
  }
  return TransitionResult{genesis.hash, 1, std::move(bundle), *memo.retried_shares};
}

absl::StatusOr<TransitionResult> Coordinator::Impl::Update(const SetManifestRequest& request) {
  std::shared_ptr<const Active> current = active();
  const history::VerifiedTransition& head = current->history.head();
  if (!request.expected_previous.has_value() || IsZero(*request.expected_previous)) {
    // A retried first set (its reply was lost): the same manifest, the
    // same signature over the same challenge.
    const history::VerifiedTransition& genesis = *current->history.transitions.front();
    if (genesis.manifest->bytes() == request.manifest &&
        SameAuthorization(genesis.transition.authorization, request.authorization)) {
      return RetriedFirstSet(*current);
    }
    return absl::AbortedError(
        absl::StrCat("manifest: a history exists (head ", HexEncode(head.hash), ", generation ",
                     current->history.generation(), "): re-read it and send expected_previous"));
  }
  if (*request.expected_previous != head.hash) {
    return absl::AbortedError(
        absl::StrCat("manifest: expected_previous ", HexEncode(*request.expected_previous),
                     " is not the head ", HexEncode(head.hash), ": re-read and retry"));
  }
  absl::StatusOr<manifest::Manifest> next = manifest::Manifest::Parse(request.manifest);
  if (!next.ok()) {
    return next.status();
  }
  CONCORD_RETURN_IF_ERROR(manifest::ValidateForPlatforms(*next, options_.launch.platforms));
  const manifest::Manifest& previous = *head.manifest;
  if (previous.workload_owner_keys().empty()) {
    return absl::FailedPreconditionError(
        "manifest: the current manifest is immutable (no WorkloadOwnerKeys)");
  }
  if (!request.authorization.has_value()) {
    return absl::PermissionDeniedError(
        "manifest: authorization: required, by a WorkloadOwnerKeys entry of the current manifest");
  }
  if (!previous.IsWorkloadOwner(request.authorization->owner_key)) {
    return absl::PermissionDeniedError(
        "manifest: authorization.owner_key: not a WorkloadOwnerKeys entry of the current manifest");
  }
  CONCORD_RETURN_IF_ERROR(history::VerifyAuthorization(*request.authorization,
                                                       TransitionKind::kManifest, next->hash(),
                                                       head.hash, &verified_authorizations_));
  CONCORD_RETURN_IF_ERROR(manifest::ValidateUpdate(previous, *next));

  const uint64_t generation = current->history.generation() + 1;
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey mesh_key,
                           current->mesh->DeriveMeshCaKey(generation, head.hash, next->hash()));
  CONCORD_ASSIGN_OR_RETURN(
      ca::CaBundle bundle,
      ca::CreateCaBundle(*current->root_key, current->issuer->bundle().root_der(), mesh_key,
                         generation, deps_.clock.Now(), deps_.random));
  history::AppendRequest append;
  append.kind = TransitionKind::kManifest;
  append.manifest = request.manifest;
  append.policies = request.policies;
  append.ca_bundle = bundle.Serialize();
  append.authorization = request.authorization;
  absl::StatusOr<VerifiedHistory> appended = writer_->Append(current->history, append);
  if (!appended.ok()) {
    if (IsTransient(appended.status())) {
      absl::MutexLock lock(&queue_mu_);
      reread_ = true;  // outcome unknown: the watch loop re-reads and follows
    }
    return Prefixed("manifest", appended.status());
  }
  TransitionResult result{appended->head().hash, appended->generation(), bundle, std::nullopt};
  CONCORD_ASSIGN_OR_RETURN(
      std::shared_ptr<const Active> updated,
      BuildActive(*std::move(appended), current->seed, current->mesh, bundle, current.get()));
  deps_.log.Info("manifest updated", {{"replica", options_.replica_name},
                                      {"generation", absl::StrCat(result.generation)},
                                      {"transition", Short(result.transition_hash)},
                                      {"manifest", Short(next->hash())}});
  absl::MutexLock lock(&mu_);
  active_ = std::move(updated);
  ConfirmLeaseFromStore();
  return result;
}

absl::StatusOr<seed::SeedSharesDocument> Coordinator::Impl::SeedShare(
    const crypto::PublicKey& caller) {
  const auto [current, snapshot] = StateAndActive();
  if (current == State::kRecovery || current == State::kStale) {
    return absl::UnavailableError(
        absl::StrCat("seed shares: state ", StateName(current), ": ask a ready replica"));
  }
  if (current != State::kReady || snapshot == nullptr) {
    return WrongState("seed shares", current);
  }
  if (!snapshot->history.head().manifest->IsSeedshareOwner(caller)) {
    return absl::PermissionDeniedError("seed shares: the caller is not a seed-share owner");
  }
  return seed::MakeSeedShares(*snapshot->seed, {caller});
}

}  // namespace concord::coordinator
