// The directory concord-init fills for its workload (DESIGN.md §4): key.pem
// (0600), cert-chain.pem, mesh-ca.pem, root-ca.pem and, when the policy has
// a workload secret, workload-secret (0600, hex). Each file is replaced
// atomically (temporary file, fsync, rename, fsync of the directory), so a
// reader never sees a partial file. Used by the Initializer; not
// thread-safe (one writer per directory).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/crypto/secret_bytes.h"

namespace concord::initializer {

inline constexpr absl::string_view kKeyFile = "key.pem";
inline constexpr absl::string_view kCertChainFile = "cert-chain.pem";
inline constexpr absl::string_view kMeshCaFile = "mesh-ca.pem";
inline constexpr absl::string_view kRootCaFile = "root-ca.pem";
inline constexpr absl::string_view kWorkloadSecretFile = "workload-secret";

// One complete set of files.
struct OutputFiles {
  crypto::SecretBytes key_pem;
  std::string cert_chain_pem;  // leaf first, then the intermediate
  std::string mesh_ca_pem;
  std::string root_ca_pem;
  // Lower-case hex; the file is removed when absent.
  std::optional<crypto::SecretBytes> workload_secret_hex;
};

class OutputDir final {
 public:
  // Uses `dir`, creating it (mode 0750, one level) if missing.
  // FailedPrecondition if it exists and is not a directory; Internal on an
  // I/O error (with the path and errno text).
  static absl::StatusOr<std::unique_ptr<OutputDir>> Create(std::string dir);

  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  // Writes every file to a temporary name and fsyncs it, then renames them
  // all into place and fsyncs the directory. On an error nothing already in
  // place is touched except by completed renames (each file stays whole).
  // Internal on an I/O error.
  [[nodiscard]] absl::Status Write(const OutputFiles& files);

  const std::string& path() const { return dir_; }

 private:
  explicit OutputDir(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace concord::initializer
