// The coordinator's root secrets and everything derived from them
// (DESIGN.md §3, byte layouts in docs/secrets.md):
//   SeedSecrets (seed + salt) -> root CA key, history key, workload secrets;
//   MeshSecret                -> the per-transition mesh CA key.
// Used by the coordinator (first set, recovery, following transitions) and
// the CLI. Objects are immutable after construction; const methods are
// thread-safe. Neither type can be printed: operator<< writes a placeholder.
#pragma once

#include <cstdint>
#include <ostream>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/common/random.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"

namespace concord::seed {

inline constexpr size_t kSeedSize = 32;
inline constexpr size_t kSaltSize = 32;
inline constexpr size_t kMeshSecretSize = 32;
inline constexpr size_t kWorkloadSecretSize = 32;
inline constexpr size_t kMaxWorkloadSecretIdSize = 128;

// HKDF info labels (ASCII, no terminator). Changing any of them changes every
// derived key: a new derivation gets a new version, never an edited label.
inline constexpr absl::string_view kRootCaKeyLabel = "concord/v1/root-ca-key";
inline constexpr absl::string_view kHistoryKeyLabel = "concord/v1/history-key";
inline constexpr absl::string_view kWorkloadSecretLabelPrefix = "concord/v1/workload-secret/";
inline constexpr absl::string_view kMeshCaKeyLabel = "concord/v1/mesh-ca-key";

// Checks a workload secret id: 1..128 characters of [A-Za-z0-9._-].
// InvalidArgument naming the offending position otherwise.
[[nodiscard]] absl::Status ValidateWorkloadSecretId(absl::string_view id);

// Seed and salt: the recoverable root of the deployment's identity.
class SeedSecrets final {
 public:
  // Draws a fresh 32-byte seed and 32-byte salt from `random`.
  static absl::StatusOr<SeedSecrets> Generate(RandomSource& random);
  // Adopts existing bytes (recovery). InvalidArgument unless both are exactly
  // 32 bytes; the message gives lengths only.
  static absl::StatusOr<SeedSecrets> FromBytes(crypto::SecretBytes seed, crypto::SecretBytes salt);

  SeedSecrets(const SeedSecrets&) = default;
  SeedSecrets& operator=(const SeedSecrets&) = default;
  SeedSecrets(SeedSecrets&&) noexcept = default;
  SeedSecrets& operator=(SeedSecrets&&) noexcept = default;

  const crypto::SecretBytes& seed() const { return seed_; }
  const crypto::SecretBytes& salt() const { return salt_; }

  // The root CA key: deterministic ECDSA P-384 from kRootCaKeyLabel.
  absl::StatusOr<crypto::PrivateKey> DeriveRootCaKey() const;
  // The history key (signs `latest`): deterministic ECDSA P-384 from
  // kHistoryKeyLabel.
  absl::StatusOr<crypto::PrivateKey> DeriveHistoryKey() const;
  // 32 bytes from kWorkloadSecretLabelPrefix + id. InvalidArgument if `id`
  // fails ValidateWorkloadSecretId.
  absl::StatusOr<crypto::SecretBytes> DeriveWorkloadSecret(absl::string_view id) const;

  // Constant-time equality of both seed and salt.
  bool Equals(const SeedSecrets& other) const {
    return seed_.Equals(other.seed_) && salt_.Equals(other.salt_);
  }

  friend std::ostream& operator<<(std::ostream& os, const SeedSecrets&) {
    return os << "[SeedSecrets redacted]";
  }

 private:
  SeedSecrets(crypto::SecretBytes seed, crypto::SecretBytes salt)
      : seed_(std::move(seed)), salt_(std::move(salt)) {}
  crypto::SecretBytes seed_;
  crypto::SecretBytes salt_;
};

// The mesh secret: never in a seed share, replaced at every manual recovery.
class MeshSecret final {
 public:
  // Draws a fresh 32-byte secret from `random`.
  static absl::StatusOr<MeshSecret> Generate(RandomSource& random);
  // InvalidArgument unless `secret` is exactly 32 bytes.
  static absl::StatusOr<MeshSecret> FromBytes(crypto::SecretBytes secret);

  MeshSecret(const MeshSecret&) = default;
  MeshSecret& operator=(const MeshSecret&) = default;
  MeshSecret(MeshSecret&&) noexcept = default;
  MeshSecret& operator=(MeshSecret&&) noexcept = default;

  const crypto::SecretBytes& secret() const { return secret_; }

  // The mesh CA key of the transition with `generation`, whose previous
  // transition hash is `previous_transition_hash` (32 zero bytes for the
  // genesis transition) and whose manifest hash is `manifest_hash`: a
  // deterministic ECDSA P-256 key. InvalidArgument if a hash is not 32 bytes.
  absl::StatusOr<crypto::PrivateKey> DeriveMeshCaKey(uint64_t generation,
                                                     ByteView previous_transition_hash,
                                                     ByteView manifest_hash) const;

  bool Equals(const MeshSecret& other) const { return secret_.Equals(other.secret_); }

  friend std::ostream& operator<<(std::ostream& os, const MeshSecret&) {
    return os << "[MeshSecret redacted]";
  }

 private:
  explicit MeshSecret(crypto::SecretBytes secret) : secret_(std::move(secret)) {}
  crypto::SecretBytes secret_;
};

namespace internal {

// FIPS 186-5 A.2.1-style scalar from HKDF output: d = (c mod (n-1)) + 1 as a
// big-endian integer of the curve's order width. `curve` is P-256 or P-384.
// Exposed for tests. Internal on an OpenSSL failure; messages carry no bytes.
absl::StatusOr<crypto::SecretBytes> ScalarFromBytes(crypto::KeyType curve,
                                                    const crypto::SecretBytes& c);

// The HKDF info for DeriveMeshCaKey: label || generation (8 bytes BE) ||
// previous transition hash (32) || manifest hash (32).
Bytes MeshCaKeyInfo(uint64_t generation, ByteView previous_transition_hash, ByteView manifest_hash);

}  // namespace internal
}  // namespace concord::seed
