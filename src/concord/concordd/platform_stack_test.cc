// PlatformStack on recorded hardware evidence: the kernel double serves the
// real SNP report and TDX quote from testdata as configfs-tsm would, fake
// vendors serve the recorded AMD KDS / Intel PCS answers, and a FakeClock
// stands at a time when that collateral is current.
#include "concord/concordd/platform_stack.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/tdx/quote.h"
#include "concord/attester/kernel_double_testing.h"
#include "concord/collateral/item.h"
#include "concord/collateral/testing/fake_vendor.h"
#include "concord/common/hex.h"
#include "concord/common/time_format.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::concordd {
namespace {

using ::concord::collateral::CollateralKind;
using ::concord::collateral::testing::FakeFetcher;
using ::concord::collateral::testing::kPhalaDir;
using ::concord::collateral::testing::kPhalaFmspc;
using ::concord::testing::FakeClock;
using ::concord::testing::IsOk;
using ::concord::testing::ReadTestdata;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::string_view kVirtee = "attestation/snp/milan-v2-virtee/";

absl::Time At(absl::string_view rfc3339) { return *ParseRfc3339(rfc3339, "test time"); }

std::array<uint8_t, 64> TdxReportDataOf(const Bytes& quote) {
  absl::StatusOr<attest::TdxQuote> q = attest::TdxQuote::Parse(quote);
  return q.ok() ? q->body.report_data : std::array<uint8_t, 64>{};
}

// One replica's stack over a kernel double serving `outputs`.
class PlatformStackTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<PlatformStack>> Make(attest::Platform platform,
                                                      bool fetch = true) {
    PlatformStackOptions options;
    options.platform = platform;
    options.issuer.tsm_root = root_dir_;
    options.issuer.filesystem = kernel_.get();
    options.fetch_collateral = fetch;
    options.own_collateral_timeout = absl::Seconds(30);
    return PlatformStack::Create(std::move(options), Deps());
  }

  // The fake vendors (or, without them, the real web fetchers), and waits
  // that advance the fake clock.
  PlatformStackDeps Deps(bool fake_vendors = true) {
    return PlatformStackDeps{.store = *store_,
                             .clock = clock_,
                             .log = Logger::Default(),
                             .kds_fetcher = fake_vendors ? &kds_ : nullptr,
                             .pcs_fetcher = fake_vendors ? &pcs_ : nullptr,
                             .sleep = [this](absl::Duration d) {
                               ++sleeps_;
                               clock_.Advance(d);
                             }};
  }

  FakeClock clock_{At("2025-06-25T00:00:00Z")};
  std::unique_ptr<store::Store> store_ = store::MemoryStore::Create();
  FakeFetcher kds_;
  FakeFetcher pcs_;
  attester::testing::KernelOutputs outputs_;
  std::unique_ptr<attester::testing::KernelTsmDouble> kernel_;
  std::string root_dir_;
  int sleeps_ = 0;

  void SetUpTdx() {
    root_dir_ = concord::testing::MakeTempDir("platform-stack-tsm");
    outputs_.outblob = ReadTestdata(absl::StrCat(kPhalaDir, "quote.dat"));
    kernel_ = std::make_unique<attester::testing::KernelTsmDouble>(
        root_dir_, "tdx_guest", [this](ByteView) { return outputs_; });
  }
  void SetUpSnpWithoutCertificates() {
    root_dir_ = concord::testing::MakeTempDir("platform-stack-tsm");
    outputs_.outblob = ReadTestdata(absl::StrCat(kVirtee, "report.bin"));
    outputs_.auxblob.reset();  // the host supplies no certificate table
    kernel_ = std::make_unique<attester::testing::KernelTsmDouble>(
        root_dir_, "sev_guest", [this](ByteView) { return outputs_; });
  }
};

TEST_F(PlatformStackTest, TdxReplicaFetchesItsCollateralThenVerifiesItsOwnQuote) {
  SetUpTdx();
  collateral::testing::ServePhalaPcs(pcs_);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PlatformStack> stack, Make(attest::Platform::kTdx));
  const std::array<uint8_t, 64> report_data = TdxReportDataOf(outputs_.outblob);
  ASSERT_THAT(stack->PrepareOwnCollateral(report_data), IsOk());
  EXPECT_EQ(pcs_.requests.size(), 4u);
  EXPECT_TRUE(kds_.requests.empty());
  EXPECT_THAT(stack->cache().Lookup(CollateralKind::kTdxTcbInfo, kPhalaFmspc), IsOk());
  EXPECT_TRUE(stack->refresher().IsWanted(CollateralKind::kTdxQeIdentity, "td_qe"));

  // The evidence concordd presents, verified as a peer would (cache only).
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence, stack->attester().Attest(report_data));
  EXPECT_EQ(evidence.platform, attest::Platform::kTdx);
  attest::VerifyOptions options;
  options.at = clock_.Now();
  options.report_data = report_data;
  options.check_reference_values = false;
  const size_t fetched = pcs_.requests.size();
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims, stack->verifier().Verify(evidence, options));
  EXPECT_EQ(claims.platform, attest::Platform::kTdx);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::TdxQuote quote, attest::TdxQuote::Parse(outputs_.outblob));
  EXPECT_EQ(claims.host_data,
            Bytes(quote.body.mrconfigid.begin(), quote.body.mrconfigid.begin() + 32));
  EXPECT_EQ(pcs_.requests.size(), fetched);  // the hot path never fetches

  // A tampered quote is refused with the same collateral.
  attest::Evidence tampered = evidence;
  tampered.report = ReadTestdata(absl::StrCat(kPhalaDir, "quote-tampered-signature.dat"));
  EXPECT_THAT(stack->verifier().Verify(tampered, options),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PlatformStackTest, WorkloadQuoteWithUncachedCollateralIsRefusedAndFetchedInBackground) {
  SetUpTdx();
  collateral::testing::ServePhalaPcs(pcs_);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PlatformStack> stack, Make(attest::Platform::kTdx));
  attest::Evidence workload{attest::Platform::kTdx, outputs_.outblob, {}};
  attest::VerifyOptions options;
  options.at = clock_.Now();
  options.check_reference_values = false;
  EXPECT_THAT(stack->verifier().Verify(workload, options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("collateral: no")));
  EXPECT_TRUE(pcs_.requests.empty());  // not on the verification path
  EXPECT_TRUE(stack->refresher().IsWanted(CollateralKind::kTdxTcbInfo, kPhalaFmspc));
  EXPECT_TRUE(stack->refresher().IsWanted(CollateralKind::kTdxPckCrl, "platform"));
  EXPECT_TRUE(stack->refresher().IsWanted(CollateralKind::kTdxRootCaCrl, "root"));
  EXPECT_EQ(stack->refresher().RunOnce().fetched, 4u);
  EXPECT_THAT(stack->verifier().Verify(workload, options), IsOk());
}

TEST_F(PlatformStackTest, OfflineReplicaWaitsForImportedCollateral) {
  SetUpTdx();
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PlatformStack> stack,
                               Make(attest::Platform::kTdx, /*fetch=*/false));
  const std::array<uint8_t, 64> report_data = TdxReportDataOf(outputs_.outblob);
  absl::Status waited = stack->PrepareOwnCollateral(report_data);
  EXPECT_THAT(waited,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("vendor fetching is off")));
  EXPECT_THAT(waited.message(), HasSubstr("own evidence: collateral: no"));
  EXPECT_GT(sleeps_, 0);
  EXPECT_TRUE(pcs_.requests.empty());

  // An operator imports the collateral into the shared store (another
  // process: its own cache over the same store).
  FakeFetcher vendor;
  collateral::testing::ServePhalaPcs(vendor);
  collateral::PcsClient pcs(vendor, clock_);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<collateral::CollateralCache> importer,
                               collateral::CollateralCache::Create({store_.get(), &clock_}));
  for (auto [kind, key] : std::vector<std::pair<CollateralKind, std::string>>{
           {CollateralKind::kTdxTcbInfo, std::string(kPhalaFmspc)},
           {CollateralKind::kTdxQeIdentity, "td_qe"},
           {CollateralKind::kTdxPckCrl, "platform"},
           {CollateralKind::kTdxRootCaCrl, "root"}}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(collateral::CollateralItem item, pcs.Fetch(kind, key));
    ASSERT_THAT(importer->Insert(std::move(item)).status(), IsOk());
  }
  clock_.Advance(absl::Hours(1));  // past every item's back-off
  EXPECT_THAT(stack->PrepareOwnCollateral(report_data), IsOk());
  EXPECT_TRUE(pcs_.requests.empty());
}

TEST_F(PlatformStackTest, SnpReportWithoutCertificatesGetsTheFetchedVcekAttached) {
  clock_.Advance(At("2025-06-01T00:00:00Z") - clock_.Now());
  SetUpSnpWithoutCertificates();
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::SnpReport report,
                               attest::SnpReport::Parse(outputs_.outblob));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::string key,
      collateral::SnpVcekKey(attest::SnpProduct::kMilan, report.chip_id, report.reported_tcb));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::string target,
                               collateral::KdsClient::Target(CollateralKind::kSnpVcek, key));
  kds_.Serve(target,
             collateral::testing::Ok(ToString(ReadTestdata(absl::StrCat(kVirtee, "vcek.der")))));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PlatformStack> stack, Make(attest::Platform::kSnp));
  // Before: the kernel's evidence carries no certificate.
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence bare, stack->attester().Attest(report.report_data));
  EXPECT_TRUE(bare.certs.empty());

  ASSERT_THAT(stack->PrepareOwnCollateral(report.report_data), IsOk());
  EXPECT_EQ(kds_.requests.front(), target);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               stack->attester().Attest(report.report_data));
  ASSERT_EQ(evidence.certs.size(), 1u);
  EXPECT_EQ(evidence.certs[0], ReadTestdata(absl::StrCat(kVirtee, "vcek.der")));
}

TEST_F(PlatformStackTest, MadeUpSnpChipsDoNotKeepAGenuineWorkloadsVcekFromBeingFetched) {
  clock_.Advance(At("2025-06-01T00:00:00Z") - clock_.Now());
  SetUpSnpWithoutCertificates();
  const Bytes genuine = outputs_.outblob;
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::SnpReport report, attest::SnpReport::Parse(genuine));
  // A version 2 report names no product: its VCEK is wanted as Milan's and
  // as Genoa's (AMD has only the first).
  std::vector<std::string> genuine_targets;
  for (attest::SnpProduct product : {attest::SnpProduct::kMilan, attest::SnpProduct::kGenoa}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(
        std::string key, collateral::SnpVcekKey(product, report.chip_id, report.reported_tcb));
    CONCORD_ASSERT_OK_AND_ASSIGN(std::string target,
                                 collateral::KdsClient::Target(CollateralKind::kSnpVcek, key));
    genuine_targets.push_back(target);
  }
  kds_.Serve(genuine_targets[0],
             collateral::testing::Ok(ToString(ReadTestdata(absl::StrCat(kVirtee, "vcek.der")))));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<PlatformStack> stack, Make(attest::Platform::kSnp));
  attest::VerifyOptions options;
  options.at = clock_.Now();
  options.check_reference_values = false;

  // Anyone can send SNP reports without certificates, naming any chip.
  constexpr size_t kChipIdOffset = 0x1A0;
  for (int i = 0; i < 1000; ++i) {
    attest::Evidence forged{attest::Platform::kSnp, genuine, {}};
    forged.report[kChipIdOffset] = static_cast<uint8_t>(i);
    forged.report[kChipIdOffset + 1] = static_cast<uint8_t>(i >> 8);
    forged.report[kChipIdOffset + 2] ^= 0x5a;
    EXPECT_THAT(stack->verifier().Verify(forged, options),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(stack->refresher().stats().unverified, 256u);
  EXPECT_EQ(stack->refresher().stats().evictions, 2000u - 256u);

  attest::Evidence workload{attest::Platform::kSnp, genuine, {}};
  EXPECT_THAT(stack->verifier().Verify(workload, options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no VCEK cached")));
  stack->refresher().RunOnce();
  clock_.Advance(absl::Seconds(10));  // AMD's pace: one VCEK request per 10 s
  stack->refresher().RunOnce();
  options.at = clock_.Now();
  EXPECT_THAT(stack->verifier().Verify(workload, options), IsOk());
  // No made-up chip was asked for.
  for (const std::string& target : kds_.requests) {
    if (absl::StrContains(target, "/vcek/v1/") && !absl::StrContains(target, "/cert_chain") &&
        !absl::StrContains(target, "/crl")) {
      EXPECT_THAT(genuine_targets, ::testing::Contains(target));
    }
  }
}

TEST_F(PlatformStackTest, SimulatedNeedsTheLaunchConfigAndHardwareNeedsTheKernel) {
  PlatformStackOptions simulated;
  simulated.platform = attest::Platform::kSimulated;
  simulated.allow_simulated = false;
  EXPECT_THAT(PlatformStack::Create(simulated, Deps()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not allow")));
  // No configfs-tsm and no /dev/sev-guest.
  root_dir_ = concord::testing::MakeTempDir("platform-stack-none") + "/absent";
  PlatformStackOptions snp;
  snp.platform = attest::Platform::kSnp;
  snp.issuer.tsm_root = root_dir_;
  snp.issuer.sev_guest_device = root_dir_ + "/sev-guest";
  EXPECT_THAT(PlatformStack::Create(snp, Deps()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no configfs-tsm")));
  // A vendor URL the web client cannot use.
  PlatformStackOptions bad_url = snp;
  bad_url.kds_url = "https://";
  EXPECT_THAT(PlatformStack::Create(bad_url, Deps(/*fake_vendors=*/false)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--kds-url")));
}

}  // namespace
}  // namespace concord::concordd
