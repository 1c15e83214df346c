// SEV-SNP attestation report (ATTESTATION_REPORT, AMD SEV-SNP ABI spec,
// report versions 2, 3 and 5): strict fixed-offset parsing of the 1184-byte
// structure, TCB_VERSION decoding for the Milan/Genoa and Turin layouts, and a
// JSON rendering for the CLI. Parsing does not verify anything; see
// attest/snp/verifier.h. Pure functions and plain data; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/reference_values.h"
#include "concord/common/bytes.h"
#include "nlohmann/json.hpp"

namespace concord::attest {

// Size of every supported report, and of the signed prefix [0, 0x2A0).
inline constexpr size_t kSnpReportSize = 0x4A0;
inline constexpr size_t kSnpSignedSize = 0x2A0;

// Which key signed the report (flags bits 2-4, SIGNING_KEY).
enum class SnpSigningKey { kVcek, kVlek };

// "Milan", "Genoa", "Turin".
absl::string_view SnpProductName(SnpProduct product);
// "VCEK", "VLEK".
absl::string_view SnpSigningKeyName(SnpSigningKey key);

// Guest policy bits (SEV-SNP ABI, GUEST_POLICY).
inline constexpr uint64_t kSnpPolicySmt = 1ull << 16;
inline constexpr uint64_t kSnpPolicyReservedOne = 1ull << 17;
inline constexpr uint64_t kSnpPolicyMigrateMa = 1ull << 18;
inline constexpr uint64_t kSnpPolicyDebug = 1ull << 19;
inline constexpr uint64_t kSnpPolicySingleSocket = 1ull << 20;

// Decodes a raw little-endian TCB_VERSION. Milan/Genoa: bootloader = byte 0,
// tee = byte 1, snp = byte 6, microcode = byte 7. Turin: fmc = byte 0,
// bootloader = byte 1, tee = byte 2, snp = byte 3, microcode = byte 7.
SnpTcb DecodeSnpTcb(uint64_t raw, SnpProduct product);
// The inverse of DecodeSnpTcb (used by the simulated platform).
uint64_t EncodeSnpTcb(const SnpTcb& tcb, SnpProduct product);
// "bl=3 tee=0 snp=8 ucode=115" (with "fmc=.. " first on Turin).
std::string SnpTcbToString(const SnpTcb& tcb, SnpProduct product);
// {"bl":..,"tee":..,"snp":..,"ucode":..} plus "fmc" on Turin.
nlohmann::json SnpTcbToJson(const SnpTcb& tcb, SnpProduct product);

// The decoded report. Multi-byte integers are converted from little-endian;
// byte arrays are copied as they appear. The signature is stored big-endian
// (48 bytes each), ready for a P-384 verifier.
struct SnpReport {
  uint32_t version = 0;
  uint32_t guest_svn = 0;
  uint64_t policy = 0;
  std::array<uint8_t, 16> family_id{};
  std::array<uint8_t, 16> image_id{};
  uint32_t vmpl = 0;
  uint32_t signature_algo = 0;
  uint64_t current_tcb = 0;
  uint64_t platform_info = 0;
  uint32_t flags = 0;
  std::array<uint8_t, 64> report_data{};
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 48> id_key_digest{};
  std::array<uint8_t, 48> author_key_digest{};
  std::array<uint8_t, 32> report_id{};
  std::array<uint8_t, 32> report_id_ma{};
  uint64_t reported_tcb = 0;
  // Version 3 and later; zero in version 2.
  uint8_t cpuid_family = 0;
  uint8_t cpuid_model = 0;
  uint8_t cpuid_stepping = 0;
  std::array<uint8_t, 64> chip_id{};
  uint64_t committed_tcb = 0;
  uint8_t current_build = 0;
  uint8_t current_minor = 0;
  uint8_t current_major = 0;
  uint8_t committed_build = 0;
  uint8_t committed_minor = 0;
  uint8_t committed_major = 0;
  uint64_t launch_tcb = 0;
  // Version 5 and later; zero before.
  uint64_t launch_mit_vector = 0;
  uint64_t current_mit_vector = 0;
  std::array<uint8_t, 48> signature_r{};
  std::array<uint8_t, 48> signature_s{};

  // Parses exactly kSnpReportSize bytes. InvalidArgument naming the field when
  // the size, version (2, 3 or 5), signature algorithm (1 = ECDSA P-384 with
  // SHA-384) or signing-key field (0 = VCEK, 1 = VLEK) is unsupported, or when
  // the unused high 24 bytes of the 72-byte little-endian r or s, or the
  // unsigned reserved tail [0x330, 0x4A0), are non-zero.
  static absl::StatusOr<SnpReport> Parse(ByteView bytes);

  SnpSigningKey signing_key() const {
    return ((flags >> 2) & 0x7) == 1 ? SnpSigningKey::kVlek : SnpSigningKey::kVcek;
  }
  bool debug_allowed() const { return (policy & kSnpPolicyDebug) != 0; }
  bool smt_allowed() const { return (policy & kSnpPolicySmt) != 0; }
  uint8_t policy_abi_major() const { return static_cast<uint8_t>(policy >> 8); }
  uint8_t policy_abi_minor() const { return static_cast<uint8_t>(policy); }

  // The product named by CPUID family/model (version 3+): family 0x19 models
  // 0x00-0x0F Milan, 0x10-0x1F and 0xA0-0xAF Genoa; family 0x1A models
  // 0x00-0x1F Turin. nullopt when the fields are zero (version 2).
  // InvalidArgument for a family/model that is none of these.
  absl::StatusOr<std::optional<SnpProduct>> CpuidProduct() const;
};

// Renders every field (hex for byte strings, "0x.." for flag words, decoded
// TCBs when `product` is known) for `concord evidence verify` output.
nlohmann::json SnpReportToJson(const SnpReport& report, std::optional<SnpProduct> product);

}  // namespace concord::attest
