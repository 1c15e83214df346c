#include "concord/crypto/internal/spki_fast.h"

#include <openssl/core_names.h>

#include <algorithm>
#include <cstring>

#include "concord/crypto/openssl_status.h"

namespace concord::crypto::internal {
namespace {

// DER of SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING (0 unused) }
// up to the first byte of the uncompressed point (0x04).
constexpr uint8_t kP256Prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
constexpr uint8_t kP384Prefix[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                   0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                   0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00, 0x04};
// AlgorithmIdentifier { rsaEncryption, NULL }.
constexpr uint8_t kRsaAlgorithm[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                     0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

bool HasPrefix(ByteView der, const uint8_t* prefix, size_t n) {
  return der.size() >= n && std::memcmp(der.data(), prefix, n) == 0;
}

// A strict DER TLV reader over a byte range.
class DerReader {
 public:
  explicit DerReader(ByteView data) : data_(data) {}
  bool done() const { return data_.empty(); }

  // Reads one element with `tag`; its contents go to `out`. False on any
  // deviation from DER (indefinite or non-minimal length, overrun).
  bool Read(uint8_t tag, ByteView& out) {
    if (data_.size() < 2 || data_[0] != tag) {
      return false;
    }
    size_t len = data_[1];
    size_t header = 2;
    if (len & 0x80) {
      size_t n = len & 0x7f;
      if (n == 0 || n > 2 || data_.size() < 2 + n || data_[2] == 0) {
        return false;
      }
      len = 0;
      for (size_t i = 0; i < n; ++i) {
        len = len << 8 | data_[2 + i];
      }
      if (len < 0x80) {
        return false;  // Long form where the short form fits.
      }
      header += n;
    }
    if (data_.size() - header < len) {
      return false;
    }
    out = data_.subspan(header, len);
    data_ = data_.subspan(header + len);
    return true;
  }

 private:
  ByteView data_;
};

// A minimally encoded, positive DER INTEGER's magnitude.
bool PositiveInteger(ByteView contents, ByteView& magnitude) {
  if (contents.empty() || (contents[0] & 0x80) != 0) {
    return false;
  }
  if (contents[0] == 0) {
    if (contents.size() == 1 || (contents[1] & 0x80) == 0) {
      return false;
    }
    contents = contents.subspan(1);
  }
  magnitude = contents;
  return true;
}

absl::StatusOr<SslPtr<EVP_PKEY>> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  SslPtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  SslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslInternal("public key: build");
  }
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument, "public key: invalid key material");
  }
  return SslPtr<EVP_PKEY>(raw);
}

absl::StatusOr<std::optional<DecodedSpki>> DecodeEc(ByteView point, KeyType type) {
  SslPtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      type == KeyType::kEcP256 ? "prime256v1" : "secp384r1",
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslInternal("public key: params");
  }
  // EVP_PKEY_fromdata decodes the point with EC_POINT_oct2point, which
  // rejects points that are not on the curve.
  auto key = FromData("EC", bld.get());
  if (!key.ok()) {
    return absl::InvalidArgumentError("public key: EC point is not on the curve");
  }
  return std::optional<DecodedSpki>(DecodedSpki{*std::move(key), type});
}

absl::StatusOr<std::optional<DecodedSpki>> DecodeRsa(ByteView der) {
  DerReader outer(der);
  ByteView spki;
  if (!outer.Read(0x30, spki) || !outer.done()) {
    return std::nullopt;
  }
  if (!HasPrefix(spki, kRsaAlgorithm, sizeof(kRsaAlgorithm))) {
    return std::nullopt;
  }
  DerReader body(spki.subspan(sizeof(kRsaAlgorithm)));
  ByteView bits, rsa_key, n_der, e_der, n, e;
  if (!body.Read(0x03, bits) || !body.done() || bits.empty() || bits[0] != 0) {
    return std::nullopt;
  }
  DerReader key_seq(bits.subspan(1));
  if (!key_seq.Read(0x30, rsa_key) || !key_seq.done()) {
    return std::nullopt;
  }
  DerReader ints(rsa_key);
  if (!ints.Read(0x02, n_der) || !ints.Read(0x02, e_der) || !ints.done() ||
      !PositiveInteger(n_der, n) || !PositiveInteger(e_der, e)) {
    return std::nullopt;
  }
  SslPtr<BIGNUM> bn_n(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
  SslPtr<BIGNUM> bn_e(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
  SslPtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return OpenSslInternal("public key: params");
  }
  auto key = FromData("RSA", bld.get());
  if (!key.ok()) {
    return key.status();
  }
  return std::optional<DecodedSpki>(DecodedSpki{*std::move(key), KeyType::kRsa});
}

}  // namespace

absl::StatusOr<std::optional<DecodedSpki>> DecodeSpkiFast(ByteView der) {
  if (der.size() == sizeof(kP256Prefix) + 64 && HasPrefix(der, kP256Prefix, sizeof(kP256Prefix))) {
    return DecodeEc(der.subspan(sizeof(kP256Prefix) - 1), KeyType::kEcP256);
  }
  if (der.size() == sizeof(kP384Prefix) + 96 && HasPrefix(der, kP384Prefix, sizeof(kP384Prefix))) {
    return DecodeEc(der.subspan(sizeof(kP384Prefix) - 1), KeyType::kEcP384);
  }
  if (der.size() > sizeof(kRsaAlgorithm) + 4 && der[0] == 0x30) {
    return DecodeRsa(der);
  }
  return std::nullopt;
}

}  // namespace concord::crypto::internal
