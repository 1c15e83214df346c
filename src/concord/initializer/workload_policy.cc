#include "concord/initializer/workload_policy.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/manifest/internal/fields.h"
#include "concord/manifest/internal/reference_values_json.h"
#include "concord/manifest/internal/strict_json.h"

namespace concord::initializer {
namespace {

// The manifest's readers give the same field-path messages here as in a
// manifest, and the reference values follow exactly the manifest's schema.
using manifest::internal::Echo;
using manifest::internal::ElementPath;
using manifest::internal::Json;
using manifest::internal::kManifestMessages;
using manifest::internal::ObjectReader;
using manifest::internal::ReadName;

// Enough for any realistic upgrade path; bounds the work per handshake check.
constexpr size_t kMaxCoordinatorPolicies = 64;
// The schema needs 7 levels (as a manifest's ReferenceValues, plus one).
constexpr size_t kMaxNesting = 16;

absl::StatusOr<std::vector<manifest::PolicyHash>> ReadPolicyHashes(const Json& v,
                                                                   const std::string& path) {
  CONCORD_ASSIGN_OR_RETURN(const Json::array_t* items, manifest::internal::ReadArray(v, path));
  if (items->empty() || items->size() > kMaxCoordinatorPolicies) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": want 1 to ", kMaxCoordinatorPolicies,
                                                   " policy hashes, got ", items->size()));
  }
  std::vector<manifest::PolicyHash> hashes;
  std::set<manifest::PolicyHash> seen;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string item_path = ElementPath(path, i);
    CONCORD_ASSIGN_OR_RETURN(manifest::PolicyHash h,
                             manifest::internal::ReadHexArray<32>((*items)[i], item_path));
    if (!seen.insert(h).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": duplicate policy hash ", manifest::internal::HexOf(h)));
    }
    hashes.push_back(h);
  }
  return hashes;
}

absl::Status ReadCoordinator(const Json& v, WorkloadPolicy& policy) {
  CONCORD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Create(v, "Coordinator",
                                                                {"PolicyHashes", "ReferenceValues",
                                                                 "RootCaSpkiSha256"}));
  CONCORD_ASSIGN_OR_RETURN(const Json* hashes, r.Required("PolicyHashes"));
  CONCORD_ASSIGN_OR_RETURN(policy.coordinator_policies,
                           ReadPolicyHashes(*hashes, r.FieldPath("PolicyHashes")));
  CONCORD_ASSIGN_OR_RETURN(const Json* rv, r.Required("ReferenceValues"));
  const std::string rv_path = r.FieldPath("ReferenceValues");
  CONCORD_ASSIGN_OR_RETURN(policy.coordinator_reference_values,
                           manifest::internal::ParseReferenceValues(*rv, rv_path));
  if (policy.coordinator_reference_values.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(rv_path, ": want at least one entry in snp, tdx or simulated, got none"));
  }
  if (const Json* pin = r.Optional("RootCaSpkiSha256"); pin != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(
        policy.root_ca_spki_sha256,
        manifest::internal::ReadHexArray<32>(*pin, r.FieldPath("RootCaSpkiSha256")));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WorkloadPolicy> ParseWorkloadPolicy(ByteView document) {
  CONCORD_ASSIGN_OR_RETURN(
      Json doc, json::ParseStrict<Json>(AsStringView(document), {.document = "workload policy",
                                                                 .max_size = kMaxWorkloadPolicySize,
                                                                 .max_depth = kMaxNesting,
                                                                 .messages = kManifestMessages}));
  CONCORD_ASSIGN_OR_RETURN(
      ObjectReader r, ObjectReader::Create(doc, "", {"Version", "Kind", "Name", "Coordinator"}));

  CONCORD_ASSIGN_OR_RETURN(const Json* version, r.Required("Version"));
  CONCORD_ASSIGN_OR_RETURN(uint64_t v, manifest::internal::ReadUint(*version, "Version", 1000));
  if (v != 1) {
    return absl::InvalidArgumentError(absl::StrCat("Version: want 1, got ", v));
  }
  CONCORD_ASSIGN_OR_RETURN(const Json* kind, r.Required("Kind"));
  if (!kind->is_string() || kind->get_ref<const Json::string_t&>() != "workload") {
    return absl::InvalidArgumentError(absl::StrCat("Kind: want \"workload\", got ", Echo(*kind)));
  }

  WorkloadPolicy policy;
  CONCORD_ASSIGN_OR_RETURN(const Json* name, r.Required("Name"));
  CONCORD_ASSIGN_OR_RETURN(policy.name, ReadName(*name, "Name"));
  CONCORD_ASSIGN_OR_RETURN(const Json* coordinator, r.Required("Coordinator"));
  CONCORD_RETURN_IF_ERROR(ReadCoordinator(*coordinator, policy));
  policy.policy_hash = crypto::Sha256(document);
  return policy;
}

}  // namespace concord::initializer
