#include "concord/crypto/rsa.h"

#include <openssl/rsa.h>

#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::crypto {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

// An RSA-2048 key with a ciphertext and a signature made by an independent
// implementation (Python `cryptography` 48 over OpenSSL 3: OAEP-SHA256,
// MGF1-SHA256, label "concord/v1/test-label"; PSS-SHA256, salt 32).
constexpr char kInteropKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCtBnwigDuIEkPO
AXhA76NrUr1MkIbXtnoWQkdFYgMH0NKoxNmMko3V+f5u/YhpDHB5iT84RUJv9qOq
XTFf8AiIJ80U25rzCzJFP9CD+ukvfERK2OgTj7yBcm4l2O8cDCZ/wVGDRjLppZMP
CaxRTlFoKWfkec/XeBtCGDN2BzVdAwNwIetAJMDw5O4m3hFq+jWrBSHdMZSCwWN6
hbmwizRtl5gUBpD0jh0LJajhV7UMR8WesdiGPiiM6bd4AsGtqTc7Y2YHzHVxSafu
BQ1F0pCFAMPJIYXqchoh+bbJyx15r98kp6BTCYYIbkiiO2TxUgnaWWSAfDbu3Sbl
SLM+yVkNAgMBAAECggEACL5eUTYEDCJ0J7m+ScsdCdmNXwxMrCOjXshBpsQcXW2U
P7AW7aTNoxsLhwYBOeHFi0wVaZ1iYpsRoT8tYBOWsslkHTeNyIDFLRJbp1fA0e6o
hX8ZlzzObLI2K8EfMDPS/DtuMuvouxLsGrialc9B4OQlb7p8zNQxIxwVpFNv7b/E
YaZNQYJvDvvy7BHCx0Pvry2MSPHKhvRbNljBR86i0Mxc8BJfeeV9HTGOxYsWhdy4
N2GTKT62F3OgNkdUIBGS+msGj5mwdMG1fDR/w8NbxTcKReT9sGZVje0qUtjSUx2T
AKeq1A2r6q8nhjc4ok+NHCHP12jZJSsa52/KS2B0ZwKBgQDl1L285q4qvtsseEsV
u0CgeHGhRjLF3nBnhzKcYknDKlw5BOqnItgYjN2g08Lc/0BpAPazTRqRM6YHsVmM
kyNkRUMvAjQ708nIV+tHctWnpowMRhRidf3ZdCi+Dryrr6zTlSNBkZ/Hqae/QKrv
GgDR2ATsLPAfM3xXij2j860jMwKBgQDAue+VXUmoeFPkpS5ddEdTlofy9CJd4gXC
gIAKdz5DgcdGwO+n/dNQGlwUiraAmrLD6vs4//KsgMXe27V0LJ7330IPeVEoVI44
JsDX082MfdJTi01G551DWfTEbKOAY/kDUs/KAMxDUnDfq1Op6X5uhCVlsXNJ29mY
ppm1k1OSvwKBgEBj1viqhFcze4I8/YRMHvIWbHdrjGQFSuamaRaJLvM/1fCfoQJM
b9CI/rrFOU3jMW95tqRLUMsndjenh1gsDPlVslnkOzAbyOeZQjCVSqiar5fstl9T
gVhAA/4jcNaE9F2e5e7D1skAjh+2BW3RkjM4W0Cz4l5LdWWtNFHPvk0jAoGAMTLG
AGEyHnmpIOMx9NVsJ+BzkAfWhhTe14oqJYHPOTh2AI/cHgxj1z0DaJMIh8f1/qGL
xD9CWdr9qCh6J9AEPM6XdI/Jsfvz2k26SN5eyJCOEpmq/oC92qWqIEKDcpESzlBj
jvOpMT5oZhC8aNGcXuYJDe7AuYgQAjH1Zy7W1M0CgYEAq6HXCO8TZg4Qoh+k3neA
k4pl9xvBZ559TODOGuHQ8r9ri+KRPHPYOqZ2jsZWXcuyY0wNXSTnsSOLqoynuVbW
iZhlwoPmoe8LU581wvGZD1WerbROBLAoWFS2fhP9yFgQ7Gxr+FiCD2FTJ86Jt6AT
WyJaS5zHjkd+eQostCoGo3s=
-----END PRIVATE KEY-----
)";
constexpr char kInteropCiphertextHex[] =
    "816fd1ce4e597222454cb07b7d7d00d49b7a1799d29322efced9cef5f23d5db9970726433b620cd3"
    "5effb1cb0cc14045218f1f002fbdbdcfa9c17d0c651b4fc18a02ddb608bbe2758883a47c7be993e5"
    "d1b5713c89b845556416a829dd5b5505db502e071dd8bc7b3909e129fc4099f587c737077ad10fb9"
    "818c932768cf739f88f5590bf6d79397205d23f1ac87335ea5ebdc7466de65eb5579d8009226c43a"
    "9fe306566d1386ddbb7922d694c417a2b343344a8829ac4bb9840ae4ebfa0b1804c4835d42d57bb9"
    "4714cd68a9c92139b7ec68039467b62828f436c0037406ae5d6c224d30e7fa38d15710e66064eb1d"
    "8286ead64195e0cc843c3a29834ac5b2";
constexpr char kInteropSignatureHex[] =
    "17a603688417be496c1e8e1f0304b61938028c29fee8baeb556795b6b8290f41bf56a8282e9071c6"
    "303bdba35ea11bff0a5882caff01bcc44113efa3440fa73487a7c0409b54ff1e1ed397577d28246b"
    "5668010165c9f35f93c65f06fb34eb522e58d0ae3165a15a6df1ac76db42ef0a1077fb1bf1911fa4"
    "f84220e6bc9dacded99e37cd697ae701a5627d4f5fc4e032f5183b591952f99fbf7fe52eb6caf7b7"
    "f1d549dc1f334da6ca9176bce9d8ee15b2b13933ab1d33474f8d9a92c7902d0edad81d88f53d4355"
    "f7b7ace5fb88a5faff8ce207a55bd412c91fa08b1609a60f9fc33b11a47ba7de30235808d712cbde"
    "093bd5517ce3b52ebc1a6af8dba74723";

// RSA key generation is slow; share keys across the tests of this binary.
const PrivateKey& OwnerKey() {
  static const PrivateKey* key = new PrivateKey(*PrivateKey::GenerateRsa(2048));
  return *key;
}
const PrivateKey& OtherKey() {
  static const PrivateKey* key = new PrivateKey(*PrivateKey::GenerateRsa(2048));
  return *key;
}

TEST(RsaTest, OaepRoundTripWithAndWithoutLabel) {
  const Bytes plaintext(32, 0x5a);
  for (absl::string_view label : {"", "concord/v1/seed-share"}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(
        Bytes ct, RsaOaepEncrypt(OwnerKey().public_key(), plaintext, AsBytes(label)));
    EXPECT_EQ(ct.size(), 256u);
    CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes pt, RsaOaepDecrypt(OwnerKey(), ct, AsBytes(label)));
    EXPECT_EQ(Bytes(pt.Reveal().begin(), pt.Reveal().end()), plaintext);
  }
}

TEST(RsaTest, OaepIsRandomized) {
  const Bytes plaintext(16, 1);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes a, RsaOaepEncrypt(OwnerKey().public_key(), plaintext, {}));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes b, RsaOaepEncrypt(OwnerKey().public_key(), plaintext, {}));
  EXPECT_NE(a, b);
}

TEST(RsaTest, OaepDecryptsCiphertextFromIndependentImplementation) {
  SecretBytes pem(AsBytes(kInteropKeyPem));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(pem));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes ct, HexDecode(kInteropCiphertextHex));
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes pt,
                               RsaOaepDecrypt(key, ct, AsBytes("concord/v1/test-label")));
  EXPECT_EQ(AsStringView(pt.Reveal()), "interop plaintext");
  EXPECT_THAT(RsaOaepDecrypt(key, ct, AsBytes("concord/v1/test-labeL")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(RsaTest, OaepDecryptFailuresShareOneGenericMessage) {
  const Bytes plaintext(32, 7);
  const ByteView label = AsBytes("concord/v1/seed-share");
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes ct, RsaOaepEncrypt(OwnerKey().public_key(), plaintext, label));
  auto wrong_key = RsaOaepDecrypt(OtherKey(), ct, label);
  Bytes tampered = ct;
  tampered[100] ^= 0x01;
  auto tampered_result = RsaOaepDecrypt(OwnerKey(), tampered, label);
  auto wrong_label = RsaOaepDecrypt(OwnerKey(), ct, AsBytes("concord/v1/other"));
  auto no_label = RsaOaepDecrypt(OwnerKey(), ct, {});
  auto truncated = RsaOaepDecrypt(OwnerKey(), ByteView(ct).first(ct.size() - 1), label);
  auto empty = RsaOaepDecrypt(OwnerKey(), {}, label);
  for (const auto* r :
       {&wrong_key, &tampered_result, &wrong_label, &no_label, &truncated, &empty}) {
    EXPECT_THAT(
        *r, StatusIs(absl::StatusCode::kUnauthenticated, "RSA-OAEP decrypt: decryption failed"));
  }
}

TEST(RsaTest, OaepRejectsOversizedPlaintext) {
  EXPECT_THAT(RsaOaepEncrypt(OwnerKey().public_key(), Bytes(256 - 66), {}), IsOk());
  EXPECT_THAT(RsaOaepEncrypt(OwnerKey().public_key(), Bytes(256 - 65), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds")));
}

TEST(RsaTest, EcKeysAreRejected) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey ec, PrivateKey::GenerateEc(KeyType::kEcP256));
  EXPECT_THAT(RsaOaepEncrypt(ec.public_key(), Bytes(8), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want an RSA key")));
  EXPECT_THAT(RsaOaepDecrypt(ec, Bytes(256), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want an RSA key")));
  EXPECT_THAT(RsaPssSign(ec, AsBytes("m")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want an RSA key")));
  EXPECT_THAT(RsaPssVerify(ec.public_key(), AsBytes("m"), Bytes(256)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want an RSA key")));
}

TEST(RsaTest, PssSignVerifyRoundTrip) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, RsaPssSign(OwnerKey(), AsBytes("message")));
  EXPECT_EQ(sig.size(), 256u);
  EXPECT_THAT(RsaPssVerify(OwnerKey().public_key(), AsBytes("message"), sig), IsOk());
}

TEST(RsaTest, PssVerifyRejectsTamperedMessageSignatureAndWrongKey) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, RsaPssSign(OwnerKey(), AsBytes("message")));
  EXPECT_THAT(RsaPssVerify(OwnerKey().public_key(), AsBytes("messagE"), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Bytes tampered = sig;
  tampered[5] ^= 0x80;
  EXPECT_THAT(RsaPssVerify(OwnerKey().public_key(), AsBytes("message"), tampered),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(RsaPssVerify(OtherKey().public_key(), AsBytes("message"), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(RsaPssVerify(OwnerKey().public_key(), AsBytes("message"), {}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(RsaTest, PssVerifiesSignatureFromIndependentImplementation) {
  SecretBytes pem(AsBytes(kInteropKeyPem));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::FromPem(pem));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, HexDecode(kInteropSignatureHex));
  EXPECT_THAT(RsaPssVerify(key.public_key(), AsBytes("interop message"), sig), IsOk());
  EXPECT_THAT(RsaPssVerify(key.public_key(), AsBytes("interop messagE"), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(RsaTest, PssVerifyRejectsOtherSaltLength) {
  // A signature with salt length 20 must not pass a verifier pinned to 32.
  EVP_PKEY* pkey = OwnerKey().RawEvpForSigning();
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  ASSERT_EQ(EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, pkey, nullptr), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20), 1);
  size_t len = 512;
  Bytes sig(len);
  const ByteView msg = AsBytes("message");
  ASSERT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &len, msg.data(), msg.size()), 1);
  sig.resize(len);
  EXPECT_THAT(RsaPssVerify(OwnerKey().public_key(), msg, sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace concord::crypto
