// Fuzzes the aTLS evidence-extension decoder (strict DER) and the peer
// certificate parser. Properties: no crash; anything DecodeEvidence accepts
// re-encodes to exactly the same bytes (DER is canonical); the nonce codecs
// accept only what they produce.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "concord/atls/atls_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  concord::ByteView input(data, size);
  auto evidence = concord::atls::DecodeEvidence(input);
  if (evidence.ok()) {
    auto encoded = concord::atls::EncodeEvidence(*evidence);
    if (!encoded.ok() || *encoded != concord::Bytes(input.begin(), input.end())) {
      std::abort();
    }
  }
  (void)concord::atls::ParsePeerCertificate(input);
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto nonce = concord::atls::ParseNonceAlpn(text);
  if (nonce.ok() && concord::atls::NonceAlpn(*nonce) != text) {
    std::abort();
  }
  auto cn = concord::atls::ParseNonceCommonName(text);
  if (cn.ok() && concord::atls::NonceCommonName(*cn) != text) {
    std::abort();
  }
  return 0;
}
