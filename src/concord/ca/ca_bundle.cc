#include "concord/ca/ca_bundle.h"

#include <openssl/x509v3.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/ca/internal/cert_util.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

namespace concord::ca {
namespace {

using crypto::KeyType;
using crypto::SslPtr;

struct ParsedCa {
  SslPtr<X509> cert;
  crypto::PublicKey key;
};

absl::Status Invalid(absl::string_view which, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("CA bundle: ", which, ": ", detail));
}

// Parses one canonical DER CA certificate whose key has type `want`.
absl::StatusOr<ParsedCa> ParseCa(const Bytes& der, absl::string_view which, KeyType want) {
  absl::StatusOr<SslPtr<X509>> cert = crypto::ParseCertDer(der);
  if (!cert.ok()) {
    return Invalid(which, cert.status().message());
  }
  absl::StatusOr<Bytes> reencoded = crypto::CertToDer(cert->get());
  if (!reencoded.ok() || *reencoded != der) {
    crypto::ClearOpenSslErrors();
    return Invalid(which, "not canonical DER");
  }
  absl::StatusOr<crypto::PublicKey> key = internal::PublicKeyOf(cert->get());
  if (!key.ok()) {
    return Invalid(which, key.status().message());
  }
  if (key->type() != want) {
    return Invalid(which, absl::StrCat("want an ", crypto::KeyTypeName(want), " key, got ",
                                       crypto::KeyTypeName(key->type())));
  }
  if (X509_check_ca(cert->get()) != 1) {
    crypto::ClearOpenSslErrors();
    return Invalid(which, "not a CA certificate (basicConstraints cA and keyCertSign)");
  }
  return ParsedCa{std::move(*cert), std::move(*key)};
}

absl::Status CheckSignedBy(X509* cert, const crypto::PublicKey& issuer_key,
                           absl::string_view which) {
  if (X509_verify(cert, issuer_key.evp()) != 1) {
    crypto::ClearOpenSslErrors();
    return Invalid(which, "signature does not verify");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CaBundle> CaBundle::Create(Bytes root_der, Bytes mesh_ca_der,
                                          Bytes intermediate_der) {
  CONCORD_ASSIGN_OR_RETURN(ParsedCa root, ParseCa(root_der, "root CA", KeyType::kEcP384));
  CONCORD_ASSIGN_OR_RETURN(ParsedCa mesh, ParseCa(mesh_ca_der, "mesh CA", KeyType::kEcP256));
  CONCORD_ASSIGN_OR_RETURN(ParsedCa intermediate,
                           ParseCa(intermediate_der, "intermediate", KeyType::kEcP256));
  if (X509_NAME_cmp(X509_get_subject_name(root.cert.get()),
                    X509_get_issuer_name(root.cert.get())) != 0) {
    return Invalid("root CA", "not self-issued");
  }
  CONCORD_RETURN_IF_ERROR(CheckSignedBy(root.cert.get(), root.key, "root CA"));
  if (X509_NAME_cmp(X509_get_subject_name(mesh.cert.get()),
                    X509_get_issuer_name(mesh.cert.get())) != 0) {
    return Invalid("mesh CA", "not self-issued");
  }
  CONCORD_RETURN_IF_ERROR(CheckSignedBy(mesh.cert.get(), mesh.key, "mesh CA"));
  if (intermediate.key.spki_der() != mesh.key.spki_der()) {
    return Invalid("intermediate", "key differs from the mesh CA's");
  }
  if (X509_NAME_cmp(X509_get_subject_name(intermediate.cert.get()),
                    X509_get_subject_name(mesh.cert.get())) != 0) {
    return Invalid("intermediate", "subject differs from the mesh CA's");
  }
  if (X509_NAME_cmp(X509_get_issuer_name(intermediate.cert.get()),
                    X509_get_subject_name(root.cert.get())) != 0) {
    return Invalid("intermediate", "issuer is not the root CA");
  }
  CONCORD_RETURN_IF_ERROR(CheckSignedBy(intermediate.cert.get(), root.key, "intermediate"));
  absl::StatusOr<absl::Time> not_after =
      crypto::Asn1TimeToAbsl(X509_get0_notAfter(mesh.cert.get()));
  if (!not_after.ok()) {
    return Invalid("mesh CA", not_after.status().message());
  }
  return CaBundle(std::move(root_der), std::move(mesh_ca_der), std::move(intermediate_der),
                  std::move(root.key), std::move(mesh.key), *not_after);
}

absl::StatusOr<CaBundle> CaBundle::Parse(ByteView serialized) {
  if (serialized.size() > kMaxCaBundleSize) {
    return absl::InvalidArgumentError(absl::StrCat("CA bundle: want at most ", kMaxCaBundleSize,
                                                   " bytes, got ", serialized.size()));
  }
  if (serialized.size() < kCaBundleMagic.size() ||
      AsStringView(serialized.first(kCaBundleMagic.size())) != kCaBundleMagic) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA bundle: want the magic \"", kCaBundleMagic, "\""));
  }
  ByteView rest = serialized.subspan(kCaBundleMagic.size());
  Bytes parts[3];
  const char* names[3] = {"root CA", "mesh CA", "intermediate"};
  for (int i = 0; i < 3; ++i) {
    if (rest.size() < 4) {
      return Invalid(names[i], "truncated length");
    }
    const size_t len = (size_t{rest[0]} << 24) | (size_t{rest[1]} << 16) | (size_t{rest[2]} << 8) |
                       size_t{rest[3]};
    rest = rest.subspan(4);
    if (len == 0 || len > crypto::kMaxCertDerSize || len > rest.size()) {
      return Invalid(names[i],
                     absl::StrCat("length ", len, " is 0, over the limit or past the end"));
    }
    parts[i].assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(len));
    rest = rest.subspan(len);
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("CA bundle: ", rest.size(), " trailing bytes"));
  }
  return Create(std::move(parts[0]), std::move(parts[1]), std::move(parts[2]));
}

Bytes CaBundle::Serialize() const {
  Bytes out(kCaBundleMagic.begin(), kCaBundleMagic.end());
  for (const Bytes* der : {&root_der_, &mesh_ca_der_, &intermediate_der_}) {
    AppendBigEndian(out, der->size(), 4);
    Append(out, *der);
  }
  return out;
}

crypto::Sha256Digest CaBundle::Hash() const { return crypto::Sha256(Serialize()); }

std::string CaBundle::RootCaPem() const { return internal::DerToPem(root_der_); }
std::string CaBundle::MeshCaPem() const { return internal::DerToPem(mesh_ca_der_); }
std::string CaBundle::IntermediatePem() const { return internal::DerToPem(intermediate_der_); }

std::string CaBundle::WorkloadChainPem(ByteView leaf_der) const {
  return internal::DerToPem(leaf_der) + IntermediatePem();
}

}  // namespace concord::ca
