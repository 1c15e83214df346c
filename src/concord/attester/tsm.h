// Evidence from the kernel's configfs-tsm report interface
// (Documentation/ABI/testing/configfs-tsm): a report entry is a directory
// under /sys/kernel/config/tsm/report; writing `inblob` (and `privlevel`)
// bumps `generation`, reading `outblob` returns the SEV-SNP report or the TDX
// quote over that input, `auxblob` the SNP certificate table, `provider` the
// backing driver ("sev_guest", "tdx_guest"). All file access goes through
// TsmFilesystem so tests can stand in for the kernel. ConfigfsTsmAttester is
// thread-safe: each Attest() uses its own report entry. Untested on real
// hardware (docs/attestation.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/common/bytes.h"

namespace concord::attester {

// Largest outblob / auxblob read (the kernel's TSM_OUTBLOB_MAX).
inline constexpr size_t kTsmMaxBlobSize = 32 * 1024;
inline constexpr uint32_t kTsmMaxPrivlevel = 3;

// The few filesystem operations configfs-tsm needs. Errors: NotFound (no such
// path), AlreadyExists (mkdir of an existing entry), PermissionDenied,
// Unavailable (EBUSY/EAGAIN/EINTR), FailedPrecondition for anything else,
// each with the path and strerror. Implementations are thread-safe.
class TsmFilesystem {
 public:
  virtual ~TsmFilesystem() = default;
  [[nodiscard]] virtual absl::Status MakeDir(const std::string& path) = 0;
  [[nodiscard]] virtual absl::Status RemoveDir(const std::string& path) = 0;
  // Reads the whole file; FailedPrecondition when it is longer than
  // `max_size`.
  virtual absl::StatusOr<Bytes> ReadFile(const std::string& path, size_t max_size) = 0;
  // Writes `data` with a single write(2) (configfs attributes take one write).
  [[nodiscard]] virtual absl::Status WriteFile(const std::string& path, ByteView data) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
};

// The real filesystem (POSIX calls). The returned object is stateless.
std::unique_ptr<TsmFilesystem> NewPosixTsmFilesystem();

// Parses the `generation` attribute: decimal digits and an optional newline.
// FailedPrecondition "configfs-tsm: generation: ..." otherwise.
absl::StatusOr<uint64_t> ParseTsmGeneration(absl::string_view text);
// The `provider` attribute without its trailing newline; FailedPrecondition
// when empty, longer than 64 bytes or not printable.
absl::StatusOr<std::string> ParseTsmProvider(absl::string_view text);
// "sev_guest" for kSnp, "tdx_guest" for kTdx, empty otherwise.
absl::string_view TsmProviderFor(attest::Platform platform);

// Turns the kernel's outputs into Evidence in the form the verifiers take.
// SNP: `report` must be exactly one ATTESTATION_REPORT and `cert_table` a
// certificate table (snp_cert_table.h) holding the VCEK (or, for a
// VLEK-signed report, the VLEK), placed first, then ASK and ARK when
// present. TDX: `report` is the quote; `cert_table` is ignored. The report
// data inside must equal `report_data`. `source` prefixes messages
// ("configfs-tsm", "sev-guest"). FailedPrecondition naming the problem
// (short or malformed report, empty or malformed table, missing signing
// certificate); Aborted when the report data differs (another writer);
// InvalidArgument for kSimulated.
absl::StatusOr<attest::Evidence> EvidenceFromKernelOutputs(
    absl::string_view source, attest::Platform platform, const std::array<uint8_t, 64>& report_data,
    ByteView report, ByteView cert_table);

class ConfigfsTsmAttester final : public attest::Attester {
 public:
  struct Options {
    // The report directory (tests point it at a temporary tree).
    std::string root = "/sys/kernel/config/tsm/report";
    // Written to `privlevel` when set (SNP: the VMPL; 0..3).
    std::optional<uint32_t> privlevel;
    // Attempts when another writer changes the entry under us.
    int max_attempts = 3;
    // Entry names are "<prefix>-<n>".
    std::string entry_prefix = "concord";
  };

  // Probes `root` with one entry: its provider must be the one for
  // `platform`. InvalidArgument for kSimulated, a privlevel above 3 or set
  // for TDX, or max_attempts < 1; NotFound when `root` is not a directory;
  // FailedPrecondition on a provider mismatch. `fs` must outlive the
  // attester.
  static absl::StatusOr<std::unique_ptr<ConfigfsTsmAttester>> Create(attest::Platform platform,
                                                                     Options options,
                                                                     TsmFilesystem& fs);

  ConfigfsTsmAttester(const ConfigfsTsmAttester&) = delete;
  ConfigfsTsmAttester& operator=(const ConfigfsTsmAttester&) = delete;

  attest::Platform platform() const override { return platform_; }
  // mkdir a fresh entry, write privlevel and inblob, read generation,
  // provider, outblob, auxblob (SNP), generation again, rmdir. A generation
  // that moved (a concurrent writer) retries with a new entry, up to
  // max_attempts, then Aborted. FailedPrecondition for a provider mismatch
  // or malformed outputs; filesystem errors as TsmFilesystem reports them.
  absl::StatusOr<attest::Evidence> Attest(
      const std::array<uint8_t, 64>& report_data) const override;

 private:
  ConfigfsTsmAttester(attest::Platform platform, Options options, TsmFilesystem& fs)
      : platform_(platform), options_(std::move(options)), fs_(fs) {}

  // One attempt in a fresh entry; Aborted when the generation moved.
  absl::StatusOr<attest::Evidence> AttemptOnce(const std::array<uint8_t, 64>& report_data) const;
  // Creates a fresh entry and returns its path.
  absl::StatusOr<std::string> NewEntry() const;

  const attest::Platform platform_;
  const Options options_;
  TsmFilesystem& fs_;
  mutable std::atomic<uint64_t> next_entry_{0};
};

}  // namespace concord::attester
