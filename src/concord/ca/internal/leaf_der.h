// Direct DER assembly of workload (leaf) certificates for the issuer's hot
// path: the TBSCertificate is written from prepared pieces instead of being
// built through an OpenSSL X509 object (see the measurement in issuer.cc).
// Private to ca/. Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/time/time.h"
#include "concord/common/bytes.h"

namespace concord::ca::internal {

// Forces a 16-byte random serial positive with a fixed-length encoding: top
// bit cleared, next bit set.
void FixSerialBits(std::span<uint8_t> serial);

// DER Time: UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280
// §4.1.2.5), whole seconds, "Z".
Bytes TimeDer(absl::Time t);

// One Extension: SEQUENCE { OID (content bytes `oid`), [critical TRUE],
// OCTET STRING value }.
Bytes ExtensionDer(ByteView oid, bool critical, ByteView value_der);

// The extensions every leaf carries, concatenated: basicConstraints CA:FALSE
// (critical), keyUsage digitalSignature (+ keyEncipherment if
// `rsa_subject`, critical), extKeyUsage serverAuth+clientAuth, and the
// authorityKeyIdentifier `authority_key_id`.
Bytes LeafFixedExtensionsDer(bool rsa_subject, ByteView authority_key_id);

// The subjectAltName extension for a SAN value (GeneralNames DER).
Bytes SubjectAltNameExtensionDer(ByteView general_names_der);

struct LeafTbsFields {
  ByteView serial;           // 16 bytes, already FixSerialBits'd
  ByteView issuer_name_der;  // the mesh CA's subject Name, DER
  absl::Time not_before;
  absl::Time not_after;
  std::string subject_common_name;
  ByteView subject_spki_der;      // canonical SubjectPublicKeyInfo
  ByteView fixed_extensions_der;  // LeafFixedExtensionsDer()
  ByteView san_der;               // GeneralNames DER
};

// TBSCertificate (v3, signature ecdsa-with-SHA256).
Bytes LeafTbsDer(const LeafTbsFields& fields);

// Certificate: SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature }.
Bytes CertificateDer(ByteView tbs_der, ByteView ecdsa_signature_der);

}  // namespace concord::ca::internal
