// Two hogweed-managed mpz_t values, held in hogweed's `struct dsa_signature`
// (its init/clear/set/get are hogweed's, so the crypto target needs no
// -lgmp). The nettle P-384 verifier uses one for a signature's (r, s) and for
// a public point's (x, y); the signer for the (r, s) it makes. Public values
// only: never a private key.
#pragma once

#include <nettle/bignum.h>
#include <nettle/dsa.h>

#include <span>

#include "concord/common/bytes.h"

namespace concord::crypto::internal {

class MpzPair final {
 public:
  MpzPair() { dsa_signature_init(&sig_); }
  ~MpzPair() { dsa_signature_clear(&sig_); }
  MpzPair(const MpzPair&) = delete;
  MpzPair& operator=(const MpzPair&) = delete;

  // Sets both values from big-endian unsigned bytes.
  void Set(ByteView first_be, ByteView second_be) {
    nettle_mpz_set_str_256_u(sig_.r, first_be.size(), first_be.data());
    nettle_mpz_set_str_256_u(sig_.s, second_be.size(), second_be.data());
  }
  // Writes both values big-endian, left-padded with zeros to each span's size
  // (each value must fit).
  void Get(std::span<uint8_t> first_out, std::span<uint8_t> second_out) const {
    nettle_mpz_get_str_256(first_out.size(), first_out.data(), sig_.r);
    nettle_mpz_get_str_256(second_out.size(), second_out.data(), sig_.s);
  }
  struct dsa_signature* sig() {
    return &sig_;
  }
  const struct dsa_signature* sig() const { return &sig_; }
  mpz_srcptr first() const { return sig_.r; }
  mpz_srcptr second() const { return sig_.s; }

 private:
  struct dsa_signature sig_;
};

}  // namespace concord::crypto::internal
