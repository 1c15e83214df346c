#include "concord/attest/evidence.h"

#include "concord/testing/status_matchers.h"
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
