// A standalone reference-values document: the manifest's `ReferenceValues`
// object ({"snp": [...], "tdx": [...], "simulated": [...]}, docs/manifest.md)
// in a file of its own, as `concord evidence verify --reference-values` reads
// it. Thread-safe (pure functions).
#pragma once

#include "absl/status/statusor.h"
#include "concord/attest/reference_values.h"
#include "concord/common/bytes.h"

namespace concord::manifest {

// Same limit as a whole manifest.
inline constexpr size_t kMaxReferenceValuesSize = 512 * 1024;

// Parses and validates with the manifest's rules. InvalidArgument naming the
// field ("ReferenceValues.snp[0].Measurement: want 96 hex characters, got 95")
// on any problem, including an empty document.
absl::StatusOr<attest::ReferenceValues> ParseReferenceValuesJson(ByteView json);

}  // namespace concord::manifest
