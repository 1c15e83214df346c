#include "concord/client/coordinator_check.h"

#include "concord/client/client_test_util.h"
#include "concord/client/user_api.h"
#include "concord/crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "concord/testing/status_matchers.h"

namespace concord::client {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

class CoordinatorCheckTest : public SimulatedCoordinatorFixture {
 protected:
  net::ServerEvidenceCheck Check(const manifest::Manifest& m) {
    std::vector<CoordinatorExpectation> expectations = ExpectationsFromManifest(m);
    absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> verifier =
        MakeCoordinatorVerifier(expectations);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return MakeCoordinatorCheck(std::move(expectations), *verifier, clock_);
  }
  std::array<uint8_t, 64> report_data_ = [] {
    std::array<uint8_t, 64> r;
    r.fill(0x5a);
    return r;
  }();
};

TEST_F(CoordinatorCheckTest, ExpectationsListOnlyCoordinatorPoliciesWithTheirValues) {
  manifest::Manifest m = MakeManifest();
  std::vector<CoordinatorExpectation> e = ExpectationsFromManifest(m);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].policy, coordinator_policy_);
  ASSERT_EQ(e[0].reference_values.simulated.size(), 1u);
  EXPECT_EQ(e[0].reference_values.simulated[0], info_.reference_values());
}

TEST_F(CoordinatorCheckTest, SimulatedEvidenceOfListedPolicyIsAccepted) {
  auto check = Check(MakeManifest());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               host_->MakeReport(report_data_, coordinator_policy_));
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims, check(evidence, report_data_));
  EXPECT_EQ(claims.platform, attest::Platform::kSimulated);
  EXPECT_EQ(claims.report_data, report_data_);
}

TEST_F(CoordinatorCheckTest, WorkloadPolicyIsNotACoordinator) {
  auto check = Check(MakeManifest());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               host_->MakeReport(report_data_, workload_policy_));
  EXPECT_THAT(check(evidence, report_data_),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("coordinator policy " + HexEncode(workload_policy_) +
                                 " is not one the manifest allows")));
}

TEST_F(CoordinatorCheckTest, WrongReportDataIsRefused) {
  auto check = Check(MakeManifest());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               host_->MakeReport(report_data_, coordinator_policy_));
  std::array<uint8_t, 64> other = report_data_;
  other[63] ^= 1;
  EXPECT_THAT(check(evidence, other), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CoordinatorCheckTest, TamperedReportIsRefused) {
  auto check = Check(MakeManifest());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               host_->MakeReport(report_data_, coordinator_policy_));
  evidence.report[0x90] ^= 0x01;  // inside MEASUREMENT: the signature no longer covers it
  EXPECT_THAT(check(evidence, report_data_), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CoordinatorCheckTest, OtherMeasurementThanReferenceValuesIsRefused) {
  std::array<uint8_t, 48> other{};
  other.fill(0xee);
  auto check = Check(MakeManifest(other));
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               host_->MakeReport(report_data_, coordinator_policy_));
  EXPECT_THAT(check(evidence, report_data_), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CoordinatorCheckTest, GarbageReportIsInvalidArgument) {
  auto check = Check(MakeManifest());
  attest::Evidence evidence;
  evidence.platform = attest::Platform::kSimulated;
  evidence.report = Bytes(17, 0);
  EXPECT_THAT(check(evidence, report_data_), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CoordinatorCheckTest, CheckUsesTheInjectedClock) {
  auto check = Check(MakeManifest());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               host_->MakeReport(report_data_, coordinator_policy_));
  clock_.Advance(absl::Hours(24 * 365 * 20));  // past the simulated chain's validity
  EXPECT_THAT(check(evidence, report_data_), StatusIs(absl::StatusCode::kUnauthenticated));
}

// POST /v1/attest: the statement's report data ties the evidence to the
// returned fields.
class AttestStatementTest : public CoordinatorCheckTest {
 protected:
  void SetUp() override {
    CoordinatorCheckTest::SetUp();
    absl::StatusOr<crypto::PrivateKey> history_key =
        crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
    ASSERT_TRUE(history_key.ok());
    response_.history_key_spki = history_key->public_key().spki_der();
    response_.statement.nonce.fill(0x11);
    response_.statement.state = "ready";
    response_.statement.generation = 3;
    response_.statement.transition_hash.fill(0x33);
    response_.statement.history_key_spki_sha256 = crypto::Sha256(*response_.history_key_spki);
    absl::StatusOr<attest::Evidence> evidence = host_->MakeReport(
        net::AttestStatementReportData(response_.statement), coordinator_policy_);
    ASSERT_TRUE(evidence.ok());
    response_.evidence = *std::move(evidence);
  }
  AttestResponse response_;
};

TEST_F(AttestStatementTest, StatementOverReturnedFieldsIsAccepted) {
  EXPECT_THAT(VerifyAttestResponse(response_, Check(MakeManifest())).status(), IsOk());
}

TEST_F(AttestStatementTest, ChangedStatementFieldIsRefused) {
  auto check = Check(MakeManifest());
  AttestResponse generation = response_;
  generation.statement.generation = 4;
  EXPECT_THAT(VerifyAttestResponse(generation, check).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  AttestResponse nonce = response_;
  nonce.statement.nonce[0] ^= 1;  // a replayed statement for another nonce
  EXPECT_THAT(VerifyAttestResponse(nonce, check).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AttestStatementTest, HistoryKeyNotNamedByTheStatementIsRefused) {
  absl::StatusOr<crypto::PrivateKey> other = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
  ASSERT_TRUE(other.ok());
  response_.history_key_spki = other->public_key().spki_der();
  EXPECT_THAT(VerifyAttestResponse(response_, Check(MakeManifest())).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("history_key")));
}

}  // namespace
}  // namespace concord::client
