#include "concord/atls/atls_protocol.h"

#include <openssl/x509v3.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/atls/cert.h"
#include "concord/atls/internal/der.h"
#include "concord/common/hex.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/x509.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::atls {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1790000000);

attest::Evidence SampleEvidence() {
  attest::Evidence evidence;
  evidence.platform = attest::Platform::kSimulated;
  evidence.report.assign(1184, 0x5a);
  evidence.certs = {Bytes(300, 0x01), Bytes(20, 0x02), Bytes(1, 0x03)};
  return evidence;
}

Bytes SpkiSample() {
  Bytes spki = {0x30, 0x59};
  spki.insert(spki.end(), 89, 0xab);
  return spki;
}

Bytes NonceSample() {
  Bytes nonce;
  for (int i = 0; i < 32; ++i) {
    nonce.push_back(static_cast<uint8_t>(i));
  }
  return nonce;
}

TEST(TlsReportDataTest, CoordinatorEmptyNonceKnownAnswer) {
  // python3: hashlib.sha512(b"concord/v1/atls/coordinator" + b"\x00" +
  //   struct.pack(">H", 91) + spki + bytes([0])).hexdigest()
  // with spki = b"\x30\x59" + b"\xab" * 89.
  EXPECT_EQ(HexEncode(TlsReportData(Purpose::kCoordinatorTls, SpkiSample(), {})),
            "51bf0539d273f8546a2fdfcfc885cc7417083bb6a2a261fce56c8722fb5afd70"
            "d0e8c845b6c52953b1f31c0e4a0cad5b8d636c472d45c77a28f2ee6e5f7d6827");
}

TEST(TlsReportDataTest, ClientWithNonceKnownAnswer) {
  // python3: as above with label b"concord/v1/atls/client" and
  // bytes([32]) + bytes(range(32)) as the nonce part.
  EXPECT_EQ(HexEncode(TlsReportData(Purpose::kClientTls, SpkiSample(), NonceSample())),
            "f8d5364c120d91589d4e704f66aefd1ad55e6f6cffc4c2c77bc8140042d15c82"
            "44b1a343e873dea6c04a683220fb94be4271208af60e1631be1ce6a639e1e5cc");
}

TEST(TlsReportDataTest, PurposeAndNonceChangeTheDigest) {
  auto a = TlsReportData(Purpose::kClientTls, SpkiSample(), NonceSample());
  auto b = TlsReportData(Purpose::kCoordinatorTls, SpkiSample(), NonceSample());
  auto c = TlsReportData(Purpose::kClientTls, SpkiSample(), {});
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
}

TEST(TlsReportDataTest, BoundRootIsAppendedWithItsLength) {
  crypto::Sha256Digest root{};
  root.fill(0xcd);
  // python3: hashlib.sha512(b"concord/v1/atls/coordinator" + b"\x00" +
  //   struct.pack(">H", 91) + spki + bytes([0]) + bytes([32]) +
  //   b"\xcd" * 32).hexdigest()
  const Bytes spki = SpkiSample();
  const std::string input =
      absl::StrCat("concord/v1/atls/coordinator", std::string("\0\0\x5b", 3), AsStringView(spki),
                   std::string("\0\x20", 2), std::string(32, '\xcd'));
  EXPECT_EQ(TlsReportData(Purpose::kCoordinatorTls, SpkiSample(), {}, root),
            crypto::Sha512(AsBytes(input)));
  // Binding a root, or another root, changes the digest.
  EXPECT_NE(TlsReportData(Purpose::kCoordinatorTls, SpkiSample(), {}, root),
            TlsReportData(Purpose::kCoordinatorTls, SpkiSample(), {}));
  crypto::Sha256Digest other = root;
  other[31] ^= 1;
  EXPECT_NE(TlsReportData(Purpose::kCoordinatorTls, SpkiSample(), {}, root),
            TlsReportData(Purpose::kCoordinatorTls, SpkiSample(), {}, other));
}

TEST(AttestStatementTest, ReportDataKnownAnswer) {
  // python3: hashlib.sha512(b"concord/v1/attest" + b"\x00" + bytes(range(32))
  //   + bytes([5]) + b"ready" + struct.pack(">Q", 7) + b"\x11" * 32
  //   + b"\x22" * 32 + b"\x33" * 32 + b"\x44" * 32).hexdigest()
  AttestStatement statement;
  Bytes nonce = NonceSample();
  std::copy(nonce.begin(), nonce.end(), statement.nonce.begin());
  statement.state = "ready";
  statement.generation = 7;
  statement.transition_hash.fill(0x11);
  statement.history_key_spki_sha256.fill(0x22);
  statement.root_ca_spki_sha256.fill(0x33);
  statement.mesh_ca_spki_sha256.fill(0x44);
  EXPECT_EQ(HexEncode(AttestStatementReportData(statement)),
            "f4970d97a7a1f4d0b4785c9335245aba174b91538d56be30f01ccf530155593d"
            "1534e7a7964478ab9566ca2bf3c45304c6e7c47a75ed482aa5b4d6468f479f1a");
}

TEST(EvidenceCodecTest, RoundTrips) {
  attest::Evidence evidence = SampleEvidence();
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes der, EncodeEvidence(evidence));
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence decoded, DecodeEvidence(der));
  EXPECT_EQ(decoded.platform, evidence.platform);
  EXPECT_EQ(decoded.report, evidence.report);
  EXPECT_EQ(decoded.certs, evidence.certs);
}

TEST(EvidenceCodecTest, EncodingIsExactDer) {
  attest::Evidence evidence;
  evidence.platform = attest::Platform::kSnp;
  evidence.report = {0xaa, 0xbb};
  evidence.certs = {Bytes{0x01}};
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes der, EncodeEvidence(evidence));
  EXPECT_EQ(HexEncode(der),
            "3011020101"
            "0c03736e70"
            "0402aabb"
            "3003040101");
}

TEST(EvidenceCodecTest, NoCertsRoundTrips) {
  attest::Evidence evidence = SampleEvidence();
  evidence.certs.clear();
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes der, EncodeEvidence(evidence));
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence decoded, DecodeEvidence(der));
  EXPECT_TRUE(decoded.certs.empty());
}

Bytes Hex(absl::string_view hex) { return HexDecode(hex).value(); }

TEST(EvidenceCodecTest, RejectsTrailingBytes) {
  EXPECT_THAT(DecodeEvidence(Hex("3011020101"
                                 "0c03736e70"
                                 "0402aabb"
                                 "3003040101"
                                 "00")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 trailing bytes")));
}

TEST(EvidenceCodecTest, RejectsTrailingElementInsideSequence) {
  EXPECT_THAT(DecodeEvidence(Hex("3013020101"
                                 "0c03736e70"
                                 "0402aabb"
                                 "3003040101"
                                 "0500")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence: 2 trailing")));
}

TEST(EvidenceCodecTest, RejectsWrongVersion) {
  EXPECT_THAT(DecodeEvidence(Hex("3011020102"
                                 "0c03736e70"
                                 "0402aabb"
                                 "3003040101")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence version")));
}

TEST(EvidenceCodecTest, RejectsUnknownPlatform) {
  EXPECT_THAT(DecodeEvidence(Hex("3011020101"
                                 "0c03736e71"
                                 "0402aabb"
                                 "3003040101")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence platform")));
}

TEST(EvidenceCodecTest, RejectsWrongTag) {
  EXPECT_THAT(
      DecodeEvidence(Hex("3011020101"
                         "1303736e70"
                         "0402aabb"
                         "3003040101")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence platform: want tag")));
}

TEST(EvidenceCodecTest, RejectsNonMinimalLength) {
  EXPECT_THAT(DecodeEvidence(Hex("308111020101"
                                 "0c03736e70"
                                 "0402aabb"
                                 "3003040101")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-minimal length")));
  EXPECT_THAT(
      DecodeEvidence(Hex("3012020101"
                         "0c03736e70"
                         "048102aabb"
                         "3003040101")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence report: non-minimal")));
}

TEST(EvidenceCodecTest, RejectsIndefiniteLength) {
  EXPECT_THAT(DecodeEvidence(Hex("3080020101"
                                 "0c03736e70"
                                 "0402aabb"
                                 "3003040101"
                                 "0000")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("indefinite length")));
}

TEST(EvidenceCodecTest, RejectsTruncatedInput) {
  EXPECT_THAT(DecodeEvidence(Hex("3011020101"
                                 "0c03736e70"
                                 "0402aabb"
                                 "30030401")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds")));
  EXPECT_THAT(DecodeEvidence({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence: truncated")));
}

TEST(EvidenceCodecTest, RejectsEmptyReport) {
  EXPECT_THAT(DecodeEvidence(Hex("300f020101"
                                 "0c03736e70"
                                 "0400"
                                 "3003040101")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence report: want 1..")));
}

TEST(EvidenceCodecTest, RejectsTooManyCerts) {
  attest::Evidence evidence = SampleEvidence();
  evidence.certs.assign(attest::kMaxEvidenceCerts + 1, Bytes{0x01});
  EXPECT_THAT(EncodeEvidence(evidence),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence certs")));
  // Build the over-long list by hand: the decoder must refuse it too.
  Bytes certs;
  for (size_t i = 0; i < attest::kMaxEvidenceCerts + 1; ++i) {
    internal::DerAppend(certs, internal::kDerOctetString, Bytes{0x01});
  }
  Bytes body =
      Hex("020101"
          "0c03736e70"
          "0402aabb");
  internal::DerAppend(body, internal::kDerSequence, certs);
  Bytes der;
  internal::DerAppend(der, internal::kDerSequence, body);
  EXPECT_THAT(DecodeEvidence(der),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 4 certificates")));
}

TEST(EvidenceCodecTest, RejectsOversizedInput) {
  Bytes big(kMaxEvidenceExtensionSize + 1, 0);
  EXPECT_THAT(DecodeEvidence(big),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
}

TEST(EvidenceCodecTest, RejectsEmptyCert) {
  EXPECT_THAT(DecodeEvidence(Hex("3010020101"
                                 "0c03736e70"
                                 "0402aabb"
                                 "30020400")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence certs[0]")));
}

TEST(NonceCodecTest, CommonNameRoundTrips) {
  Nonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) {
    nonce[i] = static_cast<uint8_t>(0xf0 + i);
  }
  std::string cn = NonceCommonName(nonce);
  EXPECT_EQ(cn.size(), 64u);
  EXPECT_THAT(ParseNonceCommonName(cn), testing::IsOkAndHolds(nonce));
}

TEST(NonceCodecTest, CommonNameRejectsUpperCaseAndWrongLength) {
  std::string cn(64, 'a');
  EXPECT_THAT(ParseNonceCommonName(cn), IsOk());
  cn[3] = 'A';
  EXPECT_THAT(ParseNonceCommonName(cn),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lower-case")));
  EXPECT_THAT(ParseNonceCommonName(std::string(62, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nonce common name: want 64 hex characters, got 62")));
  EXPECT_THAT(ParseNonceCommonName(std::string(63, 'a') + "g"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NonceCodecTest, AlpnRoundTripsAndRejectsOtherNames) {
  Nonce nonce{};
  nonce[0] = 0x01;
  std::string alpn = NonceAlpn(nonce);
  EXPECT_EQ(alpn, "concord-nonce/01" + std::string(62, '0'));
  EXPECT_THAT(ParseNonceAlpn(alpn), testing::IsOkAndHolds(nonce));
  EXPECT_THAT(ParseNonceAlpn("http/1.1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prefix")));
  EXPECT_THAT(ParseNonceAlpn(alpn + "0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nonce ALPN: want 64")));
}

TEST(AttestedCertificateTest, RoundTripsThroughParsePeerCertificate) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  attest::Evidence evidence = SampleEvidence();
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes der, MakeAttestedCertificate(key, evidence, "concord-test", kNow, absl::Hours(1)));
  CONCORD_ASSERT_OK_AND_ASSIGN(PeerCertificate peer, ParsePeerCertificate(der));
  EXPECT_EQ(peer.der, der);
  EXPECT_EQ(peer.spki_der, key.public_key().spki_der());
  ASSERT_TRUE(peer.evidence.has_value());
  EXPECT_EQ(peer.evidence->report, evidence.report);
  EXPECT_EQ(peer.evidence->certs, evidence.certs);

  CONCORD_ASSERT_OK_AND_ASSIGN(auto cert, crypto::ParseCertDer(der));
  CONCORD_ASSERT_OK_AND_ASSIGN(absl::Time not_before,
                               crypto::Asn1TimeToAbsl(X509_get0_notBefore(cert.get())));
  CONCORD_ASSERT_OK_AND_ASSIGN(absl::Time not_after,
                               crypto::Asn1TimeToAbsl(X509_get0_notAfter(cert.get())));
  EXPECT_EQ(not_before, kNow - absl::Minutes(1));
  EXPECT_EQ(not_after, kNow + absl::Hours(1));
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
}

TEST(AttestedCertificateTest, BoundRootTravelsAsASubjectAltNameUri) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  crypto::Sha256Digest root{};
  root.fill(0x3c);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes der, MakeAttestedCertificate(key, SampleEvidence(), "c", kNow, absl::Hours(1), root));
  CONCORD_ASSERT_OK_AND_ASSIGN(PeerCertificate peer, ParsePeerCertificate(der));
  ASSERT_TRUE(peer.bound_root_ca.has_value());
  EXPECT_EQ(*peer.bound_root_ca, root);
  // Stock parsers see an ordinary URI name.
  CONCORD_ASSERT_OK_AND_ASSIGN(auto cert, crypto::ParseCertDer(der));
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(names, nullptr);
  ASSERT_EQ(sk_GENERAL_NAME_num(names), 1);
  const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, 0);
  EXPECT_EQ(name->type, GEN_URI);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.ia5)),
                        ASN1_STRING_length(name->d.ia5)),
            absl::StrCat(kBoundRootCaUriPrefix, HexEncode(root)));
  GENERAL_NAMES_free(names);
  // Without a root there is no such name.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes plain, MakeAttestedCertificate(key, SampleEvidence(), "c", kNow, absl::Hours(1)));
  CONCORD_ASSERT_OK_AND_ASSIGN(PeerCertificate unbound, ParsePeerCertificate(plain));
  EXPECT_FALSE(unbound.bound_root_ca.has_value());
}

// A certificate with the given subjectAltName (OpenSSL config syntax), signed
// by `key`.
Bytes WithSubjectAltName(const crypto::PrivateKey& key, const std::string& san) {
  Bytes der = *MakeAttestedCertificate(key, SampleEvidence(), "c", kNow, absl::Hours(1));
  auto cert = *crypto::ParseCertDer(der);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
  EXPECT_NE(ext, nullptr);
  EXPECT_EQ(X509_add_ext(cert.get(), ext, -1), 1);
  X509_EXTENSION_free(ext);
  EXPECT_GT(X509_sign(cert.get(), key.RawEvpForSigning(), EVP_sha256()), 0);
  return *crypto::CertToDer(cert.get());
}

TEST(AttestedCertificateTest, MalformedOrRepeatedBoundRootIsRejected) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  const std::string prefix = absl::StrCat("URI:", kBoundRootCaUriPrefix);
  const std::string good = prefix + std::string(64, 'a');
  EXPECT_THAT(ParsePeerCertificate(WithSubjectAltName(key, prefix + std::string(63, 'a'))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bound root CA URI: want 64 hex characters, got 63")));
  EXPECT_THAT(ParsePeerCertificate(WithSubjectAltName(key, prefix + std::string(64, 'A'))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lower-case hex")));
  EXPECT_THAT(ParsePeerCertificate(WithSubjectAltName(key, good + "," + good)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));
  // Other names are ignored; one good URI among them is read.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      PeerCertificate peer,
      ParsePeerCertificate(WithSubjectAltName(key, "DNS:example.test,URI:urn:x:y," + good)));
  ASSERT_TRUE(peer.bound_root_ca.has_value());
  EXPECT_EQ((*peer.bound_root_ca)[0], 0xaa);
}

TEST(AttestedCertificateTest, RejectsNonP256KeyAndLongCommonName) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey p384,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384));
  EXPECT_THAT(MakeAttestedCertificate(p384, SampleEvidence(), "x", kNow, absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("P-256")));
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  EXPECT_THAT(
      MakeAttestedCertificate(key, SampleEvidence(), std::string(65, 'x'), kNow, absl::Hours(1)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("common name")));
}

TEST(AttestedCertificateTest, PlainCertificateHasNoEvidence) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::GenerateRsa(2048));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes der, MakeSelfSignedCertificate(key, nullptr, "owner", kNow, absl::Hours(1)));
  CONCORD_ASSERT_OK_AND_ASSIGN(PeerCertificate peer, ParsePeerCertificate(der));
  EXPECT_FALSE(peer.evidence.has_value());
  EXPECT_EQ(peer.key.type(), crypto::KeyType::kRsa);
}

TEST(AttestedCertificateTest, MalformedExtensionIsRejected) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  Bytes bad_extension =
      Hex("3011020102"
          "0c03736e70"
          "0402aabb"
          "3003040101");  // version 2
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes der, MakeSelfSignedCertificate(key, &bad_extension, "x", kNow, absl::Hours(1)));
  EXPECT_THAT(ParsePeerCertificate(der),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evidence version")));
}

TEST(AttestedCertificateTest, GarbageIsRejected) {
  EXPECT_THAT(ParsePeerCertificate(Hex("3003020101")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer certificate")));
}

}  // namespace
}  // namespace concord::atls
