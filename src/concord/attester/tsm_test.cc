#include "concord/attester/tsm.h"

#include "absl/strings/str_cat.h"
#include "concord/attest/snp/verifier.h"
#include "concord/attest/tdx/verifier.h"
#include "concord/attester/kernel_double_testing.h"
#include "concord/attester/snp_cert_table.h"
#include "concord/common/time_format.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attester {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using testing::KernelOutputs;
using testing::KernelTsmDouble;

absl::Time At(absl::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339, "at");
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

attest::VerifyOptions AuthenticityOnly(absl::Time at) {
  attest::VerifyOptions o;
  o.at = at;
  o.check_reference_values = false;
  return o;
}

class TsmTest : public ::testing::Test {
 protected:
  std::string root_ = concord::testing::MakeTempDir("tsm");

  std::unique_ptr<ConfigfsTsmAttester> Make(attest::Platform platform, KernelTsmDouble& fs,
                                            ConfigfsTsmAttester::Options options = {}) {
    options.root = root_;
    auto a = ConfigfsTsmAttester::Create(platform, std::move(options), fs);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *std::move(a) : nullptr;
  }
};

TEST_F(TsmTest, SnpEvidenceFromRecordedOutputsVerifiesWithTheSnpVerifier) {
  const KernelOutputs recorded = testing::MilanOutputs();
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  EXPECT_EQ(attester->platform(), attest::Platform::kSnp);
  const std::array<uint8_t, 64> rd = testing::SnpReportDataOf(recorded.outblob);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence e, attester->Attest(rd));
  EXPECT_EQ(e.platform, attest::Platform::kSnp);
  EXPECT_EQ(e.report, recorded.outblob);
  ASSERT_EQ(e.certs.size(), 3u);
  EXPECT_EQ(e.certs[0], concord::testing::ReadTestdata("attestation/snp/milan-v2-virtee/vcek.der"));
  // The probe and one attempt; both entries are gone afterwards.
  EXPECT_EQ(fs.entries_created(), 2);
  EXPECT_EQ(fs.LiveEntries(), 0);

  CONCORD_ASSERT_OK_AND_ASSIGN(auto verifier, attest::SnpVerifier::Create({}));
  attest::VerifyOptions o = AuthenticityOnly(At("2026-01-01T00:00:00Z"));
  o.report_data = rd;
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims, verifier->Verify(e, o));
  EXPECT_EQ(claims.product, "Milan");

  // Tampered: a report byte flipped in what the kernel returned is rejected
  // by the verifier.
  attest::Evidence tampered = e;
  tampered.report[0x90] ^= 1;  // MEASUREMENT
  EXPECT_THAT(verifier->Verify(tampered, o).status(), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(TsmTest, VlekSignedReportTakesTheVlekFromTheTable) {
  KernelOutputs recorded;
  recorded.outblob = concord::testing::ReadTestdata("attestation/snp/milan-v3-vlek-aws/report.bin");
  const Bytes vlek = concord::testing::ReadTestdata("attestation/snp/milan-v3-vlek-aws/vlek.der");
  recorded.auxblob = BuildSnpCertTable({{kSnpVcekGuid, Bytes(100, 0x30)}, {kSnpVlekGuid, vlek}});
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  const std::array<uint8_t, 64> rd = testing::SnpReportDataOf(recorded.outblob);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence e, attester->Attest(rd));
  ASSERT_FALSE(e.certs.empty());
  EXPECT_EQ(e.certs[0], vlek);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto verifier, attest::SnpVerifier::Create({}));
  EXPECT_THAT(verifier->Verify(e, AuthenticityOnly(At("2025-06-01T00:00:00Z"))).status(), IsOk());
}

TEST_F(TsmTest, TdxQuoteFromRecordedOutputsVerifiesWithTheTdxVerifier) {
  KernelOutputs recorded;
  recorded.outblob = concord::testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat");
  KernelTsmDouble fs(root_, "tdx_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kTdx, fs);
  ASSERT_NE(attester, nullptr);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::TdxQuote q, attest::TdxQuote::Parse(recorded.outblob));
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence e, attester->Attest(q.body.report_data));
  EXPECT_EQ(e.platform, attest::Platform::kTdx);
  EXPECT_EQ(e.report, recorded.outblob);
  EXPECT_TRUE(e.certs.empty());

  CONCORD_ASSERT_OK_AND_ASSIGN(attest::TdxCollateral collateral,
                               attest::TdxCollateral::LoadDir(concord::testing::TestdataPath(
                                   "attestation/tdx/v4-b0c06f-phala")));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto verifier,
                               attest::TdxVerifier::Create({.collateral = {collateral}}));
  attest::VerifyOptions o = AuthenticityOnly(At("2025-06-25T00:00:00Z"));
  o.report_data = q.body.report_data;
  EXPECT_THAT(verifier->Verify(e, o).status(), IsOk());

  attest::Evidence tampered = e;
  tampered.report[48 + 136] ^= 1;  // MRTD
  EXPECT_THAT(verifier->Verify(tampered, o).status(), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(TsmTest, ProviderMismatchIsFailedPrecondition) {
  KernelTsmDouble fs(root_, "tdx_guest", [](ByteView) { return testing::MilanOutputs(); });
  ConfigfsTsmAttester::Options o;
  o.root = root_;
  EXPECT_THAT(ConfigfsTsmAttester::Create(attest::Platform::kSnp, o, fs).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("provider is \"tdx_guest\", want \"sev_guest\"")));
  EXPECT_EQ(fs.LiveEntries(), 0);
}

TEST_F(TsmTest, MissingAuxblobGivesVcekReportWithoutCertificates) {
  KernelOutputs recorded = testing::MilanOutputs();
  recorded.auxblob.reset();
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               attester->Attest(testing::SnpReportDataOf(recorded.outblob)));
  EXPECT_EQ(evidence.report, recorded.outblob);
  EXPECT_TRUE(evidence.certs.empty());  // the VCEK comes from the collateral cache
  EXPECT_EQ(fs.LiveEntries(), 0);
}

TEST_F(TsmTest, MissingAuxblobForAVlekReportIsFailedPrecondition) {
  KernelOutputs recorded;
  recorded.outblob = concord::testing::ReadTestdata("attestation/snp/milan-v3-vlek-aws/report.bin");
  recorded.auxblob = Bytes{};
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest(testing::SnpReportDataOf(recorded.outblob)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no VLEK, and the report is signed by one")));
  EXPECT_EQ(fs.LiveEntries(), 0);
}

TEST_F(TsmTest, TableWithoutTheVcekGivesReportWithoutCertificates) {
  KernelOutputs recorded = testing::MilanOutputs();
  recorded.auxblob = BuildSnpCertTable(
      {{kSnpAskGuid, testing::TestdataCertDer("attestation/snp/certs/milan/ask.pem")}});
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               attester->Attest(testing::SnpReportDataOf(recorded.outblob)));
  EXPECT_TRUE(evidence.certs.empty());  // no signer: the ASK alone is not passed on
}

TEST_F(TsmTest, TamperedTableIsFailedPrecondition) {
  KernelOutputs recorded = testing::MilanOutputs();
  // The VCEK entry's offset points past the end.
  (*recorded.auxblob)[16] = 0xff;
  (*recorded.auxblob)[17] = 0xff;
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest(testing::SnpReportDataOf(recorded.outblob)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is outside")));
}

TEST_F(TsmTest, GenerationRaceRetriesWithAFreshEntry) {
  const KernelOutputs recorded = testing::MilanOutputs();
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  int races = 1;
  fs.on_outblob_read = [&](const std::string& entry) {
    if (races > 0) {
      --races;
      fs.ConcurrentWrite(entry);
    }
  };
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence e,
                               attester->Attest(testing::SnpReportDataOf(recorded.outblob)));
  EXPECT_EQ(e.report, recorded.outblob);
  EXPECT_EQ(fs.entries_created(), 3);  // probe, raced attempt, retry
  EXPECT_EQ(fs.LiveEntries(), 0);
}

TEST_F(TsmTest, PersistentRaceIsAbortedAfterMaxAttempts) {
  const KernelOutputs recorded = testing::MilanOutputs();
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  ConfigfsTsmAttester::Options o;
  o.max_attempts = 2;
  auto attester = Make(attest::Platform::kSnp, fs, o);
  ASSERT_NE(attester, nullptr);
  fs.on_outblob_read = [&](const std::string& entry) { fs.ConcurrentWrite(entry); };
  EXPECT_THAT(attester->Attest(testing::SnpReportDataOf(recorded.outblob)).status(),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("gave up after 2 attempts: configfs-tsm: generation moved")));
  EXPECT_EQ(fs.entries_created(), 3);
  EXPECT_EQ(fs.LiveEntries(), 0);
}

TEST_F(TsmTest, ReportDataThatIsNotOursIsAborted) {
  const KernelOutputs recorded = testing::MilanOutputs();
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  std::array<uint8_t, 64> other = testing::SnpReportDataOf(recorded.outblob);
  other[0] ^= 1;
  EXPECT_THAT(attester->Attest(other).status(),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("report data is not ours")));
}

TEST_F(TsmTest, ShortOutblobIsFailedPrecondition) {
  KernelOutputs recorded = testing::MilanOutputs();
  recorded.outblob.pop_back();
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  auto attester = Make(attest::Platform::kSnp, fs);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest({}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("report: want 1184 bytes (an SEV-SNP report), got 1183")));

  KernelOutputs quote;
  quote.outblob = concord::testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat");
  quote.outblob.resize(1000);
  const std::string tdx_root = concord::testing::MakeTempDir("tsm-tdx");
  KernelTsmDouble tdx_fs(tdx_root, "tdx_guest", [&](ByteView) { return quote; });
  ConfigfsTsmAttester::Options o;
  o.root = tdx_root;
  CONCORD_ASSERT_OK_AND_ASSIGN(auto tdx,
                               ConfigfsTsmAttester::Create(attest::Platform::kTdx, o, tdx_fs));
  EXPECT_THAT(tdx->Attest({}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("configfs-tsm: quote:")));
}

TEST_F(TsmTest, PrivlevelIsWrittenAndCountedInTheGeneration) {
  const KernelOutputs recorded = testing::MilanOutputs();
  KernelTsmDouble fs(root_, "sev_guest", [&](ByteView) { return recorded; });
  ConfigfsTsmAttester::Options o;
  o.privlevel = 2;
  auto attester = Make(attest::Platform::kSnp, fs, o);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest(testing::SnpReportDataOf(recorded.outblob)).status(), IsOk());
  EXPECT_EQ(fs.last_privlevel(), "2");
}

TEST_F(TsmTest, CreateRejectsBadOptions) {
  KernelTsmDouble fs(root_, "sev_guest", [](ByteView) { return testing::MilanOutputs(); });
  ConfigfsTsmAttester::Options o;
  o.root = root_;
  EXPECT_THAT(ConfigfsTsmAttester::Create(attest::Platform::kSimulated, o, fs).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o.privlevel = 4;
  EXPECT_THAT(ConfigfsTsmAttester::Create(attest::Platform::kSnp, o, fs).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("privlevel: want 0 to 3")));
  o.privlevel = 0;
  EXPECT_THAT(ConfigfsTsmAttester::Create(attest::Platform::kTdx, o, fs).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not used for tdx")));
  o.privlevel.reset();
  o.max_attempts = 0;
  EXPECT_THAT(ConfigfsTsmAttester::Create(attest::Platform::kSnp, o, fs).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o.max_attempts = 1;
  o.root = root_ + "/missing";
  EXPECT_THAT(ConfigfsTsmAttester::Create(attest::Platform::kSnp, o, fs).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(TsmAttributeTest, GenerationAndProviderParsersAreStrict) {
  EXPECT_THAT(ParseTsmGeneration("0\n"), IsOkAndHolds(0u));
  EXPECT_THAT(ParseTsmGeneration("42"), IsOkAndHolds(42u));
  EXPECT_THAT(ParseTsmGeneration(""), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ParseTsmGeneration("-1\n"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ParseTsmGeneration("1 \n"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ParseTsmGeneration("99999999999999999999"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ParseTsmProvider("sev_guest\n"), IsOkAndHolds("sev_guest"));
  EXPECT_THAT(ParseTsmProvider("\n"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ParseTsmProvider("tdx guest"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(TsmProviderFor(attest::Platform::kSnp), "sev_guest");
  EXPECT_EQ(TsmProviderFor(attest::Platform::kTdx), "tdx_guest");
  EXPECT_EQ(TsmProviderFor(attest::Platform::kSimulated), "");
}

TEST(PosixTsmFilesystemTest, ReadsWritesAndMapsErrors) {
  const std::string dir = concord::testing::MakeTempDir("tsmfs");
  auto fs = NewPosixTsmFilesystem();
  EXPECT_THAT(fs->MakeDir(dir + "/e"), IsOk());
  EXPECT_THAT(fs->MakeDir(dir + "/e"), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(fs->IsDirectory(dir + "/e"));
  EXPECT_THAT(fs->WriteFile(dir + "/e/inblob", AsBytes("x")),
              StatusIs(absl::StatusCode::kNotFound));  // attributes are never created
  FILE* f = std::fopen((dir + "/e/outblob").c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("0123456789", f);
  std::fclose(f);
  EXPECT_THAT(fs->ReadFile(dir + "/e/outblob", 10), IsOkAndHolds(ToBytes("0123456789")));
  EXPECT_THAT(fs->ReadFile(dir + "/e/outblob", 9),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("longer than 9 bytes")));
  EXPECT_THAT(fs->WriteFile(dir + "/e/outblob", AsBytes("ab")), IsOk());
  EXPECT_THAT(fs->ReadFile(dir + "/e/missing", 10), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fs->RemoveDir(dir + "/e"), StatusIs(absl::StatusCode::kFailedPrecondition));
  std::remove((dir + "/e/outblob").c_str());
  EXPECT_THAT(fs->RemoveDir(dir + "/e"), IsOk());
  EXPECT_FALSE(fs->IsDirectory(dir + "/e"));
}

}  // namespace
}  // namespace concord::attester
