#include "concord/manifest/reference_values_json.h"

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/manifest/internal/reference_values_json.h"
#include "concord/manifest/internal/strict_json.h"
#include "concord/manifest/manifest.h"

namespace concord::manifest {

absl::StatusOr<attest::ReferenceValues> ParseReferenceValuesJson(ByteView json) {
  if (json.size() > kMaxReferenceValuesSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ReferenceValues: want at most ", kMaxReferenceValuesSize, " bytes, got ", json.size()));
  }
  CONCORD_ASSIGN_OR_RETURN(internal::Json doc,
                           internal::ParseStrictJson(AsStringView(json), kMaxManifestNesting));
  CONCORD_ASSIGN_OR_RETURN(attest::ReferenceValues rv,
                           internal::ParseReferenceValues(doc, "ReferenceValues"));
  if (rv.empty()) {
    return absl::InvalidArgumentError(
        "ReferenceValues: want at least one entry in snp, tdx or simulated, got none");
  }
  return rv;
}

}  // namespace concord::manifest
