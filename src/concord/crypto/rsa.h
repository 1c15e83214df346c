// RSA-OAEP encryption (seed shares to seed-share owners) and RSASSA-PSS
// signatures, both over SHA-256 with MGF1-SHA-256. Used by seed/ (seed shares)
// and by owners' tooling. Thread-safe (pure functions over immutable keys).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"

namespace concord::crypto {

// PSS salt length in bytes (equal to the SHA-256 digest length).
inline constexpr int kRsaPssSaltLength = 32;

// RSA-OAEP with SHA-256 (and MGF1-SHA-256) and the given label (may be empty).
// InvalidArgument if `key` is not RSA or `plaintext` is longer than the key
// allows (modulus bytes - 66); Internal on an OpenSSL failure.
absl::StatusOr<Bytes> RsaOaepEncrypt(const PublicKey& key, ByteView plaintext, ByteView label);

// Inverse of RsaOaepEncrypt. InvalidArgument if `key` is not RSA. Every
// decryption failure (wrong key, tampered or mis-sized ciphertext, wrong
// label) returns the same Unauthenticated message, so callers cannot be used
// as a padding oracle.
absl::StatusOr<SecretBytes> RsaOaepDecrypt(const PrivateKey& key, ByteView ciphertext,
                                           ByteView label);

// RSASSA-PSS over `message` with SHA-256, MGF1-SHA-256 and a 32-byte salt.
// InvalidArgument if `key` is not RSA; Internal on an OpenSSL failure.
absl::StatusOr<Bytes> RsaPssSign(const PrivateKey& key, ByteView message);

// Verifies an RsaPssSign signature (salt length must be exactly 32).
// Unauthenticated on any mismatch; InvalidArgument if `key` is not RSA.
[[nodiscard]] absl::Status RsaPssVerify(const PublicKey& key, ByteView message, ByteView signature);

}  // namespace concord::crypto
