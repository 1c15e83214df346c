#include "concord/ca/internal/cert_util.h"

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "concord/ca/internal/leaf_der.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/openssl_status.h"

namespace concord::ca::internal {
namespace {

using crypto::SslPtr;

constexpr size_t kMaxDerLength = 16 * 1024 * 1024;

}  // namespace

void AppendDer(Bytes& out, uint8_t tag, ByteView content) {
  out.push_back(tag);
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else {
    int bytes = 0;
    for (size_t v = n; v != 0; v >>= 8) {
      ++bytes;
    }
    out.push_back(static_cast<uint8_t>(0x80 | bytes));
    AppendBigEndian(out, n, bytes);
  }
  Append(out, content);
}

Bytes Der(uint8_t tag, ByteView content) {
  Bytes out;
  out.reserve(content.size() + 6);
  AppendDer(out, tag, content);
  return out;
}

absl::StatusOr<DerElement> ReadDer(ByteView in) {
  if (in.size() < 2) {
    return absl::InvalidArgumentError("DER: truncated header");
  }
  DerElement e;
  e.tag = in[0];
  if ((e.tag & 0x1f) == 0x1f) {
    return absl::InvalidArgumentError("DER: multi-byte tags are not supported");
  }
  size_t length = in[1];
  size_t header = 2;
  if (length & 0x80) {
    const size_t count = length & 0x7f;
    if (count == 0 || count > 3) {
      return absl::InvalidArgumentError("DER: indefinite or oversized length");
    }
    if (in.size() < 2 + count) {
      return absl::InvalidArgumentError("DER: truncated length");
    }
    length = 0;
    for (size_t i = 0; i < count; ++i) {
      length = (length << 8) | in[2 + i];
    }
    if (in[2] == 0 || length < 0x80) {
      return absl::InvalidArgumentError("DER: non-minimal length");
    }
    header += count;
  }
  if (length > kMaxDerLength || in.size() - header < length) {
    return absl::InvalidArgumentError("DER: content runs past the end of the input");
  }
  e.content = in.subspan(header, length);
  e.whole = in.first(header + length);
  return e;
}

absl::StatusOr<SpkiParts> SplitSpki(ByteView spki_der) {
  CONCORD_ASSIGN_OR_RETURN(DerElement outer, ReadDer(spki_der));
  if (outer.tag != 0x30 || outer.whole.size() != spki_der.size()) {
    return absl::InvalidArgumentError("SubjectPublicKeyInfo: want one SEQUENCE");
  }
  CONCORD_ASSIGN_OR_RETURN(DerElement algorithm, ReadDer(outer.content));
  if (algorithm.tag != 0x30) {
    return absl::InvalidArgumentError("SubjectPublicKeyInfo: want an AlgorithmIdentifier");
  }
  CONCORD_ASSIGN_OR_RETURN(DerElement bits, ReadDer(outer.content.subspan(algorithm.whole.size())));
  if (bits.tag != 0x03 || algorithm.whole.size() + bits.whole.size() != outer.content.size() ||
      bits.content.empty() || bits.content[0] != 0) {
    return absl::InvalidArgumentError("SubjectPublicKeyInfo: want a whole-byte BIT STRING key");
  }
  return SpkiParts{algorithm.whole, bits.content.subspan(1)};
}

Bytes BasicConstraintsDer(bool ca, int path_len) {
  Bytes content;
  if (ca) {
    const uint8_t true_der[] = {0x01, 0x01, 0xff};
    Append(content, true_der);
    if (path_len >= 0) {
      Bytes len;
      if (path_len > 0x7f) {
        AppendBigEndian(len, static_cast<uint64_t>(path_len), 2);
      } else {
        len.push_back(static_cast<uint8_t>(path_len));
      }
      AppendDer(content, 0x02, len);
    }
  }
  return Der(0x30, content);
}

Bytes KeyUsageDer(uint8_t bits) {
  // DER BIT STRING: drop trailing zero bits and say how many were dropped.
  uint8_t unused = 0;
  while (unused < 8 && (bits & (1u << unused)) == 0) {
    ++unused;
  }
  if (unused == 8) {
    const uint8_t empty[] = {0x00};
    return Der(0x03, empty);
  }
  const uint8_t content[] = {unused, bits};
  return Der(0x03, content);
}

Bytes ServerClientEkuDer() {
  // id-kp-serverAuth 1.3.6.1.5.5.7.3.1, id-kp-clientAuth 1.3.6.1.5.5.7.3.2.
  const uint8_t server_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
  const uint8_t client_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
  Bytes content;
  AppendDer(content, 0x06, server_auth);
  AppendDer(content, 0x06, client_auth);
  return Der(0x30, content);
}

Bytes SubjectKeyIdDer(ByteView key_id) { return Der(0x04, key_id); }

Bytes AuthorityKeyIdDer(ByteView key_id) { return Der(0x30, Der(0x80, key_id)); }

absl::StatusOr<Bytes> KeyIdOf(const crypto::PublicKey& key) {
  CONCORD_ASSIGN_OR_RETURN(SpkiParts parts, SplitSpki(key.spki_der()));
  Bytes id(20);
  unsigned int len = 0;
  SslPtr<EVP_MD> sha1(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  if (sha1 == nullptr ||
      EVP_Digest(parts.key_bits.data(), parts.key_bits.size(), id.data(), &len, sha1.get(),
                 nullptr) != 1 ||
      len != id.size()) {
    return crypto::OpenSslInternal("key identifier: SHA-1");
  }
  return id;
}

absl::StatusOr<SslPtr<X509_EXTENSION>> MakeExtension(int nid, bool critical, ByteView value_der) {
  SslPtr<ASN1_STRING> value(ASN1_OCTET_STRING_new());
  if (value == nullptr || ASN1_OCTET_STRING_set(value.get(), value_der.data(),
                                                static_cast<int>(value_der.size())) != 1) {
    return crypto::OpenSslInternal("certificate extension: value");
  }
  SslPtr<X509_EXTENSION> ext(
      X509_EXTENSION_create_by_NID(nullptr, nid, critical ? 1 : 0, value.get()));
  if (ext == nullptr) {
    return crypto::OpenSslInternal("certificate extension: create");
  }
  return ext;
}

absl::Status AddExtension(X509* cert, int nid, bool critical, ByteView value_der) {
  CONCORD_ASSIGN_OR_RETURN(SslPtr<X509_EXTENSION> ext, MakeExtension(nid, critical, value_der));
  if (X509_add_ext(cert, ext.get(), -1) != 1) {
    return crypto::OpenSslInternal("certificate extension: add");
  }
  return absl::OkStatus();
}

absl::StatusOr<SslPtr<ASN1_STRING>> RandomSerial(RandomSource& random) {
  uint8_t bytes[kSerialSize];
  CONCORD_RETURN_IF_ERROR(random.Fill(bytes));
  FixSerialBits(bytes);
  SslPtr<ASN1_STRING> serial(ASN1_INTEGER_new());
  SslPtr<BIGNUM> bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (serial == nullptr || bn == nullptr || BN_to_ASN1_INTEGER(bn.get(), serial.get()) == nullptr) {
    return crypto::OpenSslInternal("certificate serial");
  }
  return serial;
}

absl::Status ValidateOrganization(absl::string_view organization, absl::string_view field) {
  if (organization.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want at most 64 characters, got ", organization.size()));
  }
  for (size_t i = 0; i < organization.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(organization[i]);
    if (ch < 0x20 || ch > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": character ", i, " is not printable ASCII"));
    }
  }
  if (!organization.empty() && (organization.front() == ' ' || organization.back() == ' ')) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": leading or trailing space"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SslPtr<X509_NAME>> MakeName(absl::string_view common_name,
                                           absl::string_view organization) {
  SslPtr<X509_NAME> name(X509_NAME_new());
  if (name == nullptr) {
    return crypto::OpenSslInternal("certificate name");
  }
  auto add = [&](int nid, absl::string_view value) {
    return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if ((!organization.empty() && !add(NID_organizationName, organization)) ||
      !add(NID_commonName, common_name)) {
    return crypto::OpenSslError(absl::StatusCode::kInvalidArgument, "certificate name");
  }
  return name;
}

std::string OrganizationOf(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_organizationName, -1);
  if (index < 0) {
    return "";
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    crypto::ClearOpenSslErrors();
    return "";
  }
  std::unique_ptr<unsigned char, crypto::OpenSslFreeDeleter> owned(utf8);
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
}

absl::Status SetValidity(X509* cert, absl::Time not_before, absl::Time not_after) {
  const absl::Time min =
      absl::FromCivil(absl::CivilSecond(1950, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  const absl::Time max =
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone());
  if (not_before < min || not_after > max || not_after <= not_before) {
    return absl::InvalidArgumentError(
        "certificate validity: want 1950 <= notBefore < notAfter <= 9999");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(not_after)) == nullptr) {
    return crypto::OpenSslInternal("certificate validity");
  }
  return absl::OkStatus();
}

absl::Status SetSubjectPublicKey(X509* cert, const crypto::PublicKey& key) {
  CONCORD_ASSIGN_OR_RETURN(SpkiParts parts, SplitSpki(key.spki_der()));
  // The AlgorithmIdentifier is rebuilt from the (already validated) key type
  // rather than decoded: the objects are OpenSSL's static ones, which the
  // X509_ALGOR may "own" without freeing them.
  ASN1_OBJECT* algorithm = nullptr;
  int param_type = V_ASN1_UNDEF;
  void* param = nullptr;
  switch (key.type()) {
    case crypto::KeyType::kEcP256:
      algorithm = OBJ_nid2obj(NID_X9_62_id_ecPublicKey);
      param_type = V_ASN1_OBJECT;
      param = OBJ_nid2obj(NID_X9_62_prime256v1);
      break;
    case crypto::KeyType::kEcP384:
      algorithm = OBJ_nid2obj(NID_X9_62_id_ecPublicKey);
      param_type = V_ASN1_OBJECT;
      param = OBJ_nid2obj(NID_secp384r1);
      break;
    case crypto::KeyType::kRsa:
      algorithm = OBJ_nid2obj(NID_rsaEncryption);
      param_type = V_ASN1_NULL;
      break;
  }
  std::unique_ptr<unsigned char, crypto::OpenSslFreeDeleter> bits(
      static_cast<unsigned char*>(OPENSSL_memdup(parts.key_bits.data(), parts.key_bits.size())));
  X509_PUBKEY* pubkey = X509_get_X509_PUBKEY(cert);
  if (algorithm == nullptr || bits == nullptr || pubkey == nullptr ||
      X509_PUBKEY_set0_param(pubkey, algorithm, param_type, param, bits.get(),
                             static_cast<int>(parts.key_bits.size())) != 1) {
    return crypto::OpenSslInternal("certificate public key");
  }
  bits.release();  // Owned by the certificate now.
  return absl::OkStatus();
}

absl::StatusOr<SslPtr<X509>> NewCertificate(const ASN1_STRING* serial, const X509_NAME* subject,
                                            const X509_NAME* issuer, absl::Time not_before,
                                            absl::Time not_after, const crypto::PublicKey& key) {
  SslPtr<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), const_cast<ASN1_STRING*>(serial)) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1) {
    return crypto::OpenSslInternal("certificate: fields");
  }
  CONCORD_RETURN_IF_ERROR(SetValidity(cert.get(), not_before, not_after));
  CONCORD_RETURN_IF_ERROR(SetSubjectPublicKey(cert.get(), key));
  return cert;
}

absl::StatusOr<Bytes> SignAndEncode(X509* cert, const crypto::PrivateKey& key) {
  if (key.type() == crypto::KeyType::kRsa) {
    return absl::InvalidArgumentError("sign certificate: want an ECDSA CA key, got RSA");
  }
  const EVP_MD* md = crypto::EvpMd(crypto::DefaultEcdsaHash(key.type()));
  if (X509_sign(cert, key.RawEvpForSigning(), md) <= 0) {
    return crypto::OpenSslInternal("sign certificate");
  }
  return crypto::I2dDer(cert, i2d_X509, "encode certificate");
}

absl::StatusOr<Bytes> SubjectKeyIdOf(const X509* cert) {
  const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(const_cast<X509*>(cert));
  if (id == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::NotFoundError("certificate: no SubjectKeyIdentifier");
  }
  return Bytes(ASN1_STRING_get0_data(id), ASN1_STRING_get0_data(id) + ASN1_STRING_length(id));
}

absl::StatusOr<Bytes> NameToDer(const X509_NAME* name) {
  return crypto::I2dDer(name, i2d_X509_NAME, "encode name");
}

absl::StatusOr<crypto::PublicKey> PublicKeyOf(X509* cert) {
  CONCORD_ASSIGN_OR_RETURN(Bytes der, crypto::I2dDer(X509_get_X509_PUBKEY(cert), i2d_X509_PUBKEY,
                                                     "certificate: encode public key",
                                                     absl::StatusCode::kInvalidArgument));
  return crypto::PublicKey::FromSpkiDer(der);
}

std::string DerToPem(ByteView der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(),
                                static_cast<int>(der.size()));
  b64.resize(n > 0 ? static_cast<size_t>(n) : 0);
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  pem.reserve(b64.size() + b64.size() / 64 + 60);
  for (size_t i = 0; i < b64.size(); i += 64) {
    pem.append(b64, i, 64);
    pem.push_back('\n');
  }
  pem.append("-----END CERTIFICATE-----\n");
  return pem;
}

}  // namespace concord::ca::internal
