#include "concord/api/requests.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/history/format.h"
#include "concord/manifest/manifest.h"
#include "concord/wire/json_fields.h"

namespace concord::api {
namespace {

using wire::CheckFields;
using wire::FieldPath;
using wire::Json;
using wire::Member;

absl::Status Required(absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": required"));
}

absl::StatusOr<crypto::Sha256Digest> ReadDigest(const Json& value, absl::string_view path) {
  CONCORD_ASSIGN_OR_RETURN(Bytes bytes, wire::ReadHexExact(value, path, 32));
  crypto::Sha256Digest digest{};
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  return digest;
}

absl::StatusOr<std::optional<crypto::Sha256Digest>> ReadOptionalDigest(const Json& object,
                                                                       absl::string_view name) {
  const Json* value = Member(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::Sha256Digest digest, ReadDigest(*value, name));
  return digest;
}

// {"owner_key": hex SPKI DER, "signature": hex}.
absl::StatusOr<history::Authorization> ReadAuthorization(const Json& value,
                                                         absl::string_view path) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": want an object, got ", wire::JsonTypeName(value)));
  }
  CONCORD_RETURN_IF_ERROR(CheckFields(value, path, {"owner_key", "signature"}));
  const std::string key_path = FieldPath(path, "owner_key");
  const std::string signature_path = FieldPath(path, "signature");
  const Json* key_json = Member(value, "owner_key");
  if (key_json == nullptr) {
    return Required(key_path);
  }
  const Json* signature_json = Member(value, "signature");
  if (signature_json == nullptr) {
    return Required(signature_path);
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes spki, wire::ReadHex(*key_json, key_path, crypto::kMaxSpkiDerSize));
  absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::FromSpkiDer(spki);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_path, ": want an ECDSA P-256/P-384 or RSA SubjectPublicKeyInfo (",
                     key.status().message(), ")"));
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes signature, wire::ReadHex(*signature_json, signature_path,
                                                          history::kMaxAuthorizationSignatureSize));
  return history::Authorization{*std::move(key), std::move(signature)};
}

}  // namespace

absl::StatusOr<coordinator::SetManifestRequest> ParseSetManifestRequest(absl::string_view body) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseJsonObject(body));
  CONCORD_RETURN_IF_ERROR(CheckFields(
      object, "", {"manifest", "policies", "expected_previous", "authorization", "challenge"}));
  coordinator::SetManifestRequest request;
  const Json* manifest = Member(object, "manifest");
  if (manifest == nullptr) {
    return Required("manifest");
  }
  CONCORD_ASSIGN_OR_RETURN(request.manifest,
                           wire::ReadBase64(*manifest, "manifest", manifest::kMaxManifestSize));
  if (request.manifest.empty()) {
    return absl::InvalidArgumentError("manifest: want a non-empty document");
  }
  if (const Json* policies = Member(object, "policies"); policies != nullptr) {
    if (!policies->is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat("policies: want an array, got ", wire::JsonTypeName(*policies)));
    }
    if (policies->size() > kMaxPoliciesPerRequest) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "policies: want at most ", kMaxPoliciesPerRequest, " documents, got ", policies->size()));
    }
    for (size_t i = 0; i < policies->size(); ++i) {
      const std::string path = absl::StrCat("policies[", i, "]");
      CONCORD_ASSIGN_OR_RETURN(Bytes document,
                               wire::ReadBase64((*policies)[i], path, kMaxPolicyDocumentSize));
      if (document.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": want a non-empty document"));
      }
      request.policies.push_back(std::move(document));
    }
  }
  CONCORD_ASSIGN_OR_RETURN(request.expected_previous,
                           ReadOptionalDigest(object, "expected_previous"));
  CONCORD_ASSIGN_OR_RETURN(request.genesis_challenge, ReadOptionalDigest(object, "challenge"));
  if (const Json* authorization = Member(object, "authorization"); authorization != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(request.authorization,
                             ReadAuthorization(*authorization, "authorization"));
  }
  return request;
}

namespace {

absl::StatusOr<ParsedRecoverRequest> RecoverRequestFrom(const Json& object,
                                                        const crypto::PublicKey& caller) {
  CONCORD_RETURN_IF_ERROR(CheckFields(
      object, "", {"seed", "salt", "expected_previous", "authorization", "minimum_head", "force"}));
  const Json* seed_json = Member(object, "seed");
  if (seed_json == nullptr) {
    return Required("seed");
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::SecretBytes seed, wire::ReadSecretHex(*seed_json, "seed", 32));
  const Json* salt_json = Member(object, "salt");
  if (salt_json == nullptr) {
    return Required("salt");
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::SecretBytes salt, wire::ReadSecretHex(*salt_json, "salt", 32));
  const Json* expected_json = Member(object, "expected_previous");
  if (expected_json == nullptr) {
    return Required("expected_previous");
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::Sha256Digest expected,
                           ReadDigest(*expected_json, "expected_previous"));
  const Json* authorization_json = Member(object, "authorization");
  if (authorization_json == nullptr) {
    return Required("authorization");
  }
  CONCORD_ASSIGN_OR_RETURN(history::Authorization authorization,
                           ReadAuthorization(*authorization_json, "authorization"));
  CONCORD_ASSIGN_OR_RETURN(std::optional<crypto::Sha256Digest> minimum_head,
                           ReadOptionalDigest(object, "minimum_head"));
  bool force = false;
  if (const Json* force_json = Member(object, "force"); force_json != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(force, wire::ReadBool(*force_json, "force"));
  }
  return ParsedRecoverRequest{
      coordinator::RecoverRequest{caller, std::move(seed), std::move(salt), expected,
                                  std::move(authorization), minimum_head, force},
      force};
}

}  // namespace

absl::StatusOr<ParsedRecoverRequest> ParseRecoverRequest(absl::string_view body,
                                                         const crypto::PublicKey& caller) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseSecretJsonObject(body));
  absl::StatusOr<ParsedRecoverRequest> parsed = RecoverRequestFrom(object, caller);
  // The DOM holds the seed and salt as hex text: overwrite it, whatever the
  // outcome (the server wipes the body it read).
  json::WipeStrings(object);
  return parsed;
}

absl::StatusOr<atls::Nonce> ParseAttestRequest(absl::string_view body) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseJsonObject(body));
  CONCORD_RETURN_IF_ERROR(CheckFields(object, "", {"nonce"}));
  const Json* nonce_json = Member(object, "nonce");
  if (nonce_json == nullptr) {
    return Required("nonce");
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes bytes, wire::ReadHexExact(*nonce_json, "nonce", atls::kNonceSize));
  atls::Nonce nonce{};
  std::copy(bytes.begin(), bytes.end(), nonce.begin());
  return nonce;
}

absl::StatusOr<MeshCertRequest> ParseMeshCertRequest(absl::string_view body,
                                                     absl::Duration max_lifetime) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseJsonObject(body));
  CONCORD_RETURN_IF_ERROR(CheckFields(object, "", {"lifetime_seconds"}));
  MeshCertRequest request;
  if (const Json* lifetime = Member(object, "lifetime_seconds"); lifetime != nullptr) {
    const int64_t max_seconds = absl::ToInt64Seconds(max_lifetime);
    CONCORD_ASSIGN_OR_RETURN(
        uint64_t seconds, wire::ReadUint(*lifetime, "lifetime_seconds", 1,
                                         static_cast<uint64_t>(max_seconds < 1 ? 1 : max_seconds)));
    request.lifetime = absl::Seconds(static_cast<int64_t>(seconds));
  }
  return request;
}

}  // namespace concord::api
