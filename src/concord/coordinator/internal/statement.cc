#include "concord/coordinator/internal/statement.h"

#include <algorithm>

#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"

namespace concord::coordinator::internal {

std::array<uint8_t, 64> StatementReportData(const net::AttestStatement& statement) {
  Bytes input;
  Append(input, AsBytes(kAttestStatementLabel));
  input.push_back(0x00);
  Append(input, statement.nonce);
  // State names are short fixed strings; the length byte cannot overflow.
  const size_t state_size = std::min<size_t>(statement.state.size(), 255);
  input.push_back(static_cast<uint8_t>(state_size));
  Append(input, AsBytes(absl::string_view(statement.state).substr(0, state_size)));
  AppendBigEndian(input, statement.generation, 8);
  Append(input, statement.transition_hash);
  Append(input, statement.history_key_spki_sha256);
  Append(input, statement.root_ca_spki_sha256);
  Append(input, statement.mesh_ca_spki_sha256);
  return crypto::Sha512(input);
}

}  // namespace concord::coordinator::internal
