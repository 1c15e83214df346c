// Reference values: what a verifier accepts for each platform. The manifest
// parses them from JSON (docs/manifest.md); the platform verifiers
// (attest/snp, attest/tdx, attest/sim) check evidence against them. Plain data,
// no behaviour; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace concord::attest {

enum class SnpProduct { kMilan, kGenoa, kTurin };

// Security patch levels of an SNP TCB. `fmc` exists on Turin only.
struct SnpTcb {
  uint8_t bootloader = 0;
  uint8_t tee = 0;
  uint8_t snp = 0;
  uint8_t microcode = 0;
  uint8_t fmc = 0;
  friend bool operator==(const SnpTcb&, const SnpTcb&) = default;
};

struct SnpReferenceValues {
  SnpProduct product = SnpProduct::kMilan;
  std::array<uint8_t, 48> measurement{};
  // Every component of the reported TCB must be >= this.
  SnpTcb minimum_tcb;
  // Guest policy constraints. Debug is always forbidden.
  bool allow_smt = true;
  uint8_t minimum_abi_major = 0;
  uint8_t minimum_abi_minor = 0;
  // The VMPL the report must come from.
  uint32_t vmpl = 0;
  // Empty: any chip. Otherwise the report's CHIP_ID must be one of these.
  std::vector<std::array<uint8_t, 64>> allowed_chip_ids;
  friend bool operator==(const SnpReferenceValues&, const SnpReferenceValues&) = default;
};

enum class TdxTcbStatus {
  kUpToDate,
  kSwHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSwHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
};

struct TdxReferenceValues {
  std::array<uint8_t, 48> mrtd{};
  // Unset RTMRs are not checked.
  std::array<std::optional<std::array<uint8_t, 48>>, 4> rtmr;
  std::optional<std::array<uint8_t, 48>> mrseam;
  std::array<uint8_t, 8> xfam{};
  // Exact expected TD attributes; the DEBUG bit (bit 0) is rejected regardless.
  std::array<uint8_t, 8> td_attributes{};
  uint32_t minimum_tcb_evaluation_number = 0;
  // Default: UpToDate only.
  std::vector<TdxTcbStatus> accepted_tcb_statuses = {TdxTcbStatus::kUpToDate};
  // Empty: any platform. Otherwise the PCK certificate's PPID/PIID must match.
  std::vector<std::array<uint8_t, 16>> allowed_piids;
  friend bool operator==(const TdxReferenceValues&, const TdxReferenceValues&) = default;
};

// The simulated platform (DESIGN §9): reports signed by a locally generated
// ARK whose SPKI SHA-256 is pinned here, with the simulated host's launch
// measurement.
struct SimulatedReferenceValues {
  std::array<uint8_t, 32> ark_spki_sha256{};
  std::array<uint8_t, 48> measurement{};
  friend bool operator==(const SimulatedReferenceValues&,
                         const SimulatedReferenceValues&) = default;
};

struct ReferenceValues {
  std::vector<SnpReferenceValues> snp;
  std::vector<TdxReferenceValues> tdx;
  std::vector<SimulatedReferenceValues> simulated;
  bool empty() const { return snp.empty() && tdx.empty() && simulated.empty(); }
  friend bool operator==(const ReferenceValues&, const ReferenceValues&) = default;
};

}  // namespace concord::attest
