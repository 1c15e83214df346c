// aTLS wire formats; the byte-level specification is docs/protocol.md
// ("Evidence extension", "Report data", "Nonces").
#include "concord/atls/atls_protocol.h"

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/atls/cert.h"
#include "concord/atls/internal/der.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/crypto/x509.h"

namespace concord::atls {

// A random UUID (version 4) as a decimal integer under the 2.25 arc.
const char kEvidenceExtensionOid[] = "2.25.201108281914543739346751519995568561254";

namespace {

using crypto::SslPtr;

// Largest report accepted (an SNP report is 1184 bytes, a TDX v4/v5 quote
// with its embedded PCK chain stays under 16 KiB).
constexpr size_t kMaxReportSize = 16 * 1024;
constexpr int kEvidenceVersion = 1;
constexpr size_t kMaxCommonNameSize = 64;

absl::StatusOr<Nonce> ParseNonceHex(absl::string_view hex, absl::string_view field) {
  if (hex.size() != 2 * kNonceSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want ", 2 * kNonceSize, " hex characters, got ", hex.size()));
  }
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": want lower-case hex characters only"));
    }
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes raw, HexDecodeExact(hex, kNonceSize, field));
  Nonce nonce;
  std::memcpy(nonce.data(), raw.data(), kNonceSize);
  return nonce;
}

SslPtr<ASN1_OBJECT> EvidenceOid() {
  return SslPtr<ASN1_OBJECT>(OBJ_txt2obj(kEvidenceExtensionOid, /*no_name=*/1));
}

struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;

absl::Status AddBoundRootCaUri(X509* cert, const crypto::Sha256Digest& root) {
  const std::string uri = absl::StrCat(kBoundRootCaUriPrefix, HexEncode(ByteView(root)));
  GeneralNamesPtr names(GENERAL_NAMES_new());
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  if (names == nullptr || name == nullptr || value == nullptr ||
      ASN1_STRING_set(value, uri.data(), static_cast<int>(uri.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(value);
    return crypto::OpenSslInternal("attested certificate: bound root CA name");
  }
  GENERAL_NAME_set0_value(name, GEN_URI, value);
  if (sk_GENERAL_NAME_push(names.get(), name) <= 0) {
    GENERAL_NAME_free(name);
    return crypto::OpenSslInternal("attested certificate: bound root CA name");
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), /*crit=*/0, X509V3_ADD_DEFAULT) !=
      1) {
    return crypto::OpenSslInternal("attested certificate: subjectAltName");
  }
  return absl::OkStatus();
}

// The bound-root URI among the subjectAltName URIs; other names are ignored.
absl::StatusOr<std::optional<crypto::Sha256Digest>> ReadBoundRootCaUri(X509* cert) {
  int critical = 0;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)));
  if (names == nullptr) {
    if (critical == -2) {
      return absl::InvalidArgumentError("peer certificate: subjectAltName appears twice");
    }
    if (critical >= 0) {
      return absl::InvalidArgumentError("peer certificate: malformed subjectAltName");
    }
    return std::nullopt;
  }
  std::optional<crypto::Sha256Digest> found;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) {
      continue;
    }
    absl::string_view uri(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.ia5)),
                          static_cast<size_t>(ASN1_STRING_length(name->d.ia5)));
    if (!absl::StartsWith(uri, kBoundRootCaUriPrefix)) {
      continue;
    }
    if (found.has_value()) {
      return absl::InvalidArgumentError("peer certificate: the bound root CA URI appears twice");
    }
    uri.remove_prefix(kBoundRootCaUriPrefix.size());
    absl::StatusOr<Nonce> digest = ParseNonceHex(uri, "peer certificate: bound root CA URI");
    if (!digest.ok()) {
      return digest.status();
    }
    found.emplace();
    std::memcpy(found->data(), digest->data(), found->size());
  }
  return found;
}

}  // namespace

absl::string_view PurposeLabel(Purpose purpose) {
  switch (purpose) {
    case Purpose::kCoordinatorTls:
      return "concord/v1/atls/coordinator";
    case Purpose::kClientTls:
      return "concord/v1/atls/client";
    case Purpose::kAttestStatement:
      return "concord/v1/attest";
  }
  return "concord/v1/unknown";
}

std::array<uint8_t, 64> TlsReportData(Purpose purpose, ByteView spki_der, ByteView nonce,
                                      const std::optional<crypto::Sha256Digest>& bound_root_ca) {
  Bytes input;
  absl::string_view label = PurposeLabel(purpose);
  input.reserve(label.size() + 4 + spki_der.size() + nonce.size());
  Append(input, AsBytes(label));
  input.push_back(0x00);
  AppendBigEndian(input, spki_der.size(), 2);
  Append(input, spki_der);
  input.push_back(static_cast<uint8_t>(nonce.size()));
  Append(input, nonce);
  if (bound_root_ca.has_value()) {
    input.push_back(static_cast<uint8_t>(bound_root_ca->size()));
    Append(input, *bound_root_ca);
  }
  return crypto::Sha512(input);
}

std::array<uint8_t, 64> AttestStatementReportData(const AttestStatement& statement) {
  Bytes input;
  Append(input, AsBytes(PurposeLabel(Purpose::kAttestStatement)));
  input.push_back(0x00);
  Append(input, statement.nonce);
  // The state is one of four short names; longer input is cut at 255 bytes so
  // the length byte always describes what follows.
  absl::string_view state = statement.state;
  if (state.size() > 255) {
    state = state.substr(0, 255);
  }
  input.push_back(static_cast<uint8_t>(state.size()));
  Append(input, AsBytes(state));
  AppendBigEndian(input, statement.generation, 8);
  Append(input, statement.transition_hash);
  Append(input, statement.history_key_spki_sha256);
  Append(input, statement.root_ca_spki_sha256);
  Append(input, statement.mesh_ca_spki_sha256);
  return crypto::Sha512(input);
}

absl::StatusOr<Bytes> EncodeEvidence(const attest::Evidence& evidence) {
  if (evidence.report.empty() || evidence.report.size() > kMaxReportSize) {
    return absl::InvalidArgumentError(absl::StrCat("evidence report: want 1..", kMaxReportSize,
                                                   " bytes, got ", evidence.report.size()));
  }
  if (evidence.certs.size() > attest::kMaxEvidenceCerts) {
    return absl::InvalidArgumentError(absl::StrCat("evidence certs: want at most ",
                                                   attest::kMaxEvidenceCerts, " certificates, got ",
                                                   evidence.certs.size()));
  }
  Bytes certs;
  for (size_t i = 0; i < evidence.certs.size(); ++i) {
    const Bytes& cert = evidence.certs[i];
    if (cert.empty() || cert.size() > attest::kMaxEvidenceCertSize) {
      return absl::InvalidArgumentError(absl::StrCat("evidence certs[", i, "]: want 1..",
                                                     attest::kMaxEvidenceCertSize, " bytes, got ",
                                                     cert.size()));
    }
    internal::DerAppend(certs, internal::kDerOctetString, cert);
  }
  Bytes body;
  const uint8_t version[] = {static_cast<uint8_t>(kEvidenceVersion)};
  internal::DerAppend(body, internal::kDerInteger, version);
  internal::DerAppend(body, internal::kDerUtf8String,
                      AsBytes(attest::PlatformName(evidence.platform)));
  internal::DerAppend(body, internal::kDerOctetString, evidence.report);
  internal::DerAppend(body, internal::kDerSequence, certs);
  Bytes out;
  internal::DerAppend(out, internal::kDerSequence, body);
  if (out.size() > kMaxEvidenceExtensionSize) {
    return absl::InvalidArgumentError(absl::StrCat("evidence: encoding is ", out.size(),
                                                   " bytes, limit ", kMaxEvidenceExtensionSize));
  }
  return out;
}

absl::StatusOr<attest::Evidence> DecodeEvidence(ByteView der) {
  if (der.size() > kMaxEvidenceExtensionSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("evidence: ", der.size(), " bytes, limit ", kMaxEvidenceExtensionSize));
  }
  internal::DerReader outer(der);
  CONCORD_ASSIGN_OR_RETURN(ByteView body, outer.Read(internal::kDerSequence, "evidence"));
  CONCORD_RETURN_IF_ERROR(outer.ExpectEnd("evidence"));

  internal::DerReader reader(body);
  CONCORD_ASSIGN_OR_RETURN(ByteView version,
                           reader.Read(internal::kDerInteger, "evidence version"));
  if (version.size() != 1 || version[0] != kEvidenceVersion) {
    return absl::InvalidArgumentError("evidence version: want INTEGER 1");
  }
  CONCORD_ASSIGN_OR_RETURN(ByteView platform_name,
                           reader.Read(internal::kDerUtf8String, "evidence platform"));
  absl::StatusOr<attest::Platform> platform = attest::ParsePlatform(AsStringView(platform_name));
  if (!platform.ok()) {
    return absl::InvalidArgumentError("evidence platform: want \"snp\", \"tdx\" or \"simulated\"");
  }
  CONCORD_ASSIGN_OR_RETURN(ByteView report,
                           reader.Read(internal::kDerOctetString, "evidence report"));
  if (report.empty() || report.size() > kMaxReportSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("evidence report: want 1..", kMaxReportSize, " bytes, got ", report.size()));
  }
  CONCORD_ASSIGN_OR_RETURN(ByteView certs, reader.Read(internal::kDerSequence, "evidence certs"));
  CONCORD_RETURN_IF_ERROR(reader.ExpectEnd("evidence"));

  attest::Evidence evidence;
  evidence.platform = *platform;
  evidence.report.assign(report.begin(), report.end());
  internal::DerReader cert_reader(certs);
  while (!cert_reader.AtEnd()) {
    if (evidence.certs.size() == attest::kMaxEvidenceCerts) {
      return absl::InvalidArgumentError(absl::StrCat("evidence certs: want at most ",
                                                     attest::kMaxEvidenceCerts, " certificates"));
    }
    std::string field = absl::StrCat("evidence certs[", evidence.certs.size(), "]");
    CONCORD_ASSIGN_OR_RETURN(ByteView cert, cert_reader.Read(internal::kDerOctetString, field));
    if (cert.empty() || cert.size() > attest::kMaxEvidenceCertSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": want 1..", attest::kMaxEvidenceCertSize, " bytes, got ", cert.size()));
    }
    evidence.certs.emplace_back(cert.begin(), cert.end());
  }
  return evidence;
}

absl::StatusOr<Bytes> MakeAttestedCertificate(
    const crypto::PrivateKey& key, const attest::Evidence& evidence, absl::string_view common_name,
    absl::Time now, absl::Duration validity,
    const std::optional<crypto::Sha256Digest>& bound_root_ca) {
  if (key.type() != crypto::KeyType::kEcP256) {
    return absl::InvalidArgumentError("attested certificate: the key must be ECDSA P-256");
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes extension, EncodeEvidence(evidence));
  return MakeSelfSignedCertificate(key, &extension, common_name, now, validity, bound_root_ca);
}

absl::StatusOr<Bytes> MakeSelfSignedCertificate(
    const crypto::PrivateKey& key, const Bytes* evidence_extension, absl::string_view common_name,
    absl::Time now, absl::Duration validity,
    const std::optional<crypto::Sha256Digest>& bound_root_ca) {
  if (common_name.empty() || common_name.size() > kMaxCommonNameSize) {
    return absl::InvalidArgumentError(absl::StrCat("certificate common name: want 1..",
                                                   kMaxCommonNameSize, " characters, got ",
                                                   common_name.size()));
  }
  if (validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("certificate validity: want a positive duration");
  }
  SslPtr<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return crypto::OpenSslInternal("attested certificate: X509_new");
  }
  // Self-signed certificates are identified by their key; the serial only has
  // to differ between certificates of one key, so it is derived from the key,
  // the time and the evidence (no randomness needed): the first 63 bits of
  // SHA-256 over them.
  Bytes serial_input = key.public_key().spki_der();
  AppendBigEndian(serial_input, static_cast<uint64_t>(absl::ToUnixNanos(now)), 8);
  if (evidence_extension != nullptr) {
    Append(serial_input, *evidence_extension);
  }
  crypto::Sha256Digest serial_hash = crypto::Sha256(serial_input);
  uint64_t serial = 0;
  for (int i = 0; i < 8; ++i) {
    serial = (serial << 8) | serial_hash[i];
  }
  serial = (serial >> 1) | 1;
  if (ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1) {
    return crypto::OpenSslInternal("attested certificate: serial");
  }
  SslPtr<X509_NAME> name(X509_NAME_new());
  if (name == nullptr ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1) {
    return crypto::OpenSslInternal("attested certificate: name");
  }
  time_t not_before = absl::ToTimeT(now - absl::Minutes(1));
  time_t not_after = absl::ToTimeT(now + validity);
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &not_before) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, 0, &not_after) == nullptr) {
    return crypto::OpenSslInternal("attested certificate: validity");
  }
  if (X509_set_pubkey(cert.get(), key.RawEvpForSigning()) != 1) {
    return crypto::OpenSslInternal("attested certificate: public key");
  }
  if (evidence_extension != nullptr) {
    SslPtr<ASN1_OBJECT> oid = EvidenceOid();
    SslPtr<ASN1_STRING> value(ASN1_OCTET_STRING_new());
    if (oid == nullptr || value == nullptr ||
        ASN1_OCTET_STRING_set(value.get(), evidence_extension->data(),
                              static_cast<int>(evidence_extension->size())) != 1) {
      return crypto::OpenSslInternal("attested certificate: evidence extension");
    }
    SslPtr<X509_EXTENSION> ext(
        X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), /*crit=*/0, value.get()));
    if (ext == nullptr || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return crypto::OpenSslInternal("attested certificate: evidence extension");
    }
  }
  if (bound_root_ca.has_value()) {
    CONCORD_RETURN_IF_ERROR(AddBoundRootCaUri(cert.get(), *bound_root_ca));
  }
  const EVP_MD* md = key.type() == crypto::KeyType::kEcP384 ? EVP_sha384() : EVP_sha256();
  if (X509_sign(cert.get(), key.RawEvpForSigning(), md) <= 0) {
    return crypto::OpenSslInternal("attested certificate: sign");
  }
  return crypto::CertToDer(cert.get());
}

absl::StatusOr<PeerCertificate> ParsePeerX509(X509* cert, Bytes der) {
  X509_PUBKEY* pubkey = X509_get_X509_PUBKEY(cert);
  if (pubkey == nullptr) {
    return absl::InvalidArgumentError("peer certificate: no public key");
  }
  unsigned char* spki_buf = nullptr;
  int spki_len = i2d_X509_PUBKEY(pubkey, &spki_buf);
  if (spki_len <= 0) {
    return crypto::OpenSslError(absl::StatusCode::kInvalidArgument,
                                "peer certificate: public key encoding");
  }
  std::unique_ptr<unsigned char, crypto::OpenSslFreeDeleter> spki_owner(spki_buf);
  Bytes spki(spki_buf, spki_buf + spki_len);
  absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::FromSpkiDer(spki);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer certificate key: ", key.status().message()));
  }
  std::optional<attest::Evidence> evidence;
  SslPtr<ASN1_OBJECT> oid = EvidenceOid();
  if (oid == nullptr) {
    return crypto::OpenSslInternal("peer certificate: evidence OID");
  }
  int index = X509_get_ext_by_OBJ(cert, oid.get(), -1);
  if (index >= 0) {
    if (X509_get_ext_by_OBJ(cert, oid.get(), index) >= 0) {
      return absl::InvalidArgumentError("peer certificate: evidence extension appears twice");
    }
    X509_EXTENSION* ext = X509_get_ext(cert, index);
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    if (data == nullptr) {
      return absl::InvalidArgumentError("peer certificate: empty evidence extension");
    }
    absl::StatusOr<attest::Evidence> decoded = DecodeEvidence(
        ByteView(ASN1_STRING_get0_data(data), static_cast<size_t>(ASN1_STRING_length(data))));
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer certificate: ", decoded.status().message()));
    }
    evidence = std::move(*decoded);
  }
  CONCORD_ASSIGN_OR_RETURN(std::optional<crypto::Sha256Digest> bound_root_ca,
                           ReadBoundRootCaUri(cert));
  return PeerCertificate{std::move(der), std::move(spki), std::move(*key), std::move(evidence),
                         bound_root_ca};
}

absl::StatusOr<PeerCertificate> ParsePeerX509(X509* cert) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  if (len <= 0) {
    return crypto::OpenSslError(absl::StatusCode::kInvalidArgument, "peer certificate: encoding");
  }
  std::unique_ptr<unsigned char, crypto::OpenSslFreeDeleter> owner(buf);
  return ParsePeerX509(cert, Bytes(buf, buf + len));
}

absl::StatusOr<PeerCertificate> ParsePeerCertificate(ByteView der) {
  absl::StatusOr<SslPtr<X509>> cert = crypto::ParseCertDer(der);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("peer certificate: ", cert.status().message()));
  }
  return ParsePeerX509(cert->get(), Bytes(der.begin(), der.end()));
}

std::string NonceCommonName(const Nonce& nonce) { return HexEncode(nonce); }

absl::StatusOr<Nonce> ParseNonceCommonName(absl::string_view cn) {
  return ParseNonceHex(cn, "nonce common name");
}

std::string NonceAlpn(const Nonce& nonce) {
  return absl::StrCat(kAlpnNoncePrefix, HexEncode(nonce));
}

absl::StatusOr<Nonce> ParseNonceAlpn(absl::string_view alpn) {
  if (!absl::StartsWith(alpn, kAlpnNoncePrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("nonce ALPN: want the prefix \"", kAlpnNoncePrefix, "\""));
  }
  alpn.remove_prefix(kAlpnNoncePrefix.size());
  return ParseNonceHex(alpn, "nonce ALPN");
}

}  // namespace concord::atls
