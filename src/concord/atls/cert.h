// Certificate helpers shared by net's server and clients (not part of the
// aTLS API): self-signed certificates with or without the evidence
// extension, and peer-certificate parsing from an already decoded X509 (the
// TLS stack has parsed it once; decoding it again costs ~250 us).
#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/atls/atls_protocol.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::atls {

// A self-signed certificate for `key` (ECDSA P-256/P-384 or RSA), valid
// [now - 1 min, now + validity], CN = `common_name`, with the evidence
// extension holding `evidence_extension` when not null, and the bound-root
// subjectAltName URI when `bound_root_ca` is set.
absl::StatusOr<Bytes> MakeSelfSignedCertificate(
    const crypto::PrivateKey& key, const Bytes* evidence_extension, absl::string_view common_name,
    absl::Time now, absl::Duration validity,
    const std::optional<crypto::Sha256Digest>& bound_root_ca = std::nullopt);

// ParsePeerCertificate for a decoded certificate (`der` is its encoding).
absl::StatusOr<PeerCertificate> ParsePeerX509(X509* cert, Bytes der);
absl::StatusOr<PeerCertificate> ParsePeerX509(X509* cert);

}  // namespace concord::atls
