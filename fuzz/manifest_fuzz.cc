// Fuzzes Manifest::Parse with arbitrary bytes. Whenever a manifest parses,
// its canonical form must parse too and describe the same manifest, and the
// canonical form must be a fixed point of Serialize().
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "concord/common/bytes.h"
#include "concord/manifest/manifest.h"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "manifest_fuzz: %s\n", what);
  std::abort();
}

bool SameKeys(const std::vector<concord::crypto::PublicKey>& a,
              const std::vector<concord::crypto::PublicKey>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].spki_der() != b[i].spki_der()) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using concord::manifest::Manifest;
  absl::StatusOr<Manifest> m = Manifest::Parse(concord::ByteView(data, size));
  if (!m.ok()) {
    if (m.status().message().empty()) {
      Fail("rejection without a message");
    }
    return 0;
  }
  if (m->hash() != concord::crypto::Sha256(concord::ByteView(data, size))) {
    Fail("hash is not SHA-256 of the input");
  }
  const std::string canonical = m->Serialize();
  if (canonical.size() > size) {
    Fail("canonical form is longer than the input");
  }
  absl::StatusOr<Manifest> again = Manifest::Parse(concord::AsBytes(canonical));
  if (!again.ok()) {
    std::fprintf(stderr, "%s\n", std::string(again.status().message()).c_str());
    Fail("canonical form does not parse");
  }
  if (again->policies() != m->policies()) {
    Fail("policies differ after round trip");
  }
  if (again->version() != m->version() || again->reference_values() != m->reference_values() ||
      !SameKeys(again->workload_owner_keys(), m->workload_owner_keys()) ||
      !SameKeys(again->seedshare_owner_keys(), m->seedshare_owner_keys()) ||
      again->UsesSimulated() != m->UsesSimulated()) {
    Fail("manifest differs after round trip");
  }
  if (again->Serialize() != canonical) {
    Fail("canonical form is not a fixed point");
  }
  return 0;
}
