#include "concord/crypto/keys.h"

#include <openssl/evp.h>

#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::crypto {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;

TEST(KeysTest, SignVerifyRoundTripP256AndP384) {
  for (KeyType t : {KeyType::kEcP256, KeyType::kEcP384}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(t));
    CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, key.SignEcdsa(AsBytes("hello")));
    EXPECT_THAT(key.public_key().VerifyEcdsa(AsBytes("hello"), sig), IsOk());
    EXPECT_THAT(key.public_key().VerifyEcdsa(AsBytes("hellO"), sig),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
}

// What OpenSSL itself says of an ECDSA signature (P-384 keys verify on
// nettle in PublicKey::VerifyEcdsa).
bool OpenSslVerifies(const PublicKey& key, ByteView message, ByteView der) {
  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  return ctx != nullptr &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA384", nullptr, nullptr, key.evp(),
                                 nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) == 1;
}

// P-384 keys sign on nettle (p384_sign.h); OpenSSL must accept every
// signature under the public key OpenSSL derived, whichever way the key was
// made, and refuse it for another message or another key.
TEST(KeysTest, P384NettleSignaturesVerifyWithOpenSsl) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey generated, PrivateKey::GenerateEc(KeyType::kEcP384));
  // A scalar with high bits set in every limb and one with leading zero bytes:
  // a wrong limb or byte order in the copy to nettle makes a different key.
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes high, HexDecode("f1e2d3c4b5a69788796a5b4c3d2e1f00"
                                                     "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
                                                     "0102030405060708090a0b0c0d0e0f10"));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey from_scalar,
                               PrivateKey::FromEcScalar(KeyType::kEcP384, SecretBytes(high)));
  Bytes small(48, 0);
  small[45] = 0x01;
  small[47] = 0x2a;
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey small_scalar,
                               PrivateKey::FromEcScalar(KeyType::kEcP384, SecretBytes(small)));
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes pem, generated.ToPkcs8Pem());
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey from_pem, PrivateKey::FromPem(pem));
  const PrivateKey* keys[] = {&generated, &from_scalar, &small_scalar, &from_pem};
  for (const PrivateKey* key : keys) {
    Bytes previous;
    for (size_t len : {size_t{0}, size_t{1}, size_t{47}, size_t{48}, size_t{129}, size_t{4096}}) {
      Bytes message(len);
      for (size_t i = 0; i < len; ++i) message[i] = static_cast<uint8_t>(i * 7 + len);
      CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, key->SignEcdsa(message));
      EXPECT_TRUE(OpenSslVerifies(key->public_key(), message, sig)) << "length " << len;
      EXPECT_THAT(key->public_key().VerifyEcdsa(message, sig), IsOk());
      Bytes other = message;
      other.push_back(0);
      EXPECT_FALSE(OpenSslVerifies(key->public_key(), other, sig)) << "length " << len;
      const PrivateKey* another = key == &small_scalar ? &from_scalar : &small_scalar;
      EXPECT_FALSE(OpenSslVerifies(another->public_key(), message, sig)) << "length " << len;
      // A fresh nonce each time: the same message never signs the same way.
      CONCORD_ASSERT_OK_AND_ASSIGN(Bytes again, key->SignEcdsa(message));
      EXPECT_NE(again, sig);
      EXPECT_NE(sig, previous);
      previous = sig;
    }
  }
  // SHA-256 over a P-384 key stays on OpenSSL and verifies there too.
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig256, generated.SignEcdsa(AsBytes("m"), HashAlg::kSha256));
  EXPECT_THAT(generated.public_key().VerifyEcdsa(AsBytes("m"), sig256, HashAlg::kSha256), IsOk());
}

TEST(KeysTest, P384VerifyAcceptsExactlyWhatOpenSslAccepts) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
  const Bytes message = ToBytes("manifest authorization");
  for (int round = 0; round < 4; ++round) {
    CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, key.SignEcdsa(message));
    ASSERT_TRUE(OpenSslVerifies(key.public_key(), message, sig));
    EXPECT_THAT(key.public_key().VerifyEcdsa(message, sig), IsOk());
    // Every single-bit change of the DER (lengths, tags, r, s).
    for (size_t i = 0; i < sig.size(); ++i) {
      for (uint8_t bit : {uint8_t{0x01}, uint8_t{0x80}}) {
        Bytes bad = sig;
        bad[i] ^= bit;
        EXPECT_EQ(key.public_key().VerifyEcdsa(message, bad).ok(),
                  OpenSslVerifies(key.public_key(), message, bad))
            << "byte " << i << " bit " << int{bit};
        EXPECT_FALSE(key.public_key().VerifyEcdsa(message, bad).ok()) << "byte " << i;
      }
    }
    // Trailing bytes, truncation, and BER forms of the same (r, s).
    CONCORD_ASSERT_OK_AND_ASSIGN(Bytes raw, EcdsaDerToRaw(sig, 48));
    Bytes trailing = sig;
    trailing.push_back(0);
    Bytes truncated(sig.begin(), sig.end() - 1);
    Bytes long_form = {0x30, 0x81};  // a length in long form where short form fits
    long_form.push_back(sig[1]);
    long_form.insert(long_form.end(), sig.begin() + 2, sig.end());
    Bytes padded_r = {0x30, static_cast<uint8_t>(sig[1] + 1), 0x02,
                      static_cast<uint8_t>(sig[3] + 1), 0x00};  // r with a needless 0x00
    padded_r.insert(padded_r.end(), sig.begin() + 4, sig.end());
    for (const Bytes* bad : {&trailing, &truncated, &long_form, &padded_r}) {
      EXPECT_FALSE(OpenSslVerifies(key.public_key(), message, *bad));
      EXPECT_THAT(key.public_key().VerifyEcdsa(message, *bad),
                  StatusIs(absl::StatusCode::kUnauthenticated));
    }
    // r = 0 and s = n are refused by both.
    Bytes zero_r = raw;
    std::fill(zero_r.begin(), zero_r.begin() + 48, 0);
    CONCORD_ASSERT_OK_AND_ASSIGN(
        Bytes zero_r_der, EcdsaRawToDer(ByteView(zero_r).first(48), ByteView(zero_r).subspan(48)));
    EXPECT_FALSE(OpenSslVerifies(key.public_key(), message, zero_r_der));
    EXPECT_FALSE(key.public_key().VerifyEcdsa(message, zero_r_der).ok());
    CONCORD_ASSERT_OK_AND_ASSIGN(
        Bytes order, HexDecode("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
                               "581a0db248b0a77aecec196accc52973"));
    CONCORD_ASSERT_OK_AND_ASSIGN(Bytes s_is_n_der, EcdsaRawToDer(ByteView(raw).first(48), order));
    EXPECT_FALSE(OpenSslVerifies(key.public_key(), message, s_is_n_der));
    EXPECT_FALSE(key.public_key().VerifyEcdsa(message, s_is_n_der).ok());
  }
  // Another message, another key: refused.
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, key.SignEcdsa(message));
  EXPECT_THAT(key.public_key().VerifyEcdsa(ToBytes("other"), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey other, PrivateKey::GenerateEc(KeyType::kEcP384));
  EXPECT_THAT(other.public_key().VerifyEcdsa(message, sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(KeysTest, VerifyRejectsSignatureFromOtherKey) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey a, PrivateKey::GenerateEc(KeyType::kEcP256));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey b, PrivateKey::GenerateEc(KeyType::kEcP256));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, a.SignEcdsa(AsBytes("m")));
  EXPECT_THAT(b.public_key().VerifyEcdsa(AsBytes("m"), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(KeysTest, SpkiDerRoundTripAndTypeDetection) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(PublicKey pub, PublicKey::FromSpkiDer(key.public_key().spki_der()));
  EXPECT_EQ(pub.type(), KeyType::kEcP384);
  EXPECT_EQ(pub.spki_der(), key.public_key().spki_der());
  CONCORD_ASSERT_OK_AND_ASSIGN(PublicKey from_pem, PublicKey::FromSpkiPem(pub.ToPem()));
  EXPECT_EQ(from_pem.spki_der(), pub.spki_der());
}

TEST(KeysTest, SpkiRejectsGarbageTruncationAndTrailingBytes) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP256));
  Bytes der = key.public_key().spki_der();
  EXPECT_THAT(PublicKey::FromSpkiDer(Bytes{1, 2, 3}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKey::FromSpkiDer(ByteView(der).first(der.size() - 1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_THAT(PublicKey::FromSpkiDer(trailing), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKey::FromSpkiDer(Bytes{}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeysTest, FromEcScalarIsDeterministicAndRejectsZero) {
  SecretBytes d(ByteView(Bytes(48, 0x11)));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey a, PrivateKey::FromEcScalar(KeyType::kEcP384, d));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey b, PrivateKey::FromEcScalar(KeyType::kEcP384, d));
  EXPECT_EQ(a.public_key().spki_der(), b.public_key().spki_der());
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, a.SignEcdsa(AsBytes("x")));
  EXPECT_THAT(b.public_key().VerifyEcdsa(AsBytes("x"), sig), IsOk());
  EXPECT_THAT(PrivateKey::FromEcScalar(KeyType::kEcP384, SecretBytes(48)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PrivateKey::FromEcScalar(KeyType::kEcP256, SecretBytes(ByteView(Bytes(32, 0xff)))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeysTest, Pkcs8PemRoundTrip) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP256));
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes pem, key.ToPkcs8Pem());
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey back, PrivateKey::FromPem(pem));
  EXPECT_EQ(back.public_key().spki_der(), key.public_key().spki_der());
  EXPECT_THAT(PrivateKey::FromPem(SecretBytes(AsBytes("not a key"))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeysTest, RawDerSignatureConversionRoundTrips) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes der, key.SignEcdsa(AsBytes("m")));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes raw, EcdsaDerToRaw(der, 48));
  ASSERT_EQ(raw.size(), 96u);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes der2,
                               EcdsaRawToDer(ByteView(raw).first(48), ByteView(raw).subspan(48)));
  EXPECT_EQ(der, der2);
}

}  // namespace
}  // namespace concord::crypto

namespace concord::crypto {
namespace {

// The fast SPKI decoder (internal/spki_fast.h) must agree with OpenSSL's
// general decoder on every input: valid keys, every truncation, and a bit flip
// at every byte.
TEST(KeysTest, FastSpkiDecoderAgreesWithOpenSslDecoder) {
  std::vector<Bytes> valid;
  for (KeyType t : {KeyType::kEcP256, KeyType::kEcP384}) {
    for (int i = 0; i < 3; ++i) {
      valid.push_back(PrivateKey::GenerateEc(t)->public_key().spki_der());
    }
  }
  valid.push_back(PrivateKey::GenerateRsa(2048)->public_key().spki_der());
  size_t checked = 0;
  auto check = [&checked](const Bytes& input) {
    auto fast = PublicKey::FromSpkiDer(input);
    auto slow = PublicKey::FromSpkiDerGeneral(input);
    ASSERT_EQ(fast.ok(), slow.ok())
        << HexEncode(input) << "\nfast: " << fast.status() << "\nslow: " << slow.status();
    if (fast.ok()) {
      EXPECT_EQ(fast->spki_der(), slow->spki_der());
      EXPECT_EQ(fast->type(), slow->type());
      EXPECT_EQ(EVP_PKEY_eq(fast->evp(), slow->evp()), 1);
    }
    ++checked;
  };
  for (const Bytes& der : valid) {
    check(der);
    for (size_t len = 0; len < der.size(); ++len) {
      check(Bytes(der.begin(), der.begin() + len));
    }
    for (size_t i = 0; i < der.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80}) {
        Bytes flipped = der;
        flipped[i] ^= mask;
        check(flipped);
      }
    }
  }
  EXPECT_GT(checked, 2700u);
}

TEST(KeysTest, FastSpkiDecoderRejectsPointOffCurve) {
  Bytes der = PrivateKey::GenerateEc(KeyType::kEcP256)->public_key().spki_der();
  der.back() ^= 0x01;  // Y no longer matches X.
  EXPECT_THAT(PublicKey::FromSpkiDer(der), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace concord::crypto
