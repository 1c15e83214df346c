// Appends transitions to the history (DESIGN.md §6): builds the transition
// and its objects, checks the authorization rules, signs the new `latest`
// with the history key and commits everything in one Store::Commit() whose
// expected value is the `latest` the caller verified. Used by the coordinator
// for the first set, manifest updates and manual recovery. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"
#include "concord/history/format.h"
#include "concord/history/verifier.h"
#include "concord/store/store.h"

namespace concord::history {

struct AppendRequest {
  TransitionKind kind = TransitionKind::kManifest;
  // kManifest: the new manifest's exact bytes. kRecovery: empty (the current
  // manifest is kept).
  Bytes manifest;
  // Policy documents to store under policies/<sha256> (may be empty).
  std::vector<Bytes> policies;
  // The CA bundle made for this transition (opaque here), stored under
  // certs/<sha256>.
  Bytes ca_bundle;
  // The owner's signature over AuthorizationMessage(kind, manifest hash,
  // hash of the head of `base`, or for genesis the challenge below).
  std::optional<Authorization> authorization;
  // Genesis only: the one-time challenge the uninitialized coordinator issued
  // for this first set; it takes the previous-hash field of the genesis
  // transition (zeros when absent), so a first set cannot be replayed onto
  // another replica or after `latest` is lost (docs/protocol.md).
  std::optional<crypto::Sha256Digest> genesis_challenge;
};

class HistoryWriter final {
 public:
  // `store` must outlive the writer. InvalidArgument unless `history_key` is
  // ECDSA P-384.
  static absl::StatusOr<std::unique_ptr<HistoryWriter>> Create(store::Store& store,
                                                               crypto::PrivateKey history_key,
                                                               AuthorizationOptions options);

  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  const crypto::PublicKey& history_public_key() const { return history_key_.public_key(); }

  // Appends one transition on top of `base`, a history the caller verified
  // (std::nullopt: the store must have no latest yet, and this is genesis).
  // Returns the extended history. Errors:
  //  - InvalidArgument: malformed manifest or request (as Manifest::Parse
  //    and the transition format say), recovery that names a manifest;
  //  - FailedPrecondition: recovery without a history, update of an
  //    immutable manifest, or as manifest::ValidateUpdate() says;
  //  - PermissionDenied / Unauthenticated: missing, unauthorized or invalid
  //    owner authorization (a signature over another head also lands here);
  //  - Aborted: `latest` is no longer `base` (lost swap; re-verify, retry);
  //  - store errors such as Unavailable (outcome unknown: re-verify).
  absl::StatusOr<VerifiedHistory> Append(const std::optional<VerifiedHistory>& base,
                                         const AppendRequest& request);

 private:
  HistoryWriter(store::Store& store, crypto::PrivateKey history_key, AuthorizationOptions options);

  store::Store& store_;
  const crypto::PrivateKey history_key_;
  const AuthorizationOptions options_;
};

}  // namespace concord::history
