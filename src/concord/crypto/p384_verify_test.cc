#include "concord/crypto/p384_verify.h"

#include <array>

#include "concord/common/hex.h"
#include "concord/crypto/hash.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::crypto {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;

// The order n of the P-384 group, big-endian.
constexpr char kP384OrderHex[] =
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248"
    "b0a77aecec196accc52973";

struct RawSig {
  Bytes r;
  Bytes s;
};

RawSig SignRaw(const PrivateKey& key, ByteView message) {
  auto der = key.SignEcdsa(message, HashAlg::kSha384);
  EXPECT_TRUE(der.ok()) << der.status();
  auto raw = EcdsaDerToRaw(*der, kP384ScalarSize);
  EXPECT_TRUE(raw.ok()) << raw.status();
  return RawSig{Bytes(raw->begin(), raw->begin() + kP384ScalarSize),
                Bytes(raw->begin() + kP384ScalarSize, raw->end())};
}

// OpenSSL's verdict on the same raw signature (the reference implementation).
bool OpenSslAccepts(const PublicKey& key, ByteView message, const RawSig& sig) {
  auto der = EcdsaRawToDer(sig.r, sig.s);
  if (!der.ok()) {
    return false;
  }
  return key.VerifyEcdsa(message, *der, HashAlg::kSha384).ok();
}

TEST(P384VerifierTest, AgreesWithOpenSslOnRandomKeysAndMessages) {
  ::concord::testing::FakeRandom random(42);
  int accepted = 0;
  int rejected = 0;
  for (int k = 0; k < 8; ++k) {
    CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
    CONCORD_ASSERT_OK_AND_ASSIGN(P384Verifier verifier,
                                 P384Verifier::FromPublicKey(key.public_key()));
    for (int m = 0; m < 8; ++m) {
      Bytes message(static_cast<size_t>(m * 97 + 1));
      ASSERT_THAT(random.Fill(message), IsOk());
      RawSig sig = SignRaw(key, message);
      ASSERT_TRUE(OpenSslAccepts(key.public_key(), message, sig));
      EXPECT_THAT(verifier.Verify(message, sig.r, sig.s), IsOk());
      ++accepted;

      // Tamper: one bit of the message, of r, of s.
      std::array<uint8_t, 2> pick{};
      ASSERT_THAT(random.Fill(pick), IsOk());
      Bytes bad_message = message;
      bad_message[pick[0] % bad_message.size()] ^= static_cast<uint8_t>(1u << (pick[1] % 8));
      RawSig bad_r = sig;
      bad_r.r[pick[0] % kP384ScalarSize] ^= 0x01;
      RawSig bad_s = sig;
      bad_s.s[pick[1] % kP384ScalarSize] ^= 0x80;
      for (const auto& [msg, candidate] :
           {std::pair<const Bytes&, const RawSig&>{bad_message, sig},
            std::pair<const Bytes&, const RawSig&>{message, bad_r},
            std::pair<const Bytes&, const RawSig&>{message, bad_s}}) {
        bool openssl = OpenSslAccepts(key.public_key(), msg, candidate);
        bool nettle = verifier.Verify(msg, candidate.r, candidate.s).ok();
        EXPECT_EQ(openssl, nettle);
        EXPECT_FALSE(nettle);
        ++rejected;
      }
    }
  }
  EXPECT_EQ(accepted, 64);
  EXPECT_EQ(rejected, 192);
}

TEST(P384VerifierTest, RejectsSignatureFromAnotherKey) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey a, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey b, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(P384Verifier verifier, P384Verifier::FromPublicKey(b.public_key()));
  RawSig sig = SignRaw(a, AsBytes("m"));
  EXPECT_THAT(
      verifier.Verify(AsBytes("m"), sig.r, sig.s),
      StatusIs(absl::StatusCode::kUnauthenticated, "P-384 verify: signature does not verify"));
}

TEST(P384VerifierTest, RejectsZeroAndOutOfRangeScalarsLikeOpenSsl) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(P384Verifier verifier,
                               P384Verifier::FromPublicKey(key.public_key()));
  Bytes message = ToBytes("range");
  RawSig good = SignRaw(key, message);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes order, HexDecode(kP384OrderHex));
  Bytes zero(kP384ScalarSize, 0);
  Bytes all_ones(kP384ScalarSize, 0xff);
  Bytes order_plus_one = order;
  order_plus_one.back() += 1;
  for (const Bytes& bad : {zero, order, order_plus_one, all_ones}) {
    RawSig with_bad_r{bad, good.s};
    RawSig with_bad_s{good.r, bad};
    EXPECT_THAT(verifier.Verify(message, with_bad_r.r, with_bad_r.s),
                StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_THAT(verifier.Verify(message, with_bad_s.r, with_bad_s.s),
                StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_FALSE(OpenSslAccepts(key.public_key(), message, with_bad_r));
    EXPECT_FALSE(OpenSslAccepts(key.public_key(), message, with_bad_s));
  }
  EXPECT_THAT(verifier.Verify(message, good.r, good.s), IsOk());
}

TEST(P384VerifierTest, VerifyDigestMatchesVerify) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(P384Verifier verifier,
                               P384Verifier::FromPublicKey(key.public_key()));
  Bytes message = ToBytes("digest path");
  RawSig sig = SignRaw(key, message);
  Sha384Digest digest = Sha384(message);
  EXPECT_THAT(verifier.VerifyDigest(digest, sig.r, sig.s), IsOk());
  digest[0] ^= 1;
  EXPECT_THAT(verifier.VerifyDigest(digest, sig.r, sig.s),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier.VerifyDigest(ByteView(digest).first(32), sig.r, sig.s),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(P384VerifierTest, RejectsWrongScalarLengths) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(P384Verifier verifier,
                               P384Verifier::FromPublicKey(key.public_key()));
  Bytes short_scalar(47, 1);
  Bytes ok_scalar(48, 1);
  EXPECT_THAT(verifier.Verify(AsBytes("m"), short_scalar, ok_scalar),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "P-384 verify: want r and s of 48 bytes each, got 47 and 48"));
}

TEST(P384VerifierTest, RejectsNonP384Keys) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP256));
  EXPECT_THAT(P384Verifier::FromPublicKey(key.public_key()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "P-384 verify: want an ECDSA P-384 key, got ECDSA P-256"));
}

TEST(P384VerifierTest, IsMovable) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::GenerateEc(KeyType::kEcP384));
  CONCORD_ASSERT_OK_AND_ASSIGN(P384Verifier first, P384Verifier::FromPublicKey(key.public_key()));
  P384Verifier moved = std::move(first);
  RawSig sig = SignRaw(key, AsBytes("x"));
  EXPECT_THAT(moved.Verify(AsBytes("x"), sig.r, sig.s), IsOk());
}

}  // namespace
}  // namespace concord::crypto
