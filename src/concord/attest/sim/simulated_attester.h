// Simulated evidence for this process (development, CI): reports signed by a
// simulated host (attest/sim/simulated_host.h) with HOST_DATA set to the
// SHA-256 of this process's policy document. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/attest/sim/simulated_host.h"

namespace concord::attest {

// Simulated evidence: reports signed by `host` with HOST_DATA = `host_data`
// (the SHA-256 of this process's policy document).
class SimulatedAttester final : public Attester {
 public:
  SimulatedAttester(std::shared_ptr<const SimulatedHost> host, std::array<uint8_t, 32> host_data);
  Platform platform() const override { return Platform::kSimulated; }
  absl::StatusOr<Evidence> Attest(const std::array<uint8_t, 64>& report_data) const override;

 private:
  std::shared_ptr<const SimulatedHost> host_;
  std::array<uint8_t, 32> host_data_;
};

}  // namespace concord::attest
