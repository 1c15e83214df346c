// TDX verification collateral (Intel PCS): TCB Info v3 (id "TDX") and QE
// Identity v2 (id "TD_QE") JSON documents with their ECDSA P-256 signatures,
// the TCB Signing issuer chain, the PCK CRL and the Root CA CRL. TdxCollateral
// holds the raw bytes (loaded from a directory or from dcap-qvl's
// QuoteCollateralV3 JSON); ParseTcbInfo / ParseQeIdentity decode the signed
// objects; EvaluateTdxTcb implements Intel's TCB level matching with the TDX
// module identity rules. Plain data and pure functions; thread-safe.
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
#include "concord/attest/tdx/intel_pki.h"
#include "concord/attest/tdx/quote.h"
#include "concord/common/bytes.h"

namespace concord::attest {

// Largest collateral document and CRL accepted.
inline constexpr size_t kTdxMaxCollateralJsonSize = 256 * 1024;
inline constexpr size_t kTdxMaxCrlSize = 256 * 1024;

struct TdxCollateral {
  // PCS form {"tcbInfo":{...},"signature":"<hex r||s>"}.
  std::string tcb_info_json;
  // PCS form {"enclaveIdentity":{...},"signature":"<hex r||s>"}.
  std::string qe_identity_json;
  // PEM: Intel SGX TCB Signing certificate, optionally followed by the root.
  // Signs both documents.
  std::string tcb_signing_chain_pem;
  // DER or PEM. Empty: missing, and verification fails.
  Bytes pck_crl;
  Bytes root_ca_crl;

  // Reads a collateral directory. If it holds collateral.json (dcap-qvl's
  // QuoteCollateralV3) that file supplies everything; otherwise tcb_info.json
  // and qe_identity.json are required and pck_crl.der, root_ca_crl.der and
  // tcb_signing_chain.pem are read when present. A non-empty
  // `tcb_signing_chain_file` supplies (or replaces) the TCB Signing chain.
  // NotFound / InvalidArgument naming the file.
  static absl::StatusOr<TdxCollateral> LoadDir(absl::string_view dir,
                                               absl::string_view tcb_signing_chain_file = "");
  // Parses dcap-qvl's QuoteCollateralV3 JSON (tcb_info and qe_identity as
  // strings with separate hex signatures, CRLs in hex, PEM issuer chains).
  static absl::StatusOr<TdxCollateral> FromQuoteCollateralV3Json(absl::string_view json);
};

// A signed PCS document split into the exact bytes of its signed object and
// the signature.
struct SignedJson {
  std::string body;                     // The exact bytes of the inner object.
  std::array<uint8_t, 64> signature{};  // r||s.
};
// Finds the value of `key` in the top-level object `json` (no duplicates or
// other keys than `key` and "signature"). InvalidArgument naming `what`.
absl::StatusOr<SignedJson> SplitSignedJson(absl::string_view json, absl::string_view key,
                                           absl::string_view what);

struct TdxTcbLevel {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pcesvn = 0;
  std::array<uint8_t, 16> tdx_components{};
  TdxTcbStatus status = TdxTcbStatus::kUpToDate;
  std::vector<std::string> advisory_ids;
};

struct TdxModuleLevel {
  uint8_t isvsvn = 0;
  TdxTcbStatus status = TdxTcbStatus::kUpToDate;
  std::vector<std::string> advisory_ids;
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_01", ...; empty for the base tdxModule.
  std::array<uint8_t, 48> mrsigner{};
  std::array<uint8_t, 8> attributes{};
  std::array<uint8_t, 8> attributes_mask{};
  std::vector<TdxModuleLevel> levels;
};

struct TdxTcbInfo {
  uint32_t version = 0;
  absl::Time issue_date;
  absl::Time next_update;
  std::array<uint8_t, 6> fmspc{};
  std::array<uint8_t, 2> pceid{};
  uint32_t tcb_evaluation_data_number = 0;
  TdxModuleIdentity tdx_module;
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TdxTcbLevel> levels;
};

struct TdxQeIdentityLevel {
  uint16_t isvsvn = 0;
  TdxTcbStatus status = TdxTcbStatus::kUpToDate;
};

struct TdxQeIdentity {
  uint32_t version = 0;
  absl::Time issue_date;
  absl::Time next_update;
  uint32_t tcb_evaluation_data_number = 0;
  uint32_t miscselect = 0;
  uint32_t miscselect_mask = 0;
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 16> attributes_mask{};
  std::array<uint8_t, 32> mrsigner{};
  uint16_t isvprodid = 0;
  std::vector<TdxQeIdentityLevel> levels;
};

// Decode the signed objects (the SignedJson::body). InvalidArgument
// "tdx: TCB info: <field>: ..." for a missing or mistyped field, a wrong id
// or version, or a size limit. Unknown fields are ignored (Intel adds them).
absl::StatusOr<TdxTcbInfo> ParseTcbInfo(absl::string_view body);
absl::StatusOr<TdxQeIdentity> ParseQeIdentity(absl::string_view body);

// "UpToDate", "OutOfDate", ... as Intel spells them; InvalidArgument otherwise.
absl::StatusOr<TdxTcbStatus> ParseTdxTcbStatus(absl::string_view name);
absl::string_view TdxTcbStatusName(TdxTcbStatus status);

struct TdxTcbEvaluation {
  // The combined status (platform level, TDX module, QE).
  TdxTcbStatus status = TdxTcbStatus::kUpToDate;
  TdxTcbStatus platform_status = TdxTcbStatus::kUpToDate;
  TdxTcbStatus module_status = TdxTcbStatus::kUpToDate;
  TdxTcbStatus qe_status = TdxTcbStatus::kUpToDate;
  // "TDX_01" etc., or empty when the base tdxModule applied.
  std::string module_identity;
  std::vector<std::string> advisory_ids;
};

// Intel's TCB evaluation for a TDX quote: the first TCB level whose SGX
// components and PCESVN are at most the PCK certificate's and whose TDX
// components are at most TEE_TCB_SVN (indices 0 and 1 are skipped when the
// TDX module major version TEE_TCB_SVN[1] is non-zero; the module identity
// "TDX_<version>" judges those); the TDX module's MRSIGNERSEAM and masked
// SEAM attributes; the module level by TEE_TCB_SVN[0]; the QE level by the QE
// report's ISVSVN; statuses converged as Intel's QVL does. PermissionDenied
// when no level matches or the module identity is missing or does not match.
// Does not check QE identity fields other than ISVSVN, nor signatures or
// dates.
absl::StatusOr<TdxTcbEvaluation> EvaluateTdxTcb(const TdxTcbInfo& tcb_info,
                                                const TdxQeIdentity& qe_identity,
                                                const PckExtensions& pck, const TdxQuote& quote);

}  // namespace concord::attest
