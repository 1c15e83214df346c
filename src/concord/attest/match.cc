#include "concord/attest/match.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/tdx/collateral.h"
#include "concord/common/hex.h"

namespace concord::attest {
namespace {

// How far one reference value got before its first failing check; the entry
// that got furthest is reported.
struct Mismatch {
  int stage = 0;
  std::string message;
};

std::optional<Mismatch> MatchSnp(const SnpReferenceValues& ref, const SnpClaims& claims,
                                 size_t index) {
  const SnpReport& report = claims.report;
  const SnpProduct product = claims.product;
  const SnpTcb& reported = claims.reported_tcb;
  std::string which = absl::StrCat(" (reference value ", index, ")");
  if (ref.product != product) {
    return Mismatch{0, absl::StrCat("snp: product ", SnpProductName(product),
                                    " does not match the reference product ",
                                    SnpProductName(ref.product), which)};
  }
  if (!std::equal(ref.measurement.begin(), ref.measurement.end(), report.measurement.begin())) {
    return Mismatch{1, "snp: measurement does not match any reference value"};
  }
  if (!SnpTcbAtMost(ref.minimum_tcb, reported, product)) {
    return Mismatch{2, absl::StrCat("snp: reported TCB ", SnpTcbToString(reported, product),
                                    " is below the minimum TCB ",
                                    SnpTcbToString(ref.minimum_tcb, product), which)};
  }
  if (report.smt_allowed() && !ref.allow_smt) {
    return Mismatch{3, absl::StrCat("snp: guest policy allows SMT, which the reference value "
                                    "forbids",
                                    which)};
  }
  uint16_t have_abi =
      static_cast<uint16_t>(report.policy_abi_major() << 8 | report.policy_abi_minor());
  uint16_t want_abi = static_cast<uint16_t>(ref.minimum_abi_major << 8 | ref.minimum_abi_minor);
  if (have_abi < want_abi) {
    return Mismatch{3, absl::StrCat("snp: guest policy ABI ", report.policy_abi_major(), ".",
                                    report.policy_abi_minor(), " is below the minimum ABI ",
                                    ref.minimum_abi_major, ".", ref.minimum_abi_minor, which)};
  }
  if (report.vmpl != ref.vmpl) {
    return Mismatch{4, absl::StrCat("snp: VMPL ", report.vmpl,
                                    " does not match the reference VMPL ", ref.vmpl, which)};
  }
  if (!ref.allowed_chip_ids.empty() &&
      std::none_of(ref.allowed_chip_ids.begin(), ref.allowed_chip_ids.end(),
                   [&](const std::array<uint8_t, 64>& id) { return id == report.chip_id; })) {
    return Mismatch{5, absl::StrCat("snp: CHIP_ID is not among the allowed chip IDs", which)};
  }
  return std::nullopt;
}

std::optional<Mismatch> MatchSimulated(const SimulatedReferenceValues& ref,
                                       const SnpClaims& claims) {
  if (ref.ark_spki_sha256 != claims.root_spki_sha256) {
    return Mismatch{
        0, absl::StrCat("simulated: ARK (SPKI SHA-256 ", HexEncode(claims.root_spki_sha256),
                        ") is not pinned by any reference value")};
  }
  if (!std::equal(ref.measurement.begin(), ref.measurement.end(),
                  claims.report.measurement.begin())) {
    return Mismatch{1, "simulated: measurement does not match any reference value"};
  }
  return std::nullopt;
}

std::optional<Mismatch> MatchTdx(const TdxReferenceValues& ref, const TdxClaims& claims,
                                 size_t index) {
  const TdxReportBody& body = claims.quote.body;
  const std::string which = absl::StrCat(" (reference value ", index, ")");
  if (ref.mrtd != body.mrtd) {
    return Mismatch{0, "tdx: MRTD does not match any reference value"};
  }
  for (size_t i = 0; i < 4; ++i) {
    if (ref.rtmr[i].has_value() && *ref.rtmr[i] != body.rtmr[i]) {
      return Mismatch{1, absl::StrCat("tdx: RTMR", i, " does not match", which)};
    }
  }
  if (ref.mrseam.has_value() && *ref.mrseam != body.mrseam) {
    return Mismatch{2, absl::StrCat("tdx: MRSEAM does not match", which)};
  }
  if (ref.xfam != body.xfam) {
    return Mismatch{3, absl::StrCat("tdx: XFAM ", HexEncode(body.xfam), " does not match ",
                                    HexEncode(ref.xfam), which)};
  }
  if (ref.td_attributes != body.td_attributes) {
    return Mismatch{3, absl::StrCat("tdx: TD attributes ", HexEncode(body.td_attributes),
                                    " do not match ", HexEncode(ref.td_attributes), which)};
  }
  if (claims.tcb_evaluation_data_number < ref.minimum_tcb_evaluation_number) {
    return Mismatch{
        4, absl::StrCat("tdx: TCB evaluation data number ", claims.tcb_evaluation_data_number,
                        " is below the minimum ", ref.minimum_tcb_evaluation_number, which)};
  }
  if (std::find(ref.accepted_tcb_statuses.begin(), ref.accepted_tcb_statuses.end(),
                claims.tcb_status) == ref.accepted_tcb_statuses.end()) {
    return Mismatch{5, absl::StrCat("tdx: TCB status ", TdxTcbStatusName(claims.tcb_status),
                                    " is not accepted", which)};
  }
  if (!ref.allowed_piids.empty()) {
    const bool ok = std::any_of(
        ref.allowed_piids.begin(), ref.allowed_piids.end(), [&](const std::array<uint8_t, 16>& id) {
          return id == claims.ppid || (claims.piid.has_value() && id == *claims.piid);
        });
    if (!ok) {
      return Mismatch{6,
                      absl::StrCat("tdx: the PCK certificate's PPID/PIID is not allowed", which)};
    }
  }
  return std::nullopt;
}

// The index of the first matching entry, or PermissionDenied with the
// message of the closest entry.
template <typename Ref, typename MatchFn>
absl::StatusOr<size_t> MatchAny(const std::vector<Ref>& refs, absl::string_view prefix,
                                MatchFn match) {
  if (refs.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat(prefix, ": no reference values for this platform"));
  }
  std::optional<Mismatch> closest;
  for (size_t i = 0; i < refs.size(); ++i) {
    std::optional<Mismatch> m = match(refs[i], i);
    if (!m.has_value()) {
      return i;
    }
    if (!closest.has_value() || m->stage > closest->stage) {
      closest = std::move(m);
    }
  }
  return absl::PermissionDeniedError(closest->message);
}

}  // namespace

bool SnpTcbAtMost(const SnpTcb& a, const SnpTcb& b, SnpProduct product) {
  bool ok = a.bootloader <= b.bootloader && a.tee <= b.tee && a.snp <= b.snp &&
            a.microcode <= b.microcode;
  if (product == SnpProduct::kTurin) {
    ok = ok && a.fmc <= b.fmc;
  }
  return ok;
}

absl::StatusOr<size_t> MatchReferenceValues(const Claims& claims, const ReferenceValues& refs) {
  const absl::string_view prefix = PlatformName(claims.platform);
  switch (claims.platform) {
    case Platform::kSimulated:
    case Platform::kSnp:
      if (!claims.snp.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(prefix, ": claims carry no report"));
      }
      if (claims.platform == Platform::kSimulated) {
        return MatchAny(refs.simulated, prefix, [&](const SimulatedReferenceValues& ref, size_t) {
          return MatchSimulated(ref, *claims.snp);
        });
      }
      return MatchAny(refs.snp, prefix, [&](const SnpReferenceValues& ref, size_t i) {
        return MatchSnp(ref, *claims.snp, i);
      });
    case Platform::kTdx:
      if (!claims.tdx.has_value()) {
        return absl::InvalidArgumentError("tdx: claims carry no quote");
      }
      return MatchAny(refs.tdx, prefix, [&](const TdxReferenceValues& ref, size_t i) {
        return MatchTdx(ref, *claims.tdx, i);
      });
  }
  return absl::InvalidArgumentError("claims: unknown platform");
}

}  // namespace concord::attest
