#include "concord/ca/ca_certs.h"

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/ca/internal/cert_util.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

namespace concord::ca {
namespace {

using crypto::KeyType;
using crypto::SslPtr;

absl::Status RequireKeyType(const crypto::PrivateKey& key, KeyType want, absl::string_view what) {
  if (key.type() != want) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": want an ", crypto::KeyTypeName(want),
                                                   " key, got ", crypto::KeyTypeName(key.type())));
  }
  return absl::OkStatus();
}

// CA extensions: basicConstraints (critical), keyUsage keyCertSign+cRLSign
// (critical), SKI of the subject key, AKI of the issuer key.
absl::Status AddCaExtensions(X509* cert, int path_len, ByteView subject_key_id,
                             ByteView issuer_key_id) {
  CONCORD_RETURN_IF_ERROR(internal::AddExtension(cert, NID_basic_constraints, true,
                                                 internal::BasicConstraintsDer(true, path_len)));
  CONCORD_RETURN_IF_ERROR(internal::AddExtension(
      cert, NID_key_usage, true,
      internal::KeyUsageDer(internal::kKuKeyCertSign | internal::kKuCrlSign)));
  CONCORD_RETURN_IF_ERROR(internal::AddExtension(cert, NID_subject_key_identifier, false,
                                                 internal::SubjectKeyIdDer(subject_key_id)));
  return internal::AddExtension(cert, NID_authority_key_identifier, false,
                                internal::AuthorityKeyIdDer(issuer_key_id));
}

}  // namespace

absl::StatusOr<Bytes> CreateRootCaCertificate(const crypto::PrivateKey& root_key,
                                              absl::string_view deployment_name, absl::Time now,
                                              RandomSource& random) {
  CONCORD_RETURN_IF_ERROR(RequireKeyType(root_key, KeyType::kEcP384, "root CA"));
  CONCORD_RETURN_IF_ERROR(internal::ValidateOrganization(deployment_name, "deployment name"));
  CONCORD_ASSIGN_OR_RETURN(SslPtr<X509_NAME> name,
                           internal::MakeName(kRootCaCommonName, deployment_name));
  CONCORD_ASSIGN_OR_RETURN(SslPtr<ASN1_STRING> serial, internal::RandomSerial(random));
  const absl::Time not_before = now - kBackdate;
  CONCORD_ASSIGN_OR_RETURN(
      SslPtr<X509> cert,
      internal::NewCertificate(serial.get(), name.get(), name.get(), not_before,
                               not_before + kRootCaLifetime, root_key.public_key()));
  CONCORD_ASSIGN_OR_RETURN(Bytes key_id, internal::KeyIdOf(root_key.public_key()));
  // No pathLenConstraint on the root: it issues the intermediates.
  CONCORD_RETURN_IF_ERROR(AddCaExtensions(cert.get(), -1, key_id, key_id));
  return internal::SignAndEncode(cert.get(), root_key);
}

absl::StatusOr<CaBundle> CreateCaBundle(const crypto::PrivateKey& root_key, ByteView root_der,
                                        const crypto::PrivateKey& mesh_key, uint64_t generation,
                                        absl::Time now, RandomSource& random) {
  CONCORD_RETURN_IF_ERROR(RequireKeyType(root_key, KeyType::kEcP384, "root CA"));
  CONCORD_RETURN_IF_ERROR(RequireKeyType(mesh_key, KeyType::kEcP256, "mesh CA"));
  CONCORD_ASSIGN_OR_RETURN(SslPtr<X509> root, crypto::ParseCertDer(root_der));
  CONCORD_ASSIGN_OR_RETURN(crypto::PublicKey root_cert_key, internal::PublicKeyOf(root.get()));
  if (root_cert_key.spki_der() != root_key.public_key().spki_der()) {
    return absl::InvalidArgumentError("mesh CA: root key does not match the root certificate");
  }
  CONCORD_ASSIGN_OR_RETURN(absl::Time root_not_after,
                           crypto::Asn1TimeToAbsl(X509_get0_notAfter(root.get())));
  const absl::Time not_before = now - kBackdate;
  if (root_not_after <= not_before) {
    return absl::FailedPreconditionError("mesh CA: the root CA certificate has expired");
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes root_key_id, internal::SubjectKeyIdOf(root.get()));
  CONCORD_ASSIGN_OR_RETURN(Bytes mesh_key_id, internal::KeyIdOf(mesh_key.public_key()));
  const X509_NAME* root_name = X509_get_subject_name(root.get());
  CONCORD_ASSIGN_OR_RETURN(SslPtr<X509_NAME> mesh_name,
                           internal::MakeName(absl::StrCat(kMeshCaCommonNamePrefix, generation),
                                              internal::OrganizationOf(root_name)));

  // Self-signed mesh CA: trusted directly by workloads of this manifest.
  CONCORD_ASSIGN_OR_RETURN(SslPtr<ASN1_STRING> mesh_serial, internal::RandomSerial(random));
  CONCORD_ASSIGN_OR_RETURN(
      SslPtr<X509> mesh,
      internal::NewCertificate(mesh_serial.get(), mesh_name.get(), mesh_name.get(), not_before,
                               root_not_after, mesh_key.public_key()));
  CONCORD_RETURN_IF_ERROR(AddCaExtensions(mesh.get(), 0, mesh_key_id, mesh_key_id));
  CONCORD_ASSIGN_OR_RETURN(Bytes mesh_der, internal::SignAndEncode(mesh.get(), mesh_key));

  // Intermediate: the same subject and key, signed by the root, so a leaf
  // chains to the root through it.
  CONCORD_ASSIGN_OR_RETURN(SslPtr<ASN1_STRING> inter_serial, internal::RandomSerial(random));
  CONCORD_ASSIGN_OR_RETURN(
      SslPtr<X509> intermediate,
      internal::NewCertificate(inter_serial.get(), mesh_name.get(), root_name, not_before,
                               root_not_after, mesh_key.public_key()));
  CONCORD_RETURN_IF_ERROR(AddCaExtensions(intermediate.get(), 0, mesh_key_id, root_key_id));
  CONCORD_ASSIGN_OR_RETURN(Bytes inter_der, internal::SignAndEncode(intermediate.get(), root_key));

  // Made here from checked inputs, so not parsed and verified again (two
  // P-384 verifications on every manifest update); the round trip through
  // CaBundle::Parse, which checks it all, is tested.
  return CaBundle(Bytes(root_der.begin(), root_der.end()), std::move(mesh_der),
                  std::move(inter_der), std::move(root_cert_key), mesh_key.public_key(),
                  root_not_after);
}

}  // namespace concord::ca
