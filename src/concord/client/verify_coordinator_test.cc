#include "concord/client/verify_coordinator.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "concord/atls/atls_protocol.h"
#include "concord/client/client_test_util.h"
#include "concord/client/coordinator_check.h"
#include "concord/client/user_api.h"
#include "concord/crypto/hash.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::client {
namespace {

using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// A coordinator that serves ServedHistoryFixture's history and attests it
// with the simulated host, each piece open to tampering by the test.
class VerifyCoordinatorTest : public ServedHistoryFixture {
 protected:
  void SetUp() override {
    ServedHistoryFixture::SetUp();
    statement_.state = "ready";
    statement_.generation = history_.generation();
    statement_.transition_hash = history_.head().hash;
    statement_.history_key_spki_sha256 = crypto::Sha256(history_public_->spki_der());
    statement_.root_ca_spki_sha256 = head_bundle_->root_public_key().SpkiSha256();
    statement_.mesh_ca_spki_sha256 = head_bundle_->mesh_ca_public_key().SpkiSha256();
    manifests_body_ = Body();
    evidence_policy_ = coordinator_policy_;
  }

  static net::HttpResponse Reply(const Json& body) {
    net::HttpResponse response;
    response.body = body.dump();
    return response;
  }

  // The user API: POST /v1/attest over statement_ with the caller's nonce,
  // GET /v1/manifests with manifests_body_.
  absl::StatusOr<net::HttpResponse> Serve(absl::string_view method, absl::string_view target,
                                          absl::string_view body) {
    requests_.push_back(absl::StrCat(method, " ", target));
    if (method == "POST" && target == "/v1/attest") {
      Json request = Json::parse(body);
      atls::AttestStatement statement = statement_;
      EXPECT_TRUE(
          HexDecodeInto(request["nonce"].get<std::string>(), statement.nonce, "nonce").ok());
      absl::StatusOr<attest::Evidence> evidence =
          host_->MakeReport(atls::AttestStatementReportData(statement), evidence_policy_);
      EXPECT_TRUE(evidence.ok()) << evidence.status();
      Json certs = Json::array();
      for (const Bytes& c : evidence->certs) {
        certs.push_back(B64(c));
      }
      Json reply = {
          {"evidence",
           {{"platform", "simulated"}, {"report", B64(evidence->report)}, {"certs", certs}}},
          {"state", statement_.state},
          {"generation", statement_.generation},
          {"transition", HexEncode(statement_.transition_hash)},
          {"history_key", HexEncode(history_public_->spki_der())},
          {"root_ca", nullptr},
          {"mesh_ca", nullptr},
          {"root_ca_spki_sha256", HexEncode(statement_.root_ca_spki_sha256)},
          {"mesh_ca_spki_sha256", HexEncode(statement_.mesh_ca_spki_sha256)},
          {"history_key_spki_sha256", HexEncode(statement_.history_key_spki_sha256)}};
      return Reply(reply);
    }
    if (method == "GET" && target == "/v1/manifests") {
      if (!manifests_error_.ok()) {
        return manifests_error_;
      }
      return Reply(manifests_body_);
    }
    return absl::NotFoundError("no such endpoint");
  }

  absl::StatusOr<CoordinatorVerification> Verify(const manifest::Manifest& local) {
    std::vector<CoordinatorExpectation> expectations = ExpectationsFromManifest(local);
    absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> verifier =
        MakeCoordinatorVerifier(expectations, {}, clock_);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return VerifyCoordinator({
        .call = [this](absl::string_view m, absl::string_view t,
                       absl::string_view b) { return Serve(m, t, b); },
        .check = MakeCoordinatorCheck(std::move(expectations), *verifier, clock_),
        .local_manifest = &local,
        .random = &random_,
    });
  }

  // The manifest the history's head sets.
  const manifest::Manifest& HeadManifest() { return *history_.head().manifest; }

  atls::AttestStatement statement_;
  manifest::PolicyHash evidence_policy_{};  // the coordinator's (SetUp)
  Json manifests_body_;
  absl::Status manifests_error_;
  std::vector<std::string> requests_;
};

TEST_F(VerifyCoordinatorTest, AttestedHistoryVerifiesAndReportsTheNewestManifest) {
  CONCORD_ASSERT_OK_AND_ASSIGN(CoordinatorVerification v, Verify(HeadManifest()));
  EXPECT_EQ(requests_, (std::vector<std::string>{"POST /v1/attest", "GET /v1/manifests"}));
  EXPECT_EQ(v.platform, attest::Platform::kSimulated);
  EXPECT_EQ(v.state, "ready");
  EXPECT_EQ(v.history.generation(), 2u);
  EXPECT_EQ(v.history.head().hash, history_.head().hash);
  EXPECT_EQ(v.manifest_generation, 2u);
  EXPECT_EQ(v.ca_bundle.RootCaPem(), head_bundle_->RootCaPem());
  EXPECT_EQ(v.ca_bundle.MeshCaPem(), head_bundle_->MeshCaPem());
  EXPECT_TRUE(v.newest_manifest_is_local);
}

TEST_F(VerifyCoordinatorTest, OlderLocalManifestVerifiesButIsNotTheNewest) {
  // The genesis manifest: same coordinator policy, not the head's bytes.
  CONCORD_ASSERT_OK_AND_ASSIGN(CoordinatorVerification v, Verify(MakeManifest()));
  EXPECT_FALSE(v.newest_manifest_is_local);
}

TEST_F(VerifyCoordinatorTest, EvidenceOfAnotherPolicyIsRefusedBeforeTheHistoryIsRead) {
  evidence_policy_ = workload_policy_;
  EXPECT_THAT(Verify(HeadManifest()), StatusIs(absl::StatusCode::kPermissionDenied,
                                               AllOf(HasSubstr("attest statement: "),
                                                     HasSubstr("is not one the manifest allows"))));
  EXPECT_EQ(requests_, std::vector<std::string>{"POST /v1/attest"});
}

TEST_F(VerifyCoordinatorTest, CoordinatorWithoutManifestIsFailedPrecondition) {
  statement_.generation = 0;
  statement_.state = "uninitialized";
  EXPECT_THAT(Verify(HeadManifest()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "the coordinator has no manifest yet (state uninitialized)"));
}

TEST_F(VerifyCoordinatorTest, ServedHeadThatIsNotTheAttestedHeadIsAborted) {
  statement_.transition_hash = history_.transitions[0]->hash;
  statement_.generation = 1;
  EXPECT_THAT(Verify(HeadManifest()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is not the attested head")));
}

TEST_F(VerifyCoordinatorTest, TamperedHistoryIsDataLoss) {
  const std::string key = HexEncode(history_.head().transition.manifest_hash);
  std::string text;
  ASSERT_TRUE(absl::Base64Unescape(manifests_body_["manifests"][key].get<std::string>(), &text));
  text.back() = '\n';
  manifests_body_["manifests"][key] = absl::Base64Escape(text);
  EXPECT_THAT(Verify(HeadManifest()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("history: ")));
}

TEST_F(VerifyCoordinatorTest, CaCertificatesNotNamedByTheStatementAreRefused) {
  statement_.mesh_ca_spki_sha256[0] ^= 1;
  EXPECT_THAT(Verify(HeadManifest()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "the head's CA certificates are not the ones the attested statement "
                       "names"));
}

TEST_F(VerifyCoordinatorTest, MissingHeadCaBundleIsDataLoss) {
  manifests_body_["ca_bundles"].erase(HexEncode(history_.head().transition.ca_bundle_hash));
  // The history verifier needs every bundle too; either way it is DataLoss.
  EXPECT_THAT(Verify(HeadManifest()), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(VerifyCoordinatorTest, TransportErrorIsReturnedUnchanged) {
  manifests_error_ = absl::UnavailableError("GET /v1/manifests: connection reset");
  EXPECT_THAT(Verify(HeadManifest()),
              StatusIs(absl::StatusCode::kUnavailable, "GET /v1/manifests: connection reset"));
}

}  // namespace
}  // namespace concord::client
