// Builders for the CA certificates (DESIGN.md §4; profiles in
// docs/secrets.md): the root CA, made once at the first set with the
// seed-derived P-384 key, and per transition the mesh CA (self-signed with the
// transition's P-256 key) and its intermediate (the same subject and key,
// signed by the root). OpenSSL 3.0 ECDSA signatures are randomized, so these
// bytes are made once and stored, never re-made. Thread-safe (pure functions
// of their inputs and the injected RandomSource).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/ca/ca_bundle.h"
#include "concord/common/bytes.h"
#include "concord/common/random.h"
#include "concord/crypto/keys.h"

namespace concord::ca {

inline constexpr absl::string_view kRootCaCommonName = "Concord Root CA";
inline constexpr absl::string_view kMeshCaCommonNamePrefix = "Concord Mesh CA g";
// notBefore of every certificate is backdated by this much against clock skew.
inline constexpr absl::Duration kBackdate = absl::Minutes(5);
// Root CA lifetime from its notBefore: 3653 days (10 years incl. leap days).
inline constexpr absl::Duration kRootCaLifetime = absl::Hours(24 * 3653);

// Makes the self-signed root CA certificate (DER) for `root_key` (ECDSA
// P-384): subject CN=Concord Root CA (+ O=`deployment_name` if non-empty),
// valid from now - kBackdate for kRootCaLifetime. InvalidArgument for a
// non-P-384 key or a deployment name that is not 0..64 printable ASCII.
absl::StatusOr<Bytes> CreateRootCaCertificate(const crypto::PrivateKey& root_key,
                                              absl::string_view deployment_name, absl::Time now,
                                              RandomSource& random);

// Makes the mesh CA and intermediate of the transition with `generation` for
// `mesh_key` (ECDSA P-256) under the stored root certificate, and returns the
// validated bundle. Both are valid from now - kBackdate until the root's
// notAfter. InvalidArgument if `root_key` does not match `root_der` or the key
// types are wrong; FailedPrecondition if the root has expired at `now`.
absl::StatusOr<CaBundle> CreateCaBundle(const crypto::PrivateKey& root_key, ByteView root_der,
                                        const crypto::PrivateKey& mesh_key, uint64_t generation,
                                        absl::Time now, RandomSource& random);

}  // namespace concord::ca
