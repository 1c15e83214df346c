// The simulated platform (DESIGN.md §9): a "simulated host" directory holding
// a locally generated ARK -> ASK -> VCEK chain (ECDSA P-384, with AMD-style
// VCEK extensions: hwID = a random chip id, SPLs = the host's TCB), the VCEK
// private key (mode 0600), and a random launch measurement standing for the
// confidential VM image. Load() then produces SNP-format (version 3,
// Milan-layout) reports signed by the simulated VCEK, verified by the same
// SnpVerifier code path when it allows `simulated`. Insecure by design: for
// development and CI only. Used by `concord sim init` and by processes that
// run on a simulated host. A loaded SimulatedHost is immutable; MakeReport()
// is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/evidence.h"
#include "concord/attest/reference_values.h"
#include "concord/common/clock.h"
#include "concord/common/random.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::attest {

// The public description of a simulated host (host.json).
struct SimulatedHostInfo {
  int version = 1;
  std::array<uint8_t, 32> ark_spki_sha256{};
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 64> chip_id{};
  SnpTcb tcb;
  absl::Time created;
  // The reference values that accept this host's reports.
  SimulatedReferenceValues reference_values() const {
    return SimulatedReferenceValues{ark_spki_sha256, measurement};
  }
};

class SimulatedHost final {
 public:
  struct Deps {
    Clock& clock;          // certificate validity; must outlive the call
    RandomSource& random;  // chip id, measurement, serial numbers
  };
  struct InitOptions {
    SnpTcb tcb{.bootloader = 4, .tee = 0, .snp = 24, .microcode = 219, .fmc = 0};
    // Validity of the generated certificates, starting one hour before now.
    absl::Duration validity = absl::Hours(24 * 365 * 10);
  };

  // Creates the host directory `dir` (or fills an existing empty one):
  // ark.pem, ask.pem, vcek.pem, vcek_key.pem (0600) and host.json.
  // FailedPrecondition if `dir` exists and is not empty; Internal on I/O or
  // OpenSSL failure. Returns the host's description.
  static absl::StatusOr<SimulatedHostInfo> Init(const std::string& dir, Deps deps,
                                                const InitOptions& options);
  static absl::StatusOr<SimulatedHostInfo> Init(const std::string& dir, Deps deps) {
    return Init(dir, deps, InitOptions());
  }

  // Loads a host directory made by Init. NotFound for missing files;
  // DataLoss when the files are malformed or inconsistent (e.g. host.json's
  // ARK hash or the key does not match the certificates).
  static absl::StatusOr<std::unique_ptr<SimulatedHost>> Load(const std::string& dir);

  SimulatedHost(const SimulatedHost&) = delete;
  SimulatedHost& operator=(const SimulatedHost&) = delete;

  const SimulatedHostInfo& info() const { return info_; }

  // A version-3 SNP report (Milan layout, VMPL 0, policy without debug)
  // carrying `report_data` and `host_data` (the SHA-256 of the process's
  // policy document), signed by the simulated VCEK, as simulated evidence
  // with certs {VCEK, ASK, ARK} in DER. Internal on signing failure.
  absl::StatusOr<Evidence> MakeReport(const std::array<uint8_t, 64>& report_data,
                                      const std::array<uint8_t, 32>& host_data) const;

 private:
  SimulatedHost(SimulatedHostInfo info, crypto::PrivateKey vcek_key, Bytes vcek_der, Bytes ask_der,
                Bytes ark_der)
      : info_(std::move(info)),
        vcek_key_(std::move(vcek_key)),
        vcek_der_(std::move(vcek_der)),
        ask_der_(std::move(ask_der)),
        ark_der_(std::move(ark_der)) {}

  const SimulatedHostInfo info_;
  const crypto::PrivateKey vcek_key_;
  const Bytes vcek_der_;
  const Bytes ask_der_;
  const Bytes ark_der_;
};

}  // namespace concord::attest
