#include "concord/ca/issuer.h"

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/ca/internal/cert_util.h"
#include "concord/ca/test_ca.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/x509.h"
#include "concord/testing/fake_clock.h"
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
using ::concord::crypto::PublicKey;
using ::concord::crypto::SslPtr;
using ::concord::testing::FakeClock;
using ::concord::testing::FakeRandom;
using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Sans DefaultSans() {
  Sans sans;
  sans.dns = {"backend", "backend.default.svc.cluster.local"};
  sans.ips = {"10.0.0.7", "fd00::1"};
  sans.uris = {"spiffe://example.org/ns/default/backend"};
  return sans;
}

class IssuerTest : public ::testing::Test {
 protected:
  IssuerTest() : ca_(MakeTestCa(100)), clock_(TestNow()), random_(101) {}

  void SetUp() override {
    CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey mesh_key, CopyKey(ca_.mesh_key));
    CONCORD_ASSERT_OK_AND_ASSIGN(
        issuer_, Issuer::Create(std::move(mesh_key), ca_.bundle, Issuer::Deps{clock_, random_}));
    CONCORD_ASSERT_OK_AND_ASSIGN(subject_, PrivateKey::GenerateEc(KeyType::kEcP256));
  }

  static absl::StatusOr<PrivateKey> CopyKey(const PrivateKey& key) {
    CONCORD_ASSIGN_OR_RETURN(crypto::SecretBytes pem, key.ToPkcs8Pem());
    return PrivateKey::FromPem(pem);
  }

  IssuedCertificate IssueOk(const PublicKey& key, const Sans& sans = DefaultSans(),
                            absl::Duration lifetime = kDefaultLeafLifetime) {
    auto issued = issuer_->Issue(key, sans, lifetime);
    EXPECT_THAT(issued, IsOk());
    return issued.ok() ? *std::move(issued) : IssuedCertificate{};
  }

  // In-process chain verification at `at` against `trusted` with `untrusted`
  // intermediates, for the SSL server purpose. Returns the X509_V_* code.
  static int VerifyAt(const Bytes& leaf_der, const std::vector<Bytes>& trusted,
                      const std::vector<Bytes>& untrusted, absl::Time at) {
    SslPtr<X509_STORE> store(X509_STORE_new());
    for (const Bytes& der : trusted) {
      SslPtr<X509> cert = std::move(*crypto::ParseCertDer(der));
      X509_STORE_add_cert(store.get(), cert.get());
    }
    crypto::X509StackPtr chain(sk_X509_new_null());
    for (const Bytes& der : untrusted) {
      sk_X509_push(chain.get(), crypto::ParseCertDer(der)->release());
    }
    SslPtr<X509> leaf = std::move(*crypto::ParseCertDer(leaf_der));
    SslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), chain.get());
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), absl::ToTimeT(at));
    X509_verify_cert(ctx.get());
    return X509_STORE_CTX_get_error(ctx.get());
  }

  TestCa ca_;
  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Issuer> issuer_;
  absl::StatusOr<PrivateKey> subject_ = absl::UnknownError("unset");
};

TEST_F(IssuerTest, LeafVerifiesWithStockOpensslAgainstMeshCaAndRoot) {
  IssuedCertificate leaf = IssueOk(subject_->public_key());
  const std::string dir = concord::testing::MakeTempDir("issuer");
  testing::WriteFile(dir + "/leaf.pem", leaf.pem);
  testing::WriteFile(dir + "/mesh-ca.pem", ca_.bundle.MeshCaPem());
  testing::WriteFile(dir + "/root.pem", ca_.bundle.RootCaPem());
  testing::WriteFile(dir + "/intermediate.pem", ca_.bundle.IntermediatePem());
  testing::WriteFile(dir + "/chain.pem", ca_.bundle.WorkloadChainPem(leaf.der));
  for (absl::string_view purpose : {"sslserver", "sslclient"}) {
    auto mesh = testing::OpensslVerify(absl::StrCat("-CAfile ", dir, "/mesh-ca.pem"),
                                       dir + "/leaf.pem", TestNow(), purpose);
    EXPECT_EQ(mesh.exit_code, 0) << mesh.output;
    EXPECT_THAT(mesh.output, HasSubstr("leaf.pem: OK"));
    auto root = testing::OpensslVerify(
        absl::StrCat("-CAfile ", dir, "/root.pem -untrusted ", dir, "/intermediate.pem"),
        dir + "/leaf.pem", TestNow(), purpose);
    EXPECT_EQ(root.exit_code, 0) << root.output;
    EXPECT_THAT(root.output, HasSubstr("leaf.pem: OK"));
    // The chain file a workload receives (leaf + intermediate) suffices.
    auto chain = testing::OpensslVerify(
        absl::StrCat("-CAfile ", dir, "/root.pem -untrusted ", dir, "/chain.pem"),
        dir + "/leaf.pem", TestNow(), purpose);
    EXPECT_EQ(chain.exit_code, 0) << chain.output;
  }
  // Without the intermediate the root alone cannot verify the leaf.
  auto no_intermediate = testing::OpensslVerify(absl::StrCat("-CAfile ", dir, "/root.pem"),
                                                dir + "/leaf.pem", TestNow());
  EXPECT_NE(no_intermediate.exit_code, 0) << no_intermediate.output;
}

TEST_F(IssuerTest, LeafFromAnotherCaFailsStockOpensslVerify) {
  TestCa other = MakeTestCa(200);
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey other_mesh, CopyKey(other.mesh_key));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto other_issuer,
      Issuer::Create(std::move(other_mesh), other.bundle, Issuer::Deps{clock_, random_}));
  CONCORD_ASSERT_OK_AND_ASSIGN(IssuedCertificate foreign,
                               other_issuer->Issue(subject_->public_key(), DefaultSans()));
  const std::string dir = concord::testing::MakeTempDir("issuer_foreign");
  testing::WriteFile(dir + "/foreign.pem", foreign.pem);
  testing::WriteFile(dir + "/mesh-ca.pem", ca_.bundle.MeshCaPem());
  testing::WriteFile(dir + "/root.pem", ca_.bundle.RootCaPem());
  testing::WriteFile(dir + "/intermediate.pem", ca_.bundle.IntermediatePem());
  testing::WriteFile(dir + "/other-intermediate.pem", other.bundle.IntermediatePem());
  auto mesh = testing::OpensslVerify(absl::StrCat("-CAfile ", dir, "/mesh-ca.pem"),
                                     dir + "/foreign.pem", TestNow());
  EXPECT_NE(mesh.exit_code, 0);
  EXPECT_THAT(mesh.output, ::testing::Not(HasSubstr("foreign.pem: OK")));
  auto root = testing::OpensslVerify(
      absl::StrCat("-CAfile ", dir, "/root.pem -untrusted ", dir, "/intermediate.pem"),
      dir + "/foreign.pem", TestNow());
  EXPECT_NE(root.exit_code, 0);
  // Even with the foreign intermediate supplied, our root does not anchor it.
  auto with_other = testing::OpensslVerify(
      absl::StrCat("-CAfile ", dir, "/root.pem -untrusted ", dir, "/other-intermediate.pem"),
      dir + "/foreign.pem", TestNow());
  EXPECT_NE(with_other.exit_code, 0);
}

TEST_F(IssuerTest, InProcessVerificationHonoursValidityWindow) {
  IssuedCertificate leaf = IssueOk(subject_->public_key(), DefaultSans(), absl::Hours(24));
  const std::vector<Bytes> mesh = {ca_.bundle.mesh_ca_der()};
  const std::vector<Bytes> root = {ca_.bundle.root_der()};
  const std::vector<Bytes> inter = {ca_.bundle.intermediate_der()};
  EXPECT_EQ(VerifyAt(leaf.der, mesh, {}, TestNow()), X509_V_OK);
  EXPECT_EQ(VerifyAt(leaf.der, root, inter, TestNow()), X509_V_OK);
  EXPECT_EQ(VerifyAt(leaf.der, mesh, {}, TestNow() - absl::Minutes(4)), X509_V_OK);
  EXPECT_EQ(VerifyAt(leaf.der, mesh, {}, TestNow() - absl::Minutes(6)),
            X509_V_ERR_CERT_NOT_YET_VALID);
  EXPECT_EQ(VerifyAt(leaf.der, mesh, {}, TestNow() + absl::Hours(24) - absl::Seconds(1)),
            X509_V_OK);
  EXPECT_EQ(VerifyAt(leaf.der, mesh, {}, TestNow() + absl::Hours(24) + absl::Seconds(1)),
            X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(VerifyAt(leaf.der, root, {}, TestNow()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  TestCa other = MakeTestCa(300);
  EXPECT_NE(VerifyAt(leaf.der, {other.bundle.mesh_ca_der()}, {}, TestNow()), X509_V_OK);
}

TEST_F(IssuerTest, LeafFieldsMatchProfile) {
  clock_.Set(TestNow() + absl::Milliseconds(700));  // sub-second part is dropped
  IssuedCertificate leaf = IssueOk(subject_->public_key());
  SslPtr<X509> cert = std::move(*crypto::ParseCertDer(leaf.der));
  SslPtr<X509> mesh = std::move(*crypto::ParseCertDer(ca_.bundle.mesh_ca_der()));
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_verify(cert.get(), ca_.mesh_key.public_key().evp()), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(mesh.get())), 0);
  char cn[128] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "backend");
  // Validity.
  EXPECT_EQ(*crypto::Asn1TimeToAbsl(X509_get0_notBefore(cert.get())), TestNow() - absl::Minutes(5));
  EXPECT_EQ(*crypto::Asn1TimeToAbsl(X509_get0_notAfter(cert.get())), TestNow() + absl::Hours(24));
  EXPECT_EQ(leaf.not_before, TestNow() - absl::Minutes(5));
  EXPECT_EQ(leaf.not_after, TestNow() + absl::Hours(24));
  // Serial: 16 bytes, positive.
  SslPtr<BIGNUM> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  EXPECT_FALSE(BN_is_negative(serial.get()));
  EXPECT_EQ(BN_num_bytes(serial.get()), 16);
  // Extensions as OpenSSL decodes them.
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  const uint32_t flags = X509_get_extension_flags(cert.get());
  EXPECT_TRUE(flags & EXFLAG_BCONS);
  EXPECT_FALSE(flags & EXFLAG_CA);
  EXPECT_FALSE(flags & EXFLAG_INVALID);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    const int index = X509_get_ext_by_NID(cert.get(), nid, -1);
    ASSERT_GE(index, 0);
    EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), index)), 1);
  }
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert.get());
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(Bytes(ASN1_STRING_get0_data(aki), ASN1_STRING_get0_data(aki) + ASN1_STRING_length(aki)),
            *internal::SubjectKeyIdOf(mesh.get()));
  EXPECT_EQ(X509_check_issued(mesh.get(), cert.get()), X509_V_OK);
  // SANs.
  SslPtr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  ASSERT_NE(names, nullptr);
  std::vector<std::string> dns, uris, ips;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    const ASN1_STRING* value =
        static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<size_t>(ASN1_STRING_length(value)));
    if (type == GEN_DNS) {
      dns.push_back(text);
    } else if (type == GEN_URI) {
      uris.push_back(text);
    } else if (type == GEN_IPADD) {
      ips.push_back(HexEncode(AsBytes(text)));
    }
  }
  EXPECT_THAT(dns, ElementsAre("backend", "backend.default.svc.cluster.local"));
  EXPECT_THAT(uris, ElementsAre("spiffe://example.org/ns/default/backend"));
  EXPECT_THAT(ips, ElementsAre("0a000007", "fd000000000000000000000000000001"));
  EXPECT_EQ(X509_check_host(cert.get(), "backend.default.svc.cluster.local", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.7", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "frontend", 0, 0, nullptr), 0);
  // PEM is the PEM of the DER.
  EXPECT_EQ(leaf.pem, *crypto::CertToPem(cert.get()));
}

TEST_F(IssuerTest, SubjectPublicKeyEqualsInputForEveryKeyType) {
  // Cross-checks the DER-level key placement against OpenSSL's own decoding.
  for (KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kRsa}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, type == KeyType::kRsa
                                                     ? PrivateKey::GenerateRsa(2048)
                                                     : PrivateKey::GenerateEc(type));
    IssuedCertificate leaf = IssueOk(key.public_key());
    SslPtr<X509> cert = std::move(*crypto::ParseCertDer(leaf.der));
    EVP_PKEY* decoded = X509_get0_pubkey(cert.get());
    ASSERT_NE(decoded, nullptr);
    EXPECT_EQ(EVP_PKEY_eq(decoded, key.public_key().evp()), 1);
    CONCORD_ASSERT_OK_AND_ASSIGN(PublicKey from_cert, PublicKey::FromEvp(decoded));
    EXPECT_EQ(from_cert.spki_der(), key.public_key().spki_der());
    EXPECT_EQ(X509_check_private_key(cert.get(), key.RawEvpForSigning()), 1);
    const uint32_t expected_ku =
        type == KeyType::kRsa ? static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)
                              : static_cast<uint32_t>(KU_DIGITAL_SIGNATURE);
    EXPECT_EQ(X509_get_key_usage(cert.get()), expected_ku);
    EXPECT_EQ(VerifyAt(leaf.der, {ca_.bundle.mesh_ca_der()}, {}, TestNow()), X509_V_OK);
  }
}

TEST_F(IssuerTest, CommonNameFallsBackToUriIpOrConstant) {
  auto cn_of = [&](const Sans& sans) {
    IssuedCertificate leaf = IssueOk(subject_->public_key(), sans);
    SslPtr<X509> cert = std::move(*crypto::ParseCertDer(leaf.der));
    char cn[128] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof(cn));
    return std::string(cn);
  };
  EXPECT_EQ(cn_of(Sans{{}, {"192.168.1.1"}, {"urn:x"}}), "urn:x");
  EXPECT_EQ(cn_of(Sans{{}, {"192.168.1.1"}, {}}), "192.168.1.1");
  EXPECT_EQ(cn_of(Sans{{std::string(63, 'a') + "." + std::string(20, 'b')}, {}, {}}),
            "Concord Workload");
}

TEST_F(IssuerTest, LifetimeIsCappedByMeshCaNotAfter) {
  clock_.Set(ca_.bundle.mesh_ca_not_after() - absl::Hours(1));
  IssuedCertificate leaf = IssueOk(subject_->public_key(), DefaultSans(), absl::Hours(24));
  EXPECT_EQ(leaf.not_after, ca_.bundle.mesh_ca_not_after());
  SslPtr<X509> cert = std::move(*crypto::ParseCertDer(leaf.der));
  EXPECT_EQ(*crypto::Asn1TimeToAbsl(X509_get0_notAfter(cert.get())),
            ca_.bundle.mesh_ca_not_after());
  // Years past 2049 are GeneralizedTime; OpenSSL still accepts the chain.
  EXPECT_EQ(VerifyAt(leaf.der, {ca_.bundle.mesh_ca_der()}, {}, clock_.Now()), X509_V_OK);
}

TEST_F(IssuerTest, ExpiredMeshCaIsFailedPrecondition) {
  clock_.Set(ca_.bundle.mesh_ca_not_after());
  EXPECT_THAT(issuer_->Issue(subject_->public_key(), DefaultSans()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expired")));
}

TEST_F(IssuerTest, RejectsBadLifetime) {
  for (absl::Duration lifetime : {absl::ZeroDuration(), absl::Seconds(-1), absl::Milliseconds(500),
                                  kMaxLeafLifetime + absl::Seconds(1)}) {
    EXPECT_THAT(issuer_->Issue(subject_->public_key(), DefaultSans(), lifetime),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lifetime")))
        << lifetime;
  }
  EXPECT_THAT(issuer_->Issue(subject_->public_key(), DefaultSans(), kMaxLeafLifetime), IsOk());
}

TEST_F(IssuerTest, SerialsAreUniqueAndLeavesDiffer) {
  std::set<std::string> serials;
  for (int i = 0; i < 200; ++i) {
    IssuedCertificate leaf = IssueOk(subject_->public_key());
    SslPtr<X509> cert = std::move(*crypto::ParseCertDer(leaf.der));
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    serials.insert(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                               static_cast<size_t>(ASN1_STRING_length(serial))));
  }
  EXPECT_EQ(serials.size(), 200u);
}

TEST_F(IssuerTest, CreateRejectsKeyOtherThanMeshCaKey) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey wrong, PrivateKey::GenerateEc(KeyType::kEcP256));
  EXPECT_THAT(Issuer::Create(std::move(wrong), ca_.bundle, Issuer::Deps{clock_, random_}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mesh CA's key")));
}

TEST_F(IssuerTest, ConcurrentIssueIsSafe) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::vector<Bytes>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto leaf = issuer_->Issue(subject_->public_key(), DefaultSans());
        if (leaf.ok()) {
          results[t].push_back(leaf->der);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  std::set<Bytes> distinct;
  for (const auto& list : results) {
    ASSERT_EQ(list.size(), static_cast<size_t>(kPerThread));
    for (const Bytes& der : list) {
      EXPECT_EQ(VerifyAt(der, {ca_.bundle.mesh_ca_der()}, {}, TestNow()), X509_V_OK);
      distinct.insert(der);
    }
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(IssuerTest, IssueRejectsInvalidSans) {
  EXPECT_THAT(issuer_->Issue(subject_->public_key(), Sans{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 1 to 100 entries")));
}

TEST(SansTest, AcceptsTypicalNames) {
  EXPECT_THAT(ValidateSans(DefaultSans()), IsOk());
  EXPECT_THAT(ValidateSans(Sans{{"*.svc.cluster.local", "localhost", "a-b.c9"}, {}, {}}), IsOk());
  EXPECT_THAT(
      ValidateSans(Sans{{std::string(63, 'x')}, {"::1", "255.255.255.255"}, {"urn:uuid:1"}}),
      IsOk());
}

TEST(SansTest, RejectsMalformedEntriesWithPreciseMessages) {
  struct Case {
    Sans sans;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Sans{}, "SANs: want 1 to 100 entries, got 0"},
      {Sans{std::vector<std::string>(101, "a"), {}, {}}, "SANs: want 1 to 100 entries, got 101"},
      {Sans{{""}, {}, {}}, "SANs: dns[0] \"\": want 1 to 253 characters, got 0"},
      {Sans{{"ok", "a..b"}, {}, {}}, "SANs: dns[1] \"a..b\": empty label"},
      {Sans{{"a.b."}, {}, {}}, "SANs: dns[0] \"a.b.\": empty label"},
      {Sans{{"-a.b"}, {}, {}}, "SANs: dns[0] \"-a.b\": label starts or ends with '-'"},
      {Sans{{"a_b"}, {}, {}}, "SANs: dns[0] \"a_b\": label characters must be [A-Za-z0-9-]"},
      {Sans{{"a.*.b"}, {}, {}}, "SANs: dns[0] \"a.*.b\": label characters must be [A-Za-z0-9-]"},
      {Sans{{"*."}, {}, {}}, "SANs: dns[0] \"*.\": wildcard without a domain"},
      {Sans{{std::string(64, 'a')}, {}, {}}, absl::StrCat("SANs: dns[0] \"", std::string(64, 'a'),
                                                          "\": label longer than 63 characters")},
      {Sans{{std::string(254, 'a')}, {}, {}}, "want 1 to 253 characters, got 254"},
      {Sans{{}, {"10.0.0.256"}, {}}, "SANs: ips[0] \"10.0.0.256\": want an IPv4 or IPv6 address"},
      {Sans{{}, {"10.0.0"}, {}}, "SANs: ips[0] \"10.0.0\": want an IPv4 or IPv6 address"},
      {Sans{{}, {"010.0.0.1"}, {}}, "want an IPv4 or IPv6 address"},
      {Sans{{}, {"fe80::1%eth0"}, {}}, "want an IPv4 or IPv6 address"},
      {Sans{{}, {""}, {}}, "SANs: ips[0] \"\": want an IPv4 or IPv6 address"},
      {Sans{{}, {}, {"no-scheme"}}, "SANs: uris[0] \"no-scheme\": want a scheme followed by ':'"},
      {Sans{{}, {}, {"1http://x"}}, "scheme must start with a letter"},
      {Sans{{}, {}, {"ht_tp://x"}}, "scheme characters must be [A-Za-z0-9+.-]"},
      {Sans{{}, {}, {"spiffe:"}}, "nothing after the scheme"},
      {Sans{{}, {}, {"http://a b"}}, "want printable ASCII without spaces"},
      {Sans{{}, {}, {std::string("http://\x01", 8)}}, "\"http://?\": want printable ASCII"},
      {Sans{{}, {}, {"u:" + std::string(2047, 'a')}}, "want 1 to 2048 characters, got 2049"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ValidateSans(c.sans),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.message;
  }
}

TEST(SansTest, ClassifySortsIpsUrisAndDnsNames) {
  const std::vector<std::string> entries = {"backend", "10.1.2.3", "::1", "spiffe://td/backend",
                                            "*.example.com"};
  CONCORD_ASSERT_OK_AND_ASSIGN(Sans sans, ClassifySans(entries));
  EXPECT_THAT(sans.dns, UnorderedElementsAre("backend", "*.example.com"));
  EXPECT_THAT(sans.ips, UnorderedElementsAre("10.1.2.3", "::1"));
  EXPECT_THAT(sans.uris, UnorderedElementsAre("spiffe://td/backend"));
  EXPECT_THAT(ClassifySans(std::vector<std::string>{"bad name"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns[0]")));
  EXPECT_THAT(ClassifySans(std::vector<std::string>{"300.1.1.1"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ClassifySans(std::vector<std::string>{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace concord::ca
