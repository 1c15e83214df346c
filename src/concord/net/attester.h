// Producing evidence for this process (DESIGN.md §5, §9): an Attester returns
// evidence over 64 bytes of report data, with HOST_DATA (SNP) / MRCONFIGID
// (TDX) set by the platform to the hash of the process's policy document.
// SimulatedAttester signs with a simulated host (development, CI); the
// configfs-tsm issuers for real SNP/TDX hardware implement the same
// interface. Implementations are thread-safe. Used by net (attested
// certificates), the coordinator (POST /v1/attest) and concord-init.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "concord/attest/evidence.h"
#include "concord/attest/sim/simulated_host.h"

namespace concord::net {

class Attester {
 public:
  virtual ~Attester() = default;
  virtual attest::Platform platform() const = 0;
  // Evidence whose report data is exactly `report_data`. May block (a TDX
  // quote can take a second); never called on an I/O thread.
  virtual absl::StatusOr<attest::Evidence> Attest(
      const std::array<uint8_t, 64>& report_data) const = 0;
};

// Simulated evidence: reports signed by `host` with HOST_DATA = `host_data`
// (the SHA-256 of this process's policy document).
class SimulatedAttester final : public Attester {
 public:
  SimulatedAttester(std::shared_ptr<const attest::SimulatedHost> host,
                    std::array<uint8_t, 32> host_data)
      : host_(std::move(host)), host_data_(host_data) {}
  attest::Platform platform() const override { return attest::Platform::kSimulated; }
  absl::StatusOr<attest::Evidence> Attest(
      const std::array<uint8_t, 64>& report_data) const override {
    return host_->MakeReport(report_data, host_data_);
  }

 private:
  std::shared_ptr<const attest::SimulatedHost> host_;
  std::array<uint8_t, 32> host_data_;
};

}  // namespace concord::net
