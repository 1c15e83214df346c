// Fuzzes the PROXY protocol v2 parser (net/internal/proxy_protocol): any
// bytes must give a header or an error, never a crash or a read past the
// input; an accepted header must serialize back to bytes that parse to the
// same addresses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "concord/net/internal/proxy_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  concord::ByteView input(data, size);
  absl::StatusOr<size_t> length = concord::net::internal::ProxyV2HeaderSize(input);
  if (!length.ok() || *length > size) {
    return 0;
  }
  absl::StatusOr<concord::net::internal::ProxyHeader> header =
      concord::net::internal::ParseProxyV2Header(input.first(*length));
  if (!header.ok()) {
    return 0;
  }
  if (header->size != *length) {
    abort();
  }
  absl::StatusOr<concord::Bytes> again = concord::net::internal::SerializeProxyV2Header(*header);
  if (!again.ok()) {
    abort();
  }
  absl::StatusOr<concord::net::internal::ProxyHeader> reparsed =
      concord::net::internal::ParseProxyV2Header(*again);
  if (!reparsed.ok() || reparsed->source_address != header->source_address ||
      reparsed->source_port != header->source_port ||
      reparsed->destination_address != header->destination_address ||
      reparsed->tlvs.size() != header->tlvs.size()) {
    abort();
  }
  return 0;
}
