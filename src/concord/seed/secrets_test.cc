#include "concord/seed/secrets.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/crypto/hkdf.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::seed {
namespace {

using ::concord::crypto::KeyType;
using ::concord::crypto::PrivateKey;
using ::concord::crypto::SecretBytes;
using ::concord::crypto::SslPtr;
using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// Fixed inputs for the known-answer vectors. The expected values below were
// computed once with an independent implementation (Python `cryptography`:
// its HKDF, Python integers for (c mod (n-1)) + 1, and
// ec.derive_private_key for the public key), then hard-coded.
Bytes Range(uint8_t first, size_t n) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<uint8_t>(first + i);
  }
  return out;
}

SeedSecrets FixedSeedSecrets() {
  return *SeedSecrets::FromBytes(SecretBytes(ByteView(Range(0x00, 32))),
                                 SecretBytes(ByteView(Range(0x80, 32))));
}

MeshSecret FixedMeshSecret() {
  return *MeshSecret::FromBytes(SecretBytes(ByteView(Range(0x40, 32))));
}

constexpr char kRootScalarHex[] =
    "c98f958074e6343bbca807802a5bea7d7cef37bd0b6644149da52f7c4eaceae99f5546c6b050987aaa807ae82f6e"
    "cc49";
constexpr char kRootSpkiHex[] =
    "3076301006072a8648ce3d020106052b8104002203620004803a6a672acba3dc2dc64aa0bde48cab6cde3a8e1e4d"
    "7f96822137015133c642e8d64c6dcb32902b8b81c6df820324fff47aa556e80345eefc061e9679759f6c40d3ca03"
    "640935b032c20b83781cf790c6304b36a27c9ebf61e4f8f576d2f087";
constexpr char kHistoryScalarHex[] =
    "3dd95fe4b96005c7f2200b893f3a6c7735a9f995520e73c026feeeb6693a211434d4e4b887e7e971fdec314a5567"
    "4d6f";
constexpr char kHistorySpkiHex[] =
    "3076301006072a8648ce3d020106052b81040022036200049b5be4ddbd1f8b7a6806ca0a149440d0733d5621d4d1"
    "0bf9b3bee2cae81a64bfdfaa530f99a88748119498c4a16b7c9e3502577a12f204a70de058f290b6219f992f354b"
    "23777c756250cc5bc1deada6231edd23e7f91aff8756bbbe00ce71bc";
constexpr char kWorkloadSecretFrontendHex[] =
    "c9c486c90de56285967f2e8cf9ec26a2cf81afa38c3723b628863d9b6c388571";
// Mesh CA key for generation 7, previous hash 0xaa*32, manifest hash 0xbb*32.
constexpr char kMeshScalarHex[] =
    "3759050eadaa84a5d4f1610737697be33702e709d2cb7cb511db37b33b115dc6";
constexpr char kMeshSpkiHex[] =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004cb4c3211e0bc863287d4cf6e1f0e9bf6775875"
    "aef780503436dfbe87d843e5d11dcc54af13da19f350bab0983aa1a22c1b0f1d9a9bfe7f156dc32ac1e831af38";
// Genesis: generation 0, previous hash all zeros, manifest hash 0xbb*32.
constexpr char kMeshGenesisSpkiHex[] =
    "3059301306072a8648ce3d020106082a8648ce3d0301070342000456b5e159c0022aa78de84dcbf66390448e5331"
    "0e2b15e20ed823b8799c75974f276f5ea25258afd7585c6ca9da1ccb7dfdde2283abb59d4b081ac9ba0de8e553";

const Bytes kPrevious(32, 0xaa);
const Bytes kManifest(32, 0xbb);

// The private scalar as OpenSSL holds it, big-endian, `width` bytes.
std::string PrivateScalarHex(const PrivateKey& key, size_t width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key.RawEvpForSigning(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) {
    return "";
  }
  SslPtr<BIGNUM> d(raw);
  Bytes out(width);
  BN_bn2binpad(d.get(), out.data(), static_cast<int>(width));
  return HexEncode(out);
}

// Recomputes d*G with plain OpenSSL EC_POINT_mul and returns the SPKI DER of
// the resulting point, independently of PrivateKey::FromEcScalar.
std::string SpkiFromScalarWithPlainOpenSsl(int nid, const std::string& scalar_hex) {
  SslPtr<EC_GROUP> group(EC_GROUP_new_by_curve_name(nid));
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, scalar_hex.c_str()) == 0) {
    return "";
  }
  SslPtr<BIGNUM> d(raw);
  SslPtr<EC_POINT> point(EC_POINT_new(group.get()));
  if (EC_POINT_mul(group.get(), point.get(), d.get(), nullptr, nullptr, nullptr) != 1) {
    return "";
  }
  Bytes oct(1 + 2 * static_cast<size_t>(EC_GROUP_get_degree(group.get()) / 8));
  if (EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, oct.data(),
                         oct.size(), nullptr) != oct.size()) {
    return "";
  }
  // SPKI = fixed AlgorithmIdentifier prefix for the named curve || point.
  const std::string prefix = nid == NID_secp384r1
                                 ? "3076301006072a8648ce3d020106052b81040022036200"
                                 : "3059301306072a8648ce3d020106082a8648ce3d030107034200";
  return prefix + HexEncode(oct);
}

TEST(SeedSecretsTest, RootCaKeyMatchesKnownAnswer) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, FixedSeedSecrets().DeriveRootCaKey());
  EXPECT_EQ(key.type(), KeyType::kEcP384);
  EXPECT_EQ(HexEncode(key.public_key().spki_der()), kRootSpkiHex);
  EXPECT_EQ(PrivateScalarHex(key, 48), kRootScalarHex);
}

TEST(SeedSecretsTest, HistoryKeyMatchesKnownAnswer) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, FixedSeedSecrets().DeriveHistoryKey());
  EXPECT_EQ(key.type(), KeyType::kEcP384);
  EXPECT_EQ(HexEncode(key.public_key().spki_der()), kHistorySpkiHex);
  EXPECT_EQ(PrivateScalarHex(key, 48), kHistoryScalarHex);
}

TEST(SeedSecretsTest, PrivateScalarsReproducePublicKeysWithPlainOpenSsl) {
  const SeedSecrets secrets = FixedSeedSecrets();
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey root, secrets.DeriveRootCaKey());
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey history, secrets.DeriveHistoryKey());
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey mesh,
                               FixedMeshSecret().DeriveMeshCaKey(7, kPrevious, kManifest));
  EXPECT_EQ(SpkiFromScalarWithPlainOpenSsl(NID_secp384r1, PrivateScalarHex(root, 48)),
            HexEncode(root.public_key().spki_der()));
  EXPECT_EQ(SpkiFromScalarWithPlainOpenSsl(NID_secp384r1, PrivateScalarHex(history, 48)),
            HexEncode(history.public_key().spki_der()));
  EXPECT_EQ(SpkiFromScalarWithPlainOpenSsl(NID_X9_62_prime256v1, PrivateScalarHex(mesh, 32)),
            HexEncode(mesh.public_key().spki_der()));
  // The derived keys sign and verify like any other key.
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes sig, root.SignEcdsa(AsBytes("latest")));
  EXPECT_THAT(root.public_key().VerifyEcdsa(AsBytes("latest"), sig), IsOk());
}

TEST(SeedSecretsTest, WorkloadSecretMatchesKnownAnswer) {
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes secret,
                               FixedSeedSecrets().DeriveWorkloadSecret("frontend"));
  EXPECT_EQ(HexEncode(secret.Reveal()), kWorkloadSecretFrontendHex);
}

TEST(SeedSecretsTest, WorkloadSecretEqualsHkdfWithDocumentedLabel) {
  const SeedSecrets secrets = FixedSeedSecrets();
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes secret, secrets.DeriveWorkloadSecret("a.b_c-D9"));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SecretBytes direct, crypto::HkdfSha256(secrets.seed(), secrets.salt().Reveal(),
                                             AsBytes("concord/v1/workload-secret/a.b_c-D9"), 32));
  EXPECT_TRUE(secret.Equals(direct));
}

TEST(SeedSecretsTest, DerivationsAreDeterministicAndDistinct) {
  const SeedSecrets a = FixedSeedSecrets();
  const SeedSecrets b = FixedSeedSecrets();
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey root_a, a.DeriveRootCaKey());
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey root_b, b.DeriveRootCaKey());
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey history, a.DeriveHistoryKey());
  EXPECT_EQ(root_a.public_key().spki_der(), root_b.public_key().spki_der());
  EXPECT_NE(root_a.public_key().spki_der(), history.public_key().spki_der());

  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes w1, a.DeriveWorkloadSecret("one"));
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes w1_again, b.DeriveWorkloadSecret("one"));
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes w2, a.DeriveWorkloadSecret("two"));
  EXPECT_TRUE(w1.Equals(w1_again));
  EXPECT_FALSE(w1.Equals(w2));
}

TEST(SeedSecretsTest, DifferentSaltGivesDifferentKeys) {
  Bytes other_salt = Range(0x80, 32);
  other_salt[31] ^= 1;
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSecrets other,
                               SeedSecrets::FromBytes(SecretBytes(ByteView(Range(0x00, 32))),
                                                      SecretBytes(ByteView(other_salt))));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey root, other.DeriveRootCaKey());
  EXPECT_NE(HexEncode(root.public_key().spki_der()), kRootSpkiHex);
}

TEST(SeedSecretsTest, GenerateDrawsFromInjectedRandomSource) {
  testing::FakeRandom r1(42);
  testing::FakeRandom r2(42);
  testing::FakeRandom r3(43);
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSecrets a, SeedSecrets::Generate(r1));
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSecrets b, SeedSecrets::Generate(r2));
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSecrets c, SeedSecrets::Generate(r3));
  EXPECT_EQ(a.seed().size(), 32u);
  EXPECT_EQ(a.salt().size(), 32u);
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(a.Equals(c));
  EXPECT_FALSE(a.seed().Equals(a.salt()));
}

class FailingRandom final : public RandomSource {
 public:
  absl::Status Fill(std::span<uint8_t>) override { return absl::InternalError("DRBG failed"); }
};

TEST(SeedSecretsTest, GeneratePropagatesRandomFailure) {
  FailingRandom random;
  EXPECT_THAT(SeedSecrets::Generate(random),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("generate seed")));
  EXPECT_THAT(MeshSecret::Generate(random),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("generate mesh secret")));
}

TEST(SeedSecretsTest, FromBytesRejectsWrongLengths) {
  EXPECT_THAT(SeedSecrets::FromBytes(SecretBytes(31), SecretBytes(32)),
              StatusIs(absl::StatusCode::kInvalidArgument, "seed: want 32 bytes, got 31"));
  EXPECT_THAT(SeedSecrets::FromBytes(SecretBytes(32), SecretBytes(33)),
              StatusIs(absl::StatusCode::kInvalidArgument, "salt: want 32 bytes, got 33"));
  EXPECT_THAT(MeshSecret::FromBytes(SecretBytes()),
              StatusIs(absl::StatusCode::kInvalidArgument, "mesh secret: want 32 bytes, got 0"));
}

TEST(SeedSecretsTest, WorkloadSecretIdIsValidated) {
  const SeedSecrets secrets = FixedSeedSecrets();
  EXPECT_THAT(secrets.DeriveWorkloadSecret(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 1 to 128")));
  EXPECT_THAT(secrets.DeriveWorkloadSecret(std::string(129, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 129")));
  EXPECT_THAT(secrets.DeriveWorkloadSecret(std::string(128, 'a')), IsOk());
  EXPECT_THAT(secrets.DeriveWorkloadSecret("../root-ca-key"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("character 2")));
  EXPECT_THAT(secrets.DeriveWorkloadSecret("a b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(secrets.DeriveWorkloadSecret(absl::string_view("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MeshSecretTest, MeshCaKeyMatchesKnownAnswers) {
  const MeshSecret mesh = FixedMeshSecret();
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey key, mesh.DeriveMeshCaKey(7, kPrevious, kManifest));
  EXPECT_EQ(key.type(), KeyType::kEcP256);
  EXPECT_EQ(HexEncode(key.public_key().spki_der()), kMeshSpkiHex);
  EXPECT_EQ(PrivateScalarHex(key, 32), kMeshScalarHex);
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey genesis,
                               mesh.DeriveMeshCaKey(0, Bytes(32, 0), kManifest));
  EXPECT_EQ(HexEncode(genesis.public_key().spki_der()), kMeshGenesisSpkiHex);
}

TEST(MeshSecretTest, InfoLayoutIsLabelGenerationPreviousManifest) {
  const Bytes info = internal::MeshCaKeyInfo(0x0102030405060708ULL, kPrevious, kManifest);
  ASSERT_EQ(info.size(), 22u + 8u + 32u + 32u);
  EXPECT_EQ(AsStringView(ByteView(info).first(22)), "concord/v1/mesh-ca-key");
  EXPECT_EQ(HexEncode(ByteView(info).subspan(22, 8)), "0102030405060708");
  EXPECT_EQ(Bytes(info.begin() + 30, info.begin() + 62), kPrevious);
  EXPECT_EQ(Bytes(info.begin() + 62, info.end()), kManifest);
}

TEST(MeshSecretTest, EveryInputChangesTheKey) {
  const MeshSecret mesh = FixedMeshSecret();
  Bytes previous2 = kPrevious;
  previous2[0] ^= 1;
  Bytes manifest2 = kManifest;
  manifest2[31] ^= 1;
  Bytes other_secret = Range(0x40, 32);
  other_secret[5] ^= 1;
  const MeshSecret mesh2 = *MeshSecret::FromBytes(SecretBytes(ByteView(other_secret)));
  std::vector<absl::StatusOr<PrivateKey>> keys;
  keys.push_back(mesh.DeriveMeshCaKey(7, kPrevious, kManifest));
  keys.push_back(mesh.DeriveMeshCaKey(8, kPrevious, kManifest));
  keys.push_back(mesh.DeriveMeshCaKey(7, previous2, kManifest));
  keys.push_back(mesh.DeriveMeshCaKey(7, kPrevious, manifest2));
  keys.push_back(mesh2.DeriveMeshCaKey(7, kPrevious, kManifest));
  std::set<Bytes> spkis;
  for (const auto& key : keys) {
    ASSERT_THAT(key, IsOk());
    spkis.insert(key->public_key().spki_der());
  }
  EXPECT_EQ(spkis.size(), 5u);
  // Same inputs, same key.
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey again, mesh.DeriveMeshCaKey(7, kPrevious, kManifest));
  EXPECT_EQ(HexEncode(again.public_key().spki_der()), kMeshSpkiHex);
}

TEST(MeshSecretTest, RejectsWrongHashLengths) {
  const MeshSecret mesh = FixedMeshSecret();
  EXPECT_THAT(mesh.DeriveMeshCaKey(1, Bytes(31), kManifest),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("previous transition hash: want 32 bytes, got 31")));
  EXPECT_THAT(mesh.DeriveMeshCaKey(1, kPrevious, Bytes(33)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("manifest hash: want 32 bytes, got 33")));
}

TEST(ScalarFromBytesTest, ReducesModuloOrderMinusOneAndAddsOne) {
  const std::string n384_minus_1 =
      "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc5"
      "2972";
  const std::string n384_minus_2 =
      "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc5"
      "2971";
  auto scalar = [](KeyType curve, const Bytes& c) {
    auto d = internal::ScalarFromBytes(curve, SecretBytes(ByteView(c)));
    return d.ok() ? HexEncode(d->Reveal()) : std::string(d.status().message());
  };
  // c = 0 -> 1.
  EXPECT_EQ(scalar(KeyType::kEcP384, Bytes(64, 0)), std::string(94, '0') + "01");
  // c = n-1 -> 1; c = n-2 -> n-1 (the largest valid scalar).
  Bytes c = Bytes(16, 0);
  Bytes tail = *HexDecode(n384_minus_1);
  c.insert(c.end(), tail.begin(), tail.end());
  EXPECT_EQ(scalar(KeyType::kEcP384, c), std::string(94, '0') + "01");
  tail = *HexDecode(n384_minus_2);
  c = Bytes(16, 0);
  c.insert(c.end(), tail.begin(), tail.end());
  EXPECT_EQ(scalar(KeyType::kEcP384, c), n384_minus_1);
  // All ones (computed independently).
  EXPECT_EQ(scalar(KeyType::kEcP384, Bytes(64, 0xff)),
            "0000000000000000389cb27e0bc8d220a7e5f24db74f58851313e695333ad68e000000000000000000"
            "00000000000000");
  EXPECT_EQ(scalar(KeyType::kEcP256, Bytes(48, 0xff)),
            "431905529c0166ce652e96b7ccca0a9a679b73e29ad16947f01cf012fc632550");
  EXPECT_THAT(internal::ScalarFromBytes(KeyType::kRsa, SecretBytes(48)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SeedSecretsTest, PrintingNeverRevealsBytes) {
  const SeedSecrets secrets = FixedSeedSecrets();
  const MeshSecret mesh = FixedMeshSecret();
  std::ostringstream os;
  os << secrets << " " << mesh << " " << secrets.seed() << " " << mesh.secret();
  const std::string printed = os.str() + ::testing::PrintToString(secrets) +
                              ::testing::PrintToString(mesh) +
                              ::testing::PrintToString(secrets.salt());
  EXPECT_THAT(printed, HasSubstr("redacted"));
  for (const Bytes& secret : {Range(0x00, 32), Range(0x80, 32), Range(0x40, 32)}) {
    const std::string hex = HexEncode(secret);
    EXPECT_THAT(printed, Not(HasSubstr(hex.substr(0, 8))));
    EXPECT_THAT(printed, Not(HasSubstr(AsStringView(ByteView(secret).subspan(1, 8)))));
  }
  // Status messages from failed derivations carry no secret either.
  auto bad = secrets.DeriveWorkloadSecret("bad id");
  EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr(HexEncode(Range(0, 4)))));
}

}  // namespace
// docs/secrets.md lists these known answers in full for other implementations;
// the document and the tests must not drift apart.
TEST(SeedSecretsTest, DocumentedKnownAnswersMatch) {
  const absl::StatusOr<Bytes> doc =
      ::concord::testing::ReadFileBytes(::concord::testing::TestdataPath("../docs/secrets.md"));
  ASSERT_THAT(doc, IsOk());
  const std::string text(doc->begin(), doc->end());
  for (const char* value : {kRootScalarHex, kRootSpkiHex, kHistoryScalarHex, kHistorySpkiHex,
                            kMeshScalarHex, kMeshSpkiHex, kWorkloadSecretFrontendHex}) {
    EXPECT_NE(text.find(absl::StrCat("`", value, "`")), std::string::npos) << value;
  }
}

}  // namespace concord::seed
