#include "concord/attester/tsm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/tdx/quote.h"
#include "concord/attester/snp_cert_table.h"
#include "concord/common/posix/errno_status.h"
#include "concord/common/posix/files.h"
#include "concord/common/posix/scoped_fd.h"
#include "concord/common/status_macros.h"

namespace concord::attester {
namespace {

// configfs-tsm's codes, which differ from posix::ErrnoToCode on purpose: an
// attribute the kernel refuses to us is PermissionDenied, and any errno that
// is neither "absent", "exists" nor a transient EBUSY/EAGAIN/EINTR means the
// platform cannot give evidence now: FailedPrecondition, which concordd
// reports as a configuration error.
absl::Status TsmStatus(const absl::Status& posix_status) {
  std::optional<int> err = posix::ErrnoOf(posix_status);
  if (posix_status.ok() || !err.has_value()) {
    return posix_status;
  }
  const std::string msg = absl::StrCat("configfs-tsm: ", posix_status.message());
  switch (*err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case EBUSY:
    case EAGAIN:
    case EINTR:
      return absl::UnavailableError(msg);
    default:
      return absl::FailedPreconditionError(msg);
  }
}

absl::Status ErrnoStatus(absl::string_view op, const std::string& path, int err) {
  return TsmStatus(posix::ErrnoToStatus(err, absl::StrCat(op, " ", path)));
}

class PosixTsmFilesystem final : public TsmFilesystem {
 public:
  absl::Status MakeDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0700) != 0) {
      return ErrnoStatus("mkdir", path, errno);
    }
    return absl::OkStatus();
  }
  absl::Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) {
      return ErrnoStatus("rmdir", path, errno);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Bytes> ReadFile(const std::string& path, size_t max_size) override {
    absl::StatusOr<Bytes> data = posix::ReadFileBounded(path, max_size);
    if (absl::IsInvalidArgument(data.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat("configfs-tsm: read ", path, ": longer than ", max_size, " bytes"));
    }
    if (!data.ok()) {
      return TsmStatus(data.status());
    }
    return data;
  }
  absl::Status WriteFile(const std::string& path, ByteView data) override {
    absl::StatusOr<posix::ScopedFd> fd = posix::OpenFd(path, O_WRONLY);
    if (!fd.ok()) {
      return TsmStatus(fd.status());
    }
    ssize_t n = 0;
    do {
      n = ::write(fd->get(), data.data(), data.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      return ErrnoStatus("write", path, errno);
    }
    if (static_cast<size_t>(n) != data.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("configfs-tsm: write ", path, ": wrote ", n, " of ", data.size(), " bytes"));
    }
    return absl::OkStatus();
  }
  bool IsDirectory(const std::string& path) override {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
};

absl::Status Precondition(absl::string_view detail) {
  return absl::FailedPreconditionError(absl::StrCat("configfs-tsm: ", detail));
}

}  // namespace

std::unique_ptr<TsmFilesystem> NewPosixTsmFilesystem() {
  return std::make_unique<PosixTsmFilesystem>();
}

absl::StatusOr<uint64_t> ParseTsmGeneration(absl::string_view text) {
  absl::string_view digits = text;
  if (!digits.empty() && digits.back() == '\n') {
    digits.remove_suffix(1);
  }
  if (digits.empty() || digits.size() > 19) {
    return Precondition(absl::StrCat("generation: want 1 to 19 decimal digits, got ", digits.size(),
                                     " characters"));
  }
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return Precondition("generation: want decimal digits and an optional newline");
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

absl::StatusOr<std::string> ParseTsmProvider(absl::string_view text) {
  absl::string_view name = text;
  if (!name.empty() && name.back() == '\n') {
    name.remove_suffix(1);
  }
  if (name.empty() || name.size() > 64) {
    return Precondition(absl::StrCat("provider: want 1 to 64 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
      return Precondition("provider: not a printable name");
    }
  }
  return std::string(name);
}

absl::string_view TsmProviderFor(attest::Platform platform) {
  switch (platform) {
    case attest::Platform::kSnp:
      return "sev_guest";
    case attest::Platform::kTdx:
      return "tdx_guest";
    case attest::Platform::kSimulated:
      break;
  }
  return "";
}

absl::StatusOr<attest::Evidence> EvidenceFromKernelOutputs(
    absl::string_view source, attest::Platform platform, const std::array<uint8_t, 64>& report_data,
    ByteView report, ByteView cert_table) {
  auto fail = [&](absl::string_view detail) {
    return absl::FailedPreconditionError(absl::StrCat(source, ": ", detail));
  };
  attest::Evidence evidence;
  evidence.platform = platform;
  if (platform == attest::Platform::kSnp) {
    if (report.size() != attest::kSnpReportSize) {
      return fail(absl::StrCat("report: want ", attest::kSnpReportSize,
                               " bytes (an SEV-SNP report), got ", report.size()));
    }
    absl::StatusOr<attest::SnpReport> parsed = attest::SnpReport::Parse(report);
    if (!parsed.ok()) {
      return fail(absl::StrCat("report: ", parsed.status().message()));
    }
    if (parsed->report_data != report_data) {
      return absl::AbortedError(
          absl::StrCat(source, ": report: the report data is not ours (another writer)"));
    }
    const bool vlek = parsed->signing_key() == attest::SnpSigningKey::kVlek;
    // An empty table (the host supplied no certificates) parses as one.
    absl::StatusOr<SnpCertTable> parsed_table = ParseSnpCertTable(cert_table);
    if (!parsed_table.ok()) {
      return fail(absl::StrCat("certificate table: ", parsed_table.status().message()));
    }
    SnpCertTable& table = *parsed_table;
    std::optional<Bytes>& signer = vlek ? table.vlek : table.vcek;
    evidence.report.assign(report.begin(), report.end());
    if (!signer.has_value()) {
      if (vlek) {
        return fail(
            "certificate table: no VLEK, and the report is signed by one, which only the host "
            "can supply: configure the host to provide SNP certificates");
      }
      // A VCEK is public by chip ID and TCB: the verifiers take it from the
      // collateral cache (AMD KDS), and concordd attaches it to its evidence.
      return evidence;
    }
    evidence.certs.push_back(*std::move(signer));
    if (table.ask.has_value()) {
      evidence.certs.push_back(*std::move(table.ask));
    }
    if (table.ark.has_value()) {
      evidence.certs.push_back(*std::move(table.ark));
    }
    return evidence;
  }
  if (platform == attest::Platform::kTdx) {
    absl::StatusOr<attest::TdxQuote> quote = attest::TdxQuote::Parse(report);
    if (!quote.ok()) {
      return fail(absl::StrCat("quote: ", quote.status().message()));
    }
    if (quote->body.report_data != report_data) {
      return absl::AbortedError(
          absl::StrCat(source, ": quote: the report data is not ours (another writer)"));
    }
    evidence.report.assign(report.begin(), report.end());
    return evidence;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": the simulated platform has no kernel evidence"));
}

absl::StatusOr<std::unique_ptr<ConfigfsTsmAttester>> ConfigfsTsmAttester::Create(
    attest::Platform platform, Options options, TsmFilesystem& fs) {
  if (TsmProviderFor(platform).empty()) {
    return absl::InvalidArgumentError(absl::StrCat("configfs-tsm: platform: want snp or tdx, got ",
                                                   attest::PlatformName(platform)));
  }
  if (options.privlevel.has_value() && *options.privlevel > kTsmMaxPrivlevel) {
    return absl::InvalidArgumentError(absl::StrCat("configfs-tsm: privlevel: want 0 to ",
                                                   kTsmMaxPrivlevel, ", got ", *options.privlevel));
  }
  if (options.privlevel.has_value() && platform == attest::Platform::kTdx) {
    return absl::InvalidArgumentError("configfs-tsm: privlevel: not used for tdx");
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("configfs-tsm: max_attempts: want at least 1, got ", options.max_attempts));
  }
  if (!fs.IsDirectory(options.root)) {
    return absl::NotFoundError(absl::StrCat("configfs-tsm: ", options.root, " is not a directory"));
  }
  std::unique_ptr<ConfigfsTsmAttester> attester(
      new ConfigfsTsmAttester(platform, std::move(options), fs));
  // Probe the provider once so that a wrong platform fails at startup.
  CONCORD_ASSIGN_OR_RETURN(std::string entry, attester->NewEntry());
  absl::StatusOr<Bytes> provider = fs.ReadFile(entry + "/provider", 256);
  absl::Status removed = fs.RemoveDir(entry);
  if (!provider.ok()) {
    return provider.status();
  }
  CONCORD_ASSIGN_OR_RETURN(std::string name, ParseTsmProvider(AsStringView(*provider)));
  if (name != TsmProviderFor(platform)) {
    return Precondition(absl::StrCat("provider is \"", name, "\", want \"",
                                     TsmProviderFor(platform), "\" for platform ",
                                     attest::PlatformName(platform)));
  }
  CONCORD_RETURN_IF_ERROR(removed);
  return attester;
}

absl::StatusOr<std::string> ConfigfsTsmAttester::NewEntry() const {
  // Names are unique within this process; another process may hold the same
  // name, in which case mkdir reports it and the next number is tried.
  constexpr int kNameAttempts = 16;
  absl::Status last;
  for (int i = 0; i < kNameAttempts; ++i) {
    const std::string path =
        absl::StrCat(options_.root, "/", options_.entry_prefix, "-", ::getpid(), "-",
                     next_entry_.fetch_add(1, std::memory_order_relaxed));
    last = fs_.MakeDir(path);
    if (last.ok()) {
      return path;
    }
    if (!absl::IsAlreadyExists(last)) {
      return last;
    }
  }
  return last;
}

absl::StatusOr<attest::Evidence> ConfigfsTsmAttester::AttemptOnce(
    const std::array<uint8_t, 64>& report_data) const {
  CONCORD_ASSIGN_OR_RETURN(std::string entry, NewEntry());
  auto run = [&]() -> absl::StatusOr<attest::Evidence> {
    CONCORD_ASSIGN_OR_RETURN(Bytes provider_text, fs_.ReadFile(entry + "/provider", 256));
    CONCORD_ASSIGN_OR_RETURN(std::string provider, ParseTsmProvider(AsStringView(provider_text)));
    if (provider != TsmProviderFor(platform_)) {
      return Precondition(
          absl::StrCat("provider is \"", provider, "\", want \"", TsmProviderFor(platform_), "\""));
    }
    CONCORD_ASSIGN_OR_RETURN(Bytes g0_text, fs_.ReadFile(entry + "/generation", 64));
    CONCORD_ASSIGN_OR_RETURN(uint64_t g0, ParseTsmGeneration(AsStringView(g0_text)));
    uint64_t writes = 0;
    if (options_.privlevel.has_value()) {
      CONCORD_RETURN_IF_ERROR(
          fs_.WriteFile(entry + "/privlevel", AsBytes(absl::StrCat(*options_.privlevel))));
      ++writes;
    }
    CONCORD_RETURN_IF_ERROR(fs_.WriteFile(entry + "/inblob", report_data));
    ++writes;
    CONCORD_ASSIGN_OR_RETURN(Bytes g1_text, fs_.ReadFile(entry + "/generation", 64));
    CONCORD_ASSIGN_OR_RETURN(uint64_t g1, ParseTsmGeneration(AsStringView(g1_text)));
    if (g1 != g0 + writes) {
      return absl::AbortedError(absl::StrCat("configfs-tsm: generation went from ", g0, " to ", g1,
                                             " over our ", writes,
                                             " writes (a concurrent writer)"));
    }
    CONCORD_ASSIGN_OR_RETURN(Bytes outblob, fs_.ReadFile(entry + "/outblob", kTsmMaxBlobSize));
    Bytes auxblob;
    if (platform_ == attest::Platform::kSnp) {
      absl::StatusOr<Bytes> aux = fs_.ReadFile(entry + "/auxblob", kTsmMaxBlobSize);
      if (aux.ok()) {
        auxblob = *std::move(aux);
      } else if (!absl::IsNotFound(aux.status())) {
        return aux.status();
      }
    }
    CONCORD_ASSIGN_OR_RETURN(Bytes g2_text, fs_.ReadFile(entry + "/generation", 64));
    CONCORD_ASSIGN_OR_RETURN(uint64_t g2, ParseTsmGeneration(AsStringView(g2_text)));
    if (g2 != g1) {
      return absl::AbortedError(absl::StrCat("configfs-tsm: generation moved from ", g1, " to ", g2,
                                             " while reading outblob (a concurrent writer)"));
    }
    return EvidenceFromKernelOutputs("configfs-tsm", platform_, report_data, outblob, auxblob);
  };
  absl::StatusOr<attest::Evidence> result = run();
  absl::Status removed = fs_.RemoveDir(entry);
  if (!removed.ok()) {
    if (result.ok()) {
      return removed;
    }
    return absl::Status(result.status().code(),
                        absl::StrCat(result.status().message(), "; also ", removed.message()));
  }
  return result;
}

absl::StatusOr<attest::Evidence> ConfigfsTsmAttester::Attest(
    const std::array<uint8_t, 64>& report_data) const {
  absl::Status last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    absl::StatusOr<attest::Evidence> evidence = AttemptOnce(report_data);
    if (evidence.ok() || !absl::IsAborted(evidence.status())) {
      return evidence;
    }
    last = evidence.status();
  }
  return absl::AbortedError(absl::StrCat("configfs-tsm: gave up after ", options_.max_attempts,
                                         " attempts: ", last.message()));
}

}  // namespace concord::attester
