// SEV-SNP evidence through /dev/sev-guest, for kernels without configfs-tsm:
// the SNP_GET_EXT_REPORT ioctl (include/uapi/linux/sev-guest.h) returns the
// ATTESTATION_REPORT in a MSG_REPORT_RSP and the host's certificate table
// (snp_cert_table.h) in a caller-supplied page-aligned buffer. The structures
// are declared here with their kernel sizes checked at compile time; the
// ioctl itself is an injected function so tests can replay recorded
// outputs. SevGuestAttester is thread-safe (each call uses its own buffers;
// the kernel serialises guest requests). Untested on real hardware
// (docs/attestation.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"

namespace concord::attester {

// include/uapi/linux/sev-guest.h, field for field.
struct SnpReportReq {
  uint8_t user_data[64];
  uint32_t vmpl;
  uint8_t rsvd[28];
};
static_assert(sizeof(SnpReportReq) == 96);

struct SnpReportResp {
  uint8_t data[4000];
};
static_assert(sizeof(SnpReportResp) == 4000);

struct SnpExtReportReq {
  SnpReportReq data;
  uint64_t certs_address;
  uint32_t certs_len;
};
static_assert(sizeof(SnpExtReportReq) == 112);

struct SnpGuestRequestIoctl {
  uint8_t msg_version;
  uint64_t req_data;
  uint64_t resp_data;
  // Low 32 bits: the firmware error; high 32 bits: the VMM error.
  uint64_t exitinfo2;
};
static_assert(sizeof(SnpGuestRequestIoctl) == 32);

// _IOWR('S', 0x0 / 0x2, struct snp_guest_request_ioctl).
inline constexpr unsigned long kSnpGetReport = 0xc0205300;
inline constexpr unsigned long kSnpGetExtReport = 0xc0205302;
// VMM errors (exitinfo2 >> 32).
inline constexpr uint32_t kSnpVmmErrInvalidLen = 1;
inline constexpr uint32_t kSnpVmmErrBusy = 2;
// The kernel's "no firmware call was made" marker in the firmware error.
inline constexpr uint32_t kSnpFwNoFwCall = 0xffffffff;
// MSG_REPORT_RSP: status u32, report_size u32, 24 reserved bytes, report.
inline constexpr size_t kSnpReportRespHeaderSize = 32;
// Largest certificate buffer requested after the host asks for more.
inline constexpr uint32_t kSnpMaxCertsLen = 32 * 1024;

// Names an SEV firmware status code, e.g. 0x16 -> "INVALID_PARAM"; "unknown"
// for codes the SEV-SNP ABI does not define.
absl::string_view SevFirmwareErrorName(uint32_t code);

// Performs one ioctl on the sev-guest device and returns 0 or the errno
// value. `request` is kSnpGetReport or kSnpGetExtReport; `arg` points at
// the request structure whose req_data / resp_data point at our buffers.
// Must be thread-safe.
using SevGuestIoctl = std::function<int(unsigned long request, SnpGuestRequestIoctl& arg)>;

// Opens `device` (O_RDWR) and returns an ioctl function that owns the file
// descriptor. NotFound / PermissionDenied / FailedPrecondition from open(2).
absl::StatusOr<SevGuestIoctl> OpenSevGuestDevice(const std::string& device);

class SevGuestAttester final : public attest::Attester {
 public:
  struct Options {
    // The VMPL to request (0..3).
    uint32_t vmpl = 0;
    // The first certificate buffer size (a multiple of 4096); grown once to
    // what the host asks for, up to kSnpMaxCertsLen.
    uint32_t certs_len = 16 * 1024;
  };

  // InvalidArgument for a VMPL above 3 or a certs_len that is zero, not a
  // multiple of 4096 or above kSnpMaxCertsLen. `ioctl` is kept.
  static absl::StatusOr<std::unique_ptr<SevGuestAttester>> Create(Options options,
                                                                  SevGuestIoctl ioctl);

  SevGuestAttester(const SevGuestAttester&) = delete;
  SevGuestAttester& operator=(const SevGuestAttester&) = delete;

  attest::Platform platform() const override { return attest::Platform::kSnp; }
  // SNP_GET_EXT_REPORT; evidence as EvidenceFromKernelOutputs (tsm.h) builds it.
  // Unavailable when the host is busy (retry with backoff) or the ioctl is
  // interrupted; FailedPrecondition "sev-guest: firmware error 0x16
  // (INVALID_PARAM)" and the like for firmware and VMM errors, a non-zero
  // MSG_REPORT_RSP status, a report of the wrong size, or no VCEK/VLEK in
  // the certificate table; PermissionDenied for EACCES/EPERM.
  absl::StatusOr<attest::Evidence> Attest(
      const std::array<uint8_t, 64>& report_data) const override;

 private:
  SevGuestAttester(Options options, SevGuestIoctl ioctl)
      : options_(options), ioctl_(std::move(ioctl)) {}

  const Options options_;
  const SevGuestIoctl ioctl_;
};

}  // namespace concord::attester
