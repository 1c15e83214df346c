// Fuzzes what the issuers read from the kernel: the SEV-SNP certificate
// table (configfs-tsm auxblob / SNP_GET_EXT_REPORT buffer), the generation and
// provider attributes, and the outblob-to-Evidence conversion for SNP (the
// first 1184 bytes as the report, the rest as the table) and TDX (the whole
// input as the quote). The first byte selects the target.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "concord/attest/snp/report.h"
#include "concord/attester/snp_cert_table.h"
#include "concord/attester/tsm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace concord;
  if (size == 0) {
    return 0;
  }
  const ByteView rest(data + 1, size - 1);
  const std::array<uint8_t, 64> report_data{};
  switch (data[0] % 4) {
    case 0:
      (void)attester::ParseSnpCertTable(rest);
      break;
    case 1:
      (void)attester::ParseTsmGeneration(AsStringView(rest));
      (void)attester::ParseTsmProvider(AsStringView(rest));
      break;
    case 2: {
      const size_t cut = std::min(rest.size(), attest::kSnpReportSize);
      (void)attester::EvidenceFromKernelOutputs("fuzz", attest::Platform::kSnp, report_data,
                                                rest.first(cut), rest.subspan(cut));
      break;
    }
    default:
      (void)attester::EvidenceFromKernelOutputs("fuzz", attest::Platform::kTdx, report_data, rest,
                                                {});
      break;
  }
  return 0;
}
