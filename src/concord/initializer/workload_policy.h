// A workload's measured policy document (DESIGN.md §1): the file whose
// SHA-256 the TEE reports as the workload's HOST_DATA / MRCONFIGID, and the
// policy hash the manifest lists. concord-init takes its expectations of
// the coordinator from it, so a host cannot point a workload at another
// coordinator. Strict JSON (docs/operations.md):
//   {"Version": 1, "Kind": "workload", "Name": "<1..128 printable>",
//    "Coordinator": {
//      "PolicyHashes": ["<64 hex>", ...],        (1.., the coordinator's
//                                                  accepted policy hashes)
//      "ReferenceValues": {...},                 (manifest schema, >= 1 entry)
//      "RootCaSpkiSha256": "<64 hex>"}}          (optional pin of the root CA)
// Pure data; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "concord/attest/reference_values.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/manifest/manifest.h"

namespace concord::initializer {

inline constexpr size_t kMaxWorkloadPolicySize = 256 * 1024;

struct WorkloadPolicy {
  std::string name;
  std::vector<manifest::PolicyHash> coordinator_policies;
  attest::ReferenceValues coordinator_reference_values;
  std::optional<crypto::Sha256Digest> root_ca_spki_sha256;
  // SHA-256 of the document: this workload's policy hash (HOST_DATA).
  manifest::PolicyHash policy_hash{};
};

// InvalidArgument naming the field for unknown or duplicate keys, a wrong
// Version or Kind, malformed hashes or reference values, or a document over
// the size limit.
absl::StatusOr<WorkloadPolicy> ParseWorkloadPolicy(ByteView document);

}  // namespace concord::initializer
