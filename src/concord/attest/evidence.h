// Platform-neutral attestation vocabulary: the evidence a workload or
// coordinator presents, the options a verification runs under, the claims a
// successful verification yields, and the EvidenceVerifier interface that the
// platform verifiers (attest/snp SnpVerifier, later TDX) implement. Used by
// net (aTLS), the coordinator and the CLI. Plain data plus a pure interface;
// implementations document their own thread-safety.
//
// Error convention of every EvidenceVerifier (docs/attestation.md):
//   InvalidArgument   - malformed input (sizes, versions, encodings, options);
//   Unauthenticated   - the evidence is not authentic: a signature, the vendor
//                       certificate chain, a certificate validity window, or
//                       the binding between certificate and report fails;
//   PermissionDenied  - authentic evidence that is not acceptable: debug
//                       policy, reference values, expected report/host data,
//                       or a platform this verifier is not configured to
//                       accept;
//   Internal          - our bug (e.g. a compiled-in root fails its
//   fingerprint).
// Messages say which check failed and never contain key material.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/attest/reference_values.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/tdx/quote.h"
#include "concord/common/bytes.h"
#include "nlohmann/json.hpp"

namespace concord::attest {

enum class Platform { kSnp, kTdx, kSimulated };

// "snp", "tdx", "simulated".
absl::string_view PlatformName(Platform platform);
// Inverse of PlatformName. InvalidArgument for any other string.
absl::StatusOr<Platform> ParsePlatform(absl::string_view name);

// Most certificates a piece of evidence may carry, and the largest one.
inline constexpr size_t kMaxEvidenceCerts = 4;
inline constexpr size_t kMaxEvidenceCertSize = 16 * 1024;

struct Evidence {
  Platform platform = Platform::kSnp;
  // SNP and simulated: the 1184-byte ATTESTATION_REPORT.
  Bytes report;
  // DER or PEM certificates. SNP: the VCEK or VLEK first (the ASK/ASVK and ARK
  // are compiled in; further certificates are ignored). Simulated: the VCEK,
  // then the ASK, then the ARK of the simulated host.
  std::vector<Bytes> certs;
};

struct VerifyOptions {
  // The time at which certificates must be valid. Required.
  absl::Time at = absl::InfinitePast();
  // When set, the report must carry exactly these bytes (constant-time
  // compare).
  std::optional<std::array<uint8_t, 64>> report_data;
  std::optional<std::array<uint8_t, 32>> host_data;
  // The evidence passes if it matches ANY entry of its platform. No entry for
  // the platform means rejection, unless `check_reference_values` is false.
  ReferenceValues reference_values;
  // false: check authenticity, the always-on policy (no debug) and the
  // expected report/host data only; used by `concord evidence verify` when
  // the operator gives no reference values.
  bool check_reference_values = true;
};

// SNP-specific claims (also for the simulated platform, which uses SNP
// reports).
struct SnpClaims {
  SnpReport report;
  SnpProduct product = SnpProduct::kMilan;
  SnpSigningKey signing_key = SnpSigningKey::kVcek;
  SnpTcb reported_tcb;
  SnpTcb current_tcb;
  SnpTcb committed_tcb;
  SnpTcb launch_tcb;
  // The productName extension of the VCEK/VLEK, e.g. "Milan-B0".
  std::string signer_product_name;
  // SHA-256 of the chain root's SubjectPublicKeyInfo (the simulated ARK pin;
  // on real SNP one of the compiled-in AMD roots).
  std::array<uint8_t, 32> root_spki_sha256{};
  // Index of the first reference value that matched (unset when reference
  // values were not checked).
  std::optional<size_t> matched_reference_value;
};

// TDX-specific claims (attest/tdx TdxVerifier).
struct TdxClaims {
  TdxQuote quote;
  // The combined TCB status, and its parts: the platform TCB level (PCK SGX
  // components, PCESVN, TEE_TCB_SVN), the TDX module identity level and the
  // QE identity level.
  TdxTcbStatus tcb_status = TdxTcbStatus::kUpToDate;
  TdxTcbStatus platform_tcb_status = TdxTcbStatus::kUpToDate;
  TdxTcbStatus module_tcb_status = TdxTcbStatus::kUpToDate;
  TdxTcbStatus qe_tcb_status = TdxTcbStatus::kUpToDate;
  // "TDX_01", ... or empty when the base tdxModule applied.
  std::string module_identity;
  std::vector<std::string> advisory_ids;
  uint32_t tcb_evaluation_data_number = 0;
  // From the PCK certificate's SGX extensions.
  std::array<uint8_t, 6> fmspc{};
  std::array<uint8_t, 2> pceid{};
  std::array<uint8_t, 16> sgx_tcb_components{};
  uint16_t pcesvn = 0;
  std::array<uint8_t, 16> ppid{};
  std::optional<std::array<uint8_t, 16>> piid;
  // Index of the first reference value that matched (unset when reference
  // values were not checked).
  std::optional<size_t> matched_reference_value;
};

// What a verified piece of evidence states.
struct Claims {
  Platform platform = Platform::kSnp;
  // "Milan", "Genoa", "Turin" (SNP and simulated).
  std::string product;
  // SNP MEASUREMENT (48 bytes).
  Bytes measurement;
  std::array<uint8_t, 64> report_data{};
  // SNP HOST_DATA (32 bytes).
  Bytes host_data;
  // SNP CHIP_ID (64 bytes; zero under a VLEK with MASK_CHIP_ID).
  Bytes chip_id;
  // The intersection of the validity windows of the certificate chain.
  absl::Time signer_not_before = absl::InfinitePast();
  absl::Time signer_not_after = absl::InfiniteFuture();
  std::optional<SnpClaims> snp;
  // Set for Platform::kTdx. For TDX, `product` is "TDX", `measurement` is
  // MRTD (48 bytes), `host_data` is MRCONFIGID[0:32] (the policy hash) and
  // `chip_id` is empty; the window is the PCK chain's.
  std::optional<TdxClaims> tdx;
};

// The policy hash that unverified evidence names: HOST_DATA (SNP,
// simulated) or MRCONFIGID[0:32] (TDX). Read before verification only to
// pick reference values; the verifier then requires exactly these bytes
// (VerifyOptions::host_data). InvalidArgument "evidence: ..." when the
// report or quote does not parse.
absl::StatusOr<std::array<uint8_t, 32>> ClaimedPolicyHash(const Evidence& evidence);

// Renders claims as JSON for the CLI (hex byte strings, RFC 3339 times).
nlohmann::json ClaimsToJson(const Claims& claims);

// Verifies evidence of one or more platforms. See the error convention above.
class EvidenceVerifier {
 public:
  virtual ~EvidenceVerifier() = default;
  // Verifies `evidence` under `options` and returns its claims.
  virtual absl::StatusOr<Claims> Verify(const Evidence& evidence,
                                        const VerifyOptions& options) const = 0;
};

}  // namespace concord::attest
