// The report data of POST /v1/attest (net/atls_protocol.h,
// AttestStatementReportData), computed here so the coordinator does not link
// the transport library. Byte-for-byte the formula documented in
// net/atls_protocol.h; coordinator_test pins it with an independent
// computation. Thread-safe (pure function).
#pragma once

#include <array>
#include <cstdint>

#include "concord/net/atls_protocol.h"

namespace concord::coordinator::internal {

// "concord/v1/attest", the label of net::Purpose::kAttestStatement.
inline constexpr absl::string_view kAttestStatementLabel = "concord/v1/attest";

// SHA-512(label || 0x00 || nonce || u8(len state) || state ||
// u64be(generation) || transition hash || history key hash || root CA hash ||
// mesh CA hash).
std::array<uint8_t, 64> StatementReportData(const net::AttestStatement& statement);

}  // namespace concord::coordinator::internal
