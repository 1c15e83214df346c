#include "concord/api/requests.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/crypto/keys.h"
#include "concord/testing/status_matchers.h"
#include "concord/wire/json_fields.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::api {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHash64(64, 'a');

std::string Base64(absl::string_view text) { return wire::EncodeBase64(AsBytes(text)); }

std::string OwnerKeyHex() {
  static const std::string hex = [] {
    auto key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
    return HexEncode(key->public_key().spki_der());
  }();
  return hex;
}

TEST(RequestsTest, SetManifestAcceptsAllFields) {
  nlohmann::json body = {{"manifest", Base64("{\"Version\":1}")},
                         {"policies", {Base64("policy-a"), Base64("policy-b")}},
                         {"expected_previous", kHash64},
                         {"authorization", {{"owner_key", OwnerKeyHex()}, {"signature", "3045"}}}};
  CONCORD_ASSERT_OK_AND_ASSIGN(coordinator::SetManifestRequest request,
                               ParseSetManifestRequest(body.dump()));
  EXPECT_EQ(std::string(request.manifest.begin(), request.manifest.end()), "{\"Version\":1}");
  ASSERT_EQ(request.policies.size(), 2u);
  ASSERT_TRUE(request.expected_previous.has_value());
  EXPECT_EQ(HexEncode(*request.expected_previous), kHash64);
  ASSERT_TRUE(request.authorization.has_value());
  EXPECT_EQ(HexEncode(request.authorization->owner_key.spki_der()), OwnerKeyHex());
  EXPECT_EQ(HexEncode(request.authorization->signature), "3045");
}

TEST(RequestsTest, SetManifestMinimalHasNoOptionalFields) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      coordinator::SetManifestRequest request,
      ParseSetManifestRequest(absl::StrCat("{\"manifest\":\"", Base64("m"), "\"}")));
  EXPECT_TRUE(request.policies.empty());
  EXPECT_FALSE(request.expected_previous.has_value());
  EXPECT_FALSE(request.authorization.has_value());
}

TEST(RequestsTest, SetManifestNullOptionalFieldsReadAsAbsent) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      coordinator::SetManifestRequest request,
      ParseSetManifestRequest(
          absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"expected_previous\":null}")));
  EXPECT_FALSE(request.expected_previous.has_value());
}

struct BadCase {
  std::string name;
  std::string body;
  absl::StatusCode code;
  std::string message;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class SetManifestRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(SetManifestRejectTest, RejectsNamingTheField) {
  EXPECT_THAT(ParseSetManifestRequest(GetParam().body),
              StatusIs(GetParam().code, HasSubstr(GetParam().message)));
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, SetManifestRejectTest,
    ::testing::Values(
        BadCase{"MissingManifest", "{}", absl::StatusCode::kInvalidArgument, "manifest: required"},
        BadCase{"UnknownField", absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"extra\":1}"),
                absl::StatusCode::kInvalidArgument, "extra: unknown field"},
        BadCase{
            "DuplicateField",
            absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"manifest\":\"", Base64("n"), "\"}"),
            absl::StatusCode::kInvalidArgument, "manifest: duplicate field"},
        BadCase{"NestedDuplicate",
                absl::StrCat("{\"manifest\":\"", Base64("m"),
                             "\",\"authorization\":{\"owner_key\":\"00\",\"owner_key\":\"00\"}}"),
                absl::StatusCode::kInvalidArgument, "authorization.owner_key: duplicate field"},
        BadCase{"ManifestWrongType", "{\"manifest\":5}", absl::StatusCode::kInvalidArgument,
                "manifest: want a base64 string, got a number"},
        BadCase{"ManifestUnpadded", "{\"manifest\":\"bQ\"}", absl::StatusCode::kInvalidArgument,
                "manifest: want padded base64"},
        BadCase{"ManifestUrlAlphabet", "{\"manifest\":\"a-_a\"}",
                absl::StatusCode::kInvalidArgument, "manifest: want standard base64"},
        BadCase{"ManifestNonCanonical", "{\"manifest\":\"bR==\"}",
                absl::StatusCode::kInvalidArgument, "manifest: want canonical base64"},
        BadCase{"ManifestEmpty", "{\"manifest\":\"\"}", absl::StatusCode::kInvalidArgument,
                "manifest: want a non-empty document"},
        BadCase{"ManifestTooLarge",
                absl::StrCat("{\"manifest\":\"", std::string(4 * (512 * 1024 / 3 + 2), 'A'), "\"}"),
                absl::StatusCode::kResourceExhausted, "manifest: want at most 524288 bytes"},
        BadCase{"PoliciesNotArray",
                absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"policies\":\"x\"}"),
                absl::StatusCode::kInvalidArgument, "policies: want an array, got a string"},
        BadCase{"PolicyNotBase64",
                absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"policies\":[\"", Base64("p"),
                             "\",\"!!!!\"]}"),
                absl::StatusCode::kInvalidArgument, "policies[1]: want standard base64"},
        BadCase{"ExpectedPreviousShort",
                absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"expected_previous\":\"ab\"}"),
                absl::StatusCode::kInvalidArgument,
                "expected_previous: want 64 hex characters, got 2"},
        BadCase{"ExpectedPreviousNotHex",
                absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"expected_previous\":\"",
                             std::string(64, 'g'), "\"}"),
                absl::StatusCode::kInvalidArgument, "expected_previous: want hex characters"},
        BadCase{"AuthorizationNotObject",
                absl::StrCat("{\"manifest\":\"", Base64("m"), "\",\"authorization\":[]}"),
                absl::StatusCode::kInvalidArgument, "authorization: want an object, got an array"},
        BadCase{"AuthorizationMissingSignature",
                absl::StrCat("{\"manifest\":\"", Base64("m"),
                             "\",\"authorization\":{\"owner_key\":\"00\"}}"),
                absl::StatusCode::kInvalidArgument, "authorization.signature: required"},
        BadCase{"AuthorizationUnknownField",
                absl::StrCat("{\"manifest\":\"", Base64("m"),
                             "\",\"authorization\":{\"owner_key\":\"00\",\"signature\":\"00\","
                             "\"note\":1}}"),
                absl::StatusCode::kInvalidArgument, "authorization.note: unknown field"},
        BadCase{"AuthorizationBadKey",
                absl::StrCat("{\"manifest\":\"", Base64("m"),
                             "\",\"authorization\":{\"owner_key\":\"3000\",\"signature\":\"00\"}}"),
                absl::StatusCode::kInvalidArgument, "authorization.owner_key: want an ECDSA"},
        BadCase{"NotJson", "{\"manifest\":", absl::StatusCode::kInvalidArgument,
                "body: want a JSON object, invalid JSON"},
        BadCase{"TrailingContent", "{} {}", absl::StatusCode::kInvalidArgument,
                "body: want a JSON object, invalid JSON"},
        BadCase{"NotObject", "[1]", absl::StatusCode::kInvalidArgument,
                "body: want a JSON object, got an array"},
        BadCase{"TooDeep", "{\"a\":[[[[[[[[[]]]]]]]]]}", absl::StatusCode::kInvalidArgument,
                "body: want at most 8 levels of nesting"},
        BadCase{"InvalidUtf8", "{\"manifest\":\"\xff\"}", absl::StatusCode::kInvalidArgument,
                "body: want a JSON object, invalid JSON"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(RequestsTest, AttestParsesNonce) {
  std::string hex = HexEncode(Bytes(32, 0x5a));
  CONCORD_ASSERT_OK_AND_ASSIGN(atls::Nonce nonce,
                               ParseAttestRequest(absl::StrCat("{\"nonce\":\"", hex, "\"}")));
  EXPECT_EQ(HexEncode(nonce), hex);
}

TEST(RequestsTest, AttestRefusesADepthBombAtTheLimit) {
  for (size_t levels : {9u, 40'000u, 1'000'000u}) {
    EXPECT_THAT(ParseAttestRequest(absl::StrCat("{\"nonce\":", std::string(levels, '['))),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "body: want at most 8 levels of nesting at nonce[0][0][0][0][0][0][0]"))
        << levels;
  }
  // Eight levels are fine as far as nesting goes.
  EXPECT_THAT(
      ParseAttestRequest("{\"nonce\":[[[[[[[]]]]]]]}"),
      StatusIs(absl::StatusCode::kInvalidArgument, "nonce: want 64 hex characters, got an array"));
}

TEST(RequestsTest, DuplicateFieldsAreFoundInsideArraysToo) {
  EXPECT_THAT(ParseSetManifestRequest("{\"policies\":[{\"a\":1,\"a\":2}]}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "policies[0].a: duplicate field"));
  EXPECT_THAT(ParseAttestRequest("\xef\xbb\xbf{}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("body: want a JSON object, invalid JSON at line 1, column 1")));
}

TEST(RequestsTest, AttestRejectsMissingShortAndExtraFields) {
  EXPECT_THAT(ParseAttestRequest("{}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "nonce: required"));
  EXPECT_THAT(ParseAttestRequest("{\"nonce\":\"abcd\"}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "nonce: want 64 hex characters, got 4"));
  EXPECT_THAT(ParseAttestRequest(absl::StrCat("{\"nonce\":\"", kHash64, "\",\"n\":1}")),
              StatusIs(absl::StatusCode::kInvalidArgument, "n: unknown field"));
  EXPECT_THAT(
      ParseAttestRequest("{\"nonce\":true}"),
      StatusIs(absl::StatusCode::kInvalidArgument, "nonce: want 64 hex characters, got a boolean"));
}

std::string RecoverBody(absl::string_view seed, absl::string_view extra = "") {
  return absl::StrCat("{\"seed\":\"", seed, "\",\"salt\":\"", std::string(64, '1'),
                      "\",\"expected_previous\":\"", kHash64,
                      "\",\"authorization\":{\"owner_key\":\"", OwnerKeyHex(),
                      "\",\"signature\":\"00\"}", extra, "}");
}

TEST(RequestsTest, RecoverParsesAllFields) {
  auto caller = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  ASSERT_THAT(caller.status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(
      ParsedRecoverRequest parsed,
      ParseRecoverRequest(
          RecoverBody(std::string(64, 'f'),
                      absl::StrCat(",\"minimum_head\":\"", kHash64, "\",\"force\":true")),
          caller->public_key()));
  EXPECT_EQ(HexEncode(parsed.request.seed.Reveal()), std::string(64, 'f'));
  EXPECT_EQ(HexEncode(parsed.request.salt.Reveal()), std::string(64, '1'));
  EXPECT_EQ(parsed.request.caller.spki_der(), caller->public_key().spki_der());
  ASSERT_TRUE(parsed.request.minimum_head.has_value());
  EXPECT_TRUE(parsed.force);
}

TEST(RequestsTest, RecoverErrorsNeverEchoTheSeed) {
  auto caller = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  ASSERT_THAT(caller.status(), IsOk());
  // A seed with one bad digit: the message names the field, not the value
  // or the position of the bad digit.
  const std::string seed = std::string(63, 'e') + "z";
  absl::StatusOr<ParsedRecoverRequest> parsed =
      ParseRecoverRequest(RecoverBody(seed), caller->public_key());
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument, "seed: want hex characters"));
  EXPECT_THAT(parsed.status().message(), Not(HasSubstr("eee")));
  EXPECT_THAT(ParseRecoverRequest(RecoverBody("ab"), caller->public_key()),
              StatusIs(absl::StatusCode::kInvalidArgument, "seed: want 64 hex characters, got 2"));
  EXPECT_THAT(
      ParseRecoverRequest(RecoverBody(std::string(64, 'a'), ",\"force\":1"), caller->public_key()),
      StatusIs(absl::StatusCode::kInvalidArgument, "force: want true or false, got a number"));
  EXPECT_THAT(ParseRecoverRequest("{\"seed\":\"00\"}", caller->public_key()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seed")));
}

TEST(RequestsTest, MeshCertLifetimeBounds) {
  CONCORD_ASSERT_OK_AND_ASSIGN(MeshCertRequest empty, ParseMeshCertRequest("", absl::Hours(1)));
  EXPECT_FALSE(empty.lifetime.has_value());
  CONCORD_ASSERT_OK_AND_ASSIGN(MeshCertRequest some,
                               ParseMeshCertRequest("{\"lifetime_seconds\":3600}", absl::Hours(1)));
  EXPECT_EQ(some.lifetime, absl::Hours(1));
  EXPECT_THAT(ParseMeshCertRequest("{\"lifetime_seconds\":3601}", absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "lifetime_seconds: want an integer from 1 to 3600"));
  EXPECT_THAT(ParseMeshCertRequest("{\"lifetime_seconds\":0}", absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lifetime_seconds")));
  EXPECT_THAT(ParseMeshCertRequest("{\"lifetime_seconds\":-5}", absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lifetime_seconds")));
  EXPECT_THAT(ParseMeshCertRequest("{\"lifetime_seconds\":1.5}", absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lifetime_seconds")));
  EXPECT_THAT(ParseMeshCertRequest("{\"lifetime_seconds\":\"60\"}", absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "lifetime_seconds: want an integer, got a string"));
}

TEST(RequestsTest, Base64RoundTripAndStrictness) {
  for (absl::string_view text : {"", "a", "ab", "abc", "abcd"}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(Bytes decoded, wire::DecodeBase64Strict(Base64(text), "f"));
    EXPECT_EQ(std::string(decoded.begin(), decoded.end()), text);
  }
  EXPECT_THAT(wire::DecodeBase64Strict("YQ=a", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:")));
  EXPECT_THAT(wire::DecodeBase64Strict("Y===", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:")));
  EXPECT_THAT(wire::DecodeBase64Strict("YQ==\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:")));
}

TEST(RequestsTest, UnknownUnprintableFieldIsNotEchoed) {
  EXPECT_THAT(ParseAttestRequest("{\"\\u0001x\":1}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "<unprintable>: unknown field"));
}

}  // namespace
}  // namespace concord::api
