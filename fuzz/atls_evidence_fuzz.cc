// Fuzzes the aTLS evidence-extension decoder (strict DER) and the peer
// certificate parser. Properties: no crash; anything DecodeEvidence accepts
// re-encodes to exactly the same bytes (DER is canonical); the nonce codecs
// accept only what they produce.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "concord/net/atls_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  concord::ByteView input(data, size);
  auto evidence = concord::net::DecodeEvidence(input);
  if (evidence.ok()) {
    auto encoded = concord::net::EncodeEvidence(*evidence);
    if (!encoded.ok() || *encoded != concord::Bytes(input.begin(), input.end())) {
      std::abort();
    }
  }
  (void)concord::net::ParsePeerCertificate(input);
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto nonce = concord::net::ParseNonceAlpn(text);
  if (nonce.ok() && concord::net::NonceAlpn(*nonce) != text) {
    std::abort();
  }
  auto cn = concord::net::ParseNonceCommonName(text);
  if (cn.ok() && concord::net::NonceCommonName(*cn) != text) {
    std::abort();
  }
  return 0;
}
