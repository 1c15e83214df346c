// ECDSA P-384/SHA-384 verification of raw (r, s) signatures on nettle, the
// fast path for SEV-SNP report signatures (attest/snp) and simulated reports.
// A P384Verifier decodes and validates the public point once; Verify() is then
// one nettle ecdsa_verify. Immutable after construction; const methods are
// thread-safe.
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"

namespace concord::crypto {
namespace internal {
struct NettlePoint;
struct NettlePointDeleter {
  void operator()(NettlePoint* p) const;
};
}  // namespace internal

// Width of each of r and s for P-384.
inline constexpr size_t kP384ScalarSize = 48;
// Width of a SHA-384 digest.
inline constexpr size_t kP384DigestSize = 48;

class P384Verifier final {
 public:
  // Prepares `key`, which must be an ECDSA P-384 key (FailedPrecondition
  // otherwise). The point is decoded and checked to be on the curve here.
  static absl::StatusOr<P384Verifier> FromPublicKey(const PublicKey& key);

  P384Verifier(const P384Verifier&) = delete;
  P384Verifier& operator=(const P384Verifier&) = delete;
  P384Verifier(P384Verifier&&) noexcept = default;
  P384Verifier& operator=(P384Verifier&&) noexcept = default;

  // Verifies an ECDSA signature (r, s, each 48 bytes big-endian) over
  // SHA-384(message). InvalidArgument when r or s is not 48 bytes;
  // Unauthenticated when the signature does not verify (including r or s equal
  // to zero or not below the group order).
  [[nodiscard]] absl::Status Verify(ByteView message, ByteView r_be48, ByteView s_be48) const;
  // As Verify, over an already computed 48-byte SHA-384 digest.
  [[nodiscard]] absl::Status VerifyDigest(ByteView digest, ByteView r_be48, ByteView s_be48) const;

 private:
  explicit P384Verifier(std::unique_ptr<internal::NettlePoint, internal::NettlePointDeleter> p)
      : point_(std::move(p)) {}
  std::unique_ptr<internal::NettlePoint, internal::NettlePointDeleter> point_;
};

}  // namespace concord::crypto
