#include "concord/coordinator/launch_config.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/manifest/reference_values_json.h"
#include "nlohmann/json.hpp"

namespace concord::coordinator {
namespace {

using Json = nlohmann::ordered_json;

constexpr absl::string_view kWhat = "launch config";
// Strict JSON (no duplicate keys at any depth, nothing after the value) of
// at most kMaxLaunchConfigSize bytes. The schema nests at most five levels
// (the document, ReferenceValues, a platform's list, one entry, its
// MinimumTCB or chip list); the parser stops at anything deeper.
constexpr json::StrictJsonOptions kParseOptions{
    .document = kWhat,
    .max_size = kMaxLaunchConfigSize,
    .max_depth = 5,
    .messages = {.invalid = "{document}: not valid JSON at {location}: {detail}",
                 .too_deep = "{document}: want at most {limit} levels of nesting at {where}",
                 .duplicate_key = "{document}: duplicate key {key}"},
};
// More keys or hashes than any deployment pins; bounds work on hostile input.
constexpr size_t kMaxListEntries = 64;

absl::Status Invalid(absl::string_view field, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat(kWhat, ".", field, ": ", detail));
}

absl::StatusOr<const Json*> StringArray(const Json& doc, absl::string_view field,
                                        size_t min_entries, size_t max_entries) {
  const Json& value = doc.at(std::string(field));
  if (!value.is_array()) {
    return Invalid(field, "want an array");
  }
  if (value.size() < min_entries || value.size() > max_entries) {
    return Invalid(field, absl::StrCat("want ", min_entries, " to ", max_entries, " entries, got ",
                                       value.size()));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return Invalid(absl::StrCat(field, "[", i, "]"), "want a string");
    }
  }
  return &value;
}

absl::Status ParsePlatforms(const Json& doc, manifest::AllowedPlatforms& out) {
  CONCORD_ASSIGN_OR_RETURN(const Json* list, StringArray(doc, "Platforms", 1, 3));
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& name = (*list)[i].get_ref<const std::string&>();
    const std::string field = absl::StrCat("Platforms[", i, "]");
    bool* flag = nullptr;
    if (name == "snp") {
      flag = &out.snp;
    } else if (name == "tdx") {
      flag = &out.tdx;
    } else if (name == "simulated") {
      flag = &out.simulated;
    } else {
      return Invalid(field, absl::StrCat("want \"snp\", \"tdx\" or \"simulated\", got \"",
                                         name.substr(0, 32), "\""));
    }
    if (*flag) {
      return Invalid(field, absl::StrCat("duplicate platform \"", name, "\""));
    }
    *flag = true;
  }
  if (out.simulated && (out.snp || out.tdx)) {
    return Invalid("Platforms", "\"simulated\" cannot be combined with \"snp\" or \"tdx\"");
  }
  return absl::OkStatus();
}

absl::Status ParseGenesisOwnerKeys(const Json& doc, std::vector<crypto::PublicKey>& out) {
  CONCORD_ASSIGN_OR_RETURN(const Json* list,
                           StringArray(doc, "GenesisOwnerKeys", 0, kMaxListEntries));
  std::set<Bytes> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string field = absl::StrCat("GenesisOwnerKeys[", i, "]");
    const std::string& hex = (*list)[i].get_ref<const std::string&>();
    if (hex.size() > 2 * crypto::kMaxSpkiDerSize) {
      return Invalid(field, absl::StrCat("want at most ", 2 * crypto::kMaxSpkiDerSize,
                                         " hex characters, got ", hex.size()));
    }
    absl::StatusOr<Bytes> der = HexDecode(hex, absl::StrCat(kWhat, ".", field));
    if (!der.ok()) {
      return der.status();
    }
    absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::FromSpkiDer(*der);
    if (!key.ok()) {
      return Invalid(field, absl::StrCat("not a public key: ", key.status().message()));
    }
    if (key->type() != crypto::KeyType::kEcP256 && key->type() != crypto::KeyType::kEcP384) {
      return Invalid(field, "want an ECDSA P-256 or P-384 key");
    }
    if (key->spki_der() != *der) {
      return Invalid(field, "want canonical DER SubjectPublicKeyInfo");
    }
    if (!seen.insert(*der).second) {
      return Invalid(field, "duplicate key");
    }
    out.push_back(*std::move(key));
  }
  return absl::OkStatus();
}

absl::Status ParseRecoveryPolicies(const Json& doc, std::vector<manifest::PolicyHash>& out) {
  CONCORD_ASSIGN_OR_RETURN(const Json* list,
                           StringArray(doc, "RecoveryPolicies", 0, kMaxListEntries));
  std::set<manifest::PolicyHash> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string field = absl::StrCat(kWhat, ".RecoveryPolicies[", i, "]");
    CONCORD_ASSIGN_OR_RETURN(
        manifest::PolicyHash hash,
        manifest::ParsePolicyHash((*list)[i].get_ref<const std::string&>(), field));
    if (!seen.insert(hash).second) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": duplicate policy hash"));
    }
    out.push_back(hash);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LaunchConfig> ParseLaunchConfig(ByteView document) {
  CONCORD_ASSIGN_OR_RETURN(Json doc,
                           json::ParseStrict<Json>(AsStringView(document), kParseOptions));
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": want a JSON object"));
  }
  static const std::set<std::string> kKnown = {"Version",
                                               "Kind",
                                               "Platforms",
                                               "GenesisOwnerKeys",
                                               "RecoveryPolicies",
                                               "ReferenceValues",
                                               "AllowUnpinnedGenesis"};
  for (const auto& [key, value] : doc.items()) {
    if (kKnown.count(key) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(kWhat, ": unknown key \"", key.substr(0, 64), "\""));
    }
  }
  for (const char* required : {"Version", "Kind", "Platforms"}) {
    if (!doc.contains(required)) {
      return Invalid(required, "missing");
    }
  }
  const Json& version = doc.at("Version");
  if (!version.is_number_integer() || version.get<int64_t>() != 1) {
    return Invalid("Version", absl::StrCat("want 1, got ", version.dump().substr(0, 32)));
  }
  const Json& kind = doc.at("Kind");
  if (!kind.is_string() || kind.get_ref<const std::string&>() != "coordinator") {
    return Invalid("Kind", absl::StrCat("want \"coordinator\", got ", kind.dump().substr(0, 32)));
  }
  LaunchConfig config;
  CONCORD_RETURN_IF_ERROR(ParsePlatforms(doc, config.platforms));
  if (doc.contains("GenesisOwnerKeys")) {
    CONCORD_RETURN_IF_ERROR(ParseGenesisOwnerKeys(doc, config.genesis_owner_keys));
  }
  if (doc.contains("RecoveryPolicies")) {
    CONCORD_RETURN_IF_ERROR(ParseRecoveryPolicies(doc, config.recovery_policies));
  }
  if (doc.contains("ReferenceValues")) {
    const Json& refs = doc.at("ReferenceValues");
    if (!refs.is_object()) {
      return Invalid("ReferenceValues", "want an object");
    }
    absl::StatusOr<attest::ReferenceValues> parsed =
        manifest::ParseReferenceValuesJson(AsBytes(refs.dump()));
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(kWhat, ".", parsed.status().message()));
    }
    const manifest::AllowedPlatforms& p = config.platforms;
    if ((!p.snp && !parsed->snp.empty()) || (!p.tdx && !parsed->tdx.empty()) ||
        (!p.simulated && !parsed->simulated.empty())) {
      return Invalid("ReferenceValues", "names a platform that Platforms does not allow");
    }
    config.reference_values = *std::move(parsed);
  }
  if (doc.contains("AllowUnpinnedGenesis")) {
    const Json& allow = doc.at("AllowUnpinnedGenesis");
    if (!allow.is_boolean()) {
      return Invalid("AllowUnpinnedGenesis", "want true or false");
    }
    config.allow_unpinned_genesis = allow.get<bool>();
  }
  // On real hardware the first set must be authorized by a key the measured
  // launch config names: otherwise whoever reaches an uninitialized replica
  // first (or after `latest` is lost) owns the deployment.
  if ((config.platforms.snp || config.platforms.tdx) && config.genesis_owner_keys.empty() &&
      !config.allow_unpinned_genesis) {
    return Invalid("GenesisOwnerKeys",
                   "want at least one key on snp or tdx (or \"AllowUnpinnedGenesis\": true, "
                   "which lets anyone who reaches an uninitialized replica make the first set)");
  }
  if (config.allow_unpinned_genesis && !config.genesis_owner_keys.empty()) {
    return Invalid("AllowUnpinnedGenesis", "contradicts GenesisOwnerKeys");
  }
  config.policy_hash = crypto::Sha256(document);
  return config;
}

}  // namespace concord::coordinator
