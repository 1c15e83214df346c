// Workload certificate issuance under a transition's mesh CA (DESIGN.md §4;
// profile in docs/secrets.md). The coordinator creates one Issuer per
// transition from the derived mesh CA key and the stored CA bundle, and calls
// Issue() for every verified workload (POST /v1/mesh/cert). Issue() is
// thread-safe and is the hot path: it costs well under 100 us (see
// bench/ca_bench.cc).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "concord/ca/ca_bundle.h"
#include "concord/common/bytes.h"
#include "concord/common/clock.h"
#include "concord/common/random.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::ca {

inline constexpr absl::Duration kDefaultLeafLifetime = absl::Hours(24);
inline constexpr absl::Duration kLeafBackdate = absl::Minutes(5);
inline constexpr absl::Duration kMaxLeafLifetime = absl::Hours(24 * 397);
inline constexpr size_t kMaxSans = 100;
inline constexpr size_t kMaxDnsNameSize = 253;
inline constexpr size_t kMaxUriSize = 2048;
// CN of a leaf whose SANs offer nothing of at most 64 characters.
inline constexpr absl::string_view kFallbackLeafCommonName = "Concord Workload";

// Subject alternative names of a workload certificate.
struct Sans {
  std::vector<std::string> dns;   // e.g. "backend", "*.svc.cluster.local"
  std::vector<std::string> ips;   // textual IPv4 or IPv6, e.g. "10.0.0.1", "::1"
  std::vector<std::string> uris;  // e.g. "spiffe://example.org/backend"
};

// Checks SANs: 1..kMaxSans entries in total; DNS names of 1..253 characters
// made of labels of 1..63 [A-Za-z0-9-] not starting or ending with '-' (an
// optional leading "*." wildcard label); IPs in canonical-enough textual form
// that inet_pton accepts; URIs of 1..2048 printable ASCII characters with an
// RFC 3986 scheme and a non-empty rest. InvalidArgument naming the entry,
// e.g. "SANs: dns[2] \"a..b\": empty label".
[[nodiscard]] absl::Status ValidateSans(const Sans& sans);

// Sorts free-form SAN strings (as in a manifest policy) into IPs (whatever
// inet_pton accepts), URIs (anything else containing ':') and DNS names, then
// validates them as ValidateSans does.
absl::StatusOr<Sans> ClassifySans(absl::Span<const std::string> entries);

struct IssuedCertificate {
  Bytes der;
  std::string pem;  // PEM of the leaf alone.
  absl::Time not_before;
  absl::Time not_after;
};

class Issuer final {
 public:
  // Collaborators; they must outlive the Issuer and be thread-safe.
  struct Deps {
    Clock& clock;
    RandomSource& random;
  };

  // Prepares issuance under `bundle`'s mesh CA with `mesh_key`.
  // InvalidArgument if the key is not the mesh CA's key.
  static absl::StatusOr<std::unique_ptr<Issuer>> Create(crypto::PrivateKey mesh_key,
                                                        CaBundle bundle, Deps deps);

  Issuer(const Issuer&) = delete;
  Issuer& operator=(const Issuer&) = delete;

  // Issues a leaf for `subject_key` (ECDSA P-256/P-384 or RSA) with `sans`:
  // 16-byte random positive serial; notBefore now - 5 min; notAfter now +
  // `lifetime`, capped at the mesh CA's notAfter; keyUsage digitalSignature
  // (+ keyEncipherment for RSA keys); EKU serverAuth + clientAuth; SAN; AKI of
  // the mesh CA; CA:FALSE. InvalidArgument for bad SANs or a lifetime outside
  // (0, kMaxLeafLifetime]; FailedPrecondition once the mesh CA has expired;
  // Internal on an OpenSSL or RandomSource failure. Thread-safe.
  absl::StatusOr<IssuedCertificate> Issue(const crypto::PublicKey& subject_key, const Sans& sans,
                                          absl::Duration lifetime = kDefaultLeafLifetime) const;

  const CaBundle& bundle() const { return bundle_; }

 private:
  Issuer(crypto::PrivateKey mesh_key, CaBundle bundle, Deps deps)
      : mesh_key_(std::move(mesh_key)), bundle_(std::move(bundle)), deps_(deps) {}

  crypto::PrivateKey mesh_key_;
  CaBundle bundle_;
  Deps deps_;
  // Prepared once and only read afterwards, which is what makes Issue() safe
  // to call concurrently (the signing context is copied per certificate).
  Bytes issuer_name_der_;
  Bytes extensions_ec_;   // basicConstraints, keyUsage (EC), EKU, AKI
  Bytes extensions_rsa_;  // the same with keyUsage for RSA subjects
  crypto::SslPtr<EVP_MD_CTX> sign_template_;
};

}  // namespace concord::ca
