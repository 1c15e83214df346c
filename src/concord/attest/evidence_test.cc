#include "concord/attest/evidence.h"

#include "concord/attest/snp/report.h"
#include "concord/attest/tdx/quote.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attest {
namespace {

using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;

TEST(PlatformTest, NamesRoundTrip) {
  for (Platform p : {Platform::kSnp, Platform::kTdx, Platform::kSimulated}) {
    EXPECT_THAT(ParsePlatform(PlatformName(p)), IsOkAndHolds(p));
  }
  EXPECT_THAT(ParsePlatform("sgx"), StatusIs(absl::StatusCode::kInvalidArgument,
                                             "platform: want snp, tdx or simulated, got \"sgx\""));
}

TEST(ClaimedPolicyHashTest, SnpHostDataAndTdxMrconfigid) {
  const Bytes report = concord::testing::ReadTestdata("attestation/snp/milan-v2-virtee/report.bin");
  absl::StatusOr<SnpReport> parsed_report = SnpReport::Parse(report);
  ASSERT_TRUE(parsed_report.ok());
  EXPECT_THAT(ClaimedPolicyHash(Evidence{Platform::kSnp, report, {}}),
              IsOkAndHolds(parsed_report->host_data));
  const Bytes quote = concord::testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat");
  absl::StatusOr<TdxQuote> parsed_quote = TdxQuote::Parse(quote);
  ASSERT_TRUE(parsed_quote.ok());
  std::array<uint8_t, 32> mrconfigid_head{};
  std::copy_n(parsed_quote->body.mrconfigid.begin(), 32, mrconfigid_head.begin());
  EXPECT_THAT(ClaimedPolicyHash(Evidence{Platform::kTdx, quote, {}}),
              IsOkAndHolds(mrconfigid_head));
  // The platform decides the parser: a quote is no SNP report and back.
  EXPECT_THAT(ClaimedPolicyHash(Evidence{Platform::kSnp, quote, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("evidence: ")));
  EXPECT_THAT(ClaimedPolicyHash(Evidence{Platform::kTdx, report, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ClaimsToJsonTest, RendersCommonFields) {
  Claims claims;
  claims.platform = Platform::kSimulated;
  claims.product = "Milan";
  claims.measurement = Bytes(48, 0xab);
  claims.host_data = Bytes(32, 0x01);
  claims.chip_id = Bytes(64, 0);
  claims.signer_not_after = absl::FromUnixSeconds(1800000000);
  nlohmann::json j = ClaimsToJson(claims);
  EXPECT_EQ(j["platform"], "simulated");
  EXPECT_EQ(j["product"], "Milan");
  std::string want_measurement;
  for (int i = 0; i < 48; ++i) {
    want_measurement += "ab";
  }
  EXPECT_EQ(j["measurement"], want_measurement);
  EXPECT_EQ(j["host_data"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["signer_not_after"], "2027-01-15T08:00:00Z");
  EXPECT_FALSE(j.contains("signer_not_before"));
  EXPECT_FALSE(j.contains("snp"));
}

}  // namespace
}  // namespace concord::attest
