#include "concord/attester/sev_guest.h"

#include <cerrno>
#include <cstring>

#include "concord/attest/snp/verifier.h"
#include "concord/attester/kernel_double_testing.h"
#include "concord/common/time_format.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attester {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

// Replays recorded firmware outputs the way the kernel fills the caller's
// buffers, and records what it was asked.
struct RecordedDevice {
  Bytes report = testing::MilanOutputs().outblob;
  Bytes certs = *testing::MilanOutputs().auxblob;
  uint32_t resp_status = 0;
  uint32_t report_size = 1184;
  // Returned before any output when non-zero, with `exitinfo2`.
  int error = 0;
  uint64_t exitinfo2 = 0;
  // When set, the first call reports a too-small certificate buffer and asks
  // for this many bytes.
  uint32_t want_certs_len = 0;

  int calls = 0;
  uint32_t last_vmpl = 99;
  uint32_t last_certs_len = 0;
  unsigned long last_request = 0;
  uint8_t last_msg_version = 0;
  std::array<uint8_t, 64> last_user_data{};

  SevGuestIoctl Fn() {
    return [this](unsigned long request, SnpGuestRequestIoctl& arg) {
      ++calls;
      last_request = request;
      last_msg_version = arg.msg_version;
      auto* req = reinterpret_cast<SnpExtReportReq*>(static_cast<uintptr_t>(arg.req_data));
      auto* resp = reinterpret_cast<SnpReportResp*>(static_cast<uintptr_t>(arg.resp_data));
      last_vmpl = req->data.vmpl;
      last_certs_len = req->certs_len;
      std::memcpy(last_user_data.data(), req->data.user_data, 64);
      if (error != 0) {
        arg.exitinfo2 = exitinfo2;
        return error;
      }
      if (want_certs_len != 0 && req->certs_len < want_certs_len) {
        req->certs_len = want_certs_len;
        arg.exitinfo2 = uint64_t{kSnpVmmErrInvalidLen} << 32;
        return EINVAL;
      }
      if (certs.size() > req->certs_len) {
        return EINVAL;
      }
      std::memcpy(reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(req->certs_address)),
                  certs.data(), certs.size());
      uint8_t* d = resp->data;
      for (int i = 0; i < 4; ++i) {
        d[i] = static_cast<uint8_t>(resp_status >> (8 * i));
        d[4 + i] = static_cast<uint8_t>(report_size >> (8 * i));
      }
      std::memcpy(d + kSnpReportRespHeaderSize, report.data(),
                  std::min<size_t>(report.size(), sizeof(resp->data) - kSnpReportRespHeaderSize));
      arg.exitinfo2 = 0;
      return 0;
    };
  }
};

std::unique_ptr<SevGuestAttester> Make(RecordedDevice& dev, SevGuestAttester::Options o = {}) {
  auto a = SevGuestAttester::Create(o, dev.Fn());
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *std::move(a) : nullptr;
}

TEST(SevGuestTest, RecordedExtReportVerifiesWithTheSnpVerifier) {
  RecordedDevice dev;
  SevGuestAttester::Options o;
  o.vmpl = 1;
  auto attester = Make(dev, o);
  ASSERT_NE(attester, nullptr);
  const auto rd = testing::SnpReportDataOf(dev.report);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence e, attester->Attest(rd));
  EXPECT_EQ(dev.last_request, kSnpGetExtReport);
  EXPECT_EQ(dev.last_msg_version, 1);
  EXPECT_EQ(dev.last_vmpl, 1u);
  EXPECT_EQ(dev.last_user_data, rd);
  EXPECT_EQ(dev.last_certs_len, 16u * 1024);
  EXPECT_EQ(e.report, dev.report);
  ASSERT_EQ(e.certs.size(), 3u);

  CONCORD_ASSERT_OK_AND_ASSIGN(auto verifier, attest::SnpVerifier::Create({}));
  attest::VerifyOptions vo;
  vo.at = *ParseRfc3339("2026-01-01T00:00:00Z", "at");
  vo.check_reference_values = false;
  vo.report_data = rd;
  EXPECT_THAT(verifier->Verify(e, vo).status(), IsOk());
  attest::Evidence tampered = e;
  tampered.report[0x50] ^= 1;  // REPORT_DATA
  EXPECT_THAT(verifier->Verify(tampered, vo).status(), ::testing::Not(IsOk()));
}

TEST(SevGuestTest, FirmwareErrorIsNamed) {
  RecordedDevice dev;
  dev.error = EIO;
  dev.exitinfo2 = 0x16;
  auto attester = Make(dev);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest({}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("firmware error 0x16 (INVALID_PARAM)")));
  EXPECT_EQ(SevFirmwareErrorName(0x27), "unknown");
  EXPECT_EQ(SevFirmwareErrorName(0x26), "INVALID_KEY");
  EXPECT_EQ(SevFirmwareErrorName(0x07), "POLICY_FAILURE");
}

TEST(SevGuestTest, BusyHostIsUnavailable) {
  RecordedDevice dev;
  dev.error = EIO;
  dev.exitinfo2 = uint64_t{kSnpVmmErrBusy} << 32;
  auto attester = Make(dev);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest({}).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("busy")));
}

TEST(SevGuestTest, NoFirmwareCallReportsTheErrno) {
  RecordedDevice dev;
  dev.error = ENOTTY;
  dev.exitinfo2 = kSnpFwNoFwCall;
  auto attester = Make(dev);
  ASSERT_NE(attester, nullptr);
  absl::Status s = attester->Attest({}).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("SNP_GET_EXT_REPORT")));
  EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("firmware error")));
  dev.error = EACCES;
  dev.exitinfo2 = 0;
  EXPECT_THAT(attester->Attest({}).status(), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(SevGuestTest, SmallCertificateBufferGrowsOnce) {
  RecordedDevice dev;
  dev.want_certs_len = 32 * 1024;
  auto attester = Make(dev);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest(testing::SnpReportDataOf(dev.report)).status(), IsOk());
  EXPECT_EQ(dev.calls, 2);
  EXPECT_EQ(dev.last_certs_len, 32u * 1024);

  RecordedDevice greedy;
  greedy.want_certs_len = 1024 * 1024;
  auto a2 = Make(greedy);
  ASSERT_NE(a2, nullptr);
  EXPECT_THAT(a2->Attest({}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("asks for a certificate buffer of 1048576 bytes")));
}

TEST(SevGuestTest, ResponseStatusAndSizeAreChecked) {
  RecordedDevice dev;
  dev.resp_status = 0x27;
  auto attester = Make(dev);
  ASSERT_NE(attester, nullptr);
  EXPECT_THAT(attester->Attest({}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("MSG_REPORT_RSP status 0x27 (INVALID_KEY_SELECTION)")));
  dev.resp_status = 0;
  dev.report_size = 1000;
  EXPECT_THAT(attester->Attest({}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("report size: want 1184, got 1000")));
}

TEST(SevGuestTest, NoCertificatesGivesTheReportAlone) {
  RecordedDevice dev;
  dev.certs.clear();
  auto attester = Make(dev);
  ASSERT_NE(attester, nullptr);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Evidence evidence,
                               attester->Attest(testing::SnpReportDataOf(dev.report)));
  EXPECT_EQ(evidence.report, dev.report);
  EXPECT_TRUE(evidence.certs.empty());  // the VCEK comes from the collateral cache
}

TEST(SevGuestTest, CreateRejectsBadOptions) {
  RecordedDevice dev;
  SevGuestAttester::Options o;
  o.vmpl = 4;
  EXPECT_THAT(SevGuestAttester::Create(o, dev.Fn()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o.vmpl = 0;
  o.certs_len = 5000;
  EXPECT_THAT(SevGuestAttester::Create(o, dev.Fn()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("multiple of 4096")));
  o.certs_len = 4096;
  EXPECT_THAT(SevGuestAttester::Create(o, SevGuestIoctl()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SevGuestTest, MissingDeviceIsNotFound) {
  EXPECT_THAT(OpenSevGuestDevice(concord::testing::MakeTempDir("sev") + "/sev-guest").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace concord::attester
