#include "concord/attester/hardware_attester.h"

#include <cstring>

#include "concord/attester/kernel_double_testing.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attester {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

TEST(CreateHardwareAttesterTest, PrefersConfigfsTsm) {
  const std::string root = concord::testing::MakeTempDir("issuer-tsm");
  const testing::KernelOutputs recorded = testing::MilanOutputs();
  testing::KernelTsmDouble fs(root, "sev_guest", [&](ByteView) { return recorded; });
  bool ioctl_called = false;
  HardwareAttesterOptions o;
  o.tsm_root = root;
  o.filesystem = &fs;
  o.sev_guest_ioctl = [&](unsigned long, SnpGuestRequestIoctl&) {
    ioctl_called = true;
    return EIO;
  };
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<attest::Attester> a,
                               CreateHardwareAttester(attest::Platform::kSnp, o));
  EXPECT_EQ(a->platform(), attest::Platform::kSnp);
  EXPECT_THAT(a->Attest(testing::SnpReportDataOf(recorded.outblob)).status(), IsOk());
  EXPECT_FALSE(ioctl_called);
}

TEST(CreateHardwareAttesterTest, FallsBackToSevGuestForSnp) {
  const std::string dir = concord::testing::MakeTempDir("issuer-sev");
  const testing::KernelOutputs recorded = testing::MilanOutputs();
  int calls = 0;
  HardwareAttesterOptions o;
  o.tsm_root = dir + "/no-configfs";
  o.privlevel = 0;
  o.sev_guest_ioctl = [&](unsigned long request, SnpGuestRequestIoctl& arg) {
    ++calls;
    EXPECT_EQ(request, kSnpGetExtReport);
    auto* req = reinterpret_cast<SnpExtReportReq*>(static_cast<uintptr_t>(arg.req_data));
    auto* resp = reinterpret_cast<SnpReportResp*>(static_cast<uintptr_t>(arg.resp_data));
    std::memcpy(reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(req->certs_address)),
                recorded.auxblob->data(), recorded.auxblob->size());
    resp->data[4] = 0xa0;  // report_size 1184 = 0x4a0, little-endian
    resp->data[5] = 0x04;
    std::memcpy(resp->data + kSnpReportRespHeaderSize, recorded.outblob.data(),
                recorded.outblob.size());
    return 0;
  };
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<attest::Attester> a,
                               CreateHardwareAttester(attest::Platform::kSnp, o));
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence e,
                               a->Attest(testing::SnpReportDataOf(recorded.outblob)));
  EXPECT_EQ(e.report, recorded.outblob);
  EXPECT_EQ(calls, 1);
}

TEST(CreateHardwareAttesterTest, NothingAvailableIsFailedPrecondition) {
  const std::string dir = concord::testing::MakeTempDir("issuer-none");
  HardwareAttesterOptions o;
  o.tsm_root = dir + "/no-configfs";
  o.sev_guest_device = dir + "/no-sev-guest";
  EXPECT_THAT(
      CreateHardwareAttester(attest::Platform::kSnp, o).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("no configfs-tsm at " + o.tsm_root + " and no " + o.sev_guest_device)));
  // TDX has no device fallback.
  EXPECT_THAT(CreateHardwareAttester(attest::Platform::kTdx, o).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("tdx_guest")));
}

TEST(CreateHardwareAttesterTest, TdxThroughConfigfsAndProviderChecked) {
  const std::string root = concord::testing::MakeTempDir("issuer-tdx");
  testing::KernelOutputs recorded;
  recorded.outblob = concord::testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat");
  testing::KernelTsmDouble fs(root, "tdx_guest", [&](ByteView) { return recorded; });
  HardwareAttesterOptions o;
  o.tsm_root = root;
  o.filesystem = &fs;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<attest::Attester> a,
                               CreateHardwareAttester(attest::Platform::kTdx, o));
  EXPECT_EQ(a->platform(), attest::Platform::kTdx);
  EXPECT_THAT(
      CreateHardwareAttester(attest::Platform::kSnp, o).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("provider is \"tdx_guest\"")));
}

TEST(CreateHardwareAttesterTest, BadOptionsAreInvalidArgument) {
  HardwareAttesterOptions o;
  EXPECT_THAT(CreateHardwareAttester(attest::Platform::kSimulated, o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want snp or tdx")));
  o.privlevel = 1;
  EXPECT_THAT(CreateHardwareAttester(attest::Platform::kTdx, o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not used for tdx")));
  o.privlevel = 7;
  EXPECT_THAT(CreateHardwareAttester(attest::Platform::kSnp, o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 0 to 3")));
}

}  // namespace
}  // namespace concord::attester
