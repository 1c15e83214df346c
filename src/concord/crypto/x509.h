// Certificate and CRL decoding/encoding with size and count limits, shared by
// the CA, the attestation verifiers and the CLI. Thread-safe (pure).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/common/bytes.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto {

// Largest single certificate or CRL accepted, and longest PEM chain.
inline constexpr size_t kMaxCertDerSize = 64 * 1024;
inline constexpr size_t kMaxChainCerts = 8;

// Parses exactly one DER certificate (no trailing bytes). InvalidArgument.
absl::StatusOr<SslPtr<X509>> ParseCertDer(ByteView der);
// Parses one or more PEM CERTIFICATE blocks, at most `max_certs`.
absl::StatusOr<std::vector<SslPtr<X509>>> ParseCertChainPem(absl::string_view pem,
                                                            size_t max_certs = kMaxChainCerts);
// Parses either DER or PEM (one certificate), deciding by the first byte.
absl::StatusOr<SslPtr<X509>> ParseCertDerOrPem(ByteView data);
// Parses a DER or PEM CRL.
absl::StatusOr<SslPtr<X509_CRL>> ParseCrlDerOrPem(ByteView data);

absl::StatusOr<Bytes> CertToDer(X509* cert);
absl::StatusOr<std::string> CertToPem(X509* cert);

// Converts an ASN1_TIME to absl::Time. InvalidArgument on malformed time.
absl::StatusOr<absl::Time> Asn1TimeToAbsl(const ASN1_TIME* t);

// Verifies `leaf` up to the trust anchor `root` through the untrusted
// `intermediates` at `at`, with `crls` in the store, the X509_V_FLAG_* `flags`
// and at most intermediates + 1 certificates above the leaf. Returns the
// length of the verified path. Internal "<setup_prefix>: <step>" when OpenSSL
// cannot set the verification up; Unauthenticated "<what>: <reason> (at
// <time>)" when the chain does not verify.
absl::StatusOr<int> VerifyCertChain(X509* leaf, const std::vector<X509*>& intermediates, X509* root,
                                    const std::vector<X509_CRL*>& crls, unsigned long flags,
                                    absl::Time at, absl::string_view setup_prefix,
                                    absl::string_view what);

}  // namespace concord::crypto
