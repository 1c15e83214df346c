// The certificate that signs an SEV-SNP report (VCEK or VLEK): parsing of the
// AMD extensions under 1.3.6.1.4.1.3704.1 (productName, hwID, the SPLs,
// cspId), the binding check between those extensions and a report, and chain
// verification to an anchor at a given time (the compiled-in AMD roots in
// amd_roots.h, or a simulated host's ARK). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/attest/reference_values.h"
#include "concord/attest/snp/report.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::attest {

struct SnpSignerCert {
  crypto::SslPtr<X509> cert;
  // productName (.1.2), e.g. "Milan-B0", "Genoa", "Turin"; empty if absent.
  std::string product_name;
  // hwID (.1.4): 64 bytes (8 on Turin); absent in a VLEK.
  std::optional<Bytes> hwid;
  // blSPL (.1.3.1), teeSPL (.1.3.2), snpSPL (.1.3.3), ucodeSPL (.1.3.8),
  // fmcSPL (.1.3.9, Turin).
  std::optional<uint8_t> bl_spl;
  std::optional<uint8_t> tee_spl;
  std::optional<uint8_t> snp_spl;
  std::optional<uint8_t> ucode_spl;
  std::optional<uint8_t> fmc_spl;
  // cspId (.1.5), VLEK only.
  std::optional<std::string> csp_id;
  absl::Time not_before;
  absl::Time not_after;
};

// Parses a DER or PEM certificate (at most kMaxEvidenceCertSize bytes) and its
// AMD extensions. Messages start "<prefix>: <signer>" (e.g. "snp: VCEK").
// InvalidArgument for malformed certificates or extensions.
absl::StatusOr<SnpSignerCert> ParseSnpSignerCert(ByteView der_or_pem, absl::string_view signer,
                                                 absl::string_view prefix = "snp");

// Maps a productName ("Milan-B0", "Genoa", ...) to a product; nullopt if none.
std::optional<SnpProduct> SnpProductFromName(absl::string_view product_name);

// Checks the certificate against the report: for a VCEK, hwID equals CHIP_ID
// (on Turin the 8-byte hwID equals CHIP_ID[0:8] and the rest is zero); for
// both keys, each SPL extension equals the report's REPORTED_TCB decoded for
// `product` (fmcSPL on Turin only). Unauthenticated naming the mismatch, e.g.
// "snp: VCEK hwID does not match report CHIP_ID".
absl::Status CheckSignerBinding(const SnpReport& report, SnpProduct product, SnpSigningKey key,
                                const SnpSignerCert& cert, absl::string_view prefix = "snp");

// Verifies leaf -> intermediate -> root at `at`, with `root` as the only trust
// anchor (its self-signature is checked too) and exactly this three-element
// path. Unauthenticated "<prefix>: <what> chain: <OpenSSL reason> (at <time>)",
// e.g. "snp: VCEK chain: certificate has expired (at 2026-11-23T00:00:00Z)".
absl::Status VerifySignerChain(X509* leaf, X509* intermediate, X509* root, absl::Time at,
                               absl::string_view prefix, absl::string_view what);

}  // namespace concord::attest
