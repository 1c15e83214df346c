// Fuzzes the TDX collateral parsers: the signed PCS documents split into body
// and signature (SplitSignedJson) then parsed as TCB info v3 or QE identity
// v2, dcap-qvl's QuoteCollateralV3 JSON, and, for TCB info and QE identity
// that parse, the TCB evaluation against a fixed real quote and PCK
// extensions. The first byte selects the parser.
#include <cstddef>
#include <cstdint>

#include "concord/attest/tdx/collateral.h"
#include "concord/attest/tdx/intel_pki.h"
#include "concord/attest/tdx/quote.h"

namespace {

using namespace concord;

// A structurally valid quote is not needed for EvaluateTdxTcb beyond the
// fields it reads; a default one exercises every comparison.
const attest::TdxQuote& FixedQuote() {
  static const attest::TdxQuote quote = [] {
    attest::TdxQuote q;
    q.version = 4;
    q.body.tee_tcb_svn = {6, 1, 3};
    q.qe_report.isvsvn = 6;
    return q;
  }();
  return quote;
}

const attest::PckExtensions& FixedPck() {
  static const attest::PckExtensions pck = [] {
    attest::PckExtensions p;
    p.sgx_tcb_components = {3, 3, 2, 2, 4, 1, 0, 5};
    p.pcesvn = 11;
    return p;
  }();
  return pck;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const ByteView rest(data + 1, size - 1);
  const absl::string_view text = AsStringView(rest);
  switch (data[0] % 4) {
    case 0: {
      auto s = attest::SplitSignedJson(text, "tcbInfo", "TCB info");
      if (s.ok()) {
        (void)attest::ParseTcbInfo(s->body);
      }
      break;
    }
    case 1: {
      auto s = attest::SplitSignedJson(text, "enclaveIdentity", "QE identity");
      if (s.ok()) {
        (void)attest::ParseQeIdentity(s->body);
      }
      break;
    }
    case 2:
      (void)attest::TdxCollateral::FromQuoteCollateralV3Json(text);
      break;
    default: {
      // "<tcb info body>\n<qe identity body>": evaluate the TCB.
      const size_t cut = text.find('\n');
      if (cut == absl::string_view::npos) {
        break;
      }
      auto tcb = attest::ParseTcbInfo(text.substr(0, cut));
      auto qe = attest::ParseQeIdentity(text.substr(cut + 1));
      if (tcb.ok() && qe.ok()) {
        (void)attest::EvaluateTdxTcb(*tcb, *qe, FixedPck(), FixedQuote());
      }
      break;
    }
  }
  return 0;
}
