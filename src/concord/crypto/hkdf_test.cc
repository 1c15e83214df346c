#include "concord/crypto/hkdf.h"

#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::crypto {
namespace {

// RFC 5869 test case 1.
TEST(HkdfTest, Rfc5869TestCase1) {
  SecretBytes ikm(ByteView(Bytes(22, 0x0b)));
  Bytes salt = *HexDecode("000102030405060708090a0b0c");
  Bytes info = *HexDecode("f0f1f2f3f4f5f6f7f8f9");
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes okm, HkdfSha256(ikm, salt, info, 42));
  EXPECT_EQ(HexEncode(okm.Reveal()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 test case 3: zero-length salt and info.
TEST(HkdfTest, Rfc5869TestCase3EmptySalt) {
  SecretBytes ikm(ByteView(Bytes(22, 0x0b)));
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes okm, HkdfSha256(ikm, {}, {}, 42));
  EXPECT_EQ(HexEncode(okm.Reveal()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfTest, RejectsZeroLength) {
  EXPECT_THAT(HkdfSha256(SecretBytes(32), {}, {}, 0),
              ::concord::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace concord::crypto
