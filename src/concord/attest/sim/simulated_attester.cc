#include "concord/attest/sim/simulated_attester.h"

#include <utility>

namespace concord::attest {

SimulatedAttester::SimulatedAttester(std::shared_ptr<const SimulatedHost> host,
                                     std::array<uint8_t, 32> host_data)
    : host_(std::move(host)), host_data_(host_data) {}

absl::StatusOr<Evidence> SimulatedAttester::Attest(
    const std::array<uint8_t, 64>& report_data) const {
  return host_->MakeReport(report_data, host_data_);
}

}  // namespace concord::attest
