// Round trips, known-answer vectors (the worked example of docs/protocol.md)
// and malformed inputs for the transition and latest formats.
#include "concord/history/format.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/history/objects.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::history {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

crypto::Sha256Digest Filled(uint8_t b) {
  crypto::Sha256Digest d;
  d.fill(b);
  return d;
}

Bytes MustHex(absl::string_view hex) {
  absl::StatusOr<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : Bytes();
}

// The fixed keys of the worked example: scalars are SHA-256 / SHA-384 of
// ASCII labels (docs/protocol.md, "Worked example").
crypto::PrivateKey ExampleOwnerKey() {
  auto d = crypto::Sha256(AsBytes("concord protocol example owner key"));
  auto key = crypto::PrivateKey::FromEcScalar(crypto::KeyType::kEcP256,
                                              crypto::SecretBytes(Bytes(d.begin(), d.end())));
  EXPECT_TRUE(key.ok()) << key.status();
  return *std::move(key);
}

crypto::PrivateKey ExampleHistoryKey() {
  auto d = crypto::Sha384(AsBytes("concord protocol example history key"));
  auto key = crypto::PrivateKey::FromEcScalar(crypto::KeyType::kEcP384,
                                              crypto::SecretBytes(Bytes(d.begin(), d.end())));
  EXPECT_TRUE(key.ok()) << key.status();
  return *std::move(key);
}

Transition ExampleTransition(const crypto::PrivateKey& owner) {
  Transition t;
  t.kind = TransitionKind::kManifest;
  t.generation = 2;
  t.manifest_hash = Filled(0x11);
  t.previous_hash = Filled(0x22);
  t.ca_bundle_hash = Filled(0x33);
  auto auth = SignAuthorization(owner, t.kind, t.manifest_hash, t.previous_hash);
  EXPECT_TRUE(auth.ok()) << auth.status();
  t.authorization = *std::move(auth);
  return t;
}

TEST(TransitionFormatTest, RoundTripsWithAndWithoutAuthorization) {
  const crypto::PrivateKey owner = ExampleOwnerKey();
  Transition t = ExampleTransition(owner);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeTransition(t));
  EXPECT_EQ(encoded.size(), kTransitionFixedSize + owner.public_key().spki_der().size() +
                                t.authorization->signature.size());
  CONCORD_ASSERT_OK_AND_ASSIGN(Transition parsed, ParseTransition(encoded));
  EXPECT_EQ(parsed.kind, t.kind);
  EXPECT_EQ(parsed.generation, 2u);
  EXPECT_EQ(parsed.manifest_hash, t.manifest_hash);
  EXPECT_EQ(parsed.previous_hash, t.previous_hash);
  EXPECT_EQ(parsed.ca_bundle_hash, t.ca_bundle_hash);
  ASSERT_TRUE(parsed.authorization.has_value());
  EXPECT_EQ(parsed.authorization->owner_key.spki_der(), owner.public_key().spki_der());
  EXPECT_EQ(parsed.authorization->signature, t.authorization->signature);
  EXPECT_THAT(VerifyAuthorization(*parsed.authorization, parsed.kind, parsed.manifest_hash,
                                  parsed.previous_hash),
              IsOk());

  Transition genesis;
  genesis.generation = 1;
  genesis.manifest_hash = Filled(0x44);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes g, EncodeTransition(genesis));
  EXPECT_EQ(g.size(), kTransitionFixedSize);
  CONCORD_ASSERT_OK_AND_ASSIGN(Transition pg, ParseTransition(g));
  EXPECT_FALSE(pg.authorization.has_value());
  EXPECT_EQ(pg.previous_hash, Filled(0));
}

TEST(TransitionFormatTest, EveryTruncationIsRejectedNamingTheField) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes encoded,
                               EncodeTransition(ExampleTransition(ExampleOwnerKey())));
  for (size_t n = 0; n < encoded.size(); ++n) {
    EXPECT_THAT(ParseTransition(ByteView(encoded).first(n)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")))
        << n;
  }
  Bytes longer = encoded;
  longer.push_back(0);
  EXPECT_THAT(ParseTransition(longer),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
}

TEST(TransitionFormatTest, MalformedFieldsAreRejected) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes good, EncodeTransition(ExampleTransition(ExampleOwnerKey())));
  struct Case {
    const char* name;
    size_t offset;
    uint8_t value;
    const char* message;
  };
  const size_t key_len = ExampleOwnerKey().public_key().spki_der().size();
  for (const Case& c : std::vector<Case>{
           {"version", 0, 2, "version: want 1"},
           {"kind zero", 1, 0, "kind: want 1 (manifest) or 2 (recovery)"},
           {"kind three", 1, 3, "kind"},
           {"key length huge", 106, 0xff, "owner key length"},
           {"key byte", 108 + 2, 0x00, "owner key"},
           {"signature length", 108 + key_len, 0xff, "signature length"},
       }) {
    Bytes bad = good;
    bad[c.offset] = c.value;
    EXPECT_THAT(ParseTransition(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.name;
  }
  // Generation 0.
  Bytes gen0 = good;
  std::fill(gen0.begin() + 2, gen0.begin() + 10, 0);
  EXPECT_THAT(ParseTransition(gen0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("generation")));
  // Generation 1 keeps its first set's challenge where later generations
  // keep the previous hash; generation 2 without one is refused.
  Bytes gen1 = good;
  gen1[9] = 1;
  absl::StatusOr<Transition> challenged = ParseTransition(gen1);
  ASSERT_TRUE(challenged.ok()) << challenged.status();
  EXPECT_EQ(challenged->generation, 1u);
  EXPECT_EQ(challenged->previous_hash, Filled(0x22));
  Bytes no_prev = good;
  std::fill(no_prev.begin() + 42, no_prev.begin() + 74, 0);
  EXPECT_THAT(ParseTransition(no_prev),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("previous hash")));
  // A key without a signature.
  Bytes no_sig(good.begin(), good.begin() + 108 + key_len);
  no_sig.push_back(0);
  no_sig.push_back(0);
  EXPECT_THAT(ParseTransition(no_sig),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both")));
  // A genesis recovery.
  Transition t;
  t.generation = 1;
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes genesis, EncodeTransition(t));
  genesis[1] = 2;
  EXPECT_THAT(ParseTransition(genesis),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("generation 1")));
  // Oversized input.
  EXPECT_THAT(ParseTransition(Bytes(kMaxTransitionSize + 1, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
}

TEST(TransitionFormatTest, NonCanonicalOwnerKeyIsRejected) {
  // A BER long-form length (0x81 0x59 instead of 0x59) for the outer SEQUENCE.
  const crypto::PrivateKey owner = ExampleOwnerKey();
  const Bytes& der = owner.public_key().spki_der();
  ASSERT_EQ(der[1], 0x59);
  Bytes ber = {0x30, 0x81, 0x59};
  ber.insert(ber.end(), der.begin() + 2, der.end());
  Transition t = ExampleTransition(owner);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes good, EncodeTransition(t));
  Bytes bad(good.begin(), good.begin() + 106);
  AppendBigEndian(bad, ber.size(), 2);
  Append(bad, ber);
  AppendBigEndian(bad, t.authorization->signature.size(), 2);
  Append(bad, t.authorization->signature);
  EXPECT_THAT(ParseTransition(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("owner key")));
}

// Each refusal comes right after the genuine authorization verified (and was
// remembered as verified): nothing of it carries over to other inputs.
TEST(TransitionFormatTest, AuthorizationOverOtherFieldsDoesNotVerify) {
  const crypto::PrivateKey owner = ExampleOwnerKey();
  Transition t = ExampleTransition(owner);
  ASSERT_THAT(VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, t.previous_hash),
              IsOk());
  Authorization tampered = *t.authorization;
  tampered.signature.back() ^= 1;
  EXPECT_THAT(VerifyAuthorization(tampered, t.kind, t.manifest_hash, t.previous_hash),
              StatusIs(absl::StatusCode::kUnauthenticated));
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey other,
                               crypto::PrivateKey::GenerateEc(owner.public_key().type()));
  Authorization other_key = *t.authorization;
  other_key.owner_key = other.public_key();
  EXPECT_THAT(VerifyAuthorization(other_key, t.kind, t.manifest_hash, t.previous_hash),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(VerifyAuthorization(*t.authorization, TransitionKind::kRecovery, t.manifest_hash,
                                  t.previous_hash),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(VerifyAuthorization(*t.authorization, t.kind, Filled(0x12), t.previous_hash),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, Filled(0x23)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// A shared cache remembers only what verified, and only for exactly those
// bytes: a tampered signature, another key or other fields still fail with
// the cache holding the genuine authorization.
TEST(TransitionFormatTest, VerifiedAuthorizationsRememberOnlySuccessesOfTheSameBytes) {
  const crypto::PrivateKey owner = ExampleOwnerKey();
  Transition t = ExampleTransition(owner);
  VerifiedAuthorizations verified;
  Authorization tampered = *t.authorization;
  tampered.signature.back() ^= 1;
  EXPECT_THAT(VerifyAuthorization(tampered, t.kind, t.manifest_hash, t.previous_hash, &verified),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_THAT(
      VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, t.previous_hash, &verified),
      IsOk());
  // A second check of the same bytes is answered from the cache, and still
  // OK; everything else is verified and fails as without a cache.
  EXPECT_THAT(
      VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, t.previous_hash, &verified),
      IsOk());
  EXPECT_THAT(VerifyAuthorization(tampered, t.kind, t.manifest_hash, t.previous_hash, &verified),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, Filled(0x23), &verified),
      StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(VerifyAuthorization(*t.authorization, TransitionKind::kRecovery, t.manifest_hash,
                                  t.previous_hash, &verified),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(TransitionFormatTest, RsaAuthorizationUsesPss) {
  CONCORD_ASSERT_OK_AND_ASSIGN(auto rsa, crypto::PrivateKey::GenerateRsa(2048));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Authorization auth, SignAuthorization(rsa, TransitionKind::kRecovery, Filled(1), Filled(2)));
  EXPECT_EQ(auth.signature.size(), 256u);
  EXPECT_THAT(VerifyAuthorization(auth, TransitionKind::kRecovery, Filled(1), Filled(2)), IsOk());
  auth.signature[10] ^= 1;
  EXPECT_THAT(VerifyAuthorization(auth, TransitionKind::kRecovery, Filled(1), Filled(2)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(LatestFormatTest, SignEncodeParseVerifyRoundTrips) {
  const crypto::PrivateKey history = ExampleHistoryKey();
  CONCORD_ASSERT_OK_AND_ASSIGN(Latest latest, SignLatest(history, 7, Filled(0x55)));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes encoded, EncodeLatest(latest));
  CONCORD_ASSERT_OK_AND_ASSIGN(Latest parsed, ParseLatest(encoded));
  EXPECT_EQ(parsed.generation, 7u);
  EXPECT_EQ(parsed.transition_hash, Filled(0x55));
  EXPECT_THAT(VerifyLatest(history.public_key(), parsed), IsOk());
}

TEST(LatestFormatTest, TamperedOrForeignLatestDoesNotVerify) {
  const crypto::PrivateKey history = ExampleHistoryKey();
  CONCORD_ASSERT_OK_AND_ASSIGN(Latest latest, SignLatest(history, 7, Filled(0x55)));
  Latest other_gen = latest;
  other_gen.generation = 8;
  EXPECT_THAT(VerifyLatest(history.public_key(), other_gen),
              StatusIs(absl::StatusCode::kUnauthenticated));
  Latest other_hash = latest;
  other_hash.transition_hash[0] ^= 1;
  EXPECT_THAT(VerifyLatest(history.public_key(), other_hash),
              StatusIs(absl::StatusCode::kUnauthenticated));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto foreign,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384));
  EXPECT_THAT(VerifyLatest(foreign.public_key(), latest),
              StatusIs(absl::StatusCode::kUnauthenticated));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto p256, crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  EXPECT_THAT(VerifyLatest(p256.public_key(), latest),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SignLatest(p256, 1, Filled(1)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LatestFormatTest, MalformedLatestIsRejected) {
  CONCORD_ASSERT_OK_AND_ASSIGN(Latest latest, SignLatest(ExampleHistoryKey(), 7, Filled(0x55)));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes good, EncodeLatest(latest));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THAT(ParseLatest(ByteView(good).first(n)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")))
        << n;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(ParseLatest(trailing), StatusIs(absl::StatusCode::kInvalidArgument));
  Bytes version = good;
  version[0] = 0;
  EXPECT_THAT(ParseLatest(version),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version")));
  Bytes gen0 = good;
  std::fill(gen0.begin() + 33, gen0.begin() + 41, 0);
  EXPECT_THAT(ParseLatest(gen0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("generation")));
  Bytes short_sig = good;
  short_sig[41] = 0;
  short_sig[42] = 7;
  EXPECT_THAT(ParseLatest(short_sig),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature length")));
  EXPECT_THAT(ParseLatest(Bytes(kMaxLatestSize + 1, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  Latest bad = latest;
  bad.signature.resize(kMaxLatestSignatureSize + 1);
  EXPECT_THAT(EncodeLatest(bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ObjectKeyTest, NamesObjectsByTypeAndHexHash) {
  std::string abab;
  for (int i = 0; i < 32; ++i) {
    abab += "ab";
  }
  EXPECT_EQ(ObjectKey(ObjectType::kTransition, Filled(0xab)), "transitions/" + abab);
  EXPECT_EQ(ObjectKey(ObjectType::kManifest, Filled(0)), "manifests/" + std::string(64, '0'));
  EXPECT_EQ(ObjectKey(ObjectType::kPolicy, Filled(0x01)), "policies/" + HexEncode(Filled(1)));
  EXPECT_EQ(ObjectKey(ObjectType::kCaBundle, Filled(0x01)), "certs/" + HexEncode(Filled(1)));
}

// The worked example of docs/protocol.md, byte for byte. ECDSA signatures are
// randomised, so the example's signatures are fixed values that must verify.
constexpr absl::string_view kExampleOwnerSpki =
    "3059301306072a8648ce3d020106082a8648ce3d030107034200044a3f3efa10df8bf973beefb0390891eac15c9a"
    "cc573d7310bad684e9ed6fe921573b03abb2d594947e59ce584210502b8d93c2a2d57daa973a428dcc414b301f";
constexpr absl::string_view kExampleHistorySpki =
    "3076301006072a8648ce3d020106052b810400220362000416111ef286b8e42d567e0f0731bf7b4b8729d9c99b74f5"
    "3db564f0403193b8cbccc6fccd94ec8343f7fc31c3b78bb18f06716c84551b0c7de6bea9f41c9889404599208b24"
    "22496749e52e4225df089f4ef18b0da47457b97e22669d093a10e7";
constexpr absl::string_view kExampleAuthorizationMessage =
    "636f6e636f72642d686973746f72792d617574686f72697a6174696f6e2d76310001"
    "1111111111111111111111111111111111111111111111111111111111111111"
    "2222222222222222222222222222222222222222222222222222222222222222";
constexpr absl::string_view kExampleTransition =
    "0101"
    "0000000000000002"
    "1111111111111111111111111111111111111111111111111111111111111111"
    "2222222222222222222222222222222222222222222222222222222222222222"
    "3333333333333333333333333333333333333333333333333333333333333333"
    "005b"
    "3059301306072a8648ce3d020106082a8648ce3d030107034200044a3f3efa10df8bf973beefb0390891eac15c9a"
    "cc573d7310bad684e9ed6fe921573b03abb2d594947e59ce584210502b8d93c2a2d57daa973a428dcc414b301f"
    "0047"
    "3045022100ca4682b5ffdd4b435101f9e6d1b23c798ad7112c2dd87d866c6099813e681b2702203a199da89fdd57"
    "4e3f252beeaf15fee8af27e83be48d89e697ed0cd92d572042";
constexpr absl::string_view kExampleTransitionHash =
    "7cd8ef51f6517a3cd7f01ad6a0c1b050c824828cc237eacb5979224c823f9822";
constexpr absl::string_view kExampleLatestMessage =
    "636f6e636f72642d686973746f72792d6c61746573742d763100"
    "0000000000000002"
    "7cd8ef51f6517a3cd7f01ad6a0c1b050c824828cc237eacb5979224c823f9822";
constexpr absl::string_view kExampleLatest =
    "01"
    "7cd8ef51f6517a3cd7f01ad6a0c1b050c824828cc237eacb5979224c823f9822"
    "0000000000000002"
    "0068"
    "3066023100d8063bee2c0a867f4b606e088ea9302a91dd08150f34269907d2eb23b6021a6b041329e3f50d947f4f"
    "111490cc887fd3023100a025c21c864e707bc071f57b67fe34583e633d649c5f817f598af2d6d667d21d9fef5a51"
    "61a3549fb046a2024481f009";

TEST(ProtocolExampleTest, KeysDeriveFromTheDocumentedScalars) {
  EXPECT_EQ(HexEncode(ExampleOwnerKey().public_key().spki_der()), kExampleOwnerSpki);
  EXPECT_EQ(HexEncode(ExampleHistoryKey().public_key().spki_der()), kExampleHistorySpki);
}

TEST(ProtocolExampleTest, TransitionBytesHashAndAuthorizationMatch) {
  const Bytes message = AuthorizationMessage(TransitionKind::kManifest, Filled(0x11), Filled(0x22));
  EXPECT_EQ(HexEncode(message), kExampleAuthorizationMessage);
  // docs/protocol.md states the length: a 32-byte label, its 0x00, the kind, two hashes.
  EXPECT_EQ(message.size(), 98u);
  const Bytes encoded = MustHex(kExampleTransition);
  CONCORD_ASSERT_OK_AND_ASSIGN(Transition t, ParseTransition(encoded));
  EXPECT_EQ(t.kind, TransitionKind::kManifest);
  EXPECT_EQ(t.generation, 2u);
  EXPECT_EQ(t.manifest_hash, Filled(0x11));
  EXPECT_EQ(t.previous_hash, Filled(0x22));
  EXPECT_EQ(t.ca_bundle_hash, Filled(0x33));
  ASSERT_TRUE(t.authorization.has_value());
  EXPECT_EQ(HexEncode(t.authorization->owner_key.spki_der()), kExampleOwnerSpki);
  EXPECT_THAT(VerifyAuthorization(*t.authorization, t.kind, t.manifest_hash, t.previous_hash),
              IsOk());
  EXPECT_THAT(EncodeTransition(t), ::concord::testing::IsOkAndHolds(encoded));
  EXPECT_EQ(HexEncode(TransitionHash(encoded)), kExampleTransitionHash);
  // Any flipped bit in the signed fields breaks the owner's signature.
  Bytes flipped = encoded;
  flipped[10] ^= 1;
  CONCORD_ASSERT_OK_AND_ASSIGN(Transition tf, ParseTransition(flipped));
  EXPECT_THAT(VerifyAuthorization(*tf.authorization, tf.kind, tf.manifest_hash, tf.previous_hash),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ProtocolExampleTest, LatestBytesAndSignatureMatch) {
  const crypto::Sha256Digest hash = [] {
    crypto::Sha256Digest d;
    Bytes b = MustHex(kExampleTransitionHash);
    std::copy(b.begin(), b.end(), d.begin());
    return d;
  }();
  EXPECT_EQ(HexEncode(LatestMessage(2, hash)), kExampleLatestMessage);
  const Bytes encoded = MustHex(kExampleLatest);
  CONCORD_ASSERT_OK_AND_ASSIGN(Latest latest, ParseLatest(encoded));
  EXPECT_EQ(latest.generation, 2u);
  EXPECT_EQ(latest.transition_hash, hash);
  EXPECT_THAT(EncodeLatest(latest), ::concord::testing::IsOkAndHolds(encoded));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto history_key,
                               crypto::PublicKey::FromSpkiDer(MustHex(kExampleHistorySpki)));
  EXPECT_THAT(VerifyLatest(history_key, latest), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(auto fast, crypto::P384Verifier::FromPublicKey(history_key));
  EXPECT_THAT(VerifyLatest(fast, latest), IsOk());
  Latest bad_der = latest;
  bad_der.signature[0] = 0x31;
  EXPECT_THAT(VerifyLatest(fast, bad_der), StatusIs(absl::StatusCode::kUnauthenticated));
  latest.generation = 3;
  EXPECT_THAT(VerifyLatest(history_key, latest), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(VerifyLatest(fast, latest), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace concord::history
