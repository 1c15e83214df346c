// Building blocks shared by the CA certificate builders, the CA bundle parser
// and the workload issuer: serial numbers, names, validity, a minimal DER
// writer/reader for extension values, and setting a certificate's public key
// from SPKI DER without decoding the key. Private to ca/. Thread-safe (pure
// functions).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/common/bytes.h"
#include "concord/common/random.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::ca::internal {

// --- DER ---------------------------------------------------------------
// Appends tag || definite length || content (tag < 0x1f, one byte).
void AppendDer(Bytes& out, uint8_t tag, ByteView content);
Bytes Der(uint8_t tag, ByteView content);

// One DER TLV read from the start of an input.
struct DerElement {
  uint8_t tag = 0;
  ByteView content;
  ByteView whole;  // header + content
};
// Reads one TLV. InvalidArgument on truncation, multi-byte tags, indefinite
// or non-minimal lengths, or lengths above 16 MiB.
absl::StatusOr<DerElement> ReadDer(ByteView in);

// The parts of a DER SubjectPublicKeyInfo: its AlgorithmIdentifier (whole
// TLV) and the subjectPublicKey BIT STRING contents after the unused-bits
// byte (which must be 0). InvalidArgument otherwise.
struct SpkiParts {
  ByteView algorithm_der;
  ByteView key_bits;
};
absl::StatusOr<SpkiParts> SplitSpki(ByteView spki_der);

// --- Extensions (DER values, RFC 5280) ----------------------------------
// BasicConstraints: cA TRUE with pathLenConstraint `path_len` (-1: none), or
// the empty SEQUENCE for cA FALSE.
Bytes BasicConstraintsDer(bool ca, int path_len);
// KeyUsage BIT STRING from the first byte of bits (bit 0 = 0x80).
Bytes KeyUsageDer(uint8_t bits);
inline constexpr uint8_t kKuDigitalSignature = 0x80;
inline constexpr uint8_t kKuKeyEncipherment = 0x20;
inline constexpr uint8_t kKuKeyCertSign = 0x04;
inline constexpr uint8_t kKuCrlSign = 0x02;
// ExtendedKeyUsage serverAuth, clientAuth.
Bytes ServerClientEkuDer();
// SubjectKeyIdentifier: OCTET STRING of `key_id`.
Bytes SubjectKeyIdDer(ByteView key_id);
// AuthorityKeyIdentifier: SEQUENCE { [0] key_id }.
Bytes AuthorityKeyIdDer(ByteView key_id);
// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
absl::StatusOr<Bytes> KeyIdOf(const crypto::PublicKey& key);

// Wraps a DER extension value into an X509_EXTENSION.
absl::StatusOr<crypto::SslPtr<X509_EXTENSION>> MakeExtension(int nid, bool critical,
                                                             ByteView value_der);
// MakeExtension + X509_add_ext.
absl::Status AddExtension(X509* cert, int nid, bool critical, ByteView value_der);

// --- Certificate fields ------------------------------------------------
// Serial numbers are 16 random bytes with the top bit cleared (positive) and
// the next bit set (so the DER INTEGER is always 16 bytes and never zero).
inline constexpr size_t kSerialSize = 16;
absl::StatusOr<crypto::SslPtr<ASN1_STRING>> RandomSerial(RandomSource& random);

// Checks an organization (deployment) name: 0..64 printable ASCII characters
// without leading or trailing space. InvalidArgument naming `field`.
absl::Status ValidateOrganization(absl::string_view organization, absl::string_view field);

// Builds a name of O (when non-empty) then CN, as UTF8Strings.
absl::StatusOr<crypto::SslPtr<X509_NAME>> MakeName(absl::string_view common_name,
                                                   absl::string_view organization);

// The O attribute of `name`, or "" if it has none or it is not valid UTF-8.
std::string OrganizationOf(const X509_NAME* name);

// Sets notBefore/notAfter. InvalidArgument unless not_before < not_after and
// both lie in 1950..9999.
absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after);

// Sets the certificate's SubjectPublicKeyInfo from `key`'s canonical DER
// without decoding the key (X509_set_pubkey with an OpenSSL 3.0 provider key
// costs ~350 us per call here because it re-encodes and re-decodes the key;
// this costs ~1 us). ca_test cross-checks the result against OpenSSL's own
// decoding of the certificate.
absl::Status SetSubjectPublicKey(X509* cert, const crypto::PublicKey& key);

// X.509 v3 certificate with serial, names, validity and key; no extensions.
absl::StatusOr<crypto::SslPtr<X509>> NewCertificate(const ASN1_STRING* serial,
                                                    const X509_NAME* subject,
                                                    const X509_NAME* issuer, absl::Time not_before,
                                                    absl::Time not_after,
                                                    const crypto::PublicKey& key);

// Signs with ECDSA (SHA-256 for P-256 keys, SHA-384 for P-384) and returns
// the DER certificate.
absl::StatusOr<Bytes> SignAndEncode(X509* cert, const crypto::PrivateKey& key);

// The SubjectKeyIdentifier of `cert`; NotFound if absent.
absl::StatusOr<Bytes> SubjectKeyIdOf(const X509* cert);

// DER of `name`.
absl::StatusOr<Bytes> NameToDer(const X509_NAME* name);

// The certificate's SPKI as a PublicKey.
absl::StatusOr<crypto::PublicKey> PublicKeyOf(X509* cert);

// PEM "CERTIFICATE" block of DER bytes (64-column base64, trailing newline).
std::string DerToPem(ByteView der);

}  // namespace concord::ca::internal
