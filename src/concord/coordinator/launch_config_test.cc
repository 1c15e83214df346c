// ParseLaunchConfig: good documents and every kind of rejection, each naming
// the field.
#include "concord/coordinator/launch_config.h"

#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::coordinator {
namespace {

using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<LaunchConfig> Parse(absl::string_view text) {
  return ParseLaunchConfig(AsBytes(text));
}

std::string EcKeyHex(crypto::KeyType type) {
  return HexEncode(crypto::PrivateKey::GenerateEc(type)->public_key().spki_der());
}

TEST(LaunchConfigTest, MinimalDocumentParses) {
  const std::string doc = R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"]})";
  absl::StatusOr<LaunchConfig> config = Parse(doc);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->platforms.simulated);
  EXPECT_FALSE(config->platforms.snp);
  EXPECT_FALSE(config->platforms.tdx);
  EXPECT_TRUE(config->genesis_owner_keys.empty());
  EXPECT_TRUE(config->recovery_policies.empty());
  EXPECT_EQ(config->policy_hash, crypto::Sha256(AsBytes(doc)));
}

TEST(LaunchConfigTest, FullDocumentParsesKeysAndPolicies) {
  const std::string p256 = EcKeyHex(crypto::KeyType::kEcP256);
  const std::string p384 = EcKeyHex(crypto::KeyType::kEcP384);
  const std::string policy(64, 'a');
  const std::string doc = absl::StrCat(
      "{\n  \"Version\": 1,\n  \"Kind\": \"coordinator\",\n  \"Platforms\": [\"snp\", \"tdx\"],\n"
      "  \"GenesisOwnerKeys\": [\"",
      p256, "\", \"", p384, "\"],\n  \"RecoveryPolicies\": [\"", policy, "\"]\n}\n");
  absl::StatusOr<LaunchConfig> config = Parse(doc);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->platforms.snp);
  EXPECT_TRUE(config->platforms.tdx);
  ASSERT_EQ(config->genesis_owner_keys.size(), 2u);
  EXPECT_EQ(HexEncode(config->genesis_owner_keys[1].spki_der()), p384);
  ASSERT_EQ(config->recovery_policies.size(), 1u);
  EXPECT_EQ(config->recovery_policies[0][0], 0xaa);
  EXPECT_EQ(config->policy_hash, crypto::Sha256(AsBytes(doc)));
}

TEST(LaunchConfigTest, PolicyHashCoversExactBytes) {
  absl::StatusOr<LaunchConfig> a =
      Parse(R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"]})");
  absl::StatusOr<LaunchConfig> b =
      Parse(R"({"Version":1, "Kind":"coordinator","Platforms":["simulated"]})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->policy_hash, b->policy_hash);
}

struct BadCase {
  std::string name;
  std::string doc;
  std::string message;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class LaunchConfigRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(LaunchConfigRejectTest, RejectsWithFieldNamed) {
  EXPECT_THAT(Parse(GetParam().doc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().message)));
}

const std::string kRsaKeyHex =
    HexEncode(crypto::PrivateKey::GenerateRsa(2048)->public_key().spki_der());

INSTANTIATE_TEST_SUITE_P(
    All, LaunchConfigRejectTest,
    ::testing::Values(
        BadCase{"NotJson", "{", "not valid JSON"},
        BadCase{"NotObject", "[1]", "want a JSON object"},
        BadCase{"TrailingContent", R"({"Version":1,"Kind":"coordinator","Platforms":["snp"]} x)",
                "not valid JSON"},
        BadCase{"DuplicateKey",
                R"({"Version":1,"Version":1,"Kind":"coordinator","Platforms":["snp"]})",
                "duplicate key \"Version\""},
        BadCase{"UnknownKey", R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"X":1})",
                "unknown key \"X\""},
        BadCase{"MissingPlatforms", R"({"Version":1,"Kind":"coordinator"})",
                "launch config.Platforms: missing"},
        BadCase{"WrongVersion", R"({"Version":2,"Kind":"coordinator","Platforms":["snp"]})",
                "launch config.Version: want 1"},
        BadCase{"VersionAsString", R"({"Version":"1","Kind":"coordinator","Platforms":["snp"]})",
                "launch config.Version: want 1"},
        BadCase{"WrongKind", R"({"Version":1,"Kind":"workload","Platforms":["snp"]})",
                "launch config.Kind: want \"coordinator\""},
        BadCase{"NoPlatforms", R"({"Version":1,"Kind":"coordinator","Platforms":[]})",
                "launch config.Platforms: want 1 to 3 entries"},
        BadCase{"UnknownPlatform", R"({"Version":1,"Kind":"coordinator","Platforms":["sgx"]})",
                "launch config.Platforms[0]: want \"snp\""},
        BadCase{"DuplicatePlatform",
                R"({"Version":1,"Kind":"coordinator","Platforms":["snp","snp"]})",
                "launch config.Platforms[1]: duplicate platform"},
        BadCase{"SimulatedWithSnp",
                R"({"Version":1,"Kind":"coordinator","Platforms":["snp","simulated"]})",
                "cannot be combined"},
        BadCase{"PlatformNotString", R"({"Version":1,"Kind":"coordinator","Platforms":[1]})",
                "launch config.Platforms[0]: want a string"},
        BadCase{"TooDeep",
                R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)"
                R"("ReferenceValues":{"simulated":[{"ARKHash":{"x":[1]}}]}})",
                "levels of nesting"},
        BadCase{
            "KeyBadHex",
            R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"GenesisOwnerKeys":["zz"]})",
            "launch config.GenesisOwnerKeys[0]"},
        BadCase{
            "KeyNotSpki",
            R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"GenesisOwnerKeys":["3000"]})",
            "launch config.GenesisOwnerKeys[0]: not a public key"},
        BadCase{"KeyRsa",
                absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],)",
                             R"("GenesisOwnerKeys":[")", kRsaKeyHex, R"("]})"),
                "launch config.GenesisOwnerKeys[0]: want an ECDSA"},
        BadCase{"KeysNotArray",
                R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"GenesisOwnerKeys":"ab"})",
                "launch config.GenesisOwnerKeys: want an array"},
        BadCase{
            "PolicyShort",
            R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"RecoveryPolicies":["ab"]})",
            "launch config.RecoveryPolicies[0]"},
        BadCase{"PolicyDuplicate",
                absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],)",
                             R"("RecoveryPolicies":[")", std::string(64, 'b'), R"(",")",
                             std::string(64, 'B'), R"("]})"),
                "launch config.RecoveryPolicies[1]: duplicate policy hash"},
        BadCase{"TooLarge",
                absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"]})",
                             std::string(kMaxLaunchConfigSize, ' ')),
                "want at most 65536 bytes"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(LaunchConfigTest, HardwarePlatformsRequirePinnedGenesisKeysOrALoudOptOut) {
  EXPECT_THAT(Parse(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("launch config.GenesisOwnerKeys: want at least one key")));
  EXPECT_THAT(Parse(R"({"Version":1,"Kind":"coordinator","Platforms":["tdx"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("GenesisOwnerKeys")));
  absl::StatusOr<LaunchConfig> opted_out = Parse(
      R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"AllowUnpinnedGenesis":true})");
  ASSERT_TRUE(opted_out.ok()) << opted_out.status();
  EXPECT_TRUE(opted_out->allow_unpinned_genesis);
  EXPECT_THAT(Parse(absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],)",
                                 R"("GenesisOwnerKeys":[")", EcKeyHex(crypto::KeyType::kEcP256),
                                 R"("],"AllowUnpinnedGenesis":true})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("AllowUnpinnedGenesis: contradicts GenesisOwnerKeys")));
  EXPECT_THAT(Parse(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],)"
                    R"("AllowUnpinnedGenesis":"yes"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("AllowUnpinnedGenesis: want true or false")));
  // The simulated platform has no such requirement (development only).
  EXPECT_TRUE(Parse(R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"]})").ok());
}

TEST(LaunchConfigTest, CoordinatorReferenceValuesParseWithTheManifestsRules) {
  const std::string ark(64, 'a');
  const std::string measurement(96, 'b');
  absl::StatusOr<LaunchConfig> config =
      Parse(absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)",
                         R"("ReferenceValues":{"simulated":[{"ARKHash":")", ark,
                         R"(","Measurement":")", measurement, R"("}]}})"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->reference_values.simulated.size(), 1u);
  EXPECT_EQ(config->reference_values.simulated[0].ark_spki_sha256[0], 0xaa);
  EXPECT_EQ(config->reference_values.simulated[0].measurement[47], 0xbb);

  EXPECT_THAT(Parse(absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)",
                                 R"("ReferenceValues":{"simulated":[{"ARKHash":")", ark,
                                 R"(","Measurement":"bb"}]}})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("launch config.ReferenceValues.simulated[0].Measurement")));
  EXPECT_THAT(Parse(R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)"
                    R"("ReferenceValues":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("launch config.ReferenceValues: want an object")));
  // Values for a platform the config does not allow are a mistake.
  EXPECT_THAT(Parse(absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],)",
                                 R"("AllowUnpinnedGenesis":true,)",
                                 R"("ReferenceValues":{"simulated":[{"ARKHash":")", ark,
                                 R"(","Measurement":")", measurement, R"("}]}})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("names a platform that Platforms does not allow")));
}

TEST(LaunchConfigTest, DepthBombAndNestedDuplicatesAreRefused) {
  EXPECT_THAT(Parse(absl::StrCat(R"({"Platforms":)", std::string(60'000, '['))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "launch config: want at most 5 levels of nesting at Platforms[0][0][0][0]"));
  EXPECT_THAT(Parse(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"]})"
                    "\xef\xbb\xbf"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(Parse("\xef\xbb\xbf{}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not valid JSON at line 1, column 1 (byte offset 0): want no "
                                 "byte order mark")));
}

TEST(LaunchConfigTest, DuplicateGenesisKeyRejected) {
  const std::string key = EcKeyHex(crypto::KeyType::kEcP256);
  EXPECT_THAT(Parse(absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],)",
                                 R"("GenesisOwnerKeys":[")", key, R"(",")", key, R"("]})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("launch config.GenesisOwnerKeys[1]: duplicate key")));
}

}  // namespace
}  // namespace concord::coordinator
