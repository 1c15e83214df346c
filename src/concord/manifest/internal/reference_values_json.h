// JSON form of attest::ReferenceValues in the manifest ({snp, tdx,
// simulated}, docs/manifest.md): strict parsing with field-path errors and
// the canonical serialization. Thread-safe (pure functions).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/reference_values.h"
#include "concord/manifest/internal/strict_json.h"

namespace concord::manifest::internal {

// Parses a ReferenceValues object found at `path`. InvalidArgument naming
// the field on any problem (unknown field, wrong length or type, DEBUG
// allowed, Revoked accepted, FMCVersion outside Turin, duplicates in the
// allow-lists).
absl::StatusOr<attest::ReferenceValues> ParseReferenceValues(const Json& value,
                                                             const std::string& path);

// Canonical form: empty platform lists and fields holding their default
// are omitted; hex is lower case.
Json SerializeReferenceValues(const attest::ReferenceValues& rv);

// Manifest names of TDX TCB statuses ("UpToDate", ...).
absl::string_view TdxTcbStatusName(attest::TdxTcbStatus status);

}  // namespace concord::manifest::internal
