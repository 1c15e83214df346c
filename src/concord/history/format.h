// The history's wire formats (docs/protocol.md, "History"): the binary
// transition object, the signed `latest` pointer, their signature inputs and
// the store key of every content-addressed object. Parsers are strict (exact
// lengths, versions, canonical keys, no trailing bytes) and never trust their
// input. Used by the history verifier and writer, the CLI and the fuzzer.
// Thread-safe (pure functions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/p384_verify.h"

namespace concord::history {

// Format version of transitions and of latest.
inline constexpr uint8_t kFormatVersion = 1;

// Domain-separation labels, each followed by one 0x00 byte in the signature
// input.
inline constexpr absl::string_view kAuthorizationLabel = "concord-history-authorization-v1";
inline constexpr absl::string_view kLatestLabel = "concord-history-latest-v1";

// Limits: an RSA-8192 SPKI is ~1.1 KiB and its signature 1 KiB; a DER
// ECDSA P-384 signature is at most 104 bytes.
inline constexpr size_t kMaxOwnerKeySize = crypto::kMaxSpkiDerSize;
inline constexpr size_t kMaxAuthorizationSignatureSize = 1024;
inline constexpr size_t kTransitionFixedSize = 110;
inline constexpr size_t kMaxTransitionSize =
    kTransitionFixedSize + kMaxOwnerKeySize + kMaxAuthorizationSignatureSize;
inline constexpr size_t kMinLatestSignatureSize = 8;
inline constexpr size_t kMaxLatestSignatureSize = 104;
inline constexpr size_t kLatestFixedSize = 43;
inline constexpr size_t kMaxLatestSize = kLatestFixedSize + kMaxLatestSignatureSize;

enum class TransitionKind : uint8_t {
  kManifest = 1,  // sets a (new) manifest
  kRecovery = 2,  // manual recovery by a seed-share owner; manifest unchanged
};

// "manifest" / "recovery".
absl::string_view TransitionKindName(TransitionKind kind);

// Who authorized a transition: an owner's public key and its signature over
// AuthorizationMessage(). ECDSA keys sign DER ECDSA (SHA-256 for P-256,
// SHA-384 for P-384); RSA keys sign RSASSA-PSS (SHA-256, MGF1-SHA-256,
// 32-byte salt).
struct Authorization {
  crypto::PublicKey owner_key;
  Bytes signature;
};

struct Transition {
  TransitionKind kind = TransitionKind::kManifest;
  uint64_t generation = 0;  // genesis = 1, then +1 each
  crypto::Sha256Digest manifest_hash{};
  crypto::Sha256Digest previous_hash{};  // all zero for genesis
  crypto::Sha256Digest ca_bundle_hash{};
  std::optional<Authorization> authorization;  // absent only for an immutable genesis
};

// Encodes `t`. InvalidArgument if a field is out of range (generation 0,
// genesis with a non-zero previous hash or of kind recovery, later
// generation with a zero previous hash, oversized signature, a key without a
// signature).
absl::StatusOr<Bytes> EncodeTransition(const Transition& t);

// Parses an encoded transition. InvalidArgument naming the field on any
// deviation from the format (including a non-canonical owner key encoding and
// trailing bytes).
absl::StatusOr<Transition> ParseTransition(ByteView data);

// As above, with the owner key parsed by `parse_key` (which must behave like
// crypto::PublicKey::FromSpkiDer), so a verifier can reuse parsed keys: an
// owner signs many transitions and SPKI decoding dominates parse time.
using SpkiParser = absl::FunctionRef<absl::StatusOr<crypto::PublicKey>(ByteView spki_der)>;
absl::StatusOr<Transition> ParseTransition(ByteView data, SpkiParser parse_key);

// SHA-256 of an encoded transition: its identity and store key.
crypto::Sha256Digest TransitionHash(ByteView encoded);

// The bytes an owner signs: kAuthorizationLabel || 0x00 || kind (1 byte) ||
// manifest hash (32) || previous transition hash (32).
Bytes AuthorizationMessage(TransitionKind kind, const crypto::Sha256Digest& manifest_hash,
                           const crypto::Sha256Digest& previous_hash);

// Signs AuthorizationMessage() with `owner` (ECDSA or RSA-PSS by key type).
// For owners' tooling and tests.
absl::StatusOr<Authorization> SignAuthorization(const crypto::PrivateKey& owner,
                                                TransitionKind kind,
                                                const crypto::Sha256Digest& manifest_hash,
                                                const crypto::Sha256Digest& previous_hash);

// Authorizations that verified lately, by the SHA-256 of key, message and
// signature (the last 16). A coordinator checks an update's authorization
// before it makes the transition's certificates, and the history writer
// checks the whole transition again before it commits: with one of these
// shared by both, the second check of the same bytes is a lookup instead of
// a second P-384 verification. Verification is a pure function of the three
// inputs and only successes are remembered, so a hit answers exactly as a
// verification would. Owned by whoever verifies (a coordinator has one);
// thread-safe.
class VerifiedAuthorizations final {
 public:
  VerifiedAuthorizations() = default;
  VerifiedAuthorizations(const VerifiedAuthorizations&) = delete;
  VerifiedAuthorizations& operator=(const VerifiedAuthorizations&) = delete;

  bool Contains(const crypto::Sha256Digest& id) const;
  void Add(const crypto::Sha256Digest& id);

 private:
  mutable absl::Mutex mu_;
  // All-zero entries never match: no SHA-256 output is known to be zero.
  std::array<crypto::Sha256Digest, 16> ids_ ABSL_GUARDED_BY(mu_){};
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
};

// Checks `auth` over the given transition fields. Unauthenticated when the
// signature does not verify. With `verified`, a success is remembered there
// and an authorization found there is not verified again.
[[nodiscard]] absl::Status VerifyAuthorization(const Authorization& auth, TransitionKind kind,
                                               const crypto::Sha256Digest& manifest_hash,
                                               const crypto::Sha256Digest& previous_hash,
                                               VerifiedAuthorizations* verified = nullptr);

// The signed pointer to the newest transition.
struct Latest {
  crypto::Sha256Digest transition_hash{};
  uint64_t generation = 0;
  Bytes signature;  // DER ECDSA P-384 / SHA-384 by the history key
};

// The bytes the history key signs: kLatestLabel || 0x00 || generation
// (8, big-endian) || transition hash (32).
Bytes LatestMessage(uint64_t generation, const crypto::Sha256Digest& transition_hash);

// Encodes `latest`. InvalidArgument for generation 0 or a signature length
// outside [kMinLatestSignatureSize, kMaxLatestSignatureSize].
absl::StatusOr<Bytes> EncodeLatest(const Latest& latest);

// Parses `latest`. InvalidArgument naming the field on any deviation.
absl::StatusOr<Latest> ParseLatest(ByteView data);

// Signs a new latest with the history key (ECDSA P-384). InvalidArgument if
// the key is not P-384.
absl::StatusOr<Latest> SignLatest(const crypto::PrivateKey& history_key, uint64_t generation,
                                  const crypto::Sha256Digest& transition_hash);

// Unauthenticated unless `latest` is signed by `history_key`.
[[nodiscard]] absl::Status VerifyLatest(const crypto::PublicKey& history_key, const Latest& latest);

// As above on nettle's faster P-384 verifier (crypto/p384_verify.h), for a
// verifier that checks many latest values with one key. A signature that is
// not strict DER is Unauthenticated.
[[nodiscard]] absl::Status VerifyLatest(const crypto::P384Verifier& history_key,
                                        const Latest& latest);

}  // namespace concord::history
