#include "concord/manifest/manifest.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/manifest/internal/fields.h"
#include "concord/manifest/internal/reference_values_json.h"
#include "concord/manifest/internal/san.h"
#include "concord/manifest/internal/strict_json.h"
#include "concord/seed/secrets.h"

namespace concord::manifest {
namespace {

using internal::Echo;
using internal::ElementPath;
using internal::Json;
using internal::MemberPath;
using internal::ObjectReader;
using internal::ReadName;

// The seed component derives the secret from this id, so its rule decides
// what the manifest accepts.
absl::StatusOr<std::string> ReadSecretId(const Json& v, const std::string& path) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const Json::string_t&>();
    if (seed::ValidateWorkloadSecretId(s).ok()) {
      return s;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": want 1 to ",
                                                 seed::kMaxWorkloadSecretIdSize,
                                                 " characters of [A-Za-z0-9._-], got ", Echo(v)));
}

absl::StatusOr<PolicyRole> ReadRole(const Json& v, const std::string& path) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const Json::string_t&>();
    if (s == "workload") {
      return PolicyRole::kWorkload;
    }
    if (s == "coordinator") {
      return PolicyRole::kCoordinator;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": want \"workload\" or \"coordinator\", got ", Echo(v)));
}

absl::StatusOr<std::vector<std::string>> ReadSans(const Json& v, const std::string& path) {
  CONCORD_ASSIGN_OR_RETURN(const Json::array_t* items, internal::ReadArray(v, path));
  std::vector<std::string> sans;
  std::vector<std::string> keys;
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& item = (*items)[i];
    const std::string item_path = ElementPath(path, i);
    std::optional<internal::SanKind> kind;
    if (item.is_string()) {
      kind = internal::ClassifySan(item.get_ref<const Json::string_t&>());
    }
    if (!kind.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": want a DNS name, IP address or URI, got ", Echo(item)));
    }
    const std::string& san = item.get_ref<const Json::string_t&>();
    std::string key = internal::SanKey(san, *kind);
    auto dup = std::find(keys.begin(), keys.end(), key);
    if (dup != keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": duplicate of ", ElementPath(path, dup - keys.begin())));
    }
    keys.push_back(std::move(key));
    sans.push_back(san);
  }
  return sans;
}

absl::StatusOr<PolicyEntry> ReadPolicyEntry(const Json& v, const std::string& path) {
  CONCORD_ASSIGN_OR_RETURN(
      ObjectReader obj,
      ObjectReader::Create(v, path,
                           {"Name", "SANs", "WorkloadSecretID", "Role", "ReferenceValues"}));
  PolicyEntry entry;
  CONCORD_ASSIGN_OR_RETURN(const Json* name, obj.Required("Name"));
  CONCORD_ASSIGN_OR_RETURN(entry.name, ReadName(*name, obj.FieldPath("Name")));
  CONCORD_ASSIGN_OR_RETURN(const Json* sans, obj.Required("SANs"));
  CONCORD_ASSIGN_OR_RETURN(entry.sans, ReadSans(*sans, obj.FieldPath("SANs")));
  if (const Json* id = obj.Optional("WorkloadSecretID"); id != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(entry.workload_secret_id,
                             ReadSecretId(*id, obj.FieldPath("WorkloadSecretID")));
  }
  if (const Json* role = obj.Optional("Role"); role != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(entry.role, ReadRole(*role, obj.FieldPath("Role")));
  }
  if (const Json* rv = obj.Optional("ReferenceValues"); rv != nullptr) {
    const std::string rv_path = obj.FieldPath("ReferenceValues");
    CONCORD_ASSIGN_OR_RETURN(entry.reference_values, internal::ParseReferenceValues(*rv, rv_path));
    if (entry.reference_values->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(rv_path, ": want at least one entry in snp, tdx or simulated, got none"));
    }
  }
  return entry;
}

// A list of hex SPKI DER keys; `check_type` returns the expectation to report
// when the key's type is not acceptable, or "" when it is.
absl::StatusOr<std::vector<crypto::PublicKey>> ReadKeyList(
    const Json& v, const std::string& path, crypto::PublicKeyCache* key_cache,
    const std::function<std::string(const crypto::PublicKey&)>& check_type) {
  CONCORD_ASSIGN_OR_RETURN(const Json::array_t* items, internal::ReadArray(v, path));
  std::vector<crypto::PublicKey> keys;
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& item = (*items)[i];
    const std::string item_path = ElementPath(path, i);
    if (!item.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": want a hex DER SubjectPublicKeyInfo, got ", Echo(item)));
    }
    const std::string& hex = item.get_ref<const Json::string_t&>();
    if (hex.empty() || hex.size() > 2 * crypto::kMaxSpkiDerSize) {
      return absl::InvalidArgumentError(absl::StrCat(item_path, ": want 2 to ",
                                                     2 * crypto::kMaxSpkiDerSize,
                                                     " hex characters, got ", hex.size()));
    }
    CONCORD_ASSIGN_OR_RETURN(Bytes der, HexDecode(hex, item_path));
    absl::StatusOr<crypto::PublicKey> key =
        key_cache != nullptr ? key_cache->FromSpkiDer(der) : crypto::PublicKey::FromSpkiDer(der);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": want a valid DER SubjectPublicKeyInfo, got an invalid key (",
                       key.status().message(), ")"));
    }
    if (std::string want = check_type(*key); !want.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": want ", want, ", got ", crypto::KeyTypeName(key->type())));
    }
    auto dup = std::find_if(keys.begin(), keys.end(), [&](const crypto::PublicKey& k) {
      return k.spki_der() == key->spki_der();
    });
    if (dup != keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": duplicate of ", ElementPath(path, dup - keys.begin())));
    }
    keys.push_back(*std::move(key));
  }
  return keys;
}

std::string VersionExpectation() {
  if (kMinManifestVersion == kCurrentManifestVersion) {
    return absl::StrCat("an integer ", kCurrentManifestVersion);
  }
  return absl::StrCat("an integer from ", kMinManifestVersion, " to ", kCurrentManifestVersion);
}

// Where each platform first appears, for messages ("" when it does not).
struct PlatformUse {
  std::string snp;
  std::string tdx;
  std::string simulated;
};

PlatformUse FindPlatformUse(const attest::ReferenceValues& global,
                            const std::map<PolicyHash, PolicyEntry>& policies) {
  PlatformUse use;
  auto note = [&use](const attest::ReferenceValues& rv, const std::string& base) {
    if (use.snp.empty() && !rv.snp.empty()) {
      use.snp = base + ".snp";
    }
    if (use.tdx.empty() && !rv.tdx.empty()) {
      use.tdx = base + ".tdx";
    }
    if (use.simulated.empty() && !rv.simulated.empty()) {
      use.simulated = base + ".simulated";
    }
  };
  note(global, "ReferenceValues");
  for (const auto& [hash, entry] : policies) {
    if (entry.reference_values.has_value()) {
      note(*entry.reference_values,
           MemberPath(MemberPath("Policies", HexEncode(hash)), "ReferenceValues"));
    }
  }
  return use;
}

}  // namespace

// Fills a Manifest; a class (rather than free functions) so it may use the
// private constructor and members.
class ManifestParser {
 public:
  static absl::StatusOr<Manifest> Parse(ByteView json, const ParseOptions& options) {
    if (json.size() > kMaxManifestSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest: want at most ", kMaxManifestSize, " bytes, got ", json.size()));
    }
    CONCORD_ASSIGN_OR_RETURN(Json root,
                             internal::ParseStrictJson(AsStringView(json), kMaxManifestNesting));
    if (!root.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest: want a JSON object at the top level, got ", Echo(root)));
    }
    Manifest m;
    // The version decides the schema, so it is read before anything else.
    auto version = root.find("Version");
    if (version == root.end()) {
      return absl::InvalidArgumentError("Version: required field missing");
    }
    absl::StatusOr<uint64_t> v = internal::ReadUint(*version, "Version", kCurrentManifestVersion);
    if (!v.ok() || *v < static_cast<uint64_t>(kMinManifestVersion)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Version: want ", VersionExpectation(), ", got ", Echo(*version)));
    }
    m.version_ = static_cast<int>(*v);

    CONCORD_ASSIGN_OR_RETURN(ObjectReader obj,
                             ObjectReader::Create(root, "",
                                                  {"Version", "Policies", "ReferenceValues",
                                                   "WorkloadOwnerKeys", "SeedshareOwnerKeys"}));
    CONCORD_ASSIGN_OR_RETURN(const Json* policies, obj.Required("Policies"));
    CONCORD_RETURN_IF_ERROR(ReadPolicies(*policies, m));
    CONCORD_ASSIGN_OR_RETURN(const Json* rv, obj.Required("ReferenceValues"));
    CONCORD_ASSIGN_OR_RETURN(m.reference_values_,
                             internal::ParseReferenceValues(*rv, "ReferenceValues"));
    CONCORD_ASSIGN_OR_RETURN(const Json* owners, obj.Required("WorkloadOwnerKeys"));
    CONCORD_ASSIGN_OR_RETURN(m.workload_owner_keys_,
                             ReadKeyList(*owners, "WorkloadOwnerKeys", options.key_cache,
                                         [](const crypto::PublicKey& k) {
                                           return k.type() == crypto::KeyType::kRsa
                                                      ? std::string("an ECDSA P-256 or P-384 key")
                                                      : std::string();
                                         }));
    CONCORD_ASSIGN_OR_RETURN(const Json* shares, obj.Required("SeedshareOwnerKeys"));
    CONCORD_ASSIGN_OR_RETURN(
        m.seedshare_owner_keys_,
        ReadKeyList(*shares, "SeedshareOwnerKeys", options.key_cache,
                    [](const crypto::PublicKey& k) {
                      // FromSpkiDer already bounds RSA moduli to 2048..8192 bits.
                      return k.type() != crypto::KeyType::kRsa
                                 ? std::string("an RSA key of at least 2048 bits")
                                 : std::string();
                    }));
    CONCORD_RETURN_IF_ERROR(CheckConsistency(m));

    m.bytes_.assign(json.begin(), json.end());
    m.hash_ = crypto::Sha256(m.bytes_);
    return m;
  }

 private:
  static absl::Status ReadPolicies(const Json& v, Manifest& m) {
    if (!v.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("Policies: want an object, got ", Echo(v)));
    }
    for (const auto& [key, value] : v.items()) {
      const std::string path = MemberPath("Policies", key);
      CONCORD_ASSIGN_OR_RETURN(PolicyHash hash, ParsePolicyHash(key, path));
      if (m.policies_.count(hash) != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": duplicate policy hash (keys differ only in letter case)"));
      }
      CONCORD_ASSIGN_OR_RETURN(PolicyEntry entry, ReadPolicyEntry(value, path));
      m.policies_.emplace(hash, std::move(entry));
    }
    return absl::OkStatus();
  }

  static absl::Status CheckConsistency(const Manifest& m) {
    if (m.CoordinatorPolicies().empty()) {
      return absl::InvalidArgumentError(
          "Policies: want at least one policy with Role \"coordinator\", got none");
    }
    if (m.reference_values_.empty()) {
      for (const auto& [hash, entry] : m.policies_) {
        if (!entry.reference_values.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(
              MemberPath("Policies", HexEncode(hash)),
              ": want reference values, got none (ReferenceValues is empty and the policy has "
              "no ReferenceValues of its own)"));
        }
      }
    }
    PlatformUse use = FindPlatformUse(m.reference_values_, m.policies_);
    if (!use.simulated.empty() && (!use.snp.empty() || !use.tdx.empty())) {
      return absl::InvalidArgumentError(absl::StrCat(
          use.simulated,
          ": want no simulated reference values in a manifest with snp or tdx ones, got both "
          "(see ",
          use.snp.empty() ? use.tdx : use.snp, ")"));
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<Manifest> Manifest::Parse(ByteView json) {
  return ManifestParser::Parse(json, ParseOptions());
}

absl::StatusOr<Manifest> Manifest::Parse(ByteView json, const ParseOptions& options) {
  return ManifestParser::Parse(json, options);
}

const PolicyEntry* Manifest::FindPolicy(const PolicyHash& h) const {
  auto it = policies_.find(h);
  return it == policies_.end() ? nullptr : &it->second;
}

std::vector<PolicyHash> Manifest::CoordinatorPolicies() const {
  std::vector<PolicyHash> out;
  for (const auto& [hash, entry] : policies_) {
    if (entry.role == PolicyRole::kCoordinator) {
      out.push_back(hash);
    }
  }
  return out;
}

const attest::ReferenceValues& Manifest::ReferenceValuesFor(const PolicyHash& h) const {
  const PolicyEntry* entry = FindPolicy(h);
  if (entry != nullptr && entry->reference_values.has_value()) {
    return *entry->reference_values;
  }
  return reference_values_;
}

bool Manifest::IsWorkloadOwner(const crypto::PublicKey& k) const {
  return std::any_of(workload_owner_keys_.begin(), workload_owner_keys_.end(),
                     [&](const crypto::PublicKey& o) { return o.spki_der() == k.spki_der(); });
}

bool Manifest::IsSeedshareOwner(const crypto::PublicKey& k) const {
  return std::any_of(seedshare_owner_keys_.begin(), seedshare_owner_keys_.end(),
                     [&](const crypto::PublicKey& o) { return o.spki_der() == k.spki_der(); });
}

bool Manifest::UsesSimulated() const {
  if (!reference_values_.simulated.empty()) {
    return true;
  }
  return std::any_of(policies_.begin(), policies_.end(), [](const auto& p) {
    return p.second.reference_values.has_value() && !p.second.reference_values->simulated.empty();
  });
}

std::string Manifest::Serialize() const {
  Json root = Json::object();
  root["Version"] = version_;
  Json policies = Json::object();
  for (const auto& [hash, entry] : policies_) {
    Json e = Json::object();
    e["Name"] = entry.name;
    e["SANs"] = entry.sans;
    if (entry.workload_secret_id.has_value()) {
      e["WorkloadSecretID"] = *entry.workload_secret_id;
    }
    if (entry.role != PolicyRole::kWorkload) {
      e["Role"] = std::string(PolicyRoleName(entry.role));
    }
    if (entry.reference_values.has_value()) {
      e["ReferenceValues"] = internal::SerializeReferenceValues(*entry.reference_values);
    }
    policies[HexEncode(hash)] = std::move(e);
  }
  root["Policies"] = std::move(policies);
  root["ReferenceValues"] = internal::SerializeReferenceValues(reference_values_);
  Json owners = Json::array();
  for (const auto& k : workload_owner_keys_) {
    owners.push_back(HexEncode(k.spki_der()));
  }
  root["WorkloadOwnerKeys"] = std::move(owners);
  Json shares = Json::array();
  for (const auto& k : seedshare_owner_keys_) {
    shares.push_back(HexEncode(k.spki_der()));
  }
  root["SeedshareOwnerKeys"] = std::move(shares);
  // Every string was validated as printable ASCII or hex, so the replace
  // handler never fires; it only guarantees dump() cannot throw.
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status ValidateUpdate(const Manifest& previous, const Manifest& next) {
  if (previous.workload_owner_keys().empty()) {
    return absl::FailedPreconditionError(
        "manifest update: the current manifest has no WorkloadOwnerKeys and cannot be changed");
  }
  const auto& a = previous.seedshare_owner_keys();
  const auto& b = next.seedshare_owner_keys();
  bool same = a.size() == b.size() &&
              std::equal(a.begin(), a.end(), b.begin(),
                         [](const crypto::PublicKey& x, const crypto::PublicKey& y) {
                           return x.spki_der() == y.spki_der();
                         });
  if (!same) {
    return absl::InvalidArgumentError(
        "SeedshareOwnerKeys: want the same keys in the same order as the current manifest "
        "(fixed when the first manifest is set), got a different list");
  }
  return absl::OkStatus();
}

absl::Status ValidateForPlatforms(const Manifest& m, const AllowedPlatforms& allowed) {
  PlatformUse use = FindPlatformUse(m.reference_values(), m.policies());
  std::vector<absl::string_view> names;
  if (allowed.snp) {
    names.push_back("snp");
  }
  if (allowed.tdx) {
    names.push_back("tdx");
  }
  if (allowed.simulated) {
    names.push_back("simulated");
  }
  const std::string allowed_list = names.empty() ? "none" : absl::StrJoin(names, ", ");
  if (!use.simulated.empty() && (allowed.snp || allowed.tdx)) {
    return absl::FailedPreconditionError(absl::StrCat(
        use.simulated,
        ": want no simulated reference values on a coordinator launched for snp or tdx, got "
        "simulated"));
  }
  const std::pair<const std::string*, bool> checks[] = {
      {&use.snp, allowed.snp}, {&use.tdx, allowed.tdx}, {&use.simulated, allowed.simulated}};
  const absl::string_view platform_names[] = {"snp", "tdx", "simulated"};
  for (size_t i = 0; i < 3; ++i) {
    if (!checks[i].first->empty() && !checks[i].second) {
      return absl::FailedPreconditionError(absl::StrCat(
          *checks[i].first, ": want reference values for the platforms this coordinator allows (",
          allowed_list, "), got ", platform_names[i]));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PolicyHash> ParsePolicyHash(absl::string_view hex, absl::string_view field) {
  CONCORD_ASSIGN_OR_RETURN(Bytes bytes, HexDecodeExact(hex, 32, field));
  PolicyHash out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

absl::string_view PolicyRoleName(PolicyRole role) {
  return role == PolicyRole::kCoordinator ? "coordinator" : "workload";
}

}  // namespace concord::manifest
