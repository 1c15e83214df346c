// Intel SGX/TDX PKI for TDX quote verification: the Intel SGX Root CA
// compiled into Concord (fingerprint-checked at first use), the SGX
// extensions of a PCK certificate (OID 1.2.840.113741.1.13.1: PPID, TCB
// components, PCESVN, CPUSVN, PCE-ID, FMSPC, SGX type, PIID), and chain
// verification to the root with CRLs at a given time. Used by TdxVerifier,
// and (chain without CRLs) by the collateral adapters to decide what to
// fetch. Pure functions over immutable data; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/common/bytes.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::attest {

// SHA-256 of the DER Intel SGX Root CA compiled in.
inline constexpr absl::string_view kIntelSgxRootCaSha256Hex =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

// The compiled-in Intel SGX Root CA (static storage). Internal if it does not
// parse or does not have its recorded fingerprint.
absl::StatusOr<X509*> GetIntelSgxRootCa();

// The SGX extensions of a PCK certificate.
struct PckExtensions {
  std::array<uint8_t, 16> ppid{};
  // SGX TCB components 1..16 (index 0 is COMP01).
  std::array<uint8_t, 16> sgx_tcb_components{};
  uint16_t pcesvn = 0;
  std::array<uint8_t, 16> cpusvn{};
  std::array<uint8_t, 2> pceid{};
  std::array<uint8_t, 6> fmspc{};
  // 0 = Standard, 1 = Scalable, 2 = Scalable with integrity.
  uint8_t sgx_type = 0;
  // Platform Instance ID: present in certificates issued by the PCK Platform
  // CA (multi-package platforms), absent under the Processor CA.
  std::optional<std::array<uint8_t, 16>> piid;
};

// Parses the SGX extensions extension of `cert`. InvalidArgument
// "tdx: PCK certificate SGX extensions: <field>: ..." when it is missing or
// malformed (strict DER: definite lengths, expected types and sizes).
absl::StatusOr<PckExtensions> ParsePckExtensions(X509* cert);
// The same over the DER content of the extension (for tests and fuzzing).
absl::StatusOr<PckExtensions> ParsePckExtensionsDer(ByteView der);

// Verifies `leaf` -> `intermediates` -> the compiled-in Intel SGX Root CA at
// `at`, with revocation checked against every CRL in `crls` (each CA in the
// chain needs a CRL: the root's for the intermediate, the intermediate's for
// the leaf). When `embedded_root` is given it must be byte-identical to the
// compiled-in root. Unauthenticated "tdx: <what> chain: <reason> (at <time>)".
absl::Status VerifyIntelChain(X509* leaf, const std::vector<X509*>& intermediates,
                              X509* embedded_root, const std::vector<X509_CRL*>& crls,
                              absl::Time at, absl::string_view what);

// VerifyIntelChain without revocation: proves only that Intel issued `leaf`
// (so the FMSPC a PCK certificate names is a real platform's), e.g. to decide
// whether to fetch collateral for it before the CRLs are at hand. Never
// enough to accept evidence. Unauthenticated as VerifyIntelChain.
absl::Status VerifyIntelChainIgnoringRevocation(X509* leaf, const std::vector<X509*>& intermediates,
                                                X509* embedded_root, absl::Time at,
                                                absl::string_view what);

}  // namespace concord::attest
