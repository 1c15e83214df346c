// Verifies the manifest history in an untrusted store (DESIGN.md §6): walks
// from the signed `latest` back to genesis, re-hashing every object and
// checking links, generations, owner authorizations and the history key's
// signature. The verified prefix is cached, so a later call checks only new
// transitions, and a `latest` older than one already verified is reported as
// a rollback. Used by the coordinator (following `latest`) and the CLI
// (`concord verify`). Thread-safe: calls are serialised internally.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/key_cache.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/p384_verify.h"
#include "concord/history/format.h"
#include "concord/manifest/manifest.h"
#include "concord/store/store.h"

namespace concord::history {

// One verified transition with its parsed manifest.
struct VerifiedTransition {
  crypto::Sha256Digest hash{};
  Transition transition;
  // Shared with the verifier's cache and with every transition that keeps
  // this manifest (recoveries): manifests are immutable and up to 512 KiB.
  std::shared_ptr<const manifest::Manifest> manifest;
};

// A verified chain, genesis first, and the `latest` that signs its head.
struct VerifiedHistory {
  Latest latest;
  Bytes latest_bytes;  // the exact stored value (Commit's expected_latest)
  // Shared, not copied: a snapshot of a long history costs one pointer per
  // transition, and entries never change once verified.
  std::vector<std::shared_ptr<const VerifiedTransition>> transitions;

  const VerifiedTransition& head() const { return *transitions.back(); }
  uint64_t generation() const { return latest.generation; }
};

// Who may authorize what beyond the manifests themselves.
struct AuthorizationOptions {
  // When non-empty, the genesis transition must be authorized by one of
  // these keys (pinned in the coordinator's measured launch config).
  std::vector<crypto::PublicKey> genesis_owner_keys;
  // Shared with other checks of the same authorizations (VerifyAuthorization);
  // may be null. Must outlive the verifier or writer given these options.
  VerifiedAuthorizations* verified = nullptr;
};

// How a verifier spends the machine; does not change what it accepts.
struct VerifierTuning {
  // Threads used to check new transitions (manifest parsing, authorization
  // signatures). 0: one per hardware thread, at most 8.
  size_t threads = 0;
};

class HistoryVerifier final {
 public:
  // `store` must outlive the verifier. InvalidArgument unless `history_key`
  // is ECDSA P-384.
  static absl::StatusOr<std::unique_ptr<HistoryVerifier>> Create(
      store::Store& store, crypto::PublicKey history_key, AuthorizationOptions options,
      VerifierTuning tuning = VerifierTuning());

  HistoryVerifier(const HistoryVerifier&) = delete;
  HistoryVerifier& operator=(const HistoryVerifier&) = delete;

  // Reads `latest` and verifies the history it names. Returns:
  //  - NotFound if there is no `latest` and nothing was verified before;
  //  - DataLoss naming the object ("latest: ...", "transitions/<hex>: ...",
  //    "manifests/<hex>: ...", "certs/<hex>: ...") for a changed, missing or
  //    truncated object, a forged or foreign signature on latest, a missing or
  //    wrong authorization, a broken link or generation, a latest that
  //    disappeared or is older than one already verified (rollback), or a
  //    history that diverges from the verified prefix;
  //  - store errors such as Unavailable as they come (retry).
  // Nothing is cached from a failed verification.
  absl::StatusOr<VerifiedHistory> Verify();

  // As Verify(), for a `latest` value already read (e.g. by a watch).
  absl::StatusOr<VerifiedHistory> VerifyLatest(ByteView latest_bytes);

  // The newest verified history, if any (no store access).
  std::optional<VerifiedHistory> Cached() const;

  // Transitions fully checked so far (for tests and metrics): an incremental
  // verification adds only the new ones.
  uint64_t transitions_checked() const;

 private:
  HistoryVerifier(store::Store& store, crypto::PublicKey history_key,
                  crypto::P384Verifier fast_history_key, AuthorizationOptions options,
                  size_t threads);

  // Reads, re-hashes and parses one manifest. Touches no guarded state, so
  // it runs on the worker threads.
  absl::StatusOr<std::shared_ptr<const manifest::Manifest>> LoadManifest(
      const crypto::Sha256Digest& hash);

  store::Store& store_;
  const crypto::PublicKey history_key_;
  const crypto::P384Verifier fast_history_key_;
  const AuthorizationOptions options_;
  mutable absl::Mutex mu_;
  std::optional<VerifiedHistory> cache_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<crypto::Sha256Digest, std::shared_ptr<const manifest::Manifest>> manifests_
      ABSL_GUARDED_BY(mu_);
  const size_t threads_;
  // Parsed owner keys by SPKI DER (transitions and manifests); bounded
  // because the keys come from the untrusted store. Thread-safe itself.
  crypto::PublicKeyCache owner_keys_;
  uint64_t checked_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace concord::history
