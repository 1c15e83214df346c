// Producing evidence for this process (DESIGN.md §5, §9): an Attester returns
// evidence over 64 bytes of report data, with HOST_DATA (SNP) / MRCONFIGID
// (TDX) set by the platform to the hash of the process's policy document.
// SimulatedAttester (attest/sim/simulated_attester.h) signs with a simulated
// host (development, CI); the attester component's producers for real
// SNP/TDX hardware (configfs-tsm, /dev/sev-guest) implement the same
// interface. Implementations are thread-safe. Used by net (attested
// certificates), the coordinator (POST /v1/attest) and concord-init.
#pragma once

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "concord/attest/evidence.h"

namespace concord::attest {

class Attester {
 public:
  virtual ~Attester() = default;
  virtual Platform platform() const = 0;
  // Evidence whose report data is exactly `report_data`. May block (a TDX
  // quote can take a second); never called on an I/O thread.
  virtual absl::StatusOr<Evidence> Attest(const std::array<uint8_t, 64>& report_data) const = 0;
};

}  // namespace concord::attest
