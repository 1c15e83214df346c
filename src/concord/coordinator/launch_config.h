// The coordinator's measured launch configuration (DESIGN.md §1): its policy
// document, whose SHA-256 the TEE reports as HOST_DATA / MRCONFIGID, holds
// the security settings a host must not be able to change: the allowed
// platforms, pinned genesis owner keys and the coordinator policies it may
// recover from besides its own. Strict JSON (docs/operations.md):
//   {"Version": 1, "Kind": "coordinator",
//    "Platforms": ["snp", "tdx", "simulated"],          (1..3, no duplicates)
//    "GenesisOwnerKeys": ["<hex SPKI DER>", ...],       (optional, ECDSA)
//    "RecoveryPolicies": ["<64 hex policy hash>", ...], (optional)
//    "ReferenceValues": {"snp": [...], ...},            (optional; the
//        manifest's format: what a peer coordinator's evidence must match)
//    "AllowUnpinnedGenesis": true}                      (optional; snp/tdx
//        require GenesisOwnerKeys unless this opts out, loudly)
// Pure data; thread-compatible.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "concord/attest/reference_values.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/manifest/manifest.h"

namespace concord::coordinator {

inline constexpr size_t kMaxLaunchConfigSize = 64 * 1024;

struct LaunchConfig {
  manifest::AllowedPlatforms platforms;
  std::vector<crypto::PublicKey> genesis_owner_keys;
  std::vector<manifest::PolicyHash> recovery_policies;
  // The coordinator reference values (DESIGN §5a): a peer replica is
  // recognised only by evidence that matches them. Empty: no peer is.
  attest::ReferenceValues reference_values;
  // snp/tdx without GenesisOwnerKeys (an explicit opt-out).
  bool allow_unpinned_genesis = false;
  // SHA-256 of the document: this coordinator's own policy hash.
  manifest::PolicyHash policy_hash{};
};

// InvalidArgument naming the field for unknown or duplicate keys, a wrong
// Version or Kind, unknown or duplicate platforms, `simulated` together with
// `snp`/`tdx`, malformed keys or hashes, or a document over the size limit.
absl::StatusOr<LaunchConfig> ParseLaunchConfig(ByteView document);

}  // namespace concord::coordinator
