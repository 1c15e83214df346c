// The deployment manifest (DESIGN.md §2, schema in docs/manifest.md): which
// policies may run, with which names, secrets and reference values, and who
// may change the manifest or hold seed shares. Parsed strictly from JSON and
// immutable afterwards; the coordinator, history and CLI use it. A Manifest is
// thread-compatible: const methods may be called concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/reference_values.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/key_cache.h"
#include "concord/crypto/keys.h"

namespace concord::manifest {

// What a policy is for: a workload gets a certificate and its secret; a
// coordinator may also join the coordinator mesh and recover peers.
enum class PolicyRole { kWorkload, kCoordinator };

// One entry of `Policies`, keyed by the policy hash.
struct PolicyEntry {
  std::string name;
  // Subject alternative names for the workload certificate, as written.
  std::vector<std::string> sans;
  std::optional<std::string> workload_secret_id;
  PolicyRole role = PolicyRole::kWorkload;
  // Replaces (does not merge with) the global reference values when set.
  std::optional<attest::ReferenceValues> reference_values;
  friend bool operator==(const PolicyEntry&, const PolicyEntry&) = default;
};

// SHA-256 of a policy document's exact bytes.
using PolicyHash = std::array<uint8_t, 32>;

// Largest manifest accepted, checked before parsing.
inline constexpr size_t kMaxManifestSize = 512 * 1024;
// Manifest schema versions this build parses: every version from the first
// to the current one (docs/manifest.md, "Versioning").
inline constexpr int kMinManifestVersion = 1;
inline constexpr int kCurrentManifestVersion = 1;
// Deepest nesting of objects and arrays accepted (the schema needs 7).
inline constexpr size_t kMaxManifestNesting = 16;

struct ParseOptions {
  // Decoded owner keys are looked up here first (not owned; must outlive the
  // call). Histories repeat the same keys in every manifest.
  crypto::PublicKeyCache* key_cache = nullptr;
};

class Manifest final {
 public:
  // Parses and validates `json`, keeping its exact bytes (the hash is over
  // them). InvalidArgument with "<field path>: <expectation>" on any problem:
  // size over kMaxManifestSize, invalid JSON or UTF-8, duplicate or unknown
  // keys, wrong types, lengths or encodings, invalid keys, no coordinator
  // policy, simulated mixed with snp/tdx. Never throws.
  static absl::StatusOr<Manifest> Parse(ByteView json);
  // As Parse, with options (e.g. a key cache shared across many manifests).
  static absl::StatusOr<Manifest> Parse(ByteView json, const ParseOptions& options);

  Manifest(const Manifest&) = default;
  Manifest& operator=(const Manifest&) = default;
  Manifest(Manifest&&) noexcept = default;
  Manifest& operator=(Manifest&&) noexcept = default;

  // The exact bytes that were parsed.
  const Bytes& bytes() const { return bytes_; }
  // SHA-256 over bytes().
  crypto::Sha256Digest hash() const { return hash_; }
  int version() const { return version_; }

  const std::map<PolicyHash, PolicyEntry>& policies() const { return policies_; }
  // The entry for `h`, or nullptr if the manifest does not list it. The
  // pointer lives as long as this Manifest.
  const PolicyEntry* FindPolicy(const PolicyHash& h) const;
  // Hashes of the policies with Role coordinator, in ascending order (never
  // empty for a parsed manifest).
  std::vector<PolicyHash> CoordinatorPolicies() const;

  // The global reference values.
  const attest::ReferenceValues& reference_values() const { return reference_values_; }
  // The policy's own reference values if it has them, else the global ones
  // (also for a hash the manifest does not list). Lives as long as this
  // Manifest (read per mesh request: no copy).
  const attest::ReferenceValues& ReferenceValuesFor(const PolicyHash& h) const;

  // Keys that may authorize the next manifest (ECDSA P-256/P-384); empty
  // means the manifest can no longer be changed.
  const std::vector<crypto::PublicKey>& workload_owner_keys() const { return workload_owner_keys_; }
  // RSA keys that receive seed shares, in manifest order.
  const std::vector<crypto::PublicKey>& seedshare_owner_keys() const {
    return seedshare_owner_keys_;
  }
  // Whether `k` is listed, compared by SPKI DER bytes.
  bool IsWorkloadOwner(const crypto::PublicKey& k) const;
  bool IsSeedshareOwner(const crypto::PublicKey& k) const;

  // True if any reference values (global or per policy) are for the
  // simulated platform. A parsed manifest never mixes simulated with snp/tdx.
  bool UsesSimulated() const;

  // The canonical JSON form: compact, fields in the documented order, hex in
  // lower case, optional fields omitted when they hold their default. It is
  // never longer than the parsed input, so Parse(Serialize()) succeeds and
  // yields an equal manifest (with a different hash unless the input was
  // already canonical).
  std::string Serialize() const;

 private:
  Manifest() = default;

  Bytes bytes_;
  crypto::Sha256Digest hash_{};
  int version_ = 0;
  std::map<PolicyHash, PolicyEntry> policies_;
  attest::ReferenceValues reference_values_;
  std::vector<crypto::PublicKey> workload_owner_keys_;
  std::vector<crypto::PublicKey> seedshare_owner_keys_;

  friend class ManifestParser;
};

// Rules between consecutive manifests, checked before `next` replaces
// `previous`:
//  - FailedPrecondition if `previous` has no WorkloadOwnerKeys (immutable);
//  - InvalidArgument if the SeedshareOwnerKeys differ in any way (keys or
//    order): they are fixed when the first manifest is set.
// Whether the update is signed by a workload owner is checked by the caller.
[[nodiscard]] absl::Status ValidateUpdate(const Manifest& previous, const Manifest& next);

// The platforms a coordinator was launched for (from its measured policy
// document).
struct AllowedPlatforms {
  bool snp = false;
  bool tdx = false;
  bool simulated = false;
};

// FailedPrecondition, naming the offending field, if `m` uses simulated
// reference values and the coordinator does not allow simulated or was
// launched for snp or tdx, or if `m` has reference values for snp or tdx and
// the coordinator does not allow that platform.
[[nodiscard]] absl::Status ValidateForPlatforms(const Manifest& m, const AllowedPlatforms& allowed);

// Parses a policy hash written as 64 hex characters (either case).
// InvalidArgument naming `field` otherwise.
absl::StatusOr<PolicyHash> ParsePolicyHash(absl::string_view hex,
                                           absl::string_view field = "policy hash");

// "coordinator" / "workload", as in the manifest.
absl::string_view PolicyRoleName(PolicyRole role);

}  // namespace concord::manifest
