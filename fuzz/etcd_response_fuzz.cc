// Fuzzes the etcd v3 JSON gateway response parsers of the etcd store
// (range, txn, watch stream lines, authenticate, gateway errors): any input
// must give a value or a Status, never a crash or an unbounded allocation.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "concord/store/etcd/etcd_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  namespace etcd = concord::store::etcd;
  (void)etcd::ParseRangeResponse(input);
  (void)etcd::ParseTxnResponse(input);
  (void)etcd::ParseWatchMessage(input);
  (void)etcd::ParseAuthenticateResponse(input);
  (void)etcd::GatewayError("fuzz", 500, input);
  return 0;
}
