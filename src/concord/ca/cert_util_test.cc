#include "concord/ca/internal/cert_util.h"

#include <openssl/x509v3.h>

#include "concord/ca/internal/leaf_der.h"
#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::ca::internal {
namespace {

using ::concord::crypto::SslPtr;
using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;

TEST(DerTest, LengthsUseShortAndMinimalLongForm) {
  EXPECT_EQ(HexEncode(Der(0x04, Bytes(3, 0xaa))), "0403aaaaaa");
  EXPECT_EQ(HexEncode(Der(0x04, Bytes(127, 0))).substr(0, 4), "047f");
  EXPECT_EQ(HexEncode(Der(0x04, Bytes(128, 0))).substr(0, 6), "048180");
  EXPECT_EQ(HexEncode(Der(0x04, Bytes(256, 0))).substr(0, 8), "04820100");
}

TEST(DerTest, ReadDerRoundTripsAndRejectsMalformedHeaders) {
  const Bytes element = Der(0x30, Bytes(300, 1));
  CONCORD_ASSERT_OK_AND_ASSIGN(DerElement e, ReadDer(element));
  EXPECT_EQ(e.tag, 0x30);
  EXPECT_EQ(e.content.size(), 300u);
  EXPECT_EQ(e.whole.size(), element.size());
  EXPECT_THAT(ReadDer(Bytes{0x30}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadDer(Bytes{0x30, 0x80}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadDer(Bytes{0x30, 0x81, 0x05, 0, 0, 0, 0, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));  // non-minimal
  EXPECT_THAT(ReadDer(Bytes{0x30, 0x03, 0x00}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadDer(Bytes{0x1f, 0x01, 0x00}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DerTest, SplitSpkiFindsKeyBitsAndRejectsGarbage) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  const Bytes& spki = key.public_key().spki_der();
  CONCORD_ASSERT_OK_AND_ASSIGN(SpkiParts parts, SplitSpki(spki));
  EXPECT_EQ(parts.key_bits.size(), 65u);
  EXPECT_EQ(parts.key_bits[0], 0x04);
  EXPECT_EQ(HexEncode(parts.algorithm_der), "301306072a8648ce3d020106082a8648ce3d030107");
  Bytes trailing = spki;
  trailing.push_back(0);
  EXPECT_THAT(SplitSpki(trailing), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitSpki(ByteView(spki).first(spki.size() - 1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitSpki(Bytes{0x30, 0x00}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ExtensionDerTest, ValuesMatchRfc5280Encodings) {
  EXPECT_EQ(HexEncode(BasicConstraintsDer(false, -1)), "3000");
  EXPECT_EQ(HexEncode(BasicConstraintsDer(true, -1)), "30030101ff");
  EXPECT_EQ(HexEncode(BasicConstraintsDer(true, 0)), "30060101ff020100");
  EXPECT_EQ(HexEncode(KeyUsageDer(kKuDigitalSignature)), "03020780");
  EXPECT_EQ(HexEncode(KeyUsageDer(kKuDigitalSignature | kKuKeyEncipherment)), "030205a0");
  EXPECT_EQ(HexEncode(KeyUsageDer(kKuKeyCertSign | kKuCrlSign)), "03020106");
  EXPECT_EQ(HexEncode(ServerClientEkuDer()), "301406082b0601050507030106082b06010505070302");
  EXPECT_EQ(HexEncode(AuthorityKeyIdDer(Bytes(2, 0xab))), "30048002abab");
  EXPECT_EQ(HexEncode(SubjectKeyIdDer(Bytes(2, 0xab))), "0402abab");
}

TEST(ExtensionDerTest, OpensslDecodesOurExtensionsAsIntended) {
  // Decode each value with OpenSSL's own extension parsers.
  auto decode = [](int nid, const Bytes& value) {
    auto ext = MakeExtension(nid, true, value);
    return ext.ok() ? X509V3_EXT_d2i(ext->get()) : nullptr;
  };
  SslPtr<BASIC_CONSTRAINTS> bc(
      static_cast<BASIC_CONSTRAINTS*>(decode(NID_basic_constraints, BasicConstraintsDer(true, 0))));
  ASSERT_NE(bc, nullptr);
  EXPECT_NE(bc->ca, 0);
  EXPECT_EQ(ASN1_INTEGER_get(bc->pathlen), 0);
  SslPtr<EXTENDED_KEY_USAGE> eku(
      static_cast<EXTENDED_KEY_USAGE*>(decode(NID_ext_key_usage, ServerClientEkuDer())));
  ASSERT_NE(eku, nullptr);
  ASSERT_EQ(sk_ASN1_OBJECT_num(eku.get()), 2);
  EXPECT_EQ(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), 0)), NID_server_auth);
  EXPECT_EQ(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), 1)), NID_client_auth);
}

TEST(LeafDerTest, TimesUseUtcTimeUntil2049AndGeneralizedTimeAfter) {
  EXPECT_EQ(AsStringView(ByteView(TimeDer(absl::FromUnixSeconds(1893456000))).subspan(2)),
            "300101000000Z");
  EXPECT_EQ(TimeDer(absl::FromUnixSeconds(1893456000))[0], 0x17);
  const absl::Time y2050 =
      absl::FromCivil(absl::CivilSecond(2050, 1, 2, 3, 4, 5), absl::UTCTimeZone());
  const Bytes generalized = TimeDer(y2050);
  EXPECT_EQ(generalized[0], 0x18);
  EXPECT_EQ(AsStringView(ByteView(generalized).subspan(2)), "20500102030405Z");
}

TEST(LeafDerTest, SerialBitsArePositiveFixedLength) {
  uint8_t serial[16];
  std::fill(std::begin(serial), std::end(serial), 0xff);
  FixSerialBits(serial);
  EXPECT_EQ(serial[0], 0x7f);
  std::fill(std::begin(serial), std::end(serial), 0x00);
  FixSerialBits(serial);
  EXPECT_EQ(serial[0], 0x40);
}

TEST(PemTest, DerToPemWrapsAt64Columns) {
  const std::string pem = DerToPem(Bytes(100, 0));
  EXPECT_EQ(pem.substr(0, 28), "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(pem.substr(28, 65), std::string(64, 'A') + "\n");
  EXPECT_EQ(pem.substr(pem.size() - 26), "-----END CERTIFICATE-----\n");
}

}  // namespace
}  // namespace concord::ca::internal
