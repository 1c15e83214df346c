#include "concord/history/format.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/rsa.h"

namespace concord::history {
namespace {

bool IsZero(const crypto::Sha256Digest& d) {
  return std::all_of(d.begin(), d.end(), [](uint8_t b) { return b == 0; });
}

// Bounds-checked big-endian reader over a byte string. Every read names the
// field it is for, so a short input says which field was cut off.
class Reader {
 public:
  Reader(ByteView data, absl::string_view what) : data_(data), what_(what) {}

  absl::Status Need(size_t n, absl::string_view field) const {
    if (data_.size() - pos_ < n) {
      return absl::InvalidArgumentError(absl::StrCat(what_, ": truncated at ", field, " (offset ",
                                                     pos_, ", need ", n, " bytes, have ",
                                                     data_.size() - pos_, ")"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> ReadUint(size_t n, absl::string_view field) {
    CONCORD_RETURN_IF_ERROR(Need(n, field));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = (v << 8) | data_[pos_ + i];
    }
    pos_ += n;
    return v;
  }
  absl::StatusOr<crypto::Sha256Digest> ReadDigest(absl::string_view field) {
    CONCORD_RETURN_IF_ERROR(Need(32, field));
    crypto::Sha256Digest d;
    std::copy_n(data_.begin() + pos_, 32, d.begin());
    pos_ += 32;
    return d;
  }
  absl::StatusOr<ByteView> ReadBytes(size_t n, absl::string_view field) {
    CONCORD_RETURN_IF_ERROR(Need(n, field));
    ByteView out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  absl::Status ExpectEnd() const {
    if (pos_ != data_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what_, ": ", data_.size() - pos_, " trailing bytes after offset ", pos_));
    }
    return absl::OkStatus();
  }

 private:
  ByteView data_;
  absl::string_view what_;
  size_t pos_ = 0;
};

void AppendDigest(Bytes& out, const crypto::Sha256Digest& d) { Append(out, d); }

void AppendLabel(Bytes& out, absl::string_view label) {
  Append(out, AsBytes(label));
  out.push_back(0x00);
}

}  // namespace

absl::string_view TransitionKindName(TransitionKind kind) {
  switch (kind) {
    case TransitionKind::kManifest:
      return "manifest";
    case TransitionKind::kRecovery:
      return "recovery";
  }
  return "unknown";
}

absl::StatusOr<Bytes> EncodeTransition(const Transition& t) {
  if (t.kind != TransitionKind::kManifest && t.kind != TransitionKind::kRecovery) {
    return absl::InvalidArgumentError("transition: kind: want manifest or recovery");
  }
  if (t.generation == 0) {
    return absl::InvalidArgumentError("transition: generation: want >= 1, got 0");
  }
  // Generation 1 has no previous transition: the field holds the one-time
  // challenge its first set signed (all zero in histories made before
  // challenges, or for an unsigned immutable first manifest).
  if (t.generation == 1 && t.kind != TransitionKind::kManifest) {
    return absl::InvalidArgumentError(
        "transition: kind: generation 1 must be a manifest transition");
  }
  if (t.generation > 1 && IsZero(t.previous_hash)) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition: previous hash: all zero for generation ", t.generation));
  }
  Bytes out;
  out.reserve(kTransitionFixedSize);
  out.push_back(kFormatVersion);
  out.push_back(static_cast<uint8_t>(t.kind));
  AppendBigEndian(out, t.generation, 8);
  AppendDigest(out, t.manifest_hash);
  AppendDigest(out, t.previous_hash);
  AppendDigest(out, t.ca_bundle_hash);
  if (t.authorization.has_value()) {
    const Bytes& key = t.authorization->owner_key.spki_der();
    const Bytes& sig = t.authorization->signature;
    if (key.empty() || key.size() > kMaxOwnerKeySize) {
      return absl::InvalidArgumentError(absl::StrCat("transition: owner key: want 1..",
                                                     kMaxOwnerKeySize, " bytes, got ", key.size()));
    }
    if (sig.empty() || sig.size() > kMaxAuthorizationSignatureSize) {
      return absl::InvalidArgumentError(absl::StrCat("transition: signature: want 1..",
                                                     kMaxAuthorizationSignatureSize, " bytes, got ",
                                                     sig.size()));
    }
    AppendBigEndian(out, key.size(), 2);
    Append(out, key);
    AppendBigEndian(out, sig.size(), 2);
    Append(out, sig);
  } else {
    AppendBigEndian(out, 0, 2);
    AppendBigEndian(out, 0, 2);
  }
  return out;
}

absl::StatusOr<Transition> ParseTransition(ByteView data) {
  return ParseTransition(data, [](ByteView spki) { return crypto::PublicKey::FromSpkiDer(spki); });
}

absl::StatusOr<Transition> ParseTransition(ByteView data, SpkiParser parse_key) {
  if (data.size() > kMaxTransitionSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition: ", data.size(), " bytes, limit ", kMaxTransitionSize));
  }
  Reader r(data, "transition");
  CONCORD_ASSIGN_OR_RETURN(uint64_t version, r.ReadUint(1, "version"));
  if (version != kFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat("transition: version: want 1, got ", version));
  }
  Transition t;
  CONCORD_ASSIGN_OR_RETURN(uint64_t kind, r.ReadUint(1, "kind"));
  if (kind != static_cast<uint8_t>(TransitionKind::kManifest) &&
      kind != static_cast<uint8_t>(TransitionKind::kRecovery)) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition: kind: want 1 (manifest) or 2 (recovery), got ", kind));
  }
  t.kind = static_cast<TransitionKind>(kind);
  CONCORD_ASSIGN_OR_RETURN(t.generation, r.ReadUint(8, "generation"));
  CONCORD_ASSIGN_OR_RETURN(t.manifest_hash, r.ReadDigest("manifest hash"));
  CONCORD_ASSIGN_OR_RETURN(t.previous_hash, r.ReadDigest("previous hash"));
  CONCORD_ASSIGN_OR_RETURN(t.ca_bundle_hash, r.ReadDigest("CA bundle hash"));
  CONCORD_ASSIGN_OR_RETURN(uint64_t key_len, r.ReadUint(2, "owner key length"));
  if (key_len > kMaxOwnerKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "transition: owner key length: want <= ", kMaxOwnerKeySize, ", got ", key_len));
  }
  CONCORD_ASSIGN_OR_RETURN(ByteView key, r.ReadBytes(key_len, "owner key"));
  CONCORD_ASSIGN_OR_RETURN(uint64_t sig_len, r.ReadUint(2, "signature length"));
  if (sig_len > kMaxAuthorizationSignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition: signature length: want <= ", kMaxAuthorizationSignatureSize,
                     ", got ", sig_len));
  }
  CONCORD_ASSIGN_OR_RETURN(ByteView sig, r.ReadBytes(sig_len, "signature"));
  CONCORD_RETURN_IF_ERROR(r.ExpectEnd());
  if ((key_len == 0) != (sig_len == 0)) {
    return absl::InvalidArgumentError(
        "transition: authorization: owner key and signature must both be present or both "
        "be absent");
  }
  if (key_len > 0) {
    absl::StatusOr<crypto::PublicKey> owner = parse_key(key);
    if (!owner.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("transition: owner key: ", owner.status().message()));
    }
    if (!std::equal(key.begin(), key.end(), owner->spki_der().begin(), owner->spki_der().end())) {
      return absl::InvalidArgumentError("transition: owner key: not canonical DER");
    }
    t.authorization = Authorization{*std::move(owner), Bytes(sig.begin(), sig.end())};
  }
  // The same field rules as the encoder.
  absl::StatusOr<Bytes> reencoded = EncodeTransition(t);
  if (!reencoded.ok()) {
    return reencoded.status();
  }
  return t;
}

crypto::Sha256Digest TransitionHash(ByteView encoded) { return crypto::Sha256(encoded); }

Bytes AuthorizationMessage(TransitionKind kind, const crypto::Sha256Digest& manifest_hash,
                           const crypto::Sha256Digest& previous_hash) {
  Bytes out;
  AppendLabel(out, kAuthorizationLabel);
  out.push_back(static_cast<uint8_t>(kind));
  AppendDigest(out, manifest_hash);
  AppendDigest(out, previous_hash);
  return out;
}

absl::StatusOr<Authorization> SignAuthorization(const crypto::PrivateKey& owner,
                                                TransitionKind kind,
                                                const crypto::Sha256Digest& manifest_hash,
                                                const crypto::Sha256Digest& previous_hash) {
  const Bytes message = AuthorizationMessage(kind, manifest_hash, previous_hash);
  Bytes signature;
  if (owner.type() == crypto::KeyType::kRsa) {
    CONCORD_ASSIGN_OR_RETURN(signature, crypto::RsaPssSign(owner, message));
  } else {
    CONCORD_ASSIGN_OR_RETURN(signature, owner.SignEcdsa(message));
  }
  return Authorization{owner.public_key(), std::move(signature)};
}

namespace {

crypto::Sha256Digest AuthorizationId(const Authorization& auth, ByteView message) {
  Bytes all;
  for (ByteView part : {ByteView(auth.owner_key.spki_der()), message, ByteView(auth.signature)}) {
    AppendBigEndian(all, part.size(), 4);
    Append(all, part);
  }
  return crypto::Sha256(all);
}

}  // namespace

bool VerifiedAuthorizations::Contains(const crypto::Sha256Digest& id) const {
  absl::MutexLock lock(&mu_);
  return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
}

void VerifiedAuthorizations::Add(const crypto::Sha256Digest& id) {
  absl::MutexLock lock(&mu_);
  ids_[next_] = id;
  next_ = (next_ + 1) % ids_.size();
}

absl::Status VerifyAuthorization(const Authorization& auth, TransitionKind kind,
                                 const crypto::Sha256Digest& manifest_hash,
                                 const crypto::Sha256Digest& previous_hash,
                                 VerifiedAuthorizations* verified) {
  const Bytes message = AuthorizationMessage(kind, manifest_hash, previous_hash);
  const crypto::Sha256Digest id = AuthorizationId(auth, message);
  if (verified != nullptr && verified->Contains(id)) {
    return absl::OkStatus();
  }
  absl::Status status = auth.owner_key.type() == crypto::KeyType::kRsa
                            ? crypto::RsaPssVerify(auth.owner_key, message, auth.signature)
                            : auth.owner_key.VerifyEcdsa(message, auth.signature);
  if (!status.ok()) {
    return absl::UnauthenticatedError(absl::StrCat("authorization signature (",
                                                   crypto::KeyTypeName(auth.owner_key.type()),
                                                   ") does not verify"));
  }
  if (verified != nullptr) {
    verified->Add(id);
  }
  return absl::OkStatus();
}

Bytes LatestMessage(uint64_t generation, const crypto::Sha256Digest& transition_hash) {
  Bytes out;
  AppendLabel(out, kLatestLabel);
  AppendBigEndian(out, generation, 8);
  AppendDigest(out, transition_hash);
  return out;
}

absl::StatusOr<Bytes> EncodeLatest(const Latest& latest) {
  if (latest.generation == 0) {
    return absl::InvalidArgumentError("latest: generation: want >= 1, got 0");
  }
  if (latest.signature.size() < kMinLatestSignatureSize ||
      latest.signature.size() > kMaxLatestSignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("latest: signature: want ", kMinLatestSignatureSize, "..",
                     kMaxLatestSignatureSize, " bytes, got ", latest.signature.size()));
  }
  Bytes out;
  out.reserve(kLatestFixedSize + latest.signature.size());
  out.push_back(kFormatVersion);
  AppendDigest(out, latest.transition_hash);
  AppendBigEndian(out, latest.generation, 8);
  AppendBigEndian(out, latest.signature.size(), 2);
  Append(out, latest.signature);
  return out;
}

absl::StatusOr<Latest> ParseLatest(ByteView data) {
  if (data.size() > kMaxLatestSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("latest: ", data.size(), " bytes, limit ", kMaxLatestSize));
  }
  Reader r(data, "latest");
  CONCORD_ASSIGN_OR_RETURN(uint64_t version, r.ReadUint(1, "version"));
  if (version != kFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat("latest: version: want 1, got ", version));
  }
  Latest latest;
  CONCORD_ASSIGN_OR_RETURN(latest.transition_hash, r.ReadDigest("transition hash"));
  CONCORD_ASSIGN_OR_RETURN(latest.generation, r.ReadUint(8, "generation"));
  if (latest.generation == 0) {
    return absl::InvalidArgumentError("latest: generation: want >= 1, got 0");
  }
  CONCORD_ASSIGN_OR_RETURN(uint64_t sig_len, r.ReadUint(2, "signature length"));
  if (sig_len < kMinLatestSignatureSize || sig_len > kMaxLatestSignatureSize) {
    return absl::InvalidArgumentError(absl::StrCat("latest: signature length: want ",
                                                   kMinLatestSignatureSize, "..",
                                                   kMaxLatestSignatureSize, ", got ", sig_len));
  }
  CONCORD_ASSIGN_OR_RETURN(ByteView sig, r.ReadBytes(sig_len, "signature"));
  CONCORD_RETURN_IF_ERROR(r.ExpectEnd());
  latest.signature.assign(sig.begin(), sig.end());
  return latest;
}

absl::StatusOr<Latest> SignLatest(const crypto::PrivateKey& history_key, uint64_t generation,
                                  const crypto::Sha256Digest& transition_hash) {
  if (history_key.type() != crypto::KeyType::kEcP384) {
    return absl::InvalidArgumentError(
        absl::StrCat("sign latest: history key must be ECDSA P-384, got ",
                     crypto::KeyTypeName(history_key.type())));
  }
  CONCORD_ASSIGN_OR_RETURN(
      Bytes signature,
      history_key.SignEcdsa(LatestMessage(generation, transition_hash), crypto::HashAlg::kSha384));
  return Latest{transition_hash, generation, std::move(signature)};
}

absl::Status VerifyLatest(const crypto::PublicKey& history_key, const Latest& latest) {
  if (history_key.type() != crypto::KeyType::kEcP384) {
    return absl::InvalidArgumentError(
        absl::StrCat("verify latest: history key must be ECDSA P-384, got ",
                     crypto::KeyTypeName(history_key.type())));
  }
  absl::Status status =
      history_key.VerifyEcdsa(LatestMessage(latest.generation, latest.transition_hash),
                              latest.signature, crypto::HashAlg::kSha384);
  if (!status.ok()) {
    return absl::UnauthenticatedError("latest: signature does not verify under the history key");
  }
  return absl::OkStatus();
}

absl::Status VerifyLatest(const crypto::P384Verifier& history_key, const Latest& latest) {
  absl::StatusOr<Bytes> raw = crypto::EcdsaDerToRaw(latest.signature, crypto::kP384ScalarSize);
  absl::Status status =
      raw.ok() ? history_key.Verify(LatestMessage(latest.generation, latest.transition_hash),
                                    ByteView(*raw).first(crypto::kP384ScalarSize),
                                    ByteView(*raw).subspan(crypto::kP384ScalarSize))
               : raw.status();
  if (!status.ok()) {
    return absl::UnauthenticatedError("latest: signature does not verify under the history key");
  }
  return absl::OkStatus();
}

}  // namespace concord::history
