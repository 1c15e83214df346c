#include "concord/manifest/reference_values_json.h"

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::manifest {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kMeasurement[] =
    "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd8184"
    "1f";

TEST(ReferenceValuesJsonTest, ParsesSnpEntry) {
  std::string doc =
      std::string(R"({"snp":[{"Product":"Milan","Measurement":")") + kMeasurement +
      R"(","MinimumTCB":{"BootloaderVersion":3,"TEEVersion":0,"SNPVersion":8,"MicrocodeVersion":115}}]})";
  auto rv = ParseReferenceValuesJson(AsBytes(doc));
  ASSERT_THAT(rv, IsOk());
  ASSERT_EQ(rv->snp.size(), 1u);
  EXPECT_EQ(rv->snp[0].minimum_tcb.microcode, 115);
}

TEST(ReferenceValuesJsonTest, RejectsShortMeasurementNamingField) {
  std::string doc =
      std::string(R"({"snp":[{"Product":"Milan","Measurement":")") +
      std::string(kMeasurement).substr(1) +
      R"(","MinimumTCB":{"BootloaderVersion":3,"TEEVersion":0,"SNPVersion":8,"MicrocodeVersion":115}}]})";
  EXPECT_THAT(ParseReferenceValuesJson(AsBytes(doc)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "ReferenceValues.snp[0].Measurement: want 96 hex characters, got 95"));
}

TEST(ReferenceValuesJsonTest, RejectsEmptyAndMalformedDocuments) {
  EXPECT_THAT(ParseReferenceValuesJson(AsBytes("{}")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least one entry")));
  EXPECT_THAT(ParseReferenceValuesJson(AsBytes("{\"snp\": 3}")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ReferenceValues.snp")));
  EXPECT_THAT(ParseReferenceValuesJson(AsBytes("[")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseReferenceValuesJson(AsBytes("{\"sgx\": []}")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sgx")));
}

TEST(ReferenceValuesJsonTest, RejectsOversizedInput) {
  std::string big(kMaxReferenceValuesSize + 1, ' ');
  EXPECT_THAT(ParseReferenceValuesJson(AsBytes(big)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most")));
}

}  // namespace
}  // namespace concord::manifest
