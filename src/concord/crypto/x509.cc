#include "concord/crypto/x509.h"

#include <openssl/pem.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "concord/common/time_format.h"
#include "concord/crypto/openssl_status.h"

namespace concord::crypto {

absl::StatusOr<SslPtr<X509>> ParseCertDer(ByteView der) {
  if (der.empty() || der.size() > kMaxCertDerSize) {
    return absl::InvalidArgumentError(absl::StrCat("certificate: want 1 to ", kMaxCertDerSize,
                                                   " bytes of DER, got ", der.size()));
  }
  const unsigned char* p = der.data();
  SslPtr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "certificate: not DER X.509");
  }
  if (p != der.data() + der.size()) {
    return absl::InvalidArgumentError("certificate: trailing bytes after DER X.509");
  }
  return cert;
}

absl::StatusOr<std::vector<SslPtr<X509>>> ParseCertChainPem(absl::string_view pem,
                                                            size_t max_certs) {
  if (pem.size() > max_certs * kMaxCertDerSize * 2) {
    return absl::InvalidArgumentError("certificate chain: PEM too large");
  }
  SslPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return OpenSslInternal("certificate chain: BIO");
  }
  std::vector<SslPtr<X509>> certs;
  while (true) {
    SslPtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) {
      break;
    }
    if (certs.size() == max_certs) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate chain: more than ", max_certs, " certificates"));
    }
    certs.push_back(std::move(cert));
  }
  ClearOpenSslErrors();  // The loop ends on "no start line".
  if (certs.empty()) {
    return absl::InvalidArgumentError("certificate chain: no PEM CERTIFICATE block");
  }
  return certs;
}

absl::StatusOr<SslPtr<X509>> ParseCertDerOrPem(ByteView data) {
  if (!data.empty() && data[0] == 0x30) {
    return ParseCertDer(data);
  }
  auto chain = ParseCertChainPem(AsStringView(data), 1);
  if (!chain.ok()) {
    return chain.status();
  }
  return std::move((*chain)[0]);
}

absl::StatusOr<SslPtr<X509_CRL>> ParseCrlDerOrPem(ByteView data) {
  if (data.empty() || data.size() > 4 * 1024 * 1024) {
    return absl::InvalidArgumentError("CRL: want 1 byte to 4 MiB");
  }
  SslPtr<X509_CRL> crl;
  if (data[0] == 0x30) {
    const unsigned char* p = data.data();
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
    if (crl != nullptr && p != data.data() + data.size()) {
      return absl::InvalidArgumentError("CRL: trailing bytes after DER");
    }
  } else {
    SslPtr<BIO> bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (bio != nullptr) {
      crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    }
  }
  if (crl == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "CRL: not DER or PEM X.509 CRL");
  }
  return crl;
}

absl::StatusOr<Bytes> CertToDer(X509* cert) {
  return I2dDer(cert, i2d_X509, "certificate: encode DER");
}

absl::StatusOr<std::string> CertToPem(X509* cert) {
  SslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslInternal("certificate: encode PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<absl::Time> Asn1TimeToAbsl(const ASN1_TIME* t) {
  struct tm tm_value = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm_value) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("certificate: malformed time");
  }
  absl::CivilSecond civil(tm_value.tm_year + 1900, tm_value.tm_mon + 1, tm_value.tm_mday,
                          tm_value.tm_hour, tm_value.tm_min, tm_value.tm_sec);
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

absl::StatusOr<int> VerifyCertChain(X509* leaf, const std::vector<X509*>& intermediates, X509* root,
                                    const std::vector<X509_CRL*>& crls, unsigned long flags,
                                    absl::Time at, absl::string_view setup_prefix,
                                    absl::string_view what) {
  auto setup_error = [&](absl::string_view step) {
    return OpenSslInternal(absl::StrCat(setup_prefix, ": ", step));
  };
  SslPtr<X509_STORE> store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  SslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (store == nullptr || untrusted == nullptr || ctx == nullptr) {
    return setup_error("chain verification setup");
  }
  if (X509_STORE_add_cert(store.get(), root) != 1) {
    return setup_error("add trust anchor");
  }
  for (X509_CRL* crl : crls) {
    if (X509_STORE_add_crl(store.get(), crl) != 1) {
      return setup_error("add CRL");
    }
  }
  for (X509* c : intermediates) {
    if (X509_up_ref(c) != 1) {
      return setup_error("up-ref intermediate");
    }
    SslPtr<X509> ref(c);
    if (sk_X509_push(untrusted.get(), ref.get()) <= 0) {
      return setup_error("intermediate stack");
    }
    static_cast<void>(ref.release());  // Now owned by `untrusted`.
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    return setup_error("chain verification init");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(at));
  X509_VERIFY_PARAM_set_flags(param, flags);
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(intermediates.size()) + 1);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ClearOpenSslErrors();
    return absl::UnauthenticatedError(absl::StrCat(what, ": ", X509_verify_cert_error_string(err),
                                                   " (at ", FormatRfc3339(at), ")"));
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  return chain == nullptr ? 0 : sk_X509_num(chain);
}

}  // namespace concord::crypto
