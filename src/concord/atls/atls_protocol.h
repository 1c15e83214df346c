// The aTLS wire formats (DESIGN.md §5; byte-for-byte in docs/protocol.md,
// sections "Evidence extension", "Report data" and "Nonces"): the X.509
// extension that carries evidence in an attested certificate, the report data
// that binds evidence to a key, a purpose and a nonce, and how nonces travel
// in the handshake (coordinator nonce as an acceptable-CA name in the
// CertificateRequest, client nonce as an ALPN protocol name). Pure functions,
// thread-safe. Used by net (handshakes), the coordinator (POST /v1/attest),
// the CLI and concord-init.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "concord/attest/evidence.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"

namespace concord::atls {

// Dotted OID of the evidence extension (UUID arc 2.25, non-critical).
extern const char kEvidenceExtensionOid[];
// Largest encoded extension accepted (a report plus kMaxEvidenceCerts certs).
inline constexpr size_t kMaxEvidenceExtensionSize = 80 * 1024;

// Nonces are 32 random bytes.
inline constexpr size_t kNonceSize = 32;
using Nonce = std::array<uint8_t, kNonceSize>;

// ALPN protocol names. Every client offers kAlpnHttp11; a client that needs
// fresh coordinator evidence also offers kAlpnNoncePrefix + 64 lower-case hex
// characters of its nonce (first in its list), which the server never
// selects.
inline constexpr absl::string_view kAlpnHttp11 = "http/1.1";
inline constexpr absl::string_view kAlpnNoncePrefix = "concord-nonce/";

// Why evidence was produced; the label is the first input of the report data.
enum class Purpose {
  kCoordinatorTls,   // "concord/v1/atls/coordinator": the coordinator's TLS key
  kClientTls,        // "concord/v1/atls/client": an attesting client's TLS key
  kAttestStatement,  // "concord/v1/attest": POST /v1/attest (see AttestStatement)
};
absl::string_view PurposeLabel(Purpose purpose);

// The root CA a coordinator's TLS evidence binds (decision 0028): the
// SHA-256 of the root CA's SPKI, which the coordinator's certificate carries
// as the subjectAltName URI kBoundRootCaUriPrefix + 64 lower-case hex
// characters. A client that receives a chain checks that it leads to that
// root, so a coordinator TLS key alone (stolen, with a copy of its
// certificate) cannot hand workloads another CA. Absent while the replica
// has no root CA yet (uninitialized).
inline constexpr absl::string_view kBoundRootCaUriPrefix = "urn:concord:root-ca-spki-sha256:";

// Report data for a TLS key: SHA-512(label || 0x00 || u16be(len spki) ||
// spki_der || u8(len nonce) || nonce), nonce empty or 32 bytes, followed by
// u8(32) || bound root when `bound_root_ca` is set (the coordinator's, once
// it has a root CA; the fields before are self-delimiting, so the two forms
// never share an input). The empty nonce is the coordinator's periodically
// renewed key-bound evidence.
std::array<uint8_t, 64> TlsReportData(
    Purpose purpose, ByteView spki_der, ByteView nonce,
    const std::optional<crypto::Sha256Digest>& bound_root_ca = std::nullopt);

// What POST /v1/attest states: one report ties the machine to the deployment.
struct AttestStatement {
  Nonce nonce{};
  // The coordinator's state name ("uninitialized", "recovery", "ready",
  // "stale").
  std::string state;
  // Zero / all-zero when there is no history yet.
  uint64_t generation = 0;
  crypto::Sha256Digest transition_hash{};
  crypto::Sha256Digest history_key_spki_sha256{};
  crypto::Sha256Digest root_ca_spki_sha256{};
  crypto::Sha256Digest mesh_ca_spki_sha256{};
};
// SHA-512(label || 0x00 || nonce || u8(len state) || state || u64be(generation)
// || transition hash || history key hash || root CA hash || mesh CA hash).
std::array<uint8_t, 64> AttestStatementReportData(const AttestStatement& statement);

// The extension value: DER
//   Evidence ::= SEQUENCE {
//     version   INTEGER (1),
//     platform  UTF8String ("snp" | "tdx" | "simulated"),
//     report    OCTET STRING,
//     certs     SEQUENCE SIZE (0..4) OF OCTET STRING  -- DER certificates
//   }
absl::StatusOr<Bytes> EncodeEvidence(const attest::Evidence& evidence);
// Strict DER decoder for EncodeEvidence output: InvalidArgument naming the
// element on any deviation, trailing bytes or a size over the limits.
absl::StatusOr<attest::Evidence> DecodeEvidence(ByteView der);

// A self-signed X.509 certificate for `key` (ECDSA P-256), valid
// [now - 1 min, now + validity], CN = `common_name` (at most 64 characters),
// carrying `evidence` in the evidence extension and, when set,
// `bound_root_ca` as the subjectAltName URI (kBoundRootCaUriPrefix).
absl::StatusOr<Bytes> MakeAttestedCertificate(
    const crypto::PrivateKey& key, const attest::Evidence& evidence, absl::string_view common_name,
    absl::Time now, absl::Duration validity,
    const std::optional<crypto::Sha256Digest>& bound_root_ca = std::nullopt);

// A certificate presented by the other side: its key and, when it has the
// extension, the evidence it carries (not yet verified).
struct PeerCertificate {
  Bytes der;
  Bytes spki_der;
  crypto::PublicKey key;
  std::optional<attest::Evidence> evidence;
  // The subjectAltName URI kBoundRootCaUriPrefix + hex, when present (not
  // verified here: TlsReportData covers it).
  std::optional<crypto::Sha256Digest> bound_root_ca;
};
// Parses a peer's leaf certificate. InvalidArgument for a malformed
// certificate or extension, a bound-root URI that is not 64 lower-case hex
// characters or appears twice, or a key that is not ECDSA P-256/P-384 or RSA.
absl::StatusOr<PeerCertificate> ParsePeerCertificate(ByteView der);

// Nonce <-> the CN of the acceptable-CA name (64 lower-case hex characters)
// and the ALPN name. Parse* return InvalidArgument for anything else.
std::string NonceCommonName(const Nonce& nonce);
absl::StatusOr<Nonce> ParseNonceCommonName(absl::string_view cn);
std::string NonceAlpn(const Nonce& nonce);
absl::StatusOr<Nonce> ParseNonceAlpn(absl::string_view alpn);

}  // namespace concord::atls
