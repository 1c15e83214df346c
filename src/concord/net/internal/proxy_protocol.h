// A strict parser of the PROXY protocol version 2 header (the binary form
// HAProxy sends with `send-proxy-v2`), read by net::Server before the TLS
// handshake on listeners behind a TCP load balancer, so the coordinator
// sees the real client address. Only what a TCP listener can receive is
// accepted: command LOCAL (the balancer's own health checks) or PROXY, and
// family UNSPEC, TCP over IPv4 or TCP over IPv6. The text form (version 1),
// UDP and UNIX-socket families are refused. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"

namespace concord::net::internal {

// Signature, version/command, family/protocol and the 2-byte length.
inline constexpr size_t kProxyV2FixedSize = 16;
// The largest address block plus TLVs accepted after the fixed part. The
// protocol allows 65535; a load balancer in front of Concord sends 12 or 36
// bytes of addresses and at most a few short TLVs.
inline constexpr size_t kMaxProxyV2PayloadSize = 1024;

enum class ProxyCommand {
  kLocal,  // sent by the balancer itself (health check): keep the socket's address
  kProxy,  // relayed on behalf of a client
};

enum class ProxyFamily {
  kUnspec,  // no address (only meaningful with LOCAL, ignored otherwise)
  kTcp4,
  kTcp6,
};

// A type-length-value extension of the header (e.g. PP2_TYPE_AUTHORITY).
struct ProxyTlv {
  uint8_t type = 0;
  Bytes value;
};

struct ProxyHeader {
  ProxyCommand command = ProxyCommand::kLocal;
  ProxyFamily family = ProxyFamily::kUnspec;
  // Textual addresses ("192.0.2.1", "2001:db8::1"); empty for kUnspec.
  std::string source_address;
  uint16_t source_port = 0;
  std::string destination_address;
  uint16_t destination_port = 0;
  std::vector<ProxyTlv> tlvs;
  // The total length of the header on the wire (fixed part + payload).
  size_t size = 0;
};

// Checks the fixed part (the first kProxyV2FixedSize bytes of `prefix`;
// more may follow) and returns the length of the whole header. Errors,
// all InvalidArgument with a message starting "PROXY header: ": fewer than
// 16 bytes, a wrong signature (a version 1 text header is named as such),
// a version other than 2, a command other than LOCAL/PROXY, a family other
// than UNSPEC/TCP4/TCP6, a payload over kMaxProxyV2PayloadSize.
absl::StatusOr<size_t> ProxyV2HeaderSize(ByteView prefix);

// Parses exactly one whole header: `header.size()` must equal the length
// ProxyV2HeaderSize reports. Beyond the fixed-part checks: the payload must
// hold the family's address block (12 bytes for TCP4, 36 for TCP6), the TLVs
// after it must fill the rest exactly, and a PP2_TYPE_CRC32C TLV, when
// present, must match. InvalidArgument naming what is wrong.
absl::StatusOr<ProxyHeader> ParseProxyV2Header(ByteView header);

// The header for `header` as a load balancer would send it (tests and
// tools): the address block from the textual addresses, then the TLVs.
// InvalidArgument for an address that is not of the family, or a payload
// over kMaxProxyV2PayloadSize.
absl::StatusOr<Bytes> SerializeProxyV2Header(const ProxyHeader& header);

// CRC-32C (Castagnoli), as PP2_TYPE_CRC32C uses it.
uint32_t Crc32c(ByteView data);

}  // namespace concord::net::internal
