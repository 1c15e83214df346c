#include "concord/attest/snp/amd_roots.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "concord/attest/snp/amd_roots_data.h"
#include "concord/attest/snp/signer_cert.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/x509.h"

namespace concord::attest {
namespace {

absl::StatusOr<crypto::SslPtr<X509>> LoadEmbedded(const internal::EmbeddedCert& embedded,
                                                  SnpProduct product, absl::string_view role) {
  auto certs = crypto::ParseCertChainPem(embedded.pem, 1);
  if (!certs.ok()) {
    return absl::InternalError(absl::StrCat("snp: compiled-in ", SnpProductName(product), " ", role,
                                            " does not parse: ", certs.status().message()));
  }
  crypto::SslPtr<X509> cert = std::move((*certs)[0]);
  CONCORD_ASSIGN_OR_RETURN(Bytes der, crypto::CertToDer(cert.get()));
  std::string fingerprint = HexEncode(crypto::Sha256(der));
  if (fingerprint != embedded.sha256_hex) {
    return absl::InternalError(absl::StrCat("snp: compiled-in ", SnpProductName(product), " ", role,
                                            " has SHA-256 ", fingerprint, ", want ",
                                            embedded.sha256_hex));
  }
  return cert;
}

absl::StatusOr<std::array<AmdRootCerts, 3>> LoadAll() {
  std::array<AmdRootCerts, 3> out;
  const auto& table = internal::AmdRootDataTable();
  for (size_t i = 0; i < table.size(); ++i) {
    out[i].product = table[i].product;
    CONCORD_ASSIGN_OR_RETURN(out[i].ark, LoadEmbedded(table[i].ark, table[i].product, "ARK"));
    CONCORD_ASSIGN_OR_RETURN(out[i].ask, LoadEmbedded(table[i].ask, table[i].product, "ASK"));
    CONCORD_ASSIGN_OR_RETURN(out[i].asvk, LoadEmbedded(table[i].asvk, table[i].product, "ASVK"));
  }
  return out;
}

}  // namespace

absl::StatusOr<const AmdRootCerts*> GetAmdRoots(SnpProduct product) {
  // Parsed and fingerprint-checked once; immutable afterwards.
  static const absl::StatusOr<std::array<AmdRootCerts, 3>>* const kRoots =
      new absl::StatusOr<std::array<AmdRootCerts, 3>>(LoadAll());
  if (!kRoots->ok()) {
    return kRoots->status();
  }
  for (const AmdRootCerts& roots : **kRoots) {
    if (roots.product == product) {
      return &roots;
    }
  }
  return absl::InternalError("snp: no compiled-in roots for this product");
}

absl::Status VerifyAmdChain(X509* leaf, SnpProduct product, SnpSigningKey key, absl::Time at) {
  CONCORD_ASSIGN_OR_RETURN(const AmdRootCerts* roots, GetAmdRoots(product));
  X509* intermediate = key == SnpSigningKey::kVlek ? roots->asvk.get() : roots->ask.get();
  return VerifySignerChain(leaf, intermediate, roots->ark.get(), at, "snp", SnpSigningKeyName(key));
}

}  // namespace concord::attest
