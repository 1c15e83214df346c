// Fuzzes the certificate, CRL and public-key decoders that evidence and
// manifests reach with untrusted bytes: crypto::ParseCertDerOrPem,
// ParseCertChainPem, ParseCrlDerOrPem, PublicKey::FromSpkiDer/FromSpkiPem.
// Must never crash or leak; whatever parses must re-encode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  concord::ByteView input(data, size);
  auto cert = concord::crypto::ParseCertDerOrPem(input);
  if (cert.ok() && !concord::crypto::CertToDer(cert->get()).ok()) {
    std::abort();
  }
  auto chain = concord::crypto::ParseCertChainPem(concord::AsStringView(input));
  if (chain.ok() && (chain->empty() || chain->size() > concord::crypto::kMaxChainCerts)) {
    std::abort();
  }
  (void)concord::crypto::ParseCrlDerOrPem(input);
  auto key = concord::crypto::PublicKey::FromSpkiDer(input);
  if (key.ok()) {
    // Canonical DER round-trips.
    auto again = concord::crypto::PublicKey::FromSpkiDer(key->spki_der());
    if (!again.ok() || again->spki_der() != key->spki_der()) {
      std::abort();
    }
  }
  (void)concord::crypto::PublicKey::FromSpkiPem(concord::AsStringView(input));
  concord::crypto::ClearOpenSslErrors();
  return 0;
}
