#include "concord/initializer/initializer.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/crypto/x509.h"

namespace concord::initializer {
namespace {

// Verifies `leaf` (with `untrusted` intermediates) up to `anchor` at `now`.
absl::Status VerifyTo(X509* anchor, X509* leaf, const std::vector<X509*>& untrusted, absl::Time now,
                      absl::string_view anchor_name) {
  crypto::SslPtr<X509_STORE> store(X509_STORE_new());
  crypto::SslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  crypto::X509StackPtr chain(sk_X509_new_null());
  if (store == nullptr || ctx == nullptr || chain == nullptr ||
      X509_STORE_add_cert(store.get(), anchor) != 1) {
    return absl::InternalError("certificate check: out of memory");
  }
  for (X509* cert : untrusted) {
    if (X509_up_ref(cert) != 1 || sk_X509_push(chain.get(), cert) <= 0) {
      return absl::InternalError("certificate check: out of memory");
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, chain.get()) != 1) {
    return absl::InternalError("certificate check: X509_STORE_CTX_init failed");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    return absl::DataLossError(
        absl::StrCat("coordinator response: the certificate does not verify "
                     "against the ",
                     anchor_name, ": ", X509_verify_cert_error_string(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::SslPtr<X509>> ParseOne(absl::string_view pem, absl::string_view field) {
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> certs = crypto::ParseCertChainPem(pem, 1);
  if (!certs.ok() || certs->size() != 1) {
    return absl::DataLossError(
        absl::StrCat("coordinator response: ", field, ": want one PEM certificate",
                     certs.ok() ? "" : absl::StrCat(" (", certs.status().message(), ")")));
  }
  return std::move((*certs)[0]);
}

absl::StatusOr<crypto::Sha256Digest> SpkiSha256(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) {
    return absl::DataLossError("coordinator response: root_ca: cannot encode its public key");
  }
  std::unique_ptr<unsigned char, crypto::OpenSslFreeDeleter> owned(der);
  return crypto::Sha256(ByteView(der, static_cast<size_t>(len)));
}

// Lower-case hex straight into wiped memory.
crypto::SecretBytes HexSecret(const crypto::SecretBytes& secret) {
  static constexpr char kDigits[] = "0123456789abcdef";
  ByteView in = secret.Reveal();
  crypto::SecretBytes out(in.size() * 2);
  std::span<uint8_t> o = out.RevealMutable();
  for (size_t i = 0; i < in.size(); ++i) {
    o[2 * i] = static_cast<uint8_t>(kDigits[in[i] >> 4]);
    o[2 * i + 1] = static_cast<uint8_t>(kDigits[in[i] & 0xf]);
  }
  return out;
}

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToDoubleSeconds(d), "s"); }

}  // namespace

bool ConditionWaiter::WaitFor(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopped_), d);
  return !stopped_;
}

void ConditionWaiter::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

bool ConditionWaiter::stopped() const {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

absl::Duration Backoff::Next() {
  double factor = std::pow(options_.multiplier, attempt_);
  absl::Duration bound = std::min(options_.max, options_.initial * factor);
  if (bound < options_.max) {
    ++attempt_;
  }
  uint8_t bytes[8] = {};
  if (!random_.Fill(std::span<uint8_t>(bytes, sizeof(bytes))).ok()) {
    return bound;
  }
  uint64_t r = 0;
  for (uint8_t b : bytes) {
    r = (r << 8) | b;
  }
  // 53 random bits give a uniform double in [0, 1).
  double u = static_cast<double>(r >> 11) / static_cast<double>(uint64_t{1} << 53);
  return bound / 2 + (bound / 2) * u;
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<absl::Time> CheckMeshCertificate(
    const client::MeshCertificate& cert, const crypto::PrivateKey& key, absl::Time now,
    const std::optional<crypto::Sha256Digest>& root_pin) {
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> leaf,
                           ParseOne(cert.certificate_pem, "certificate"));
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> mesh_ca, ParseOne(cert.mesh_ca_pem, "mesh_ca"));
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> root_ca, ParseOne(cert.root_ca_pem, "root_ca"));
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> chain =
      crypto::ParseCertChainPem(cert.chain_pem);
  if (!chain.ok() || chain->size() != 2) {
    return absl::DataLossError(
        "coordinator response: chain: want two PEM certificates (leaf, intermediate)");
  }
  if (X509_cmp((*chain)[0].get(), leaf.get()) != 0) {
    return absl::DataLossError(
        "coordinator response: chain: the first certificate is not the issued certificate");
  }
  if (EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), key.RawEvpForSigning()) != 1) {
    return absl::DataLossError(
        "coordinator response: certificate: does not certify this workload's key");
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::Sha256Digest got, SpkiSha256(root_ca.get()));
  if (!cert.attested_root_ca_spki_sha256.has_value()) {
    return absl::UnavailableError(
        "coordinator response: the coordinator's evidence binds no root CA (not initialized, "
        "or a certificate from before it was)");
  }
  if (got != *cert.attested_root_ca_spki_sha256) {
    return absl::PermissionDeniedError(
        absl::StrCat("coordinator response: root CA SPKI SHA-256 ", HexEncode(ByteView(got)),
                     " is not the root CA the coordinator's evidence binds (",
                     HexEncode(ByteView(*cert.attested_root_ca_spki_sha256)), ")"));
  }
  if (root_pin.has_value()) {
    if (got != *root_pin) {
      return absl::PermissionDeniedError(
          absl::StrCat("coordinator response: root CA SPKI SHA-256 ", HexEncode(ByteView(got)),
                       " is not the policy's RootCaSpkiSha256 ", HexEncode(ByteView(*root_pin))));
    }
  }
  CONCORD_RETURN_IF_ERROR(VerifyTo(root_ca.get(), leaf.get(), {(*chain)[1].get()}, now, "root CA"));
  CONCORD_RETURN_IF_ERROR(VerifyTo(mesh_ca.get(), leaf.get(), {}, now, "mesh CA"));
  absl::StatusOr<absl::Time> not_after = crypto::Asn1TimeToAbsl(X509_get0_notAfter(leaf.get()));
  if (!not_after.ok()) {
    return absl::DataLossError("coordinator response: certificate: unreadable notAfter");
  }
  return *not_after;
}

absl::StatusOr<absl::Time> Initializer::AttemptOnce() {
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                           crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  CONCORD_ASSIGN_OR_RETURN(client::MeshCertificate cert,
                           deps_.source.Request(key, options_.attempt_timeout));
  CONCORD_ASSIGN_OR_RETURN(
      absl::Time not_after,
      CheckMeshCertificate(cert, key, deps_.clock.Now(), options_.root_ca_spki_sha256));
  OutputFiles files;
  CONCORD_ASSIGN_OR_RETURN(files.key_pem, key.ToPkcs8Pem());
  files.cert_chain_pem = cert.chain_pem;
  files.mesh_ca_pem = cert.mesh_ca_pem;
  files.root_ca_pem = cert.root_ca_pem;
  if (cert.workload_secret.has_value()) {
    files.workload_secret_hex = HexSecret(*cert.workload_secret);
  }
  CONCORD_RETURN_IF_ERROR(deps_.out.Write(files));
  deps_.logger.Info("certificate written",
                    {{"policy", cert.policy_name},
                     {"generation", absl::StrCat(cert.generation)},
                     {"not_after", FormatRfc3339(not_after)},
                     {"workload_secret", cert.workload_secret.has_value() ? "yes" : "no"},
                     {"dir", deps_.out.path()}});
  return not_after;
}

absl::StatusOr<absl::Time> Initializer::Obtain(std::optional<absl::Time> deadline) {
  Backoff backoff(options_.backoff, deps_.random);
  absl::Status last = absl::OkStatus();
  for (int attempt = 1;; ++attempt) {
    if (deps_.waiter.stopped()) {
      return absl::CancelledError("stopped before a certificate was issued");
    }
    absl::StatusOr<absl::Time> result = AttemptOnce();
    if (result.ok() || !IsRetryable(result.status())) {
      return result;
    }
    last = result.status();
    absl::Duration delay = backoff.Next();
    if (deadline.has_value()) {
      absl::Duration remaining = *deadline - deps_.clock.Now();
      if (remaining <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(
            absl::StrCat("no certificate within ", absl::FormatDuration(options_.timeout), " (",
                         attempt, " attempts); last error: ", last.ToString()));
      }
      delay = std::min(delay, remaining);
    }
    deps_.logger.Warning("coordinator not ready, retrying", {{"attempt", absl::StrCat(attempt)},
                                                             {"retry_in", Seconds(delay)},
                                                             {"error", last.ToString()}});
    if (!deps_.waiter.WaitFor(delay)) {
      return absl::CancelledError("stopped before a certificate was issued");
    }
  }
}

absl::Status Initializer::Run() {
  if (options_.mode == Mode::kOneshot) {
    return Obtain(deps_.clock.Now() + options_.timeout).status();
  }
  while (true) {
    absl::StatusOr<absl::Time> not_after = Obtain(std::nullopt);
    if (!not_after.ok()) {
      if (absl::IsCancelled(not_after.status()) && deps_.waiter.stopped()) {
        return absl::OkStatus();
      }
      return not_after.status();
    }
    absl::Time now = deps_.clock.Now();
    absl::Duration wait = (*not_after - now) * options_.renew_at;
    // Never spin on a certificate that is about to expire.
    wait = std::max(wait, absl::Seconds(1));
    deps_.logger.Info("next renewal", {{"at", FormatRfc3339(now + wait)}});
    if (!deps_.waiter.WaitFor(wait)) {
      return absl::OkStatus();
    }
  }
}

}  // namespace concord::initializer
