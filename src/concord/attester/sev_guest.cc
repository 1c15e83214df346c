#include "concord/attester/sev_guest.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concord/attester/tsm.h"
#include "concord/common/posix/scoped_fd.h"

namespace concord::attester {
namespace {

constexpr uint32_t kPageSize = 4096;

uint32_t U32Le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

absl::string_view ReportRespStatusName(uint32_t status) {
  switch (status) {
    case 0x16:
      return "INVALID_PARAMETERS";
    case 0x27:
      return "INVALID_KEY_SELECTION";
    default:
      return "unknown";
  }
}

}  // namespace

absl::string_view SevFirmwareErrorName(uint32_t code) {
  // SEV Secure Nested Paging Firmware ABI specification, "Status Codes".
  static constexpr absl::string_view kNames[] = {
      "SUCCESS",
      "INVALID_PLATFORM_STATE",
      "INVALID_GUEST_STATE",
      "INVALID_CONFIG",
      "INVALID_LENGTH",
      "ALREADY_OWNED",
      "INVALID_CERTIFICATE",
      "POLICY_FAILURE",
      "INACTIVE",
      "INVALID_ADDRESS",
      "BAD_SIGNATURE",
      "BAD_MEASUREMENT",
      "ASID_OWNED",
      "INVALID_ASID",
      "WBINVD_REQUIRED",
      "DF_FLUSH_REQUIRED",
      "INVALID_GUEST",
      "INVALID_COMMAND",
      "ACTIVE",
      "HWERROR_PLATFORM",
      "HWERROR_UNSAFE",
      "UNSUPPORTED",
      "INVALID_PARAM",
      "RESOURCE_LIMIT",
      "SECURE_DATA_INVALID",
      "INVALID_PAGE_SIZE",
      "INVALID_PAGE_STATE",
      "INVALID_MDATA_ENTRY",
      "INVALID_PAGE_OWNER",
      "AEAD_OFLOW",
      "unknown",
      "RMP_INIT_REQUIRED",
      "BAD_SVN",
      "BAD_VERSION",
      "SHUTDOWN_REQUIRED",
      "UPDATE_FAILED",
      "RESTORE_REQUIRED",
      "RMP_INITIALIZATION_FAILED",
      "INVALID_KEY",
  };
  if (code < std::size(kNames)) {
    return kNames[code];
  }
  return "unknown";
}

absl::StatusOr<SevGuestIoctl> OpenSevGuestDevice(const std::string& device) {
  const int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string msg = absl::StrCat("sev-guest: open ", device, ": ", std::strerror(err));
    if (err == ENOENT || err == ENODEV || err == ENXIO) {
      return absl::NotFoundError(msg);
    }
    if (err == EACCES || err == EPERM) {
      return absl::PermissionDeniedError(msg);
    }
    return absl::FailedPreconditionError(msg);
  }
  // Shared so that copies of the std::function keep the descriptor open.
  auto owned = std::make_shared<const posix::ScopedFd>(fd);
  return SevGuestIoctl([owned](unsigned long request, SnpGuestRequestIoctl& arg) {
    int rc = 0;
    do {
      rc = ::ioctl(owned->get(), request, &arg);
    } while (rc < 0 && errno == EINTR);
    return rc < 0 ? errno : 0;
  });
}

absl::StatusOr<std::unique_ptr<SevGuestAttester>> SevGuestAttester::Create(Options options,
                                                                           SevGuestIoctl ioctl) {
  if (options.vmpl > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("sev-guest: vmpl: want 0 to 3, got ", options.vmpl));
  }
  if (options.certs_len == 0 || options.certs_len % kPageSize != 0 ||
      options.certs_len > kSnpMaxCertsLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("sev-guest: certs_len: want a multiple of 4096 up to ", kSnpMaxCertsLen,
                     ", got ", options.certs_len));
  }
  if (!ioctl) {
    return absl::InvalidArgumentError("sev-guest: no ioctl function");
  }
  return std::unique_ptr<SevGuestAttester>(new SevGuestAttester(options, std::move(ioctl)));
}

absl::StatusOr<attest::Evidence> SevGuestAttester::Attest(
    const std::array<uint8_t, 64>& report_data) const {
  uint32_t certs_len = options_.certs_len;
  for (int attempt = 0;; ++attempt) {
    // The certificate buffer must be page-aligned and a whole number of pages.
    std::unique_ptr<uint8_t, FreeDeleter> certs(
        static_cast<uint8_t*>(std::aligned_alloc(kPageSize, certs_len)));
    if (certs == nullptr) {
      return absl::ResourceExhaustedError("sev-guest: cannot allocate the certificate buffer");
    }
    std::memset(certs.get(), 0, certs_len);
    SnpExtReportReq req{};
    std::memcpy(req.data.user_data, report_data.data(), report_data.size());
    req.data.vmpl = options_.vmpl;
    req.certs_address = reinterpret_cast<uintptr_t>(certs.get());
    req.certs_len = certs_len;
    auto resp = std::make_unique<SnpReportResp>();
    std::memset(resp->data, 0, sizeof(resp->data));
    SnpGuestRequestIoctl arg{};
    arg.msg_version = 1;
    arg.req_data = reinterpret_cast<uintptr_t>(&req);
    arg.resp_data = reinterpret_cast<uintptr_t>(resp.get());
    const int err = ioctl_(kSnpGetExtReport, arg);
    const uint32_t fw_error = static_cast<uint32_t>(arg.exitinfo2);
    const uint32_t vmm_error = static_cast<uint32_t>(arg.exitinfo2 >> 32);
    if (err != 0) {
      if (vmm_error == kSnpVmmErrInvalidLen && attempt == 0) {
        // The host needs a larger certificate buffer and says how large.
        if (req.certs_len <= certs_len || req.certs_len > kSnpMaxCertsLen ||
            req.certs_len % kPageSize != 0) {
          return absl::FailedPreconditionError(absl::StrCat(
              "sev-guest: SNP_GET_EXT_REPORT: the host asks for a certificate buffer of ",
              req.certs_len, " bytes; want a multiple of 4096 above ", certs_len, " and up to ",
              kSnpMaxCertsLen));
        }
        certs_len = req.certs_len;
        continue;
      }
      if (vmm_error == kSnpVmmErrBusy) {
        return absl::UnavailableError(
            "sev-guest: SNP_GET_EXT_REPORT: the host is busy (retry later)");
      }
      const std::string what = absl::StrCat("sev-guest: SNP_GET_EXT_REPORT: ", std::strerror(err));
      if (err == EACCES || err == EPERM) {
        return absl::PermissionDeniedError(what);
      }
      if (err == EINTR || err == EAGAIN || err == EBUSY) {
        return absl::UnavailableError(what);
      }
      if (fw_error != 0 && fw_error != kSnpFwNoFwCall) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: firmware error 0x%x (%s)", what, fw_error, SevFirmwareErrorName(fw_error)));
      }
      if (vmm_error != 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            what, ": VMM error ", vmm_error,
            vmm_error == kSnpVmmErrInvalidLen ? " (certificate buffer too small)" : ""));
      }
      return absl::FailedPreconditionError(what);
    }
    const uint32_t status = U32Le(resp->data);
    const uint32_t report_size = U32Le(resp->data + 4);
    if (status != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "sev-guest: MSG_REPORT_RSP status 0x%x (%s)", status, ReportRespStatusName(status)));
    }
    if (report_size != attest::kSnpReportSize) {
      return absl::FailedPreconditionError(
          absl::StrCat("sev-guest: MSG_REPORT_RSP report size: want ", attest::kSnpReportSize,
                       ", got ", report_size));
    }
    const ByteView report(resp->data + kSnpReportRespHeaderSize, report_size);
    return EvidenceFromKernelOutputs("sev-guest", attest::Platform::kSnp, report_data, report,
                                     ByteView(certs.get(), certs_len));
  }
}

}  // namespace concord::attester
