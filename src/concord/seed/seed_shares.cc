#include "concord/seed/seed_shares.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/crypto/rsa.h"
#include "nlohmann/json.hpp"

namespace concord::seed {
namespace {

using crypto::PublicKey;
using crypto::SecretBytes;
using Json = nlohmann::ordered_json;

absl::Status RequireRsaOwner(const PublicKey& owner, absl::string_view what) {
  if (owner.type() != crypto::KeyType::kRsa) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": want an RSA seed-share owner key, got ",
                                                   crypto::KeyTypeName(owner.type())));
  }
  return absl::OkStatus();
}

// Strict JSON (no duplicate keys at any depth, nothing after the value) of at
// most kMaxSeedSharesDocumentSize bytes. The schema nests three levels
// (object, array, object); the parser stops at anything deeper.
constexpr json::StrictJsonOptions kParseOptions{
    .document = "seed shares",
    .max_size = kMaxSeedSharesDocumentSize,
    .max_depth = 3,
    .messages = {.invalid = "{document}: not valid JSON at {location}: {detail}",
                 .too_deep = "{document}: want at most {limit} levels of nesting at {where}",
                 .duplicate_key = "{document}: duplicate key {key}"},
};

absl::Status CheckKeys(const Json& object, std::initializer_list<absl::string_view> allowed,
                       absl::string_view where) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (absl::string_view a : allowed) {
      known = known || key == a;
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown field \"", key, "\""));
    }
  }
  for (absl::string_view a : allowed) {
    if (!object.contains(std::string(a))) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": missing field \"", a, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const Json& object, const char* key,
                                      absl::string_view where) {
  const Json& value = object.at(key);
  if (!value.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": want a string"));
  }
  return value.get<std::string>();
}

}  // namespace

absl::StatusOr<Bytes> EncryptSeedShare(const SeedSecrets& secrets, const PublicKey& owner) {
  CONCORD_RETURN_IF_ERROR(RequireRsaOwner(owner, "encrypt seed share"));
  return crypto::RsaOaepEncrypt(owner, secrets.seed().Reveal(), AsBytes(kSeedShareLabel));
}

absl::StatusOr<SecretBytes> DecryptSeedShare(ByteView ciphertext, const crypto::PrivateKey& owner) {
  CONCORD_RETURN_IF_ERROR(RequireRsaOwner(owner.public_key(), "decrypt seed share"));
  CONCORD_ASSIGN_OR_RETURN(SecretBytes seed,
                           crypto::RsaOaepDecrypt(owner, ciphertext, AsBytes(kSeedShareLabel)));
  if (seed.size() != kSeedSize) {
    return absl::DataLossError(absl::StrCat("decrypt seed share: want a ", kSeedSize,
                                            "-byte seed, got ", seed.size(), " bytes"));
  }
  return seed;
}

absl::StatusOr<SeedSharesDocument> MakeSeedShares(const SeedSecrets& secrets,
                                                  absl::Span<const PublicKey> owners) {
  if (owners.size() > kMaxSeedShares) {
    return absl::InvalidArgumentError(
        absl::StrCat("seed shares: want at most ", kMaxSeedShares, " owners, got ", owners.size()));
  }
  SeedSharesDocument document;
  document.salt.assign(secrets.salt().Reveal().begin(), secrets.salt().Reveal().end());
  std::set<Bytes> seen;
  for (size_t i = 0; i < owners.size(); ++i) {
    const std::string where = absl::StrCat("seed shares: owner ", i);
    CONCORD_RETURN_IF_ERROR(RequireRsaOwner(owners[i], where));
    if (!seen.insert(owners[i].spki_der()).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate owner key"));
    }
    CONCORD_ASSIGN_OR_RETURN(Bytes ciphertext, EncryptSeedShare(secrets, owners[i]));
    document.shares.push_back(SeedShare{owners[i].spki_der(), std::move(ciphertext)});
  }
  return document;
}

std::string EncodeSeedSharesJson(const SeedSharesDocument& document) {
  Json shares = Json::array();
  for (const SeedShare& share : document.shares) {
    Json entry = Json::object();
    entry["OwnerKey"] = HexEncode(share.owner_spki_der);
    entry["EncryptedSeed"] = HexEncode(share.encrypted_seed);
    shares.push_back(std::move(entry));
  }
  Json json = Json::object();
  json["Version"] = kSeedSharesVersion;
  json["Salt"] = HexEncode(document.salt);
  json["SeedShares"] = std::move(shares);
  return json.dump(2) + "\n";
}

absl::StatusOr<SeedSharesDocument> DecodeSeedSharesJson(absl::string_view text) {
  constexpr absl::string_view kWhat = "seed shares";
  CONCORD_ASSIGN_OR_RETURN(Json json, json::ParseStrict<Json>(text, kParseOptions));
  if (!json.is_object()) {
    return absl::InvalidArgumentError("seed shares: want a JSON object");
  }
  CONCORD_RETURN_IF_ERROR(CheckKeys(json, {"Version", "Salt", "SeedShares"}, kWhat));
  const Json& version = json.at("Version");
  if (!version.is_number_integer() || version.get<int64_t>() != kSeedSharesVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("seed shares.Version: want ", kSeedSharesVersion));
  }
  SeedSharesDocument document;
  CONCORD_ASSIGN_OR_RETURN(std::string salt_hex, GetString(json, "Salt", kWhat));
  CONCORD_ASSIGN_OR_RETURN(document.salt, HexDecodeExact(salt_hex, kSaltSize, "seed shares.Salt"));
  const Json& shares = json.at("SeedShares");
  if (!shares.is_array()) {
    return absl::InvalidArgumentError("seed shares.SeedShares: want an array");
  }
  if (shares.size() > kMaxSeedShares) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seed shares.SeedShares: want at most ", kMaxSeedShares, " entries, got ", shares.size()));
  }
  std::set<Bytes> seen;
  for (size_t i = 0; i < shares.size(); ++i) {
    const std::string where = absl::StrCat("seed shares.SeedShares[", i, "]");
    const Json& entry = shares[i];
    if (!entry.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": want an object"));
    }
    CONCORD_RETURN_IF_ERROR(CheckKeys(entry, {"OwnerKey", "EncryptedSeed"}, where));
    CONCORD_ASSIGN_OR_RETURN(std::string owner_hex, GetString(entry, "OwnerKey", where));
    CONCORD_ASSIGN_OR_RETURN(std::string seed_hex, GetString(entry, "EncryptedSeed", where));
    SeedShare share;
    CONCORD_ASSIGN_OR_RETURN(share.owner_spki_der,
                             HexDecode(owner_hex, absl::StrCat(where, ".OwnerKey")));
    CONCORD_ASSIGN_OR_RETURN(share.encrypted_seed,
                             HexDecode(seed_hex, absl::StrCat(where, ".EncryptedSeed")));
    absl::StatusOr<PublicKey> owner = PublicKey::FromSpkiDer(share.owner_spki_der);
    if (!owner.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".OwnerKey: ", owner.status().message()));
    }
    CONCORD_RETURN_IF_ERROR(RequireRsaOwner(*owner, absl::StrCat(where, ".OwnerKey")));
    const size_t modulus_bytes = static_cast<size_t>(EVP_PKEY_get_size(owner->evp()));
    if (share.encrypted_seed.size() != modulus_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".EncryptedSeed: want ", modulus_bytes,
                                                     " bytes (the owner's modulus), got ",
                                                     share.encrypted_seed.size()));
    }
    if (!seen.insert(share.owner_spki_der).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".OwnerKey: duplicate owner key"));
    }
    document.shares.push_back(std::move(share));
  }
  return document;
}

absl::StatusOr<SeedSecrets> RecoverSeedSecrets(const SeedSharesDocument& document,
                                               const crypto::PrivateKey& owner) {
  const Bytes& spki = owner.public_key().spki_der();
  for (const SeedShare& share : document.shares) {
    if (share.owner_spki_der == spki) {
      CONCORD_ASSIGN_OR_RETURN(SecretBytes seed, DecryptSeedShare(share.encrypted_seed, owner));
      return SeedSecrets::FromBytes(std::move(seed), SecretBytes(ByteView(document.salt)));
    }
  }
  return absl::NotFoundError("recover seed: no seed share for this owner key");
}

}  // namespace concord::seed
