// Intel TDX DCAP quotes (version 4 with a TDX 1.0 body, version 5 with a TDX
// 1.0 or 1.5 body), parsed strictly: header, TD report body, ECDSA-P256
// signature data with QE certification data type 6 (QE report, its signature,
// QE authentication data and a nested type-5 PEM PCK chain). Parsing checks
// structure only; TdxVerifier checks signatures and policy. Pure and
// thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "nlohmann/json.hpp"

namespace concord::attest {

// Largest quote accepted (the real ones are about 5 KB; the PCK chain
// dominates), and the most zero padding accepted after the declared end.
inline constexpr size_t kTdxMaxQuoteSize = 32 * 1024;
// Zero padding after the declared end is what quote buffers carry (the
// vectors in testdata/attestation have 70 bytes); anything longer, or any
// non-zero byte, is not padding and the quote is rejected.
inline constexpr size_t kTdxMaxQuotePadding = 1024;
inline constexpr size_t kTdxHeaderSize = 48;
inline constexpr size_t kTdx10BodySize = 584;
inline constexpr size_t kTdx15BodySize = 648;
inline constexpr size_t kSgxReportBodySize = 384;
inline constexpr uint16_t kTdxAttestationKeyTypeEcdsaP256 = 2;
inline constexpr uint32_t kTdxTeeType = 0x81;
// Intel's QE vendor id 939a7233-f79c-4ca9-940a-0db3957f0607.
inline constexpr std::array<uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

// The TD report body (TDX 1.0 fields, plus the TDX 1.5 fields when
// `is_tdx15`).
struct TdxReportBody {
  std::array<uint8_t, 16> tee_tcb_svn{};
  std::array<uint8_t, 48> mrseam{};
  std::array<uint8_t, 48> mrsignerseam{};
  std::array<uint8_t, 8> seam_attributes{};
  std::array<uint8_t, 8> td_attributes{};
  std::array<uint8_t, 8> xfam{};
  std::array<uint8_t, 48> mrtd{};
  std::array<uint8_t, 48> mrconfigid{};
  std::array<uint8_t, 48> mrowner{};
  std::array<uint8_t, 48> mrownerconfig{};
  std::array<std::array<uint8_t, 48>, 4> rtmr{};
  std::array<uint8_t, 64> report_data{};
  bool is_tdx15 = false;
  std::array<uint8_t, 16> tee_tcb_svn2{};
  std::array<uint8_t, 48> mrservicetd{};

  // TD_ATTRIBUTES bit 0 (TUD.DEBUG).
  bool debug() const { return (td_attributes[0] & 0x01) != 0; }
};

// The SGX report body of the Quoting Enclave.
struct SgxReportBody {
  std::array<uint8_t, 16> cpusvn{};
  uint32_t miscselect = 0;
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 32> mrenclave{};
  std::array<uint8_t, 32> mrsigner{};
  uint16_t isvprodid = 0;
  uint16_t isvsvn = 0;
  std::array<uint8_t, 64> report_data{};
};

struct TdxQuote {
  uint16_t version = 0;
  uint16_t attestation_key_type = 0;
  uint32_t tee_type = 0;
  uint16_t qe_svn = 0;
  uint16_t pce_svn = 0;
  std::array<uint8_t, 16> qe_vendor_id{};
  std::array<uint8_t, 20> user_data{};
  // v5 only: 2 (TDX 1.0) or 3 (TDX 1.5); 2 for v4.
  uint16_t body_type = 2;
  TdxReportBody body;
  // Header and body: what the quote signature covers.
  Bytes signed_bytes;
  // ECDSA P-256 quote signature, r||s big-endian.
  std::array<uint8_t, 64> signature{};
  // Attestation public key, x||y big-endian.
  std::array<uint8_t, 64> attestation_key{};
  SgxReportBody qe_report;
  // The 384 raw bytes of the QE report (what the PCK signature covers).
  Bytes qe_report_bytes;
  std::array<uint8_t, 64> qe_report_signature{};
  Bytes qe_auth_data;
  // The PEM PCK chain (certification data type 5), trailing NULs removed.
  std::string pck_chain_pem;
  // The declared length (header through signature data); the input may carry
  // zero padding after it.
  size_t declared_length = 0;

  // Parses a quote. InvalidArgument "tdx quote: <field>: ..." on any
  // structural problem: size limits, version, key type, TEE type, QE vendor,
  // body type and size, signature data and certification data lengths and
  // types. Bytes after the declared end are accepted only if every one is
  // zero and there are at most kTdxMaxQuotePadding of them (the padding real
  // quote buffers carry).
  static absl::StatusOr<TdxQuote> Parse(ByteView data);
};

// Hex rendering of the quote's fields for the CLI (no certificates).
nlohmann::json TdxQuoteToJson(const TdxQuote& quote);

}  // namespace concord::attest
