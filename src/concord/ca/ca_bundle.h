// The certificates of one transition: the root CA (made once at the first
// set), the mesh CA of the transition (self-signed) and its intermediate (the
// same subject and key, signed by the root). Stored content-addressed under
// certs/ by the SHA-256 of Serialize() and referenced from the transition.
// Used by the coordinator, history and the API. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/common/bytes.h"
#include "concord/common/random.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"

namespace concord::ca {

// Serialization: kCaBundleMagic || for root, mesh CA, intermediate in this
// order: 4-byte big-endian length || certificate DER. No trailing bytes.
inline constexpr absl::string_view kCaBundleMagic = "concord/v1/ca-bundle";
inline constexpr size_t kMaxCaBundleSize = 3 * (4 + 64 * 1024) + 20;

class CaBundle final {
 public:
  // Validates and adopts the three DER certificates. InvalidArgument naming
  // the certificate unless: each is one canonical DER certificate; the root
  // is a self-signed ECDSA P-384 CA; the mesh CA is a self-signed ECDSA P-256
  // CA; the intermediate has the mesh CA's subject and key, the root's
  // subject as issuer, is a CA, and its signature verifies under the root.
  static absl::StatusOr<CaBundle> Create(Bytes root_der, Bytes mesh_ca_der, Bytes intermediate_der);

  // Strict inverse of Serialize(): InvalidArgument for a wrong magic,
  // truncated or trailing bytes, or anything Create() rejects.
  static absl::StatusOr<CaBundle> Parse(ByteView serialized);

  CaBundle(const CaBundle&) = default;
  CaBundle& operator=(const CaBundle&) = default;
  CaBundle(CaBundle&&) noexcept = default;
  CaBundle& operator=(CaBundle&&) noexcept = default;

  // Deterministic encoding (see kCaBundleMagic).
  Bytes Serialize() const;
  // SHA-256 of Serialize(): the content address.
  crypto::Sha256Digest Hash() const;

  const Bytes& root_der() const { return root_der_; }
  const Bytes& mesh_ca_der() const { return mesh_ca_der_; }
  const Bytes& intermediate_der() const { return intermediate_der_; }
  const crypto::PublicKey& root_public_key() const { return root_key_; }
  const crypto::PublicKey& mesh_ca_public_key() const { return mesh_key_; }
  // The mesh CA's (and intermediate's) notAfter: no leaf outlives it.
  absl::Time mesh_ca_not_after() const { return mesh_not_after_; }

  // PEM "CERTIFICATE" blocks: coordinator-root-ca.pem, mesh-ca.pem, and the
  // intermediate.
  std::string RootCaPem() const;
  std::string MeshCaPem() const;
  std::string IntermediatePem() const;
  // The chain handed to a workload: its leaf followed by the intermediate, so
  // it verifies to the mesh CA or (through the intermediate) to the root.
  std::string WorkloadChainPem(ByteView leaf_der) const;

 private:
  // CreateCaBundle adopts the certificates it has just made and signed
  // without parsing and verifying them again; CaBundle::Parse still checks
  // everything when anyone reads the bundle back.
  friend absl::StatusOr<CaBundle> CreateCaBundle(const crypto::PrivateKey& root_key,
                                                 ByteView root_der,
                                                 const crypto::PrivateKey& mesh_key,
                                                 uint64_t generation, absl::Time now,
                                                 RandomSource& random);

  CaBundle(Bytes root, Bytes mesh, Bytes intermediate, crypto::PublicKey root_key,
           crypto::PublicKey mesh_key, absl::Time mesh_not_after)
      : root_der_(std::move(root)),
        mesh_ca_der_(std::move(mesh)),
        intermediate_der_(std::move(intermediate)),
        root_key_(std::move(root_key)),
        mesh_key_(std::move(mesh_key)),
        mesh_not_after_(mesh_not_after) {}

  Bytes root_der_;
  Bytes mesh_ca_der_;
  Bytes intermediate_der_;
  crypto::PublicKey root_key_;
  crypto::PublicKey mesh_key_;
  absl::Time mesh_not_after_;
};

}  // namespace concord::ca
