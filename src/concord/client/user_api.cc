#include "concord/client/user_api.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/history/objects.h"
#include "concord/store/memory/memory_store.h"
#include "nlohmann/json.hpp"

namespace concord::client {
namespace {

using Json = nlohmann::json;

// Most transitions, manifests or CA bundles one GET /v1/manifests may list.
constexpr size_t kMaxHistoryObjects = 1'000'000;
// The deepest response (a transition with its seed shares) nests 4 levels.
constexpr size_t kMaxResponseNesting = 16;

absl::Status Malformed(absl::string_view what, absl::string_view field,
                       absl::string_view expectation) {
  return absl::DataLossError(absl::StrCat(what, ": ", field, ": ", expectation));
}

// Strict JSON of at most kMaxResponseSize bytes and kMaxResponseNesting levels;
// anything else from the coordinator is DataLoss.
absl::StatusOr<Json> ParseBody(absl::string_view body, absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(Json json,
                           json::ParseStrict<Json>(body, {.document = what,
                                                          .max_size = kMaxResponseSize,
                                                          .max_depth = kMaxResponseNesting,
                                                          .code = absl::StatusCode::kDataLoss}));
  if (!json.is_object()) {
    return absl::DataLossError(absl::StrCat(what, ": want a JSON object"));
  }
  return json;
}

// Field access with DataLoss "<what>: <field>: <expectation>" errors.
class Reader {
 public:
  Reader(const Json& json, absl::string_view what) : json_(json), what_(what) {}

  const Json* Find(absl::string_view field) const {
    auto it = json_.find(std::string(field));
    return it == json_.end() ? nullptr : &*it;
  }

  absl::StatusOr<std::string> String(absl::string_view field) const {
    const Json* v = Find(field);
    if (v == nullptr || !v->is_string()) {
      return Malformed(what_, field, "want a string");
    }
    return v->get<std::string>();
  }

  absl::StatusOr<std::optional<std::string>> OptionalString(absl::string_view field) const {
    const Json* v = Find(field);
    if (v == nullptr || v->is_null()) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      return Malformed(what_, field, "want a string or null");
    }
    return v->get<std::string>();
  }

  absl::StatusOr<uint64_t> Uint(absl::string_view field) const {
    const Json* v = Find(field);
    if (v == nullptr || !v->is_number_unsigned()) {
      return Malformed(what_, field, "want a non-negative integer");
    }
    return v->get<uint64_t>();
  }

  absl::StatusOr<bool> Bool(absl::string_view field) const {
    const Json* v = Find(field);
    if (v == nullptr || !v->is_boolean()) {
      return Malformed(what_, field, "want true or false");
    }
    return v->get<bool>();
  }

  absl::StatusOr<crypto::Sha256Digest> Digest(absl::string_view field) const {
    CONCORD_ASSIGN_OR_RETURN(std::string hex, String(field));
    return DecodeDigest(hex, field);
  }

  absl::StatusOr<std::optional<crypto::Sha256Digest>> OptionalDigest(
      absl::string_view field) const {
    CONCORD_ASSIGN_OR_RETURN(std::optional<std::string> hex, OptionalString(field));
    if (!hex.has_value()) {
      return std::nullopt;
    }
    return DecodeDigest(*hex, field);
  }

  absl::StatusOr<crypto::Sha256Digest> DecodeDigest(absl::string_view hex,
                                                    absl::string_view field) const {
    absl::StatusOr<Bytes> bytes = HexDecodeExact(hex, 32, field);
    if (!bytes.ok()) {
      return absl::DataLossError(absl::StrCat(what_, ": ", bytes.status().message()));
    }
    crypto::Sha256Digest out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
  }

  absl::StatusOr<Bytes> Hex(absl::string_view field) const {
    CONCORD_ASSIGN_OR_RETURN(std::string hex, String(field));
    absl::StatusOr<Bytes> bytes = HexDecode(hex);
    if (!bytes.ok()) {
      return Malformed(what_, field, "want lower-case hex");
    }
    return bytes;
  }

  absl::StatusOr<Bytes> Base64(const Json& v, absl::string_view field) const {
    if (!v.is_string()) {
      return Malformed(what_, field, "want a base64 string");
    }
    const std::string& text = v.get_ref<const std::string&>();
    std::string decoded;
    // Canonical padded base64 only: what decodes must encode back the same.
    if (!absl::Base64Unescape(text, &decoded) || absl::Base64Escape(decoded) != text) {
      return Malformed(what_, field, "want padded standard base64");
    }
    return ToBytes(decoded);
  }

  absl::StatusOr<Bytes> Base64Field(absl::string_view field) const {
    const Json* v = Find(field);
    if (v == nullptr) {
      return Malformed(what_, field, "want a base64 string");
    }
    return Base64(*v, field);
  }

  absl::string_view what() const { return what_; }

 private:
  const Json& json_;
  absl::string_view what_;
};

std::string Base64(ByteView data) { return absl::Base64Escape(AsStringView(data)); }

Json AuthorizationJson(const history::Authorization& auth) {
  return Json{{"owner_key", HexEncode(auth.owner_key.spki_der())},
              {"signature", HexEncode(auth.signature)}};
}

absl::StatusOr<std::map<crypto::Sha256Digest, Bytes>> ParseObjectMap(const Reader& r,
                                                                     absl::string_view field) {
  const Json* v = r.Find(field);
  if (v == nullptr || !v->is_object()) {
    return Malformed(r.what(), field, "want an object of hex hash -> base64");
  }
  if (v->size() > kMaxHistoryObjects) {
    return Malformed(r.what(), field, "too many entries");
  }
  std::map<crypto::Sha256Digest, Bytes> out;
  for (auto it = v->begin(); it != v->end(); ++it) {
    std::string entry = absl::StrCat(field, ".", it.key());
    CONCORD_ASSIGN_OR_RETURN(crypto::Sha256Digest hash, r.DecodeDigest(it.key(), entry));
    CONCORD_ASSIGN_OR_RETURN(Bytes data, r.Base64(it.value(), entry));
    out.emplace(hash, std::move(data));
  }
  return out;
}

Json OptionalHexJson(const std::optional<crypto::Sha256Digest>& digest) {
  return digest.has_value() ? Json(HexEncode(*digest)) : Json(nullptr);
}

}  // namespace

absl::StatusOr<StatusInfo> ParseStatusResponse(absl::string_view body) {
  constexpr absl::string_view kWhat = "status response";
  CONCORD_ASSIGN_OR_RETURN(Json json, ParseBody(body, kWhat));
  Reader r(json, kWhat);
  StatusInfo s;
  CONCORD_ASSIGN_OR_RETURN(s.state, r.String("state"));
  CONCORD_ASSIGN_OR_RETURN(std::optional<std::string> replica, r.OptionalString("replica"));
  s.replica = replica.value_or("");
  CONCORD_ASSIGN_OR_RETURN(s.generation, r.Uint("generation"));
  CONCORD_ASSIGN_OR_RETURN(s.transition, r.OptionalDigest("transition"));
  CONCORD_ASSIGN_OR_RETURN(s.manifest, r.OptionalDigest("manifest"));
  CONCORD_ASSIGN_OR_RETURN(s.head_verified, r.Bool("head_verified"));
  CONCORD_ASSIGN_OR_RETURN(s.challenge, r.OptionalDigest("challenge"));
  if (const Json* alarms = r.Find("alarms"); alarms != nullptr && !alarms->is_null()) {
    if (!alarms->is_array()) {
      return Malformed(kWhat, "alarms", "want an array of strings");
    }
    for (const Json& a : *alarms) {
      if (!a.is_string()) {
        return Malformed(kWhat, "alarms", "want an array of strings");
      }
      s.alarms.push_back(a.get<std::string>());
    }
  }
  CONCORD_ASSIGN_OR_RETURN(std::optional<std::string> version, r.OptionalString("version"));
  s.version = version.value_or("");
  if (s.generation > 0 && !s.transition.has_value()) {
    return Malformed(kWhat, "transition", "want a transition hash with a non-zero generation");
  }
  return s;
}

std::string StatusToJson(const StatusInfo& status, bool coordinator_verified) {
  Json j = {{"state", status.state},
            {"replica", status.replica},
            {"generation", status.generation},
            {"transition", OptionalHexJson(status.transition)},
            {"manifest", OptionalHexJson(status.manifest)},
            {"head_verified", status.head_verified},
            {"alarms", status.alarms},
            {"version", status.version},
            {"verified_coordinator", coordinator_verified}};
  return j.dump(2);
}

std::string EncodeSetManifestRequest(const SetManifestRequest& request) {
  Json j = {{"manifest", Base64(request.manifest)}};
  Json policies = Json::array();
  for (const Bytes& p : request.policies) {
    policies.push_back(Base64(p));
  }
  j["policies"] = std::move(policies);
  if (request.expected_previous.has_value()) {
    j["expected_previous"] = HexEncode(*request.expected_previous);
  }
  if (request.authorization.has_value()) {
    j["authorization"] = AuthorizationJson(*request.authorization);
  }
  if (request.challenge.has_value()) {
    j["challenge"] = HexEncode(*request.challenge);
  }
  return j.dump();
}

absl::StatusOr<TransitionResponse> ParseTransitionResponse(absl::string_view body) {
  constexpr absl::string_view kWhat = "transition response";
  CONCORD_ASSIGN_OR_RETURN(Json json, ParseBody(body, kWhat));
  Reader r(json, kWhat);
  TransitionResponse t;
  CONCORD_ASSIGN_OR_RETURN(t.transition, r.Digest("transition"));
  CONCORD_ASSIGN_OR_RETURN(t.generation, r.Uint("generation"));
  if (t.generation == 0) {
    return Malformed(kWhat, "generation", "want at least 1");
  }
  CONCORD_ASSIGN_OR_RETURN(t.root_ca_pem, r.String("root_ca"));
  CONCORD_ASSIGN_OR_RETURN(t.mesh_ca_pem, r.String("mesh_ca"));
  CONCORD_ASSIGN_OR_RETURN(t.intermediate_pem, r.String("intermediate"));
  if (const Json* shares = r.Find("seed_shares"); shares != nullptr && !shares->is_null()) {
    if (!shares->is_object()) {
      return Malformed(kWhat, "seed_shares", "want a seed-shares document");
    }
    absl::StatusOr<seed::SeedSharesDocument> doc = seed::DecodeSeedSharesJson(shares->dump());
    if (!doc.ok()) {
      return absl::DataLossError(absl::StrCat(kWhat, ": seed_shares: ", doc.status().message()));
    }
    t.seed_shares = *std::move(doc);
  }
  return t;
}

crypto::SecretBytes EncodeRecoverRequest(const seed::SeedSecrets& secrets,
                                         const history::Authorization& authorization,
                                         const RecoverRequest& request) {
  Json j = {{"seed", HexEncode(secrets.seed().Reveal())},
            {"salt", HexEncode(secrets.salt().Reveal())},
            {"expected_previous", HexEncode(request.expected_previous)},
            {"authorization", AuthorizationJson(authorization)},
            {"force", request.force}};
  if (request.minimum_head.has_value()) {
    j["minimum_head"] = HexEncode(*request.minimum_head);
  }
  std::string text = json::DumpSecret(j);
  crypto::SecretBytes out(AsBytes(text));
  // The JSON text and the tree held the seed and salt in hex: wipe both.
  crypto::WipeString(text);
  json::WipeStrings(j);
  return out;
}

std::string EncodeAttestRequest(const atls::Nonce& nonce) {
  return Json{{"nonce", HexEncode(nonce)}}.dump();
}

absl::StatusOr<AttestResponse> ParseAttestResponse(absl::string_view body,
                                                   const atls::Nonce& nonce) {
  constexpr absl::string_view kWhat = "attest response";
  CONCORD_ASSIGN_OR_RETURN(Json json, ParseBody(body, kWhat));
  Reader r(json, kWhat);
  AttestResponse a;
  const Json* ev = r.Find("evidence");
  if (ev == nullptr || !ev->is_object()) {
    return Malformed(kWhat, "evidence", "want an object");
  }
  Reader e(*ev, "attest response evidence");
  CONCORD_ASSIGN_OR_RETURN(std::string platform, e.String("platform"));
  absl::StatusOr<attest::Platform> parsed_platform = attest::ParsePlatform(platform);
  if (!parsed_platform.ok()) {
    return Malformed(e.what(), "platform", "want snp, tdx or simulated");
  }
  a.evidence.platform = *parsed_platform;
  CONCORD_ASSIGN_OR_RETURN(a.evidence.report, e.Base64Field("report"));
  const Json* certs = e.Find("certs");
  if (certs == nullptr || !certs->is_array() || certs->size() > attest::kMaxEvidenceCerts) {
    return Malformed(e.what(), "certs",
                     absl::StrCat("want an array of at most ", attest::kMaxEvidenceCerts,
                                  " base64 certificates"));
  }
  for (const Json& c : *certs) {
    CONCORD_ASSIGN_OR_RETURN(Bytes der, e.Base64(c, "certs"));
    a.evidence.certs.push_back(std::move(der));
  }
  a.statement.nonce = nonce;
  CONCORD_ASSIGN_OR_RETURN(a.statement.state, r.String("state"));
  if (a.statement.state.size() > 255) {
    return Malformed(kWhat, "state", "want at most 255 characters");
  }
  CONCORD_ASSIGN_OR_RETURN(a.statement.generation, r.Uint("generation"));
  CONCORD_ASSIGN_OR_RETURN(a.statement.transition_hash, r.Digest("transition"));
  CONCORD_ASSIGN_OR_RETURN(a.statement.history_key_spki_sha256,
                           r.Digest("history_key_spki_sha256"));
  CONCORD_ASSIGN_OR_RETURN(a.statement.root_ca_spki_sha256, r.Digest("root_ca_spki_sha256"));
  CONCORD_ASSIGN_OR_RETURN(a.statement.mesh_ca_spki_sha256, r.Digest("mesh_ca_spki_sha256"));
  CONCORD_ASSIGN_OR_RETURN(std::optional<std::string> history_key, r.OptionalString("history_key"));
  if (history_key.has_value()) {
    absl::StatusOr<Bytes> spki = HexDecode(*history_key);
    if (!spki.ok() || spki->empty() || spki->size() > crypto::kMaxSpkiDerSize) {
      return Malformed(kWhat, "history_key", "want hex SPKI DER");
    }
    a.history_key_spki = *std::move(spki);
  }
  CONCORD_ASSIGN_OR_RETURN(a.root_ca_pem, r.OptionalString("root_ca"));
  CONCORD_ASSIGN_OR_RETURN(a.mesh_ca_pem, r.OptionalString("mesh_ca"));
  return a;
}

absl::StatusOr<ManifestsResponse> ParseManifestsResponse(absl::string_view body) {
  constexpr absl::string_view kWhat = "manifests response";
  CONCORD_ASSIGN_OR_RETURN(Json json, ParseBody(body, kWhat));
  Reader r(json, kWhat);
  ManifestsResponse m;
  CONCORD_ASSIGN_OR_RETURN(m.latest, r.Base64Field("latest"));
  CONCORD_ASSIGN_OR_RETURN(m.history_key_spki, r.Hex("history_key"));
  const Json* transitions = r.Find("transitions");
  if (transitions == nullptr || !transitions->is_array() ||
      transitions->size() > kMaxHistoryObjects) {
    return Malformed(kWhat, "transitions", "want an array of {hash, transition}");
  }
  for (size_t i = 0; i < transitions->size(); ++i) {
    const Json& t = (*transitions)[i];
    std::string field = absl::StrCat("transitions[", i, "]");
    if (!t.is_object()) {
      return Malformed(kWhat, field, "want an object {hash, transition}");
    }
    Reader tr(t, kWhat);
    const Json* hash_hex = tr.Find("hash");
    if (hash_hex == nullptr || !hash_hex->is_string()) {
      return Malformed(kWhat, absl::StrCat(field, ".hash"), "want 64 hex characters");
    }
    CONCORD_ASSIGN_OR_RETURN(
        crypto::Sha256Digest hash,
        tr.DecodeDigest(hash_hex->get<std::string>(), absl::StrCat(field, ".hash")));
    const Json* encoded = tr.Find("transition");
    if (encoded == nullptr) {
      return Malformed(kWhat, absl::StrCat(field, ".transition"), "want a base64 string");
    }
    CONCORD_ASSIGN_OR_RETURN(Bytes data, tr.Base64(*encoded, absl::StrCat(field, ".transition")));
    m.transitions.emplace_back(hash, std::move(data));
  }
  CONCORD_ASSIGN_OR_RETURN(m.manifests, ParseObjectMap(r, "manifests"));
  CONCORD_ASSIGN_OR_RETURN(m.ca_bundles, ParseObjectMap(r, "ca_bundles"));
  return m;
}

absl::StatusOr<history::VerifiedHistory> VerifyServedHistory(const ManifestsResponse& response,
                                                             const crypto::PublicKey& history_key) {
  if (response.history_key_spki != history_key.spki_der()) {
    return absl::PermissionDeniedError("manifests: the served history key is not the attested one");
  }
  std::unique_ptr<store::MemoryStore> memory = store::MemoryStore::Create();
  // Objects go in under the hash the response claims; the verifier re-hashes
  // every one it reads, so a wrong claim is caught there.
  for (const auto& [hash, data] : response.transitions) {
    CONCORD_RETURN_IF_ERROR(
        memory->Put(history::ObjectKey(history::ObjectType::kTransition, hash), data));
  }
  for (const auto& [hash, data] : response.manifests) {
    CONCORD_RETURN_IF_ERROR(
        memory->Put(history::ObjectKey(history::ObjectType::kManifest, hash), data));
  }
  for (const auto& [hash, data] : response.ca_bundles) {
    CONCORD_RETURN_IF_ERROR(
        memory->Put(history::ObjectKey(history::ObjectType::kCaBundle, hash), data));
  }
  CONCORD_RETURN_IF_ERROR(memory->Commit({}, std::nullopt, response.latest));
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<history::HistoryVerifier> verifier,
      history::HistoryVerifier::Create(*memory, history_key, history::AuthorizationOptions()));
  CONCORD_ASSIGN_OR_RETURN(history::VerifiedHistory verified, verifier->Verify());
  if (verified.transitions.size() != response.transitions.size()) {
    return absl::DataLossError(
        absl::StrCat("manifests: the response lists ", response.transitions.size(),
                     " transitions but the verified chain has ", verified.transitions.size()));
  }
  for (size_t i = 0; i < verified.transitions.size(); ++i) {
    if (verified.transitions[i]->hash != response.transitions[i].first) {
      return absl::DataLossError(
          absl::StrCat("manifests: transitions[", i, "] is not the verified chain's"));
    }
  }
  return verified;
}

}  // namespace concord::client
