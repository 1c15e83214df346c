#include "concord/client/coordinator_check.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "concord/attest/tdx/quote.h"
#include "concord/client/client_test_util.h"
#include "concord/client/user_api.h"
#include "concord/collateral/bundle.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/testing/fake_vendor.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::client {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

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
        atls::AttestStatementReportData(response_.statement), coordinator_policy_);
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
  absl::StatusOr<crypto::PrivateKey> other =
      crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
  ASSERT_TRUE(other.ok());
  response_.history_key_spki = other->public_key().spki_der();
  EXPECT_THAT(VerifyAttestResponse(response_, Check(MakeManifest())).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("history_key")));
}

// A TDX coordinator: the recorded Phala quote, verified with a collateral
// bundle written as `concord collateral export` writes it, at a time when
// that collateral is current.
class TdxCoordinatorCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    quote_bytes_ =
        concord::testing::ReadTestdata(absl::StrCat(collateral::testing::kPhalaDir, "quote.dat"));
    absl::StatusOr<attest::TdxQuote> quote = attest::TdxQuote::Parse(quote_bytes_);
    ASSERT_TRUE(quote.ok()) << quote.status();
    quote_ = *quote;
    std::copy_n(quote_.body.mrconfigid.begin(), policy_.size(), policy_.begin());
    attest::TdxReferenceValues rv;
    rv.mrtd = quote_.body.mrtd;
    rv.xfam = quote_.body.xfam;
    rv.td_attributes = quote_.body.td_attributes;
    attest::ReferenceValues values;
    values.tdx.push_back(rv);
    expectations_.push_back({policy_, values});
  }

  // Exports the phala collateral fetched from a fake PCS into `dir`.
  void WriteBundle(const std::string& dir) {
    collateral::testing::FakeFetcher vendor;
    collateral::testing::ServePhalaPcs(vendor);
    collateral::PcsClient pcs(vendor, clock_);
    std::unique_ptr<store::Store> memory = store::MemoryStore::Create();
    std::unique_ptr<collateral::CollateralCache> cache =
        *collateral::CollateralCache::Create({memory.get(), &clock_});
    for (auto [kind, key] : std::vector<std::pair<collateral::CollateralKind, std::string>>{
             {collateral::CollateralKind::kTdxTcbInfo,
              std::string(collateral::testing::kPhalaFmspc)},
             {collateral::CollateralKind::kTdxQeIdentity, "td_qe"},
             {collateral::CollateralKind::kTdxPckCrl, "platform"},
             {collateral::CollateralKind::kTdxRootCaCrl, "root"}}) {
      absl::StatusOr<collateral::CollateralItem> item = pcs.Fetch(kind, key);
      ASSERT_TRUE(item.ok()) << item.status();
      ASSERT_THAT(cache->Insert(*std::move(item)).status(), IsOk());
    }
    absl::StatusOr<std::vector<collateral::BundleRecord>> records =
        collateral::ExportBundle(*cache);
    ASSERT_TRUE(records.ok()) << records.status();
    std::filesystem::create_directories(dir);
    for (const collateral::BundleRecord& r : *records) {
      std::ofstream(absl::StrCat(dir, "/", r.name), std::ios::binary)
          << std::string(r.record.begin(), r.record.end());
    }
  }

  absl::StatusOr<attest::Claims> RunCheck(const std::string& collateral_dir, const Bytes& quote) {
    absl::StatusOr<std::shared_ptr<const attest::EvidenceVerifier>> verifier =
        MakeCoordinatorVerifier(expectations_, {.collateral_dir = collateral_dir}, clock_);
    if (!verifier.ok()) {
      return verifier.status();
    }
    net::ServerEvidenceCheck check = MakeCoordinatorCheck(expectations_, *verifier, clock_);
    return check(attest::Evidence{attest::Platform::kTdx, quote, {}}, quote_.body.report_data);
  }

  concord::testing::FakeClock clock_{*ParseRfc3339("2025-06-25T00:00:00Z", "test time")};
  Bytes quote_bytes_;
  attest::TdxQuote quote_;
  manifest::PolicyHash policy_{};
  std::vector<CoordinatorExpectation> expectations_;
  std::string dir_ = concord::testing::MakeTempDir("coordinator-check-tdx");
};

TEST_F(TdxCoordinatorCheckTest, QuoteVerifiesWithACollateralBundle) {
  WriteBundle(dir_ + "/bundle");
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims, RunCheck(dir_ + "/bundle", quote_bytes_));
  EXPECT_EQ(claims.platform, attest::Platform::kTdx);
  EXPECT_EQ(claims.host_data, Bytes(policy_.begin(), policy_.end()));
}

TEST_F(TdxCoordinatorCheckTest, WithoutABundleTheRefusalNamesTheFlag) {
  EXPECT_THAT(RunCheck("", quote_bytes_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--collateral DIR")));
}

TEST_F(TdxCoordinatorCheckTest, TamperedQuoteOrOtherPolicyOrOtherMrtdIsRefused) {
  WriteBundle(dir_ + "/bundle");
  const Bytes tampered = concord::testing::ReadTestdata(
      absl::StrCat(collateral::testing::kPhalaDir, "quote-tampered-signature.dat"));
  EXPECT_THAT(RunCheck(dir_ + "/bundle", tampered), StatusIs(absl::StatusCode::kUnauthenticated));
  const manifest::PolicyHash genuine = policy_;
  expectations_[0].policy[0] ^= 1;
  EXPECT_THAT(RunCheck(dir_ + "/bundle", quote_bytes_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is not one the manifest")));
  expectations_[0].policy = genuine;
  expectations_[0].reference_values.tdx[0].mrtd[0] ^= 1;
  EXPECT_THAT(RunCheck(dir_ + "/bundle", quote_bytes_),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(TdxCoordinatorCheckTest, TamperedOrExpiredOrMissingBundleIsRefused) {
  WriteBundle(dir_ + "/bundle");
  // One record's body altered: its signature no longer verifies.
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/bundle")) {
    if (entry.path().filename().string().rfind("tdx-tcb-info-", 0) != 0) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t body = text.find("\"body\":\"") + 20;
    text[body] = text[body] == 'A' ? 'B' : 'A';
    std::ofstream(entry.path(), std::ios::binary | std::ios::trunc) << text;
  }
  EXPECT_THAT(RunCheck(dir_ + "/bundle", quote_bytes_), Not(IsOk()));
  // Genuine collateral, a month after it expired.
  WriteBundle(dir_ + "/fresh");
  clock_.Advance(absl::Hours(24 * 40));
  EXPECT_THAT(RunCheck(dir_ + "/fresh", quote_bytes_), Not(IsOk()));
  EXPECT_THAT(RunCheck(dir_ + "/absent", quote_bytes_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absent")));
}

}  // namespace
}  // namespace concord::client
