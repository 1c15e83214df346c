// Fuzzes the parsers of stored CA material and of the operator's seed-shares
// document: ca::CaBundle::Parse (read back from the untrusted store) and
// seed::DecodeSeedSharesJson (read from the operator's workspace). Must never
// crash; whatever parses must re-serialize to bytes that parse to the same
// value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "concord/ca/ca_bundle.h"
#include "concord/common/bytes.h"
#include "concord/seed/seed_shares.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  concord::ByteView input(data, size);
  auto bundle = concord::ca::CaBundle::Parse(input);
  if (bundle.ok()) {
    concord::Bytes again = bundle->Serialize();
    auto reparsed = concord::ca::CaBundle::Parse(again);
    if (!reparsed.ok() || reparsed->Serialize() != again) {
      std::abort();
    }
  }
  auto doc = concord::seed::DecodeSeedSharesJson(concord::AsStringView(input));
  if (doc.ok()) {
    std::string encoded = concord::seed::EncodeSeedSharesJson(*doc);
    auto reparsed = concord::seed::DecodeSeedSharesJson(encoded);
    if (!reparsed.ok() || concord::seed::EncodeSeedSharesJson(*reparsed) != encoded) {
      std::abort();
    }
  }
  return 0;
}
