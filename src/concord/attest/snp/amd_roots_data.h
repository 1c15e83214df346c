// Private to attest/snp: the embedded AMD root PEMs and their expected SHA-256
// fingerprints (lower-case hex of the certificate DER). amd_roots.cc parses
// and checks them. Immutable data; thread-safe.
#pragma once

#include <array>

#include "concord/attest/reference_values.h"

namespace concord::attest::internal {

struct EmbeddedCert {
  const char* pem;
  const char* sha256_hex;
};

struct AmdRootData {
  SnpProduct product;
  EmbeddedCert ark;
  EmbeddedCert ask;
  EmbeddedCert asvk;
};

// Milan, Genoa, Turin (static storage).
const std::array<AmdRootData, 3>& AmdRootDataTable();

}  // namespace concord::attest::internal
