#include "concord/attester/hardware_attester.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"

namespace concord::attester {
namespace {

// A configfs-tsm attester that owns the real filesystem it uses.
class OwningTsmAttester final : public attest::Attester {
 public:
  OwningTsmAttester(std::unique_ptr<TsmFilesystem> fs,
                    std::unique_ptr<ConfigfsTsmAttester> attester)
      : fs_(std::move(fs)), attester_(std::move(attester)) {}
  attest::Platform platform() const override { return attester_->platform(); }
  absl::StatusOr<attest::Evidence> Attest(
      const std::array<uint8_t, 64>& report_data) const override {
    return attester_->Attest(report_data);
  }

 private:
  // Declared first: destroyed after the attester that refers to it.
  std::unique_ptr<TsmFilesystem> fs_;
  std::unique_ptr<ConfigfsTsmAttester> attester_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<attest::Attester>> CreateHardwareAttester(
    attest::Platform platform, const HardwareAttesterOptions& options) {
  if (platform != attest::Platform::kSnp && platform != attest::Platform::kTdx) {
    return absl::InvalidArgumentError(
        absl::StrCat("issuer: platform: want snp or tdx, got ", attest::PlatformName(platform)));
  }
  if (options.privlevel.has_value()) {
    if (platform == attest::Platform::kTdx) {
      return absl::InvalidArgumentError("issuer: privlevel: not used for tdx (leave it unset)");
    }
    if (*options.privlevel > kTsmMaxPrivlevel) {
      return absl::InvalidArgumentError(
          absl::StrCat("issuer: privlevel: want 0 to 3, got ", *options.privlevel));
    }
  }
  std::unique_ptr<TsmFilesystem> owned_fs;
  TsmFilesystem* fs = options.filesystem;
  if (fs == nullptr) {
    owned_fs = NewPosixTsmFilesystem();
    fs = owned_fs.get();
  }
  if (fs->IsDirectory(options.tsm_root)) {
    ConfigfsTsmAttester::Options tsm;
    tsm.root = options.tsm_root;
    tsm.privlevel = options.privlevel;
    tsm.max_attempts = options.max_attempts;
    CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<ConfigfsTsmAttester> attester,
                             ConfigfsTsmAttester::Create(platform, std::move(tsm), *fs));
    if (owned_fs == nullptr) {
      return std::unique_ptr<attest::Attester>(std::move(attester));
    }
    return std::unique_ptr<attest::Attester>(
        new OwningTsmAttester(std::move(owned_fs), std::move(attester)));
  }
  if (platform != attest::Platform::kSnp) {
    return absl::FailedPreconditionError(
        absl::StrCat("issuer: no configfs-tsm at ", options.tsm_root,
                     " (TDX evidence needs a kernel with configfs-tsm and the tdx_guest driver)"));
  }
  SevGuestIoctl ioctl = options.sev_guest_ioctl;
  if (!ioctl) {
    absl::StatusOr<SevGuestIoctl> opened = OpenSevGuestDevice(options.sev_guest_device);
    if (absl::IsNotFound(opened.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "issuer: no configfs-tsm at ", options.tsm_root, " and no ", options.sev_guest_device));
    }
    CONCORD_RETURN_IF_ERROR(opened.status());
    ioctl = *std::move(opened);
  }
  SevGuestAttester::Options sev;
  sev.vmpl = options.privlevel.value_or(0);
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<SevGuestAttester> attester,
                           SevGuestAttester::Create(sev, std::move(ioctl)));
  return std::unique_ptr<attest::Attester>(std::move(attester));
}

}  // namespace concord::attester
