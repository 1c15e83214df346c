#include "concord/attest/snp/report.h"

#include <string>

#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::attest {
namespace {

using ::concord::testing::ReadTestdata;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

nlohmann::json Expected() {
  Bytes text = ReadTestdata("attestation/expected.json");
  return nlohmann::json::parse(text.begin(), text.end());
}

SnpProduct ProductOf(const std::string& name) {
  if (name == "genoa") {
    return SnpProduct::kGenoa;
  }
  if (name == "turin") {
    return SnpProduct::kTurin;
  }
  return SnpProduct::kMilan;
}

Bytes VirteeReport() { return ReadTestdata("attestation/snp/milan-v2-virtee/report.bin"); }

// Parses the virtee report with the byte at `offset` set to `value`.
absl::StatusOr<SnpReport> ParseVirteeWithByte(size_t offset, uint8_t value) {
  Bytes report = VirteeReport();
  report[offset] = value;
  return SnpReport::Parse(report);
}

TEST(SnpReportTest, ParsesEveryVectorAsInExpectedJson) {
  nlohmann::json expected = Expected();
  ASSERT_EQ(expected["snp"].size(), 6u);
  for (const nlohmann::json& v : expected["snp"]) {
    SCOPED_TRACE(v["id"].get<std::string>());
    CONCORD_ASSERT_OK_AND_ASSIGN(
        SnpReport report,
        SnpReport::Parse(ReadTestdata("attestation/" + v["report"].get<std::string>())));
    nlohmann::json got = SnpReportToJson(report, ProductOf(v["product"]));
    for (const char* key :
         {"version",       "guest_svn",   "policy",        "vmpl",        "signature_algo",
          "platform_info", "flags",       "measurement",   "report_data", "host_data",
          "family_id",     "image_id",    "id_key_digest", "report_id",   "reported_tcb_raw",
          "reported_tcb",  "current_tcb", "committed_tcb", "launch_tcb",  "chip_id"}) {
      EXPECT_EQ(got[key], v[key]) << key;
    }
    EXPECT_EQ(report.signing_key(),
              v["signing_cert_kind"] == "VLEK" ? SnpSigningKey::kVlek : SnpSigningKey::kVcek);
  }
}

TEST(SnpReportTest, DecodesTurinTcbLayoutDifferently) {
  // Turin vector: 0x4700000002000100 = fmc 0, bl 1, tee 0, snp 2, ucode 71.
  SnpTcb turin = DecodeSnpTcb(0x4700000002000100ull, SnpProduct::kTurin);
  EXPECT_EQ(turin, (SnpTcb{.bootloader = 1, .tee = 0, .snp = 2, .microcode = 71, .fmc = 0}));
  // Read with the Milan layout it gives the wrong bl 0, tee 1, snp 0.
  SnpTcb milan = DecodeSnpTcb(0x4700000002000100ull, SnpProduct::kMilan);
  EXPECT_EQ(milan, (SnpTcb{.bootloader = 0, .tee = 1, .snp = 0, .microcode = 71, .fmc = 0}));
  EXPECT_EQ(EncodeSnpTcb(turin, SnpProduct::kTurin), 0x4700000002000100ull);
  SnpTcb genoa = DecodeSnpTcb(0x541900000000000aull, SnpProduct::kGenoa);
  EXPECT_EQ(genoa, (SnpTcb{.bootloader = 10, .tee = 0, .snp = 25, .microcode = 84, .fmc = 0}));
  EXPECT_EQ(EncodeSnpTcb(genoa, SnpProduct::kGenoa), 0x541900000000000aull);
  EXPECT_EQ(SnpTcbToString(turin, SnpProduct::kTurin), "fmc=0 bl=1 tee=0 snp=2 ucode=71");
}

TEST(SnpReportTest, DetectsProductFromCpuid) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpReport genoa, SnpReport::Parse(ReadTestdata("attestation/snp/genoa-v5-oak/report.bin")));
  EXPECT_THAT(genoa.CpuidProduct(), ::concord::testing::IsOkAndHolds(SnpProduct::kGenoa));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpReport turin, SnpReport::Parse(ReadTestdata("attestation/snp/turin-v5-oak/report.bin")));
  EXPECT_THAT(turin.CpuidProduct(), ::concord::testing::IsOkAndHolds(SnpProduct::kTurin));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpReport vlek,
      SnpReport::Parse(ReadTestdata("attestation/snp/milan-v3-vlek-aws/report.bin")));
  EXPECT_THAT(vlek.CpuidProduct(), ::concord::testing::IsOkAndHolds(SnpProduct::kMilan));
  CONCORD_ASSERT_OK_AND_ASSIGN(SnpReport v2, SnpReport::Parse(VirteeReport()));
  EXPECT_THAT(v2.CpuidProduct(), ::concord::testing::IsOkAndHolds(std::nullopt));
  v2.cpuid_family = 0x17;
  v2.cpuid_model = 0x31;
  EXPECT_THAT(v2.CpuidProduct(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snp report: CPUID family 0x17 model 0x31 is not a supported product "
                       "(Milan, Genoa, Turin)"));
}

TEST(SnpReportTest, RejectsWrongSizes) {
  Bytes report = VirteeReport();
  Bytes shorter(report.begin(), report.end() - 1);
  EXPECT_THAT(SnpReport::Parse(shorter), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  "snp report: want 1184 bytes, got 1183"));
  Bytes longer = report;
  longer.push_back(0);
  EXPECT_THAT(SnpReport::Parse(longer), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 "snp report: want 1184 bytes, got 1185"));
  EXPECT_THAT(SnpReport::Parse(Bytes{}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SnpReportTest, RejectsUnsupportedVersions) {
  for (uint8_t version : {0, 1, 4, 6, 255}) {
    EXPECT_THAT(
        ParseVirteeWithByte(0, version),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 absl::StrCat("snp report: unsupported version ", version, " (want 2, 3 or 5)")));
  }
}

TEST(SnpReportTest, RejectsOtherSignatureAlgorithms) {
  EXPECT_THAT(ParseVirteeWithByte(0x34, 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snp report: unsupported signature algorithm 2 (want 1 = ECDSA P-384 "
                       "with SHA-384)"));
}

TEST(SnpReportTest, RejectsUnknownSigningKey) {
  // SIGNING_KEY = 7: no key.
  EXPECT_THAT(ParseVirteeWithByte(0x48, 7 << 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snp report: SIGNING_KEY is 7 (want 0 = VCEK or 1 = VLEK)"));
}

TEST(SnpReportTest, RejectsNonZeroHighSignatureBytes) {
  EXPECT_THAT(ParseVirteeWithByte(0x2A0 + 48, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature r has non-zero")));
  EXPECT_THAT(ParseVirteeWithByte(0x2E8 + 71, 0x80),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature s has non-zero")));
}

TEST(SnpReportTest, RejectsNonZeroUnsignedTail) {
  // Found by snp_report_fuzz: the tail is outside the signature, so a flipped
  // byte there would otherwise still verify.
  EXPECT_THAT(ParseVirteeWithByte(0x41E, 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snp report: reserved byte at offset 0x41e after the "
                       "signature is not zero"));
}

TEST(SnpReportTest, StoresSignatureBigEndian) {
  Bytes bytes = VirteeReport();
  CONCORD_ASSERT_OK_AND_ASSIGN(SnpReport report, SnpReport::Parse(bytes));
  EXPECT_EQ(report.signature_r[0], bytes[0x2A0 + 47]);
  EXPECT_EQ(report.signature_r[47], bytes[0x2A0]);
  EXPECT_EQ(report.signature_s[0], bytes[0x2E8 + 47]);
}

}  // namespace
}  // namespace concord::attest
