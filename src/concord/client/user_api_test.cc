#include "concord/client/user_api.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "concord/ca/ca_certs.h"
#include "concord/client/client_test_util.h"
#include "concord/history/objects.h"
#include "concord/history/writer.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::client {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string B64(ByteView b) { return absl::Base64Escape(AsStringView(b)); }

TEST(UserApiTest, StatusParsesAndNullHeadIsAllowed) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      StatusInfo s,
      ParseStatusResponse(R"({"state":"uninitialized","replica":"coordinator-0","generation":0,
        "transition":null,"manifest":null,"head_verified":false,"alarms":[],"version":"0.1"})"));
  EXPECT_EQ(s.state, "uninitialized");
  EXPECT_EQ(s.replica, "coordinator-0");
  EXPECT_FALSE(s.transition.has_value());
  Json j = Json::parse(StatusToJson(s, false));
  EXPECT_TRUE(j["transition"].is_null());
  EXPECT_EQ(j["verified_coordinator"], false);
}

TEST(UserApiTest, StatusWithHeadParses) {
  std::string t(64, 'a');
  std::string m(64, 'b');
  CONCORD_ASSERT_OK_AND_ASSIGN(
      StatusInfo s, ParseStatusResponse(absl::StrCat(
                        R"({"state":"recovery","generation":4,"transition":")", t,
                        R"(","manifest":")", m, R"(","head_verified":false,"alarms":["x"]})")));
  ASSERT_TRUE(s.transition.has_value());
  EXPECT_EQ((*s.transition)[0], 0xaa);
  EXPECT_EQ(s.generation, 4u);
  EXPECT_EQ(s.alarms, std::vector<std::string>{"x"});
}

TEST(UserApiTest, ResponsesMustBeStrictJson) {
  EXPECT_THAT(ParseStatusResponse(R"({"state":"ready","state":"recovery","generation":0})"),
              StatusIs(absl::StatusCode::kDataLoss, "status response: state: duplicate key"));
  EXPECT_THAT(ParseStatusResponse(absl::StrCat(R"({"alarms":)", std::string(1'000'000, '['))),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("status response: alarms[0]")));
  EXPECT_THAT(ParseStatusResponse(R"({"state":"ready"} x)"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("status response: invalid JSON at line 1, column 19")));
}

TEST(UserApiTest, MalformedStatusIsDataLossNamingTheField) {
  EXPECT_THAT(ParseStatusResponse("nope"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseStatusResponse(R"({"state":"ready","generation":-1,"head_verified":true})"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("generation")));
  EXPECT_THAT(ParseStatusResponse(
                  R"({"state":"ready","generation":1,"transition":"abcd","head_verified":true})"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("transition")));
  EXPECT_THAT(ParseStatusResponse(R"({"state":"ready","generation":2,"head_verified":true})"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("transition")));
  EXPECT_THAT(
      ParseStatusResponse(R"({"state":"ready","generation":0,"head_verified":true,"alarms":[1]})"),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("alarms")));
}

TEST(UserApiTest, SetManifestRequestCarriesBase64AndAuthorization) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey owner,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384));
  SetManifestRequest req;
  req.manifest = ToBytes("{\"Version\":1}");
  req.policies = {ToBytes("policy-a")};
  crypto::Sha256Digest previous{};
  previous.fill(7);
  req.expected_previous = previous;
  CONCORD_ASSERT_OK_AND_ASSIGN(history::Authorization auth,
                               history::SignAuthorization(owner, history::TransitionKind::kManifest,
                                                          crypto::Sha256(req.manifest), previous));
  req.authorization = auth;
  Json j = Json::parse(EncodeSetManifestRequest(req));
  EXPECT_EQ(j["manifest"], B64(req.manifest));
  EXPECT_EQ(j["policies"][0], B64(ToBytes("policy-a")));
  EXPECT_EQ(j["expected_previous"], HexEncode(previous));
  EXPECT_EQ(j["authorization"]["owner_key"], HexEncode(owner.public_key().spki_der()));
  EXPECT_EQ(j["authorization"]["signature"], HexEncode(auth.signature));
  EXPECT_FALSE(j.contains("challenge"));
  Json first =
      Json::parse(EncodeSetManifestRequest(SetManifestRequest{req.manifest, {}, {}, {}, {}}));
  EXPECT_FALSE(first.contains("expected_previous"));
  EXPECT_FALSE(first.contains("authorization"));
  EXPECT_FALSE(first.contains("challenge"));
  crypto::Sha256Digest challenge{};
  challenge.fill(9);
  Json challenged = Json::parse(
      EncodeSetManifestRequest(SetManifestRequest{req.manifest, {}, {}, {}, challenge}));
  EXPECT_EQ(challenged["challenge"], HexEncode(challenge));
}

TEST(UserApiTest, TransitionResponseParsesSeedShares) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey share_key, crypto::PrivateKey::GenerateRsa(2048));
  ::concord::testing::FakeRandom random(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(seed::SeedSecrets secrets, seed::SeedSecrets::Generate(random));
  CONCORD_ASSERT_OK_AND_ASSIGN(seed::SeedSharesDocument doc,
                               seed::MakeSeedShares(secrets, {share_key.public_key()}));
  Json body = {{"transition", std::string(64, '1')},
               {"generation", 1},
               {"root_ca", "R"},
               {"mesh_ca", "M"},
               {"intermediate", "I"},
               {"seed_shares", Json::parse(seed::EncodeSeedSharesJson(doc))}};
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResponse t, ParseTransitionResponse(body.dump()));
  EXPECT_EQ(t.generation, 1u);
  ASSERT_TRUE(t.seed_shares.has_value());
  CONCORD_ASSERT_OK_AND_ASSIGN(seed::SeedSecrets recovered,
                               seed::RecoverSeedSecrets(*t.seed_shares, share_key));
  EXPECT_TRUE(recovered.Equals(secrets));

  body["seed_shares"]["Salt"] = "00";
  EXPECT_THAT(ParseTransitionResponse(body.dump()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("seed_shares")));
  body.erase("seed_shares");
  body["generation"] = 0;
  EXPECT_THAT(ParseTransitionResponse(body.dump()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("generation")));
}

TEST(UserApiTest, RecoverRequestCarriesSeedSaltAndAuthorization) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey share_key, crypto::PrivateKey::GenerateRsa(2048));
  ::concord::testing::FakeRandom random(2);
  CONCORD_ASSERT_OK_AND_ASSIGN(seed::SeedSecrets secrets, seed::SeedSecrets::Generate(random));
  RecoverRequest req;
  req.expected_previous.fill(3);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      history::Authorization auth,
      history::SignAuthorization(share_key, history::TransitionKind::kRecovery,
                                 crypto::Sha256Digest{}, req.expected_previous));
  crypto::SecretBytes body = EncodeRecoverRequest(secrets, auth, req);
  Json j = Json::parse(AsStringView(body.Reveal()));
  EXPECT_EQ(j["seed"], HexEncode(secrets.seed().Reveal()));
  EXPECT_EQ(j["salt"], HexEncode(secrets.salt().Reveal()));
  EXPECT_EQ(j["expected_previous"], HexEncode(req.expected_previous));
  EXPECT_EQ(j["force"], false);
  EXPECT_FALSE(j.contains("minimum_head"));
  req.minimum_head = req.expected_previous;
  req.force = true;
  Json j2 = Json::parse(AsStringView(EncodeRecoverRequest(secrets, auth, req).Reveal()));
  EXPECT_EQ(j2["minimum_head"], HexEncode(req.expected_previous));
  EXPECT_EQ(j2["force"], true);
}

Json AttestBody(const attest::Evidence& evidence) {
  Json certs = Json::array();
  for (const Bytes& c : evidence.certs) {
    certs.push_back(B64(c));
  }
  return {
      {"evidence", {{"platform", "simulated"}, {"report", B64(evidence.report)}, {"certs", certs}}},
      {"state", "uninitialized"},
      {"generation", 0},
      {"transition", std::string(64, '0')},
      {"history_key", nullptr},
      {"root_ca", nullptr},
      {"mesh_ca", nullptr},
      {"root_ca_spki_sha256", std::string(64, '0')},
      {"mesh_ca_spki_sha256", std::string(64, '0')},
      {"history_key_spki_sha256", std::string(64, '0')}};
}

TEST(UserApiTest, AttestResponseParsesAndKeepsOurNonce) {
  attest::Evidence evidence;
  evidence.platform = attest::Platform::kSimulated;
  evidence.report = Bytes(1184, 1);
  evidence.certs = {Bytes(10, 2), Bytes(11, 3)};
  atls::Nonce nonce;
  nonce.fill(9);
  CONCORD_ASSERT_OK_AND_ASSIGN(AttestResponse a,
                               ParseAttestResponse(AttestBody(evidence).dump(), nonce));
  EXPECT_EQ(a.statement.nonce, nonce);
  EXPECT_EQ(a.statement.state, "uninitialized");
  EXPECT_EQ(a.evidence.report, evidence.report);
  EXPECT_EQ(a.evidence.certs, evidence.certs);
  EXPECT_FALSE(a.history_key_spki.has_value());
}

TEST(UserApiTest, MalformedAttestResponseIsDataLoss) {
  attest::Evidence evidence;
  evidence.report = Bytes(1184, 1);
  atls::Nonce nonce{};
  Json body = AttestBody(evidence);
  body["evidence"]["report"] = "not base64!";
  EXPECT_THAT(ParseAttestResponse(body.dump(), nonce),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("report")));
  body = AttestBody(evidence);
  body["evidence"]["platform"] = "sgx";
  EXPECT_THAT(ParseAttestResponse(body.dump(), nonce),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("platform")));
  body = AttestBody(evidence);
  body["evidence"]["certs"] = Json::array({"", "", "", "", ""});
  EXPECT_THAT(ParseAttestResponse(body.dump(), nonce),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("certs")));
  body = AttestBody(evidence);
  body["mesh_ca_spki_sha256"] = std::string(63, '0');
  EXPECT_THAT(ParseAttestResponse(body.dump(), nonce),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("mesh_ca_spki_sha256")));
}

class ServedHistoryTest : public ServedHistoryFixture {};

TEST_F(ServedHistoryTest, ServedHistoryVerifies) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ManifestsResponse r, ParseManifestsResponse(Body().dump()));
  EXPECT_EQ(r.transitions.size(), 2u);
  CONCORD_ASSERT_OK_AND_ASSIGN(history::VerifiedHistory v,
                               VerifyServedHistory(r, *history_public_));
  EXPECT_EQ(v.generation(), 2u);
  EXPECT_EQ(v.head().hash, history_.head().hash);
}

TEST_F(ServedHistoryTest, TamperedManifestIsDataLoss) {
  Json body = Body();
  const std::string key = HexEncode(history_.head().transition.manifest_hash);
  std::string text;
  ASSERT_TRUE(absl::Base64Unescape(body["manifests"][key].get<std::string>(), &text));
  text.back() = '\n';
  body["manifests"][key] = absl::Base64Escape(text);
  CONCORD_ASSERT_OK_AND_ASSIGN(ManifestsResponse r, ParseManifestsResponse(body.dump()));
  EXPECT_THAT(VerifyServedHistory(r, *history_public_), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(ServedHistoryTest, OtherHistoryKeyIsRefused) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ManifestsResponse r, ParseManifestsResponse(Body().dump()));
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey other,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384));
  EXPECT_THAT(VerifyServedHistory(r, other.public_key()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The response claiming the other key does not help: latest's signature fails.
  r.history_key_spki = other.public_key().spki_der();
  EXPECT_THAT(VerifyServedHistory(r, other.public_key()), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(ServedHistoryTest, DroppedTransitionIsDataLoss) {
  Json body = Body();
  body["transitions"].erase(0);
  CONCORD_ASSERT_OK_AND_ASSIGN(ManifestsResponse r, ParseManifestsResponse(body.dump()));
  EXPECT_THAT(VerifyServedHistory(r, *history_public_), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(ServedHistoryTest, MalformedManifestsResponseIsDataLoss) {
  Json body = Body();
  body["ca_bundles"]["zz"] = "AA==";
  EXPECT_THAT(ParseManifestsResponse(body.dump()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("ca_bundles.zz")));
  body = Body();
  body["transitions"][0]["transition"] = "AA";  // unpadded
  EXPECT_THAT(ParseManifestsResponse(body.dump()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("transitions[0].transition")));
}

}  // namespace
}  // namespace concord::client
