// Feeds arbitrary bytes to the history parsers (transition and latest): they
// must never crash, and whatever they accept must re-encode to exactly the
// input (no malformed or non-canonical input is accepted).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "concord/common/bytes.h"
#include "concord/history/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace concord;
  const ByteView input(data, size);
  if (auto t = history::ParseTransition(input); t.ok()) {
    auto encoded = history::EncodeTransition(*t);
    if (!encoded.ok() || Bytes(input.begin(), input.end()) != *encoded) {
      std::abort();
    }
  }
  if (auto latest = history::ParseLatest(input); latest.ok()) {
    auto encoded = history::EncodeLatest(*latest);
    if (!encoded.ok() || Bytes(input.begin(), input.end()) != *encoded) {
      std::abort();
    }
  }
  return 0;
}
