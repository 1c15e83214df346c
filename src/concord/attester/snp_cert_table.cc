#include "concord/attester/snp_cert_table.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/attest/evidence.h"

namespace concord::attester {
namespace {

absl::Status Err(absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("snp cert table: ", detail));
}

uint32_t U32Le(ByteView b, size_t at) {
  return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 |
         static_cast<uint32_t>(b[at + 2]) << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

void PutU32Le(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

}  // namespace

absl::StatusOr<SnpCertTable> ParseSnpCertTable(ByteView table) {
  SnpCertTable out;
  if (table.empty()) {
    return out;
  }
  if (table.size() > kSnpCertTableMaxSize) {
    return Err(absl::StrCat("want at most ", kSnpCertTableMaxSize, " bytes, got ", table.size()));
  }
  // First pass: find the terminator, so that every certificate can be
  // required to lie after the entries.
  size_t entries = 0;
  for (;; ++entries) {
    const size_t at = entries * kSnpCertTableEntrySize;
    if (at + kSnpCertTableEntrySize > table.size()) {
      return Err(absl::StrCat("no all-zero terminator entry within ", table.size(), " bytes"));
    }
    if (entries > kSnpCertTableMaxEntries) {
      return Err(absl::StrCat("more than ", kSnpCertTableMaxEntries, " entries"));
    }
    const ByteView guid = table.subspan(at, 16);
    if (std::all_of(guid.begin(), guid.end(), [](uint8_t b) { return b == 0; })) {
      if (U32Le(table, at + 16) != 0 || U32Le(table, at + 20) != 0) {
        return Err(absl::StrCat("entry ", entries,
                                ": zero GUID with a non-zero offset or length (want an all-zero "
                                "terminator)"));
      }
      break;
    }
  }
  const size_t table_end = (entries + 1) * kSnpCertTableEntrySize;
  std::vector<Guid> seen;
  for (size_t i = 0; i < entries; ++i) {
    const size_t at = i * kSnpCertTableEntrySize;
    Guid guid{};
    std::copy(table.begin() + at, table.begin() + at + 16, guid.begin());
    const uint64_t offset = U32Le(table, at + 16);
    const uint64_t length = U32Le(table, at + 20);
    if (std::find(seen.begin(), seen.end(), guid) != seen.end()) {
      return Err(absl::StrCat("entry ", i, ": GUID listed twice"));
    }
    seen.push_back(guid);
    if (length == 0) {
      return Err(absl::StrCat("entry ", i, ": zero-length certificate"));
    }
    if (offset < table_end || offset + length > table.size()) {
      return Err(absl::StrCat("entry ", i, ": certificate at [", offset, ", ", offset + length,
                              ") is outside [", table_end, ", ", table.size(), ")"));
    }
    std::optional<Bytes>* slot = nullptr;
    if (guid == kSnpVcekGuid) {
      slot = &out.vcek;
    } else if (guid == kSnpVlekGuid) {
      slot = &out.vlek;
    } else if (guid == kSnpAskGuid) {
      slot = &out.ask;
    } else if (guid == kSnpArkGuid) {
      slot = &out.ark;
    } else {
      continue;
    }
    if (length > attest::kMaxEvidenceCertSize) {
      return Err(absl::StrCat("entry ", i, ": certificate of ", length, " bytes, want at most ",
                              attest::kMaxEvidenceCertSize));
    }
    const ByteView cert = table.subspan(static_cast<size_t>(offset), static_cast<size_t>(length));
    *slot = Bytes(cert.begin(), cert.end());
  }
  return out;
}

Bytes BuildSnpCertTable(const std::vector<std::pair<Guid, Bytes>>& entries) {
  Bytes out;
  size_t offset = (entries.size() + 1) * kSnpCertTableEntrySize;
  for (const auto& [guid, cert] : entries) {
    out.insert(out.end(), guid.begin(), guid.end());
    PutU32Le(out, static_cast<uint32_t>(offset));
    PutU32Le(out, static_cast<uint32_t>(cert.size()));
    offset += cert.size();
  }
  out.resize(out.size() + kSnpCertTableEntrySize, 0);
  for (const auto& entry : entries) {
    Append(out, entry.second);
  }
  return out;
}

}  // namespace concord::attester
