// Test doubles standing in for the kernel (TESTONLY): KernelTsmDouble
// behaves like configfs-tsm on a real temporary directory tree (mkdir
// populates an entry's attribute files, writes to inblob/privlevel bump
// generation, reading outblob generates the outputs, rmdir removes the
// entry with its attributes), filled with recorded kernel outputs such as
// the real vectors in testdata/attestation. Not thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "concord/attest/snp/report.h"
#include "concord/attester/snp_cert_table.h"
#include "concord/attester/tsm.h"
#include "concord/crypto/x509.h"
#include "concord/testing/testdata.h"

namespace concord::attester::testing {

// What the "firmware" returns for one inblob.
struct KernelOutputs {
  Bytes outblob;
  // Unset: the entry has no auxblob attribute (older kernels, or TDX).
  std::optional<Bytes> auxblob;
};

class KernelTsmDouble final : public TsmFilesystem {
 public:
  using Generate = std::function<KernelOutputs(ByteView inblob)>;

  KernelTsmDouble(std::string root, std::string provider, Generate generate)
      : root_(std::move(root)),
        provider_(std::move(provider)),
        generate_(std::move(generate)),
        posix_(NewPosixTsmFilesystem()) {}

  // Called on every outblob read before the outputs are produced; a test can
  // bump the generation there to act as a concurrent writer.
  std::function<void(const std::string& entry)> on_outblob_read;

  // Bumps an entry's generation as another writer's inblob write would.
  void ConcurrentWrite(const std::string& entry) { Bump(entry); }

  int entries_created() const { return entries_created_; }
  std::optional<std::string> last_privlevel() const { return last_privlevel_; }

  // Entries still present under the root.
  int LiveEntries() const {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(root_)) {
      (void)e;
      ++n;
    }
    return n;
  }

  absl::Status MakeDir(const std::string& path) override {
    if (absl::Status s = posix_->MakeDir(path); !s.ok()) {
      return s;
    }
    ++entries_created_;
    Put(path + "/provider", ToBytes(provider_ + "\n"));
    Put(path + "/generation", ToBytes("0\n"));
    Put(path + "/inblob", {});
    Put(path + "/privlevel", ToBytes("0\n"));
    Put(path + "/privlevel_floor", ToBytes("0\n"));
    Put(path + "/outblob", {});
    if (generate_(Bytes(64, 0)).auxblob.has_value()) {
      Put(path + "/auxblob", {});
    }
    return absl::OkStatus();
  }

  absl::Status RemoveDir(const std::string& path) override {
    // configfs removes the attributes with the item.
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      std::filesystem::remove(e.path(), ec);
    }
    return posix_->RemoveDir(path);
  }

  absl::StatusOr<Bytes> ReadFile(const std::string& path, size_t max_size) override {
    const std::filesystem::path p(path);
    const std::string entry = p.parent_path().string();
    const std::string name = p.filename().string();
    if (name == "outblob" || name == "auxblob") {
      if (name == "outblob" && on_outblob_read) {
        on_outblob_read(entry);
      }
      absl::StatusOr<Bytes> inblob = posix_->ReadFile(entry + "/inblob", 64);
      if (!inblob.ok()) {
        return inblob.status();
      }
      KernelOutputs out = generate_(*inblob);
      Put(entry + "/outblob", out.outblob);
      if (out.auxblob.has_value()) {
        Put(entry + "/auxblob", *out.auxblob);
      }
    }
    return posix_->ReadFile(path, max_size);
  }

  absl::Status WriteFile(const std::string& path, ByteView data) override {
    const std::filesystem::path p(path);
    const std::string entry = p.parent_path().string();
    const std::string name = p.filename().string();
    if (name != "inblob" && name != "privlevel") {
      return absl::PermissionDeniedError(absl::StrCat("configfs-tsm: ", path, " is read-only"));
    }
    if (!std::filesystem::exists(p)) {
      return absl::NotFoundError(absl::StrCat("configfs-tsm: ", path));
    }
    if (name == "inblob" && data.size() > 64) {
      return absl::FailedPreconditionError("configfs-tsm: inblob: more than 64 bytes");
    }
    if (name == "privlevel") {
      last_privlevel_ = ToString(data);
    }
    Put(path, Bytes(data.begin(), data.end()));
    Bump(entry);
    return absl::OkStatus();
  }

  bool IsDirectory(const std::string& path) override { return posix_->IsDirectory(path); }

 private:
  static void Put(const std::string& path, const Bytes& data) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f != nullptr) {
      if (!data.empty()) {
        std::fwrite(data.data(), 1, data.size(), f);
      }
      std::fclose(f);
    }
  }
  void Bump(const std::string& entry) {
    absl::StatusOr<Bytes> g = posix_->ReadFile(entry + "/generation", 64);
    uint64_t v = 0;
    if (g.ok()) {
      absl::StatusOr<uint64_t> parsed = ParseTsmGeneration(AsStringView(*g));
      v = parsed.ok() ? *parsed : 0;
    }
    Put(entry + "/generation", ToBytes(absl::StrCat(v + 1, "\n")));
  }

  const std::string root_;
  const std::string provider_;
  const Generate generate_;
  std::unique_ptr<TsmFilesystem> posix_;
  int entries_created_ = 0;
  std::optional<std::string> last_privlevel_;
};

// A certificate from testdata as DER (the table carries DER).
inline Bytes TestdataCertDer(absl::string_view relative) {
  Bytes raw = concord::testing::ReadTestdata(relative);
  absl::StatusOr<crypto::SslPtr<X509>> cert = crypto::ParseCertDerOrPem(raw);
  if (!cert.ok()) {
    return {};
  }
  absl::StatusOr<Bytes> der = crypto::CertToDer(cert->get());
  return der.ok() ? *der : Bytes{};
}

// The recorded outputs of a Milan VCEK-signed report (milan-v2-virtee): the
// report as outblob and a certificate table with VCEK, ASK and ARK.
inline KernelOutputs MilanOutputs() {
  KernelOutputs out;
  out.outblob = concord::testing::ReadTestdata("attestation/snp/milan-v2-virtee/report.bin");
  out.auxblob = BuildSnpCertTable(
      {{kSnpVcekGuid, concord::testing::ReadTestdata("attestation/snp/milan-v2-virtee/vcek.der")},
       {kSnpAskGuid, TestdataCertDer("attestation/snp/certs/milan/ask.pem")},
       {kSnpArkGuid, TestdataCertDer("attestation/snp/certs/milan/ark.pem")}});
  return out;
}

// The report data inside a recorded SNP report or TDX quote outblob.
inline std::array<uint8_t, 64> SnpReportDataOf(const Bytes& report) {
  absl::StatusOr<attest::SnpReport> r = attest::SnpReport::Parse(report);
  return r.ok() ? r->report_data : std::array<uint8_t, 64>{};
}

}  // namespace concord::attester::testing
