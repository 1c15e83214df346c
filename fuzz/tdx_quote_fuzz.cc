// Fuzzes the TDX parsers: the quote (TdxQuote::Parse), the PCK SGX
// extensions DER, and the signed PCS documents (SplitSignedJson, TCB info,
// QE identity). The first byte selects the parser.
#include <cstddef>
#include <cstdint>

#include "concord/attest/tdx/collateral.h"
#include "concord/attest/tdx/intel_pki.h"
#include "concord/attest/tdx/quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace concord;
  if (size == 0) {
    return 0;
  }
  const ByteView rest(data + 1, size - 1);
  const absl::string_view text = AsStringView(rest);
  switch (data[0] % 4) {
    case 0: {
      auto q = attest::TdxQuote::Parse(rest);
      if (q.ok()) {
        (void)attest::TdxQuoteToJson(*q);
      }
      break;
    }
    case 1:
      (void)attest::ParsePckExtensionsDer(rest);
      break;
    case 2: {
      auto s = attest::SplitSignedJson(text, "tcbInfo", "TCB info");
      if (s.ok()) {
        (void)attest::ParseTcbInfo(s->body);
      }
      break;
    }
    default: {
      (void)attest::ParseQeIdentity(text);
      (void)attest::TdxCollateral::FromQuoteCollateralV3Json(text);
      break;
    }
  }
  return 0;
}
