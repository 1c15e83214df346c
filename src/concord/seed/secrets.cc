#include "concord/seed/secrets.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/hkdf.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::seed {
namespace {

using crypto::KeyType;
using crypto::PrivateKey;
using crypto::SecretBytes;
using crypto::SslPtr;

// HKDF output lengths for the deterministic keys: the curve order width plus
// 16 bytes (P-384: 48 + 16, P-256: 32 + 16), so the bias of the reduction
// mod n-1 is below 2^-128.
constexpr size_t kP384CandidateSize = 64;
constexpr size_t kP256CandidateSize = 48;

absl::StatusOr<SecretBytes> DrawSecret(RandomSource& random, size_t size, absl::string_view what) {
  SecretBytes out(size);
  if (absl::Status s = random.Fill(out.RevealMutable()); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("generate ", what, ": ", s.message()));
  }
  return out;
}

absl::Status CheckSize(const SecretBytes& bytes, size_t want, absl::string_view what) {
  if (bytes.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": want ", want, " bytes, got ", bytes.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<PrivateKey> DeriveEcKey(KeyType curve, const SecretBytes& ikm, ByteView salt,
                                       ByteView info) {
  const size_t candidate_size = curve == KeyType::kEcP384 ? kP384CandidateSize : kP256CandidateSize;
  CONCORD_ASSIGN_OR_RETURN(SecretBytes c, crypto::HkdfSha256(ikm, salt, info, candidate_size));
  CONCORD_ASSIGN_OR_RETURN(SecretBytes d, internal::ScalarFromBytes(curve, c));
  return PrivateKey::FromEcScalar(curve, d);
}

}  // namespace

namespace internal {

absl::StatusOr<SecretBytes> ScalarFromBytes(KeyType curve, const SecretBytes& c) {
  if (curve == KeyType::kRsa) {
    return absl::InvalidArgumentError("derive EC scalar: want P-256 or P-384, got RSA");
  }
  SslPtr<EC_GROUP> group(
      EC_GROUP_new_by_curve_name(curve == KeyType::kEcP256 ? NID_X9_62_prime256v1 : NID_secp384r1));
  SslPtr<BN_CTX> bn_ctx(BN_CTX_secure_new());
  SslPtr<BIGNUM> n_minus_1(BN_new());
  SslPtr<BIGNUM> candidate(BN_secure_new());
  SslPtr<BIGNUM> d(BN_secure_new());
  if (group == nullptr || bn_ctx == nullptr || n_minus_1 == nullptr || candidate == nullptr ||
      d == nullptr) {
    return crypto::OpenSslInternal("derive EC scalar: allocate");
  }
  BN_set_flags(candidate.get(), BN_FLG_CONSTTIME);
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  if (BN_copy(n_minus_1.get(), order) == nullptr || BN_sub_word(n_minus_1.get(), 1) != 1 ||
      BN_bin2bn(c.Reveal().data(), static_cast<int>(c.size()), candidate.get()) == nullptr ||
      // BN_mod runs BN_div, which is constant-time in the dividend's value
      // in OpenSSL 3 (bn_div_fixed_top).
      BN_mod(d.get(), candidate.get(), n_minus_1.get(), bn_ctx.get()) != 1 ||
      BN_add(d.get(), d.get(), BN_value_one()) != 1) {
    return crypto::OpenSslInternal("derive EC scalar: reduce");
  }
  SecretBytes out(static_cast<size_t>(BN_num_bytes(order)));
  if (BN_bn2binpad(d.get(), out.RevealMutable().data(), static_cast<int>(out.size())) !=
      static_cast<int>(out.size())) {
    return crypto::OpenSslInternal("derive EC scalar: encode");
  }
  return out;
}

Bytes MeshCaKeyInfo(uint64_t generation, ByteView previous_transition_hash,
                    ByteView manifest_hash) {
  Bytes info(kMeshCaKeyLabel.begin(), kMeshCaKeyLabel.end());
  AppendBigEndian(info, generation, 8);
  Append(info, previous_transition_hash);
  Append(info, manifest_hash);
  return info;
}

}  // namespace internal

absl::Status ValidateWorkloadSecretId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxWorkloadSecretIdSize) {
    return absl::InvalidArgumentError(absl::StrCat("workload secret id: want 1 to ",
                                                   kMaxWorkloadSecretIdSize, " characters, got ",
                                                   id.size()));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    const char ch = id[i];
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("workload secret id: character ", i, " is not one of [A-Za-z0-9._-]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SeedSecrets> SeedSecrets::Generate(RandomSource& random) {
  CONCORD_ASSIGN_OR_RETURN(SecretBytes seed, DrawSecret(random, kSeedSize, "seed"));
  CONCORD_ASSIGN_OR_RETURN(SecretBytes salt, DrawSecret(random, kSaltSize, "salt"));
  return SeedSecrets(std::move(seed), std::move(salt));
}

absl::StatusOr<SeedSecrets> SeedSecrets::FromBytes(SecretBytes seed, SecretBytes salt) {
  CONCORD_RETURN_IF_ERROR(CheckSize(seed, kSeedSize, "seed"));
  CONCORD_RETURN_IF_ERROR(CheckSize(salt, kSaltSize, "salt"));
  return SeedSecrets(std::move(seed), std::move(salt));
}

absl::StatusOr<PrivateKey> SeedSecrets::DeriveRootCaKey() const {
  return DeriveEcKey(KeyType::kEcP384, seed_, salt_.Reveal(), AsBytes(kRootCaKeyLabel));
}

absl::StatusOr<PrivateKey> SeedSecrets::DeriveHistoryKey() const {
  return DeriveEcKey(KeyType::kEcP384, seed_, salt_.Reveal(), AsBytes(kHistoryKeyLabel));
}

absl::StatusOr<SecretBytes> SeedSecrets::DeriveWorkloadSecret(absl::string_view id) const {
  CONCORD_RETURN_IF_ERROR(ValidateWorkloadSecretId(id));
  const std::string info = absl::StrCat(kWorkloadSecretLabelPrefix, id);
  return crypto::HkdfSha256(seed_, salt_.Reveal(), AsBytes(info), kWorkloadSecretSize);
}

absl::StatusOr<MeshSecret> MeshSecret::Generate(RandomSource& random) {
  CONCORD_ASSIGN_OR_RETURN(SecretBytes secret, DrawSecret(random, kMeshSecretSize, "mesh secret"));
  return MeshSecret(std::move(secret));
}

absl::StatusOr<MeshSecret> MeshSecret::FromBytes(SecretBytes secret) {
  CONCORD_RETURN_IF_ERROR(CheckSize(secret, kMeshSecretSize, "mesh secret"));
  return MeshSecret(std::move(secret));
}

absl::StatusOr<PrivateKey> MeshSecret::DeriveMeshCaKey(uint64_t generation,
                                                       ByteView previous_transition_hash,
                                                       ByteView manifest_hash) const {
  if (previous_transition_hash.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("mesh CA key: previous transition hash: want 32 bytes, got ",
                     previous_transition_hash.size()));
  }
  if (manifest_hash.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("mesh CA key: manifest hash: want 32 bytes, got ", manifest_hash.size()));
  }
  const Bytes info = internal::MeshCaKeyInfo(generation, previous_transition_hash, manifest_hash);
  // HKDF salt: 32 zero bytes, which RFC 5869 §2.2 defines as the value of an
  // absent salt; the mesh secret is uniformly random, so extraction needs no
  // salt of its own.
  static constexpr uint8_t kZeroSalt[32] = {};
  return DeriveEcKey(KeyType::kEcP256, secret_, ByteView(kZeroSalt), info);
}

}  // namespace concord::seed
