// Public and private keys over OpenSSL EVP_PKEY: SPKI DER/PEM parsing and
// encoding, ECDSA sign/verify (P-256 with SHA-256, P-384 with SHA-384 by
// default), and EC keys from a given scalar (for deterministic derivation).
// Objects are immutable after construction; const methods are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto {

class P384Signer;
namespace internal {
struct P384SignerDeleter {
  void operator()(const P384Signer* p) const;
};
}  // namespace internal

enum class KeyType { kEcP256, kEcP384, kRsa };

// Human name for messages: "ECDSA P-256", "ECDSA P-384", "RSA".
absl::string_view KeyTypeName(KeyType type);

// The default hash for ECDSA on the key's curve (SHA-256 / SHA-384).
HashAlg DefaultEcdsaHash(KeyType type);

// Largest SPKI DER accepted (an RSA-8192 SPKI is ~1.1 KiB).
inline constexpr size_t kMaxSpkiDerSize = 4096;

class PublicKey final {
 public:
  // Parses DER SubjectPublicKeyInfo. Accepts EC P-256, EC P-384 and RSA with a
  // modulus of 2048..8192 bits. InvalidArgument describing the problem.
  static absl::StatusOr<PublicKey> FromSpkiDer(ByteView der);
  // The general OpenSSL decoder path of FromSpkiDer (every key shape the
  // fast path in internal/spki_fast.h does not take goes here); tests call it
  // directly to cross-check the two paths.
  static absl::StatusOr<PublicKey> FromSpkiDerGeneral(ByteView der);
  // Parses a PEM "PUBLIC KEY" block.
  static absl::StatusOr<PublicKey> FromSpkiPem(absl::string_view pem);
  // Takes a reference to `pkey` (up-ref'd; the caller keeps its own).
  static absl::StatusOr<PublicKey> FromEvp(EVP_PKEY* pkey);

  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  KeyType type() const { return type_; }
  // Canonical DER SubjectPublicKeyInfo.
  const Bytes& spki_der() const { return spki_der_; }
  // SHA-256 of the DER SPKI: the identity and pin format everywhere.
  Sha256Digest SpkiSha256() const { return Sha256(spki_der_); }
  std::string ToPem() const;

  // Verifies a DER-encoded ECDSA signature over `message` (hashed with
  // `hash`). Unauthenticated when the signature does not verify or is
  // malformed; FailedPrecondition if this is not an EC key.
  absl::Status VerifyEcdsa(ByteView message, ByteView der_signature, HashAlg hash) const;
  absl::Status VerifyEcdsa(ByteView message, ByteView der_signature) const {
    return VerifyEcdsa(message, der_signature, DefaultEcdsaHash(type_));
  }

  // Borrowed pointer, valid while this object lives.
  EVP_PKEY* evp() const { return key_.get(); }

 private:
  PublicKey(SslPtr<EVP_PKEY> key, KeyType type, Bytes spki_der)
      : key_(std::move(key)), type_(type), spki_der_(std::move(spki_der)) {}
  SslPtr<EVP_PKEY> key_;
  KeyType type_;
  Bytes spki_der_;
};

class PrivateKey final {
 public:
  // Generates a fresh EC key on OpenSSL's DRBG.
  static absl::StatusOr<PrivateKey> GenerateEc(KeyType curve);
  // Generates an RSA key (e.g. 4096 bits for seed-share owners).
  static absl::StatusOr<PrivateKey> GenerateRsa(int bits);
  // Builds an EC key from a big-endian scalar 1 <= d < n (deterministic
  // derivation). InvalidArgument when d is out of range.
  static absl::StatusOr<PrivateKey> FromEcScalar(KeyType curve, const SecretBytes& d);
  // Parses a PKCS#8 or traditional PEM private key (EC or RSA).
  static absl::StatusOr<PrivateKey> FromPem(const SecretBytes& pem);

  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  KeyType type() const { return public_key_.type(); }
  const PublicKey& public_key() const { return public_key_; }

  // Unencrypted PKCS#8 PEM: secret, so it comes back as SecretBytes.
  absl::StatusOr<SecretBytes> ToPkcs8Pem() const;

  // ECDSA signature (DER) over `message`, hashed with `hash`.
  absl::StatusOr<Bytes> SignEcdsa(ByteView message, HashAlg hash) const;
  absl::StatusOr<Bytes> SignEcdsa(ByteView message) const {
    return SignEcdsa(message, DefaultEcdsaHash(type()));
  }

  // Raw key access, for the few places that hand the key to OpenSSL (signing
  // certificates, TLS contexts). Greppable on purpose.
  EVP_PKEY* RawEvpForSigning() const { return key_.get(); }

 private:
  PrivateKey(SslPtr<EVP_PKEY> key, PublicKey pub,
             std::unique_ptr<const P384Signer, internal::P384SignerDeleter> p384)
      : key_(std::move(key)), public_key_(std::move(pub)), p384_(std::move(p384)) {}
  static absl::StatusOr<PrivateKey> FromEvp(SslPtr<EVP_PKEY> key);
  SslPtr<EVP_PKEY> key_;
  PublicKey public_key_;
  // P-384 keys only: the nettle signer SignEcdsa uses for SHA-384
  // (p384_sign.h says why).
  std::unique_ptr<const P384Signer, internal::P384SignerDeleter> p384_;
};

// Converts between DER ECDSA signatures and fixed-width big-endian r||s.
absl::StatusOr<Bytes> EcdsaRawToDer(ByteView r_be, ByteView s_be);
absl::StatusOr<Bytes> EcdsaDerToRaw(ByteView der, size_t component_size);

}  // namespace concord::crypto
