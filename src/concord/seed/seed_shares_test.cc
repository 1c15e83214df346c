#include "concord/seed/seed_shares.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/crypto/rsa.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::seed {
namespace {

using ::concord::crypto::KeyType;
using ::concord::crypto::PrivateKey;
using ::concord::crypto::PublicKey;
using ::concord::crypto::SecretBytes;
using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

// RSA key generation is slow: two owners shared by every test here.
const PrivateKey& Owner(int i) {
  static const PrivateKey* owners[2] = {new PrivateKey(*PrivateKey::GenerateRsa(2048)),
                                        new PrivateKey(*PrivateKey::GenerateRsa(3072))};
  return *owners[i];
}

SeedSecrets Secrets() {
  testing::FakeRandom random(7);
  return *SeedSecrets::Generate(random);
}

TEST(SeedSharesTest, EncryptDecryptRecoversSeed) {
  const SeedSecrets secrets = Secrets();
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes share, EncryptSeedShare(secrets, Owner(0).public_key()));
  EXPECT_EQ(share.size(), 256u);
  CONCORD_ASSERT_OK_AND_ASSIGN(SecretBytes seed, DecryptSeedShare(share, Owner(0)));
  EXPECT_TRUE(seed.Equals(secrets.seed()));
}

TEST(SeedSharesTest, ShareUsesDocumentedOaepLabel) {
  const SeedSecrets secrets = Secrets();
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes share, EncryptSeedShare(secrets, Owner(0).public_key()));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SecretBytes seed, crypto::RsaOaepDecrypt(Owner(0), share, AsBytes("concord/v1/seed-share")));
  EXPECT_TRUE(seed.Equals(secrets.seed()));
}

TEST(SeedSharesTest, DecryptRejectsWrongOwnerAndTamperedShare) {
  const SeedSecrets secrets = Secrets();
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes share, EncryptSeedShare(secrets, Owner(0).public_key()));
  EXPECT_THAT(DecryptSeedShare(share, Owner(1)), StatusIs(absl::StatusCode::kUnauthenticated));
  share[17] ^= 0x40;
  EXPECT_THAT(DecryptSeedShare(share, Owner(0)), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(SeedSharesTest, DecryptRejectsShareOfWrongLength) {
  // Correctly encrypted under the seed-share label but not a 32-byte seed.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes ct, crypto::RsaOaepEncrypt(Owner(0).public_key(), Bytes(31), AsBytes(kSeedShareLabel)));
  EXPECT_THAT(DecryptSeedShare(ct, Owner(0)), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SeedSharesTest, EcOwnerKeyIsRejected) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey ec, PrivateKey::GenerateEc(KeyType::kEcP256));
  EXPECT_THAT(EncryptSeedShare(Secrets(), ec.public_key()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("RSA")));
  EXPECT_THAT(DecryptSeedShare(Bytes(256), ec), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SeedSharesTest, DocumentJsonRoundTripAndRecovery) {
  const SeedSecrets secrets = Secrets();
  std::vector<PublicKey> owners = {Owner(0).public_key(), Owner(1).public_key()};
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSharesDocument doc, MakeSeedShares(secrets, owners));
  ASSERT_EQ(doc.shares.size(), 2u);
  EXPECT_EQ(doc.shares[1].encrypted_seed.size(), 384u);
  const std::string json = EncodeSeedSharesJson(doc);
  EXPECT_THAT(json, HasSubstr("\"Salt\": \"" + HexEncode(secrets.salt().Reveal()) + "\""));
  EXPECT_THAT(json, ::testing::Not(HasSubstr(HexEncode(secrets.seed().Reveal()))));
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSharesDocument parsed, DecodeSeedSharesJson(json));
  EXPECT_EQ(parsed.salt, doc.salt);
  ASSERT_EQ(parsed.shares.size(), 2u);
  EXPECT_EQ(parsed.shares[0].owner_spki_der, doc.shares[0].owner_spki_der);
  EXPECT_EQ(parsed.shares[1].encrypted_seed, doc.shares[1].encrypted_seed);
  EXPECT_EQ(EncodeSeedSharesJson(parsed), json);
  for (int i = 0; i < 2; ++i) {
    CONCORD_ASSERT_OK_AND_ASSIGN(SeedSecrets recovered, RecoverSeedSecrets(parsed, Owner(i)));
    EXPECT_TRUE(recovered.Equals(secrets));
  }
}

TEST(SeedSharesTest, JsonHasDocumentedShape) {
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSharesDocument doc,
                               MakeSeedShares(Secrets(), {Owner(0).public_key()}));
  const nlohmann::json json = nlohmann::json::parse(EncodeSeedSharesJson(doc));
  EXPECT_EQ(json.at("Version"), 1);
  EXPECT_EQ(json.at("Salt").get<std::string>().size(), 64u);
  EXPECT_EQ(json.at("SeedShares").at(0).at("OwnerKey"),
            HexEncode(Owner(0).public_key().spki_der()));
  EXPECT_EQ(json.at("SeedShares").at(0).at("EncryptedSeed").get<std::string>().size(), 512u);
  EXPECT_EQ(json.size(), 3u);
}

TEST(SeedSharesTest, RecoverWithUnknownOwnerIsNotFound) {
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSharesDocument doc,
                               MakeSeedShares(Secrets(), {Owner(0).public_key()}));
  EXPECT_THAT(RecoverSeedSecrets(doc, Owner(1)), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SeedSharesTest, MakeRejectsDuplicateAndNonRsaOwners) {
  EXPECT_THAT(MakeSeedShares(Secrets(), {Owner(0).public_key(), Owner(0).public_key()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate owner")));
  CONCORD_ASSERT_OK_AND_ASSIGN(PrivateKey ec, PrivateKey::GenerateEc(KeyType::kEcP384));
  EXPECT_THAT(MakeSeedShares(Secrets(), {ec.public_key()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("owner 0")));
}

TEST(SeedSharesTest, EmptyOwnerListGivesDocumentWithSaltOnly) {
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSharesDocument doc, MakeSeedShares(Secrets(), {}));
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSharesDocument parsed,
                               DecodeSeedSharesJson(EncodeSeedSharesJson(doc)));
  EXPECT_TRUE(parsed.shares.empty());
  EXPECT_EQ(parsed.salt.size(), 32u);
}

class SeedSharesDecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto doc = MakeSeedShares(Secrets(), {Owner(0).public_key()});
    ASSERT_THAT(doc, IsOk());
    valid_ = nlohmann::ordered_json::parse(EncodeSeedSharesJson(*doc));
  }
  absl::Status Decode(const nlohmann::ordered_json& json) {
    return DecodeSeedSharesJson(json.dump()).status();
  }
  nlohmann::ordered_json valid_;
};

TEST_F(SeedSharesDecodeTest, AcceptsValid) { EXPECT_THAT(Decode(valid_), IsOk()); }

TEST_F(SeedSharesDecodeTest, RejectsMalformedJsonAndWrongTopLevel) {
  EXPECT_THAT(DecodeSeedSharesJson("{"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(DecodeSeedSharesJson("[]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want a JSON object")));
  EXPECT_THAT(DecodeSeedSharesJson(std::string(kMaxSeedSharesDocumentSize + 1, ' ')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most")));
}

TEST_F(SeedSharesDecodeTest, RefusesNestingBeyondTheSchemaAndNestedDuplicates) {
  EXPECT_THAT(DecodeSeedSharesJson(absl::StrCat("{\"SeedShares\":", std::string(40'000, '['))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "seed shares: want at most 3 levels of nesting at SeedShares[0][0]"));
  std::string text = valid_.dump();
  const size_t owner = text.find("\"OwnerKey\"");
  ASSERT_NE(owner, std::string::npos);
  text.insert(owner, "\"EncryptedSeed\":\"00\",");
  EXPECT_THAT(DecodeSeedSharesJson(text), StatusIs(absl::StatusCode::kInvalidArgument,
                                                   "seed shares: duplicate key \"EncryptedSeed\""));
}

TEST_F(SeedSharesDecodeTest, RejectsUnknownMissingAndDuplicateFields) {
  auto extra = valid_;
  extra["Seed"] = "00";
  EXPECT_THAT(Decode(extra),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field \"Seed\"")));
  auto missing = valid_;
  missing.erase("Salt");
  EXPECT_THAT(Decode(missing),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing field \"Salt\"")));
  auto inner = valid_;
  inner["SeedShares"][0]["Note"] = "x";
  EXPECT_THAT(Decode(inner), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("SeedShares[0]: unknown field \"Note\"")));
  std::string text = valid_.dump();
  text.insert(1, "\"Version\":1,");
  EXPECT_THAT(DecodeSeedSharesJson(text),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate key \"Version\"")));
}

TEST_F(SeedSharesDecodeTest, RejectsWrongVersionAndTypes) {
  auto v2 = valid_;
  v2["Version"] = 2;
  EXPECT_THAT(Decode(v2), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Version")));
  auto vstr = valid_;
  vstr["Version"] = "1";
  EXPECT_THAT(Decode(vstr), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Version")));
  auto salt_num = valid_;
  salt_num["Salt"] = 5;
  EXPECT_THAT(Decode(salt_num),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Salt: want a string")));
  auto shares_obj = valid_;
  shares_obj["SeedShares"] = nlohmann::ordered_json::object();
  EXPECT_THAT(Decode(shares_obj),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SeedShares: want an array")));
}

TEST_F(SeedSharesDecodeTest, RejectsBadSaltAndKeysAndCiphertextSizes) {
  auto short_salt = valid_;
  short_salt["Salt"] = std::string(62, 'a');
  EXPECT_THAT(Decode(short_salt), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "seed shares.Salt: want 64 hex characters, got 62"));
  auto bad_key = valid_;
  bad_key["SeedShares"][0]["OwnerKey"] = "3000";
  EXPECT_THAT(Decode(bad_key),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SeedShares[0].OwnerKey")));
  auto ec_key = valid_;
  auto ec = PrivateKey::GenerateEc(KeyType::kEcP256);
  ASSERT_THAT(ec, IsOk());
  ec_key["SeedShares"][0]["OwnerKey"] = HexEncode(ec->public_key().spki_der());
  EXPECT_THAT(Decode(ec_key), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("RSA")));
  auto truncated = valid_;
  std::string ct = truncated["SeedShares"][0]["EncryptedSeed"];
  truncated["SeedShares"][0]["EncryptedSeed"] = ct.substr(2);
  EXPECT_THAT(Decode(truncated),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 256 bytes")));
  auto odd = valid_;
  odd["SeedShares"][0]["EncryptedSeed"] = ct.substr(1);
  EXPECT_THAT(Decode(odd), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("SeedShares[0].EncryptedSeed")));
  auto duplicate = valid_;
  duplicate["SeedShares"].push_back(duplicate["SeedShares"][0]);
  EXPECT_THAT(Decode(duplicate),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate owner")));
}

TEST_F(SeedSharesDecodeTest, TamperedShareDecodesButFailsToDecrypt) {
  auto tampered = valid_;
  std::string ct = tampered["SeedShares"][0]["EncryptedSeed"];
  ct[10] = ct[10] == '0' ? '1' : '0';
  tampered["SeedShares"][0]["EncryptedSeed"] = ct;
  CONCORD_ASSERT_OK_AND_ASSIGN(SeedSharesDocument doc, DecodeSeedSharesJson(tampered.dump()));
  EXPECT_THAT(RecoverSeedSecrets(doc, Owner(0)), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace concord::seed
