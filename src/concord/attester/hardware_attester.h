// Evidence issuers for real confidential-computing hardware (DESIGN.md §9):
// CreateHardwareAttester picks the kernel interface for the platform,
// configfs-tsm first, then /dev/sev-guest for SEV-SNP, and returns a
// attest::Attester producing attest::Evidence in the form the verifiers take
// (SNP: the report plus the VCEK/VLEK first; TDX: the quote). Used by the
// composition roots (concordd --platform snp|tdx, concord-init). The
// attesters are thread-safe. Untested on real hardware (docs/attestation.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/attester/sev_guest.h"
#include "concord/attester/tsm.h"

namespace concord::attester {

struct HardwareAttesterOptions {
  // configfs-tsm report directory.
  std::string tsm_root = "/sys/kernel/config/tsm/report";
  // The SEV-SNP guest device (fallback when configfs-tsm is absent).
  std::string sev_guest_device = "/dev/sev-guest";
  // SNP: the VMPL to report at (configfs-tsm `privlevel`, the ioctl's vmpl).
  // Unset: configfs-tsm leaves privlevel at the kernel default, the ioctl
  // asks for VMPL 0. Must be unset for TDX.
  std::optional<uint32_t> privlevel;
  // configfs-tsm attempts when a concurrent writer changes the entry.
  int max_attempts = 3;
  // Seams for tests. Null filesystem: the real one (owned by the attester).
  // Otherwise it must outlive the attester.
  TsmFilesystem* filesystem = nullptr;
  // Empty: open `sev_guest_device`.
  SevGuestIoctl sev_guest_ioctl;
};

// An attester for `platform` (kSnp or kTdx). configfs-tsm when `tsm_root` is
// a directory (its provider must match the platform: FailedPrecondition
// otherwise); else, for SNP, /dev/sev-guest. InvalidArgument for
// kSimulated or a privlevel set for TDX or above 3; FailedPrecondition
// "issuer: no configfs-tsm at <root> and no <device>" when neither exists.
absl::StatusOr<std::unique_ptr<attest::Attester>> CreateHardwareAttester(
    attest::Platform platform, const HardwareAttesterOptions& options);

}  // namespace concord::attester
