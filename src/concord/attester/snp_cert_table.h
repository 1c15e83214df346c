// The SEV-SNP certificate table the host hands a guest with an extended
// report (GHCB specification, "SNP Extended Guest Request"; the kernel passes
// it through unchanged as configfs-tsm `auxblob` and as the certificate buffer
// of SNP_GET_EXT_REPORT): 24-byte entries {GUID (RFC 4122 byte order),
// offset (u32 LE, from the start of the table), length (u32 LE)} ended by an
// all-zero entry, followed by the certificates. Pure and thread-safe; used by
// the configfs-tsm and /dev/sev-guest issuers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"

namespace concord::attester {

// Largest table accepted (the kernel's TSM_OUTBLOB_MAX is 32 KiB; real tables
// with VCEK, ASK and ARK are about 4 KiB), and the most entries.
inline constexpr size_t kSnpCertTableMaxSize = 32 * 1024;
inline constexpr size_t kSnpCertTableMaxEntries = 64;
inline constexpr size_t kSnpCertTableEntrySize = 24;

using Guid = std::array<uint8_t, 16>;

// 63da758d-e664-4564-adc5-f4b93be8accd
inline constexpr Guid kSnpVcekGuid = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                      0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
// a8074bc2-a25a-483e-aae6-39c045a0b8a1
inline constexpr Guid kSnpVlekGuid = {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
                                      0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1};
// 4ab7b379-bbac-4fe4-a02f-05aef327c782
inline constexpr Guid kSnpAskGuid = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                                     0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82};
// c0b406a4-a803-4952-9743-3fb6014cd0ae
inline constexpr Guid kSnpArkGuid = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                                     0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};

// The certificates found (DER as the host supplied them). Entries with other
// GUIDs (e.g. a CRL) are skipped.
struct SnpCertTable {
  std::optional<Bytes> vcek;
  std::optional<Bytes> vlek;
  std::optional<Bytes> ask;
  std::optional<Bytes> ark;
};

// Parses a certificate table. An empty input is an empty table (the host
// supplied no certificates). InvalidArgument "snp cert table: <what>" when
// the table exceeds kSnpCertTableMaxSize or kSnpCertTableMaxEntries, has no
// terminator, a terminator that is not all zero, a zero-length or
// out-of-bounds or table-overlapping certificate, a certificate larger than
// attest::kMaxEvidenceCertSize, or a GUID listed twice.
absl::StatusOr<SnpCertTable> ParseSnpCertTable(ByteView table);

// Builds a table (the inverse of ParseSnpCertTable): entries in the given
// order, then the terminator, then the certificates. Used by tests and tools
// that record kernel outputs.
Bytes BuildSnpCertTable(const std::vector<std::pair<Guid, Bytes>>& entries);

}  // namespace concord::attester
