// Fuzzes coordinator::ParseLaunchConfig, the strict parser of the
// coordinator's measured policy document. Must never crash; whatever parses
// must be internally consistent: policy hash = SHA-256 of the input, at least
// one platform, never simulated together with snp/tdx, every genesis key
// ECDSA, no duplicate keys or recovery policies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "concord/common/bytes.h"
#include "concord/coordinator/launch_config.h"
#include "concord/crypto/hash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  concord::ByteView input(data, size);
  auto config = concord::coordinator::ParseLaunchConfig(input);
  if (!config.ok()) {
    return 0;
  }
  const auto& p = config->platforms;
  if (config->policy_hash != concord::crypto::Sha256(input) || (!p.snp && !p.tdx && !p.simulated) ||
      (p.simulated && (p.snp || p.tdx))) {
    std::abort();
  }
  std::set<concord::Bytes> keys;
  for (const auto& key : config->genesis_owner_keys) {
    if (key.type() == concord::crypto::KeyType::kRsa || !keys.insert(key.spki_der()).second) {
      std::abort();
    }
  }
  std::set<concord::manifest::PolicyHash> policies(config->recovery_policies.begin(),
                                                   config->recovery_policies.end());
  if (policies.size() != config->recovery_policies.size()) {
    std::abort();
  }
  return 0;
}
