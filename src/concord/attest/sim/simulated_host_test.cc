#include "concord/attest/sim/simulated_host.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "concord/attest/snp/verifier.h"
#include "concord/crypto/hash.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attest {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1790000000);  // 2026-09-21

class SimulatedHostTest : public ::testing::Test {
 protected:
  SimulatedHostTest() : clock_(kStart), random_(7) {}

  std::string InitHost(uint64_t seed = 7) {
    std::string dir = ::concord::testing::MakeTempDir("sim-host");
    ::concord::testing::FakeRandom random(seed);
    auto info = SimulatedHost::Init(dir, {clock_, random});
    EXPECT_TRUE(info.ok()) << info.status();
    return dir;
  }

  std::unique_ptr<SimulatedHost> LoadHost(const std::string& dir) {
    auto host = SimulatedHost::Load(dir);
    EXPECT_TRUE(host.ok()) << host.status();
    return std::move(host).value();
  }

  static std::unique_ptr<SnpVerifier> Verifier(bool allow_simulated) {
    auto v = SnpVerifier::Create({.allow_simulated = allow_simulated, .cache_capacity = 16});
    EXPECT_TRUE(v.ok()) << v.status();
    return std::move(v).value();
  }

  static VerifyOptions Options(const SimulatedHost& host) {
    VerifyOptions o;
    o.at = kStart + absl::Hours(1);
    o.reference_values.simulated = {host.info().reference_values()};
    return o;
  }

  // Verifies a fresh report of a new host against that host's Options(),
  // after `tweak` changed the evidence or the options.
  absl::Status VerifyTweaked(const std::function<void(Evidence&, VerifyOptions&)>& tweak) {
    auto host = LoadHost(InitHost());
    absl::StatusOr<Evidence> e = host->MakeReport(ReportData(), HostData());
    EXPECT_THAT(e.status(), IsOk());
    if (!e.ok()) {
      return e.status();
    }
    VerifyOptions o = Options(*host);
    tweak(*e, o);
    return Verifier(true)->Verify(*e, o).status();
  }

  static std::array<uint8_t, 64> ReportData() {
    std::array<uint8_t, 64> d{};
    d.fill(0x5a);
    return d;
  }
  static std::array<uint8_t, 32> HostData() {
    return crypto::Sha256(AsBytes("{\"policy\":\"document\"}"));
  }

  ::concord::testing::FakeClock clock_;
  ::concord::testing::FakeRandom random_;
};

TEST_F(SimulatedHostTest, InitThenLoadRoundTrips) {
  std::string dir = ::concord::testing::MakeTempDir("sim-host");
  CONCORD_ASSERT_OK_AND_ASSIGN(SimulatedHostInfo info, SimulatedHost::Init(dir, {clock_, random_}));
  auto host = LoadHost(dir);
  EXPECT_EQ(host->info().ark_spki_sha256, info.ark_spki_sha256);
  EXPECT_EQ(host->info().measurement, info.measurement);
  EXPECT_EQ(host->info().chip_id, info.chip_id);
  EXPECT_EQ(host->info().tcb, info.tcb);
  EXPECT_EQ(host->info().created, kStart);
  struct stat st {};
  ASSERT_EQ(::stat((std::filesystem::path(dir) / "vcek_key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const char* f : {"ark.pem", "ask.pem", "vcek.pem", "host.json"}) {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / f)) << f;
  }
}

TEST_F(SimulatedHostTest, InitRefusesNonEmptyDirectory) {
  std::string dir = InitHost();
  EXPECT_THAT(SimulatedHost::Init(dir, {clock_, random_}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is not empty")));
}

TEST_F(SimulatedHostTest, InitCreatesMissingDirectory) {
  std::string dir = ::concord::testing::MakeTempDir("sim-host") + "/nested/host";
  EXPECT_THAT(SimulatedHost::Init(dir, {clock_, random_}), IsOk());
  EXPECT_THAT(SimulatedHost::Load(dir), IsOk());
}

TEST_F(SimulatedHostTest, LoadRejectsMissingAndInconsistentFiles) {
  std::string empty = ::concord::testing::MakeTempDir("sim-host");
  EXPECT_THAT(SimulatedHost::Load(empty), StatusIs(absl::StatusCode::kNotFound));
  // Another host's ARK in place of this host's.
  std::string a = InitHost(1);
  std::string b = InitHost(2);
  std::filesystem::copy_file(std::filesystem::path(b) / "ark.pem",
                             std::filesystem::path(a) / "ark.pem",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_THAT(SimulatedHost::Load(a),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("ark_spki_sha256")));
  std::string c = InitHost(3);
  std::ofstream(std::filesystem::path(c) / "host.json") << "{\"version\": 2}";
  EXPECT_THAT(SimulatedHost::Load(c), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version")));
}

TEST_F(SimulatedHostTest, ReportVerifiesUnderSimulatedReferenceValues) {
  auto host = LoadHost(InitHost());
  CONCORD_ASSERT_OK_AND_ASSIGN(Evidence e, host->MakeReport(ReportData(), HostData()));
  EXPECT_EQ(e.platform, Platform::kSimulated);
  EXPECT_EQ(e.report.size(), kSnpReportSize);
  ASSERT_EQ(e.certs.size(), 3u);
  VerifyOptions o = Options(*host);
  o.report_data = ReportData();
  o.host_data = HostData();
  auto verifier = Verifier(true);
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims claims, verifier->Verify(e, o));
  EXPECT_EQ(claims.platform, Platform::kSimulated);
  EXPECT_EQ(claims.product, "Milan");
  EXPECT_EQ(claims.snp->report.version, 3u);
  EXPECT_EQ(claims.snp->report.vmpl, 0u);
  EXPECT_FALSE(claims.snp->report.debug_allowed());
  EXPECT_EQ(claims.snp->reported_tcb, host->info().tcb);
  EXPECT_EQ(claims.snp->matched_reference_value, 0u);
  EXPECT_TRUE(std::equal(claims.measurement.begin(), claims.measurement.end(),
                         host->info().measurement.begin()));
  EXPECT_TRUE(
      std::equal(claims.chip_id.begin(), claims.chip_id.end(), host->info().chip_id.begin()));
  // Second report: chain cached.
  CONCORD_ASSERT_OK_AND_ASSIGN(Evidence again, host->MakeReport(ReportData(), HostData()));
  EXPECT_THAT(verifier->Verify(again, o), IsOk());
  EXPECT_EQ(verifier->ChainVerificationsForTest(), 1u);
}

TEST_F(SimulatedHostTest, RejectedWhenSimulatedIsDisabled) {
  auto host = LoadHost(InitHost());
  CONCORD_ASSERT_OK_AND_ASSIGN(Evidence e, host->MakeReport(ReportData(), HostData()));
  EXPECT_THAT(Verifier(false)->Verify(e, Options(*host)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "snp: simulated evidence is not accepted by this verifier (simulated "
                       "platform disabled)"));
}

TEST_F(SimulatedHostTest, NeverPassesAgainstRealAmdRoots) {
  EXPECT_THAT(VerifyTweaked([](Evidence& e, VerifyOptions& o) {
                e.platform = Platform::kSnp;
                o.check_reference_values = false;
              }),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("snp: VCEK chain: ")));
}

TEST_F(SimulatedHostTest, AnotherHostsArkIsRejected) {
  auto host = LoadHost(InitHost(1));
  auto other = LoadHost(InitHost(2));
  CONCORD_ASSERT_OK_AND_ASSIGN(Evidence e, host->MakeReport(ReportData(), HostData()));
  VerifyOptions o = Options(*host);
  o.reference_values.simulated = {other->info().reference_values()};
  EXPECT_THAT(Verifier(true)->Verify(e, o),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("is not pinned by any reference value")));
  // A chain mixing the other host's ARK fails the chain itself.
  CONCORD_ASSERT_OK_AND_ASSIGN(Evidence theirs, other->MakeReport(ReportData(), HostData()));
  e.certs[2] = theirs.certs[2];
  EXPECT_THAT(Verifier(true)->Verify(e, Options(*host)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("simulated: VCEK chain: ")));
}

TEST_F(SimulatedHostTest, TamperedReportIsRejected) {
  auto host = LoadHost(InitHost());
  CONCORD_ASSERT_OK_AND_ASSIGN(Evidence e, host->MakeReport(ReportData(), HostData()));
  e.report[0x90] ^= 1;  // measurement[0]
  EXPECT_THAT(Verifier(true)->Verify(e, Options(*host)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "simulated: report signature does not verify with the VCEK"));
}

TEST_F(SimulatedHostTest, WrongMeasurementIsRejected) {
  EXPECT_THAT(VerifyTweaked([](Evidence&, VerifyOptions& o) {
                o.reference_values.simulated[0].measurement[0] ^= 1;
              }),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "simulated: measurement does not match any reference value"));
}

TEST_F(SimulatedHostTest, HostDataMismatchIsRejected) {
  EXPECT_THAT(VerifyTweaked([](Evidence&, VerifyOptions& o) {
                o.host_data = crypto::Sha256(AsBytes("another policy"));
              }),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "simulated: host data does not match the expected value"));
}

TEST_F(SimulatedHostTest, ExpiredSimulatedChainIsRejected) {
  EXPECT_THAT(VerifyTweaked(
                  [](Evidence&, VerifyOptions& o) { o.at = kStart + absl::Hours(24 * 365 * 11); }),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("simulated: VCEK chain: certificate has expired")));
}

}  // namespace
}  // namespace concord::attest
