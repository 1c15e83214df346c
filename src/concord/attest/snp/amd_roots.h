// The AMD SEV-SNP roots compiled into Concord (Milan, Genoa, Turin: ARK, ASK,
// ASVK), parsed once and checked against their SHA-256 fingerprints at first
// use. Used by SnpVerifier. The returned objects are immutable; thread-safe.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/reference_values.h"
#include "concord/attest/snp/report.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::attest {

struct AmdRootCerts {
  SnpProduct product = SnpProduct::kMilan;
  crypto::SslPtr<X509> ark;
  crypto::SslPtr<X509> ask;
  crypto::SslPtr<X509> asvk;
};

// The compiled-in roots of `product` (static storage). Internal if an embedded
// certificate does not parse or does not have its recorded fingerprint.
absl::StatusOr<const AmdRootCerts*> GetAmdRoots(SnpProduct product);

// Verifies `leaf` -> ASK (VCEK) or ASVK (VLEK) -> ARK of `product` at `at`.
// Unauthenticated "snp: VCEK chain: <reason> (at <time>)" on failure.
absl::Status VerifyAmdChain(X509* leaf, SnpProduct product, SnpSigningKey key, absl::Time at);

}  // namespace concord::attest
