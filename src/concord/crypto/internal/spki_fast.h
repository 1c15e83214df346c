// Fast SubjectPublicKeyInfo decoding for the key shapes Concord meets on hot
// paths (manifest owner keys, transition authorizations): named-curve P-256
// and P-384 with uncompressed points, and RSA. OpenSSL 3.0's d2i_PUBKEY goes
// through the provider decoder chain and, with the canonical re-encoding
// check, cost ~350 µs per key here (bench/crypto_bench BM_FromSpkiDer); this
// path parses the strict DER itself and builds the key with
// EVP_PKEY_fromdata. keys_test cross-checks it against the OpenSSL decoder on
// valid and mutated inputs. Thread-safe (pure).
#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::crypto::internal {

struct DecodedSpki {
  SslPtr<EVP_PKEY> key;
  KeyType type;
};

// std::nullopt when `der` is not one of the recognized shapes in canonical
// DER (the caller then uses the general decoder). InvalidArgument when it is
// recognized but the key material is invalid (point not on the curve, RSA
// integers malformed).
absl::StatusOr<std::optional<DecodedSpki>> DecodeSpkiFast(ByteView der);

}  // namespace concord::crypto::internal
