// Owning smart pointers for OpenSSL objects: SslPtr<T> is a unique_ptr with
// the matching *_free deleter. This header is the only place that names
// OpenSSL free functions; everything else owns OpenSSL objects through SslPtr.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace concord::crypto {
namespace internal {

template <typename T>
struct SslDeleter;

#define CONCORD_SSL_DELETER(Type, free_fn)         \
  template <>                                      \
  struct SslDeleter<Type> {                        \
    void operator()(Type* p) const { free_fn(p); } \
  }

CONCORD_SSL_DELETER(EVP_PKEY, EVP_PKEY_free);
CONCORD_SSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
CONCORD_SSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
CONCORD_SSL_DELETER(EVP_MD, EVP_MD_free);
CONCORD_SSL_DELETER(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
CONCORD_SSL_DELETER(EVP_KDF, EVP_KDF_free);
CONCORD_SSL_DELETER(EVP_KDF_CTX, EVP_KDF_CTX_free);
CONCORD_SSL_DELETER(X509, X509_free);
CONCORD_SSL_DELETER(X509_REQ, X509_REQ_free);
CONCORD_SSL_DELETER(X509_CRL, X509_CRL_free);
CONCORD_SSL_DELETER(X509_NAME, X509_NAME_free);
CONCORD_SSL_DELETER(X509_EXTENSION, X509_EXTENSION_free);
CONCORD_SSL_DELETER(X509_STORE, X509_STORE_free);
CONCORD_SSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free);
CONCORD_SSL_DELETER(X509_PUBKEY, X509_PUBKEY_free);
CONCORD_SSL_DELETER(X509_ALGOR, X509_ALGOR_free);
CONCORD_SSL_DELETER(X509_VERIFY_PARAM, X509_VERIFY_PARAM_free);
CONCORD_SSL_DELETER(BIO, BIO_free_all);
CONCORD_SSL_DELETER(BIGNUM, BN_clear_free);
CONCORD_SSL_DELETER(BN_CTX, BN_CTX_free);
CONCORD_SSL_DELETER(EC_GROUP, EC_GROUP_free);
CONCORD_SSL_DELETER(EC_POINT, EC_POINT_clear_free);
CONCORD_SSL_DELETER(ECDSA_SIG, ECDSA_SIG_free);
CONCORD_SSL_DELETER(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free);
CONCORD_SSL_DELETER(OSSL_PARAM, OSSL_PARAM_free);
// ASN1_INTEGER, ASN1_OCTET_STRING, ASN1_TIME and ASN1_BIT_STRING are all
// ASN1_STRING: use SslPtr<ASN1_STRING> for any of them.
CONCORD_SSL_DELETER(ASN1_STRING, ASN1_STRING_free);
CONCORD_SSL_DELETER(ASN1_OBJECT, ASN1_OBJECT_free);
CONCORD_SSL_DELETER(ASN1_TYPE, ASN1_TYPE_free);
CONCORD_SSL_DELETER(GENERAL_NAMES, GENERAL_NAMES_free);
CONCORD_SSL_DELETER(GENERAL_NAME, GENERAL_NAME_free);
CONCORD_SSL_DELETER(BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free);
CONCORD_SSL_DELETER(EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free);
CONCORD_SSL_DELETER(SSL_CTX, SSL_CTX_free);
CONCORD_SSL_DELETER(SSL, SSL_free);

#undef CONCORD_SSL_DELETER

// STACK_OF(X509) owning its elements.
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

}  // namespace internal

template <typename T>
using SslPtr = std::unique_ptr<T, internal::SslDeleter<T>>;

using X509StackPtr = std::unique_ptr<STACK_OF(X509), internal::X509StackDeleter>;

// Takes ownership of an OPENSSL_malloc'd buffer (i2d_* output) and frees it.
struct OpenSslFreeDeleter {
  void operator()(void* p) const { OPENSSL_free(p); }
};

}  // namespace concord::crypto
