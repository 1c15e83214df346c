#include "concord/ca/internal/leaf_der.h"

#include "concord/ca/internal/cert_util.h"

namespace concord::ca::internal {
namespace {

constexpr uint8_t kOidCommonName[] = {0x55, 0x04, 0x03};
constexpr uint8_t kOidBasicConstraints[] = {0x55, 0x1d, 0x13};
constexpr uint8_t kOidKeyUsage[] = {0x55, 0x1d, 0x0f};
constexpr uint8_t kOidExtKeyUsage[] = {0x55, 0x1d, 0x25};
constexpr uint8_t kOidAuthorityKeyId[] = {0x55, 0x1d, 0x23};
constexpr uint8_t kOidSubjectAltName[] = {0x55, 0x1d, 0x11};
// 1.2.840.10045.4.3.2
constexpr uint8_t kOidEcdsaWithSha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

void AppendDigits(std::string& out, int64_t value, int width) {
  std::string digits(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i) {
    digits[static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out += digits;
}

Bytes EcdsaWithSha256AlgorithmDer() { return Der(0x30, Der(0x06, kOidEcdsaWithSha256)); }

}  // namespace

void FixSerialBits(std::span<uint8_t> serial) {
  if (!serial.empty()) {
    serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x40);
  }
}

Bytes TimeDer(absl::Time t) {
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  const bool utc_time = c.year() >= 1950 && c.year() < 2050;
  std::string text;
  if (utc_time) {
    AppendDigits(text, c.year() % 100, 2);
  } else {
    AppendDigits(text, c.year(), 4);
  }
  AppendDigits(text, c.month(), 2);
  AppendDigits(text, c.day(), 2);
  AppendDigits(text, c.hour(), 2);
  AppendDigits(text, c.minute(), 2);
  AppendDigits(text, c.second(), 2);
  text.push_back('Z');
  return Der(utc_time ? 0x17 : 0x18, AsBytes(text));
}

Bytes ExtensionDer(ByteView oid, bool critical, ByteView value_der) {
  Bytes content = Der(0x06, oid);
  if (critical) {
    const uint8_t true_der[] = {0x01, 0x01, 0xff};
    Append(content, true_der);
  }
  AppendDer(content, 0x04, value_der);
  return Der(0x30, content);
}

Bytes LeafFixedExtensionsDer(bool rsa_subject, ByteView authority_key_id) {
  Bytes out = ExtensionDer(kOidBasicConstraints, true, BasicConstraintsDer(false, -1));
  Append(out, ExtensionDer(kOidKeyUsage, true,
                           KeyUsageDer(rsa_subject ? kKuDigitalSignature | kKuKeyEncipherment
                                                   : kKuDigitalSignature)));
  Append(out, ExtensionDer(kOidExtKeyUsage, false, ServerClientEkuDer()));
  Append(out, ExtensionDer(kOidAuthorityKeyId, false, AuthorityKeyIdDer(authority_key_id)));
  return out;
}

Bytes SubjectAltNameExtensionDer(ByteView general_names_der) {
  return ExtensionDer(kOidSubjectAltName, false, general_names_der);
}

Bytes LeafTbsDer(const LeafTbsFields& f) {
  Bytes body;
  body.reserve(512 + f.subject_spki_der.size() + f.san_der.size());
  const uint8_t version[] = {0xa0, 0x03, 0x02, 0x01, 0x02};  // [0] EXPLICIT v3
  Append(body, version);
  AppendDer(body, 0x02, f.serial);
  Append(body, EcdsaWithSha256AlgorithmDer());
  Append(body, f.issuer_name_der);
  Bytes validity = TimeDer(f.not_before);
  Append(validity, TimeDer(f.not_after));
  AppendDer(body, 0x30, validity);
  // Name: SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String } } }
  Bytes attribute = Der(0x06, kOidCommonName);
  AppendDer(attribute, 0x0c, AsBytes(f.subject_common_name));
  AppendDer(body, 0x30, Der(0x31, Der(0x30, attribute)));
  Append(body, f.subject_spki_der);
  Bytes extensions(f.fixed_extensions_der.begin(), f.fixed_extensions_der.end());
  Append(extensions, SubjectAltNameExtensionDer(f.san_der));
  AppendDer(body, 0xa3, Der(0x30, extensions));  // [3] EXPLICIT Extensions
  return Der(0x30, body);
}

Bytes CertificateDer(ByteView tbs_der, ByteView ecdsa_signature_der) {
  Bytes body(tbs_der.begin(), tbs_der.end());
  Append(body, EcdsaWithSha256AlgorithmDer());
  Bytes bits;
  bits.reserve(ecdsa_signature_der.size() + 1);
  bits.push_back(0);  // no unused bits
  Append(bits, ecdsa_signature_der);
  AppendDer(body, 0x03, bits);
  return Der(0x30, body);
}

}  // namespace concord::ca::internal
