#include "concord/history/internal/rules.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"

namespace concord::history::internal {
namespace {

// The transition must carry an authorization by a key that `is_owner`
// accepts; `who` names those keys in the messages.
absl::Status RequireAuthorizationBy(const Transition& t, absl::string_view who,
                                    const std::function<bool(const crypto::PublicKey&)>& is_owner) {
  if (!t.authorization.has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat("authorization: missing, want a signature by ", who));
  }
  if (!is_owner(t.authorization->owner_key)) {
    return absl::PermissionDeniedError(
        absl::StrCat("authorization: key ", HexEncode(t.authorization->owner_key.SpkiSha256()),
                     " is not ", who));
  }
  return absl::OkStatus();
}

absl::Status CheckGenesis(const Transition& t, const manifest::Manifest& manifest,
                          const AuthorizationOptions& options) {
  if (t.generation != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("generation: want 1 for the first transition, got ", t.generation));
  }
  if (t.kind != TransitionKind::kManifest) {
    return absl::InvalidArgumentError("kind: the first transition must set a manifest");
  }
  if (!options.genesis_owner_keys.empty()) {
    CONCORD_RETURN_IF_ERROR(
        RequireAuthorizationBy(t, "a pinned genesis owner key", [&](const crypto::PublicKey& key) {
          return std::any_of(
              options.genesis_owner_keys.begin(), options.genesis_owner_keys.end(),
              [&](const crypto::PublicKey& k) { return k.spki_der() == key.spki_der(); });
        }));
  } else if (!manifest.workload_owner_keys().empty()) {
    CONCORD_RETURN_IF_ERROR(RequireAuthorizationBy(
        t, "a WorkloadOwnerKeys entry of the first manifest",
        [&](const crypto::PublicKey& key) { return manifest.IsWorkloadOwner(key); }));
  } else {
    // An immutable first manifest with nothing pinned: nobody can sign it,
    // so a signature would prove nothing and is refused to keep one encoding.
    if (t.authorization.has_value()) {
      return absl::PermissionDeniedError(
          "authorization: unexpected for an immutable first manifest (no WorkloadOwnerKeys, "
          "no pinned genesis key)");
    }
    return absl::OkStatus();
  }
  return VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, t.previous_hash,
                             options.verified);
}

}  // namespace

absl::Status CheckTransition(const Transition& t, const VerifiedTransition* previous,
                             const manifest::Manifest& manifest,
                             const AuthorizationOptions& options) {
  if (manifest.hash() != t.manifest_hash) {
    return absl::InvalidArgumentError("manifest hash: does not match the manifest");
  }
  if (previous == nullptr) {
    return CheckGenesis(t, manifest, options);
  }
  if (t.generation != previous->transition.generation + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "generation: want ", previous->transition.generation + 1, ", got ", t.generation));
  }
  if (t.previous_hash != previous->hash) {
    return absl::InvalidArgumentError(absl::StrCat(
        "previous hash: want ", HexEncode(previous->hash), ", got ", HexEncode(t.previous_hash)));
  }
  const manifest::Manifest& current = *previous->manifest;
  switch (t.kind) {
    case TransitionKind::kManifest: {
      if (current.workload_owner_keys().empty()) {
        return absl::FailedPreconditionError(
            "the current manifest is immutable (no WorkloadOwnerKeys)");
      }
      CONCORD_RETURN_IF_ERROR(manifest::ValidateUpdate(current, manifest));
      CONCORD_RETURN_IF_ERROR(RequireAuthorizationBy(
          t, "a WorkloadOwnerKeys entry of the previous manifest",
          [&](const crypto::PublicKey& key) { return current.IsWorkloadOwner(key); }));
      break;
    }
    case TransitionKind::kRecovery: {
      if (t.manifest_hash != previous->transition.manifest_hash) {
        return absl::InvalidArgumentError(
            "manifest hash: a recovery transition must keep the current manifest");
      }
      CONCORD_RETURN_IF_ERROR(RequireAuthorizationBy(
          t, "a SeedshareOwnerKeys entry of the current manifest",
          [&](const crypto::PublicKey& key) { return current.IsSeedshareOwner(key); }));
      break;
    }
  }
  return VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, t.previous_hash,
                             options.verified);
}

}  // namespace concord::history::internal
