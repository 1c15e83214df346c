// Seed shares: the seed encrypted to each seed-share owner's RSA key with
// RSA-OAEP (SHA-256, MGF1-SHA-256, label "concord/v1/seed-share"), and the
// seed-shares document (salt + shares) the CLI stores as seed-shares.json.
// Used by the coordinator (first set, GET /v1/seedshares) and the CLI
// (`concord recover`). Thread-safe (pure functions). docs/secrets.md has the
// exact format.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/seed/secrets.h"

namespace concord::seed {

// OAEP label of every seed share.
inline constexpr absl::string_view kSeedShareLabel = "concord/v1/seed-share";
// Format version of the seed-shares document.
inline constexpr int kSeedSharesVersion = 1;
// Limits of the document parser.
inline constexpr size_t kMaxSeedSharesDocumentSize = 1024 * 1024;
inline constexpr size_t kMaxSeedShares = 256;

// Encrypts the seed (not the salt) to `owner`, which must be an RSA key.
// InvalidArgument for a non-RSA key; Internal on an OpenSSL failure.
absl::StatusOr<Bytes> EncryptSeedShare(const SeedSecrets& secrets, const crypto::PublicKey& owner);

// Decrypts a seed share with the owner's private key. Unauthenticated (one
// generic message) when the share was not made for this key or was altered;
// DataLoss if it decrypts to something other than a 32-byte seed.
absl::StatusOr<crypto::SecretBytes> DecryptSeedShare(ByteView ciphertext,
                                                     const crypto::PrivateKey& owner);

struct SeedShare {
  Bytes owner_spki_der;  // The owner's RSA SubjectPublicKeyInfo (DER).
  Bytes encrypted_seed;  // RSA-OAEP ciphertext, modulus-sized.
};

// What the first set returns and `GET /v1/seedshares` re-issues. The salt is
// public by design (docs/secrets.md): useless without the seed.
struct SeedSharesDocument {
  Bytes salt;  // 32 bytes.
  std::vector<SeedShare> shares;
};

// Encrypts the seed to every owner, in the given order. InvalidArgument if an
// owner is not RSA, appears twice, or there are more than kMaxSeedShares.
absl::StatusOr<SeedSharesDocument> MakeSeedShares(const SeedSecrets& secrets,
                                                  absl::Span<const crypto::PublicKey> owners);

// Canonical JSON (2-space indent, fixed key order, trailing newline):
//   {"Version":1,"Salt":"<hex>","SeedShares":[{"OwnerKey":"<hex SPKI DER>",
//    "EncryptedSeed":"<hex>"}, ...]}
std::string EncodeSeedSharesJson(const SeedSharesDocument& document);

// Strict parser for EncodeSeedSharesJson output: InvalidArgument naming the
// field for unknown or duplicate keys, wrong types, wrong Version, bad hex,
// salt not 32 bytes, an owner key that is not an RSA SPKI, a ciphertext not
// the size of the owner's modulus, duplicate owners, or over the limits.
absl::StatusOr<SeedSharesDocument> DecodeSeedSharesJson(absl::string_view json);

// Finds the share made for `owner` in `document`, decrypts it and returns the
// seed with the document's salt. NotFound if no share names this key; else as
// DecryptSeedShare.
absl::StatusOr<SeedSecrets> RecoverSeedSecrets(const SeedSharesDocument& document,
                                               const crypto::PrivateKey& owner);

}  // namespace concord::seed
