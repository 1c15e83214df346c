#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/ca/ca_bundle.h"
#include "concord/ca/ca_certs.h"
#include "concord/ca/internal/cert_util.h"
#include "concord/ca/test_ca.h"
#include "concord/common/hex.h"
#include "concord/crypto/x509.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::ca {
namespace {

using ::concord::ca::testing::MakeTestCa;
using ::concord::ca::testing::TestCa;
using ::concord::ca::testing::TestNow;
using ::concord::crypto::KeyType;
using ::concord::crypto::PrivateKey;
using ::concord::crypto::SslPtr;
using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

SslPtr<X509> Parse(const Bytes& der) { return std::move(*crypto::ParseCertDer(der)); }

std::string NameField(X509_NAME* name, int nid) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(name, nid, buf, sizeof(buf));
  return buf;
}

Bytes Ski(X509* cert) { return *internal::SubjectKeyIdOf(cert); }

Bytes Aki(X509* cert) {
  const ASN1_OCTET_STRING* id = X509_get0_authority_key_id(cert);
  if (id == nullptr) {
    return {};
  }
  return Bytes(ASN1_STRING_get0_data(id), ASN1_STRING_get0_data(id) + ASN1_STRING_length(id));
}

bool IsCritical(X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

absl::Time NotBefore(X509* cert) { return *crypto::Asn1TimeToAbsl(X509_get0_notBefore(cert)); }
absl::Time NotAfter(X509* cert) { return *crypto::Asn1TimeToAbsl(X509_get0_notAfter(cert)); }

size_t SerialBytes(X509* cert) {
  SslPtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  return bn != nullptr && !BN_is_negative(bn.get()) ? static_cast<size_t>(BN_num_bytes(bn.get()))
                                                    : 0;
}

TEST(RootCaTest, ProfileMatchesDocumentation) {
  TestCa ca = MakeTestCa(1, "Acme Prod");
  SslPtr<X509> root = Parse(ca.root_der);
  EXPECT_EQ(X509_get_version(root.get()), X509_VERSION_3);
  EXPECT_EQ(NameField(X509_get_subject_name(root.get()), NID_commonName), "Concord Root CA");
  EXPECT_EQ(NameField(X509_get_subject_name(root.get()), NID_organizationName), "Acme Prod");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(root.get()), X509_get_issuer_name(root.get())), 0);
  EXPECT_EQ(X509_verify(root.get(), ca.root_key.public_key().evp()), 1);
  EXPECT_EQ(X509_get_signature_nid(root.get()), NID_ecdsa_with_SHA384);
  // CA:TRUE critical, no pathLenConstraint; keyCertSign + cRLSign critical.
  EXPECT_EQ(X509_check_ca(root.get()), 1);
  EXPECT_TRUE(IsCritical(root.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_pathlen(root.get()), -1);
  EXPECT_EQ(X509_get_key_usage(root.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_TRUE(IsCritical(root.get(), NID_key_usage));
  EXPECT_EQ(Ski(root.get()).size(), 20u);
  EXPECT_EQ(Ski(root.get()), Aki(root.get()));
  EXPECT_EQ(NotBefore(root.get()), TestNow() - absl::Minutes(5));
  EXPECT_EQ(NotAfter(root.get()), TestNow() - absl::Minutes(5) + absl::Hours(24 * 3653));
  EXPECT_EQ(SerialBytes(root.get()), 16u);
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PublicKey key, internal::PublicKeyOf(root.get()));
  EXPECT_EQ(key.spki_der(), ca.root_key.public_key().spki_der());
  // The key was placed without decoding it (SetSubjectPublicKey); OpenSSL's
  // own decoding of the certificate must give back the same key.
  ASSERT_NE(X509_get0_pubkey(root.get()), nullptr);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(root.get()), ca.root_key.public_key().evp()), 1);
  EXPECT_EQ(X509_check_private_key(root.get(), ca.root_key.RawEvpForSigning()), 1);
}

TEST(RootCaTest, DeploymentNameIsOptional) {
  TestCa ca = MakeTestCa(2, "");
  SslPtr<X509> root = Parse(ca.root_der);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(root.get())), 1);
  SslPtr<X509> mesh = Parse(ca.bundle.mesh_ca_der());
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(mesh.get())), 1);
}

TEST(RootCaTest, RejectsWrongKeyTypeAndBadDeploymentName) {
  concord::testing::FakeRandom random(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey p256, PrivateKey::GenerateEc(KeyType::kEcP256));
  EXPECT_THAT(CreateRootCaCertificate(p256, "", TestNow(), random),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want an ECDSA P-384 key")));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey p384, PrivateKey::GenerateEc(KeyType::kEcP384));
  EXPECT_THAT(CreateRootCaCertificate(p384, std::string(65, 'a'), TestNow(), random),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 64")));
  EXPECT_THAT(CreateRootCaCertificate(p384, "bad\nname", TestNow(), random),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("character 3")));
  EXPECT_THAT(CreateRootCaCertificate(p384, " padded", TestNow(), random),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leading or trailing")));
}

TEST(RootCaTest, RootIsAcceptedByOpensslAsTrustAnchor) {
  TestCa ca = MakeTestCa(3);
  const std::string dir = concord::testing::MakeTempDir("ca_root");
  testing::WriteFile(dir + "/root.pem", ca.bundle.RootCaPem());
  testing::WriteFile(dir + "/intermediate.pem", ca.bundle.IntermediatePem());
  auto root = testing::OpensslVerify(absl::StrCat("-CAfile ", dir, "/root.pem"), dir + "/root.pem",
                                     TestNow(), "any");
  EXPECT_EQ(root.exit_code, 0) << root.output;
  auto inter = testing::OpensslVerify(absl::StrCat("-CAfile ", dir, "/root.pem"),
                                      dir + "/intermediate.pem", TestNow(), "any");
  EXPECT_EQ(inter.exit_code, 0) << inter.output;
  EXPECT_THAT(inter.output, HasSubstr(": OK"));
}

TEST(MeshCaTest, ProfileMatchesDocumentation) {
  TestCa ca = MakeTestCa(4, "Acme Prod", 42);
  SslPtr<X509> root = Parse(ca.root_der);
  SslPtr<X509> mesh = Parse(ca.bundle.mesh_ca_der());
  SslPtr<X509> inter = Parse(ca.bundle.intermediate_der());
  // Mesh CA: self-signed P-256, CA:TRUE pathlen 0.
  EXPECT_EQ(NameField(X509_get_subject_name(mesh.get()), NID_commonName), "Concord Mesh CA g42");
  EXPECT_EQ(NameField(X509_get_subject_name(mesh.get()), NID_organizationName), "Acme Prod");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(mesh.get()), X509_get_issuer_name(mesh.get())), 0);
  EXPECT_EQ(X509_verify(mesh.get(), ca.mesh_key.public_key().evp()), 1);
  EXPECT_EQ(X509_get_signature_nid(mesh.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_check_ca(mesh.get()), 1);
  EXPECT_EQ(X509_get_pathlen(mesh.get()), 0);
  EXPECT_TRUE(IsCritical(mesh.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_key_usage(mesh.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(Ski(mesh.get()), Aki(mesh.get()));
  // Intermediate: same subject, key and SKI; issued and signed by the root.
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(inter.get()), X509_get_subject_name(mesh.get())),
            0);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(inter.get()), X509_get_subject_name(root.get())), 0);
  EXPECT_EQ(X509_verify(inter.get(), ca.root_key.public_key().evp()), 1);
  EXPECT_EQ(X509_get_signature_nid(inter.get()), NID_ecdsa_with_SHA384);
  EXPECT_EQ(X509_get_pathlen(inter.get()), 0);
  EXPECT_EQ(Ski(inter.get()), Ski(mesh.get()));
  EXPECT_EQ(Aki(inter.get()), Ski(root.get()));
  EXPECT_EQ(ca.bundle.mesh_ca_public_key().spki_der(), ca.mesh_key.public_key().spki_der());
  for (X509* cert : {mesh.get(), inter.get()}) {
    ASSERT_NE(X509_get0_pubkey(cert), nullptr);
    EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert), ca.mesh_key.public_key().evp()), 1);
    EXPECT_EQ(X509_check_private_key(cert, ca.mesh_key.RawEvpForSigning()), 1);
  }
  // Validity: from now - 5 min to the root's notAfter.
  EXPECT_EQ(NotBefore(mesh.get()), TestNow() - absl::Minutes(5));
  EXPECT_EQ(NotAfter(mesh.get()), NotAfter(root.get()));
  EXPECT_EQ(NotAfter(inter.get()), NotAfter(root.get()));
  EXPECT_EQ(ca.bundle.mesh_ca_not_after(), NotAfter(root.get()));
  EXPECT_NE(SerialBytes(mesh.get()), 0u);
}

TEST(MeshCaTest, CreateRejectsMismatchedRootKeyWrongTypesAndExpiredRoot) {
  TestCa ca = MakeTestCa(5);
  concord::testing::FakeRandom random(5);
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey other_root, PrivateKey::GenerateEc(KeyType::kEcP384));
  EXPECT_THAT(CreateCaBundle(other_root, ca.root_der, ca.mesh_key, 2, TestNow(), random),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  EXPECT_THAT(CreateCaBundle(ca.root_key, ca.root_der, ca.root_key, 2, TestNow(), random),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("P-256")));
  EXPECT_THAT(CreateCaBundle(ca.root_key, ca.root_der, ca.mesh_key, 2,
                             TestNow() + absl::Hours(24 * 3660), random),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expired")));
  EXPECT_THAT(CreateCaBundle(ca.root_key, Bytes{0x30, 0x00}, ca.mesh_key, 2, TestNow(), random),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CaBundleTest, SerializeParseRoundTripIsDeterministic) {
  TestCa ca = MakeTestCa(6);
  const Bytes serialized = ca.bundle.Serialize();
  EXPECT_EQ(AsStringView(ByteView(serialized).first(20)), "concord/v1/ca-bundle");
  CONCORD_ASSERT_OK_AND_ASSIGN(CaBundle parsed, CaBundle::Parse(serialized));
  EXPECT_EQ(parsed.root_der(), ca.bundle.root_der());
  EXPECT_EQ(parsed.mesh_ca_der(), ca.bundle.mesh_ca_der());
  EXPECT_EQ(parsed.intermediate_der(), ca.bundle.intermediate_der());
  EXPECT_EQ(parsed.Serialize(), serialized);
  EXPECT_EQ(parsed.Hash(), crypto::Sha256(serialized));
  EXPECT_EQ(parsed.mesh_ca_not_after(), ca.bundle.mesh_ca_not_after());
  // CreateCaBundle adopts what it made without re-checking: the full checks
  // of Parse agree with it.
  EXPECT_EQ(parsed.root_public_key().spki_der(), ca.bundle.root_public_key().spki_der());
  EXPECT_EQ(parsed.mesh_ca_public_key().spki_der(), ca.bundle.mesh_ca_public_key().spki_der());
  // Layout: magic || len || root || len || mesh || len || intermediate.
  Bytes expected(kCaBundleMagic.begin(), kCaBundleMagic.end());
  for (const Bytes* der :
       {&ca.bundle.root_der(), &ca.bundle.mesh_ca_der(), &ca.bundle.intermediate_der()}) {
    AppendBigEndian(expected, der->size(), 4);
    Append(expected, *der);
  }
  EXPECT_EQ(serialized, expected);
}

TEST(CaBundleTest, ParseRejectsEveryTruncationAndTrailingBytes) {
  TestCa ca = MakeTestCa(7);
  const Bytes serialized = ca.bundle.Serialize();
  for (size_t len = 0; len < serialized.size(); ++len) {
    EXPECT_THAT(CaBundle::Parse(ByteView(serialized).first(len)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "length " << len;
  }
  Bytes trailing = serialized;
  trailing.push_back(0);
  EXPECT_THAT(CaBundle::Parse(trailing),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 trailing bytes")));
  EXPECT_THAT(CaBundle::Parse(Bytes(kMaxCaBundleSize + 1, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most")));
}

TEST(CaBundleTest, ParseRejectsAnyTamperedByte) {
  TestCa ca = MakeTestCa(8);
  const Bytes serialized = ca.bundle.Serialize();
  // Every byte of the framing and the first certificate's header, then every
  // third byte (each check runs three P-384/P-256 signature verifications).
  for (size_t i = 0; i < serialized.size(); i += i < 64 ? 1 : 3) {
    Bytes tampered = serialized;
    tampered[i] ^= 0x01;
    EXPECT_THAT(CaBundle::Parse(tampered), StatusIs(absl::StatusCode::kInvalidArgument))
        << "byte " << i;
  }
}

TEST(CaBundleTest, CreateRejectsMixedUpAndForeignCertificates) {
  TestCa ca = MakeTestCa(9);
  TestCa other = MakeTestCa(10);
  const CaBundle& b = ca.bundle;
  EXPECT_THAT(CaBundle::Create(b.mesh_ca_der(), b.root_der(), b.intermediate_der()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("root CA")));
  EXPECT_THAT(CaBundle::Create(b.root_der(), b.intermediate_der(), b.intermediate_der()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mesh CA")));
  // Intermediate of another deployment's mesh key.
  EXPECT_THAT(CaBundle::Create(b.root_der(), b.mesh_ca_der(), other.bundle.intermediate_der()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("intermediate")));
  // The other root's intermediate for the same mesh key would need the other
  // root; pair our mesh CA and intermediate with a foreign root.
  EXPECT_THAT(CaBundle::Create(other.root_der, b.mesh_ca_der(), b.intermediate_der()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("intermediate")));
  EXPECT_THAT(CaBundle::Create(b.root_der(), b.mesh_ca_der(), b.intermediate_der()), IsOk());
}

TEST(CaBundleTest, RejectsIntermediateSignedByForeignRootWithSameName) {
  // A foreign root with the same subject name signs an intermediate for our
  // mesh key: names match, the signature must not.
  TestCa ca = MakeTestCa(11, "Same Name");
  TestCa foreign = MakeTestCa(12, "Same Name");
  concord::testing::FakeRandom random(13);
  CONCORD_ASSERT_OK_AND_ASSIGN(CaBundle forged, CreateCaBundle(foreign.root_key, foreign.root_der,
                                                               ca.mesh_key, 1, TestNow(), random));
  EXPECT_THAT(CaBundle::Create(ca.root_der, ca.bundle.mesh_ca_der(), forged.intermediate_der()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature does not verify")));
}

TEST(CaBundleTest, PemHelpersRoundTrip) {
  TestCa ca = MakeTestCa(14);
  for (const auto& [pem, der] :
       {std::pair{ca.bundle.RootCaPem(), ca.bundle.root_der()},
        std::pair{ca.bundle.MeshCaPem(), ca.bundle.mesh_ca_der()},
        std::pair{ca.bundle.IntermediatePem(), ca.bundle.intermediate_der()}}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(auto certs, crypto::ParseCertChainPem(pem));
    ASSERT_EQ(certs.size(), 1u);
    CONCORD_ASSERT_OK_AND_ASSIGN(Bytes reencoded, crypto::CertToDer(certs[0].get()));
    EXPECT_EQ(reencoded, der);
    // Byte-identical to OpenSSL's own PEM writer.
    CONCORD_ASSERT_OK_AND_ASSIGN(std::string openssl_pem, crypto::CertToPem(certs[0].get()));
    EXPECT_EQ(pem, openssl_pem);
  }
  const std::string chain = ca.bundle.WorkloadChainPem(ca.bundle.mesh_ca_der());
  CONCORD_ASSERT_OK_AND_ASSIGN(auto certs, crypto::ParseCertChainPem(chain));
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(*crypto::CertToDer(certs[1].get()), ca.bundle.intermediate_der());
}

}  // namespace
}  // namespace concord::ca
