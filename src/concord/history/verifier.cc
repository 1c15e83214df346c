#include "concord/history/verifier.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/history/internal/rules.h"
#include "concord/history/objects.h"

namespace concord::history {
namespace {

// Anything wrong with a stored object is DataLoss naming it; transient store
// errors (Unavailable and the like) stay as they are so callers retry.
absl::Status AsDataLoss(const absl::Status& status, absl::string_view object) {
  if (absl::IsNotFound(status)) {
    return absl::DataLossError(status.message());  // "<key>: missing"
  }
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
      absl::IsCancelled(status) || absl::IsResourceExhausted(status)) {
    return status;
  }
  if (absl::IsDataLoss(status) && absl::StartsWith(status.message(), object)) {
    return status;
  }
  return absl::DataLossError(absl::StrCat(object, ": ", status.message()));
}

}  // namespace

HistoryVerifier::HistoryVerifier(store::Store& store, crypto::PublicKey history_key,
                                 crypto::P384Verifier fast_history_key,
                                 AuthorizationOptions options)
    : store_(store),
      history_key_(std::move(history_key)),
      fast_history_key_(std::move(fast_history_key)),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<HistoryVerifier>> HistoryVerifier::Create(
    store::Store& store, crypto::PublicKey history_key, AuthorizationOptions options) {
  if (history_key.type() != crypto::KeyType::kEcP384) {
    return absl::InvalidArgumentError(absl::StrCat(
        "history verifier: history key must be ECDSA P-384, got ",
        crypto::KeyTypeName(history_key.type())));
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::P384Verifier fast,
                           crypto::P384Verifier::FromPublicKey(history_key));
  return std::unique_ptr<HistoryVerifier>(new HistoryVerifier(
      store, std::move(history_key), std::move(fast), std::move(options)));
}

std::optional<VerifiedHistory> HistoryVerifier::Cached() const {
  absl::MutexLock lock(&mu_);
  return cache_;
}

uint64_t HistoryVerifier::transitions_checked() const {
  absl::MutexLock lock(&mu_);
  return checked_;
}

absl::StatusOr<VerifiedHistory> HistoryVerifier::Verify() {
  absl::StatusOr<Bytes> latest = store_.Get(store::kLatestKey);
  if (absl::IsNotFound(latest.status())) {
    absl::MutexLock lock(&mu_);
    if (cache_.has_value()) {
      return absl::DataLossError(absl::StrCat(
          "latest: missing, but generation ", cache_->generation(), " was verified"));
    }
    return absl::NotFoundError("history: no latest (uninitialized)");
  }
  if (!latest.ok()) {
    return AsDataLoss(latest.status(), "latest");
  }
  return VerifyLatest(*latest);
}

absl::StatusOr<std::shared_ptr<const manifest::Manifest>> HistoryVerifier::LoadManifest(
    const crypto::Sha256Digest& hash) {
  if (auto it = manifests_.find(hash); it != manifests_.end()) {
    return it->second;
  }
  const std::string key = ObjectKey(ObjectType::kManifest, hash);
  absl::StatusOr<Bytes> bytes = ReadObject(store_, ObjectType::kManifest, hash);
  if (!bytes.ok()) {
    return AsDataLoss(bytes.status(), key);
  }
  absl::StatusOr<manifest::Manifest> parsed = manifest::Manifest::Parse(*bytes);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat(key, ": ", parsed.status().message()));
  }
  return std::make_shared<const manifest::Manifest>(*std::move(parsed));
}

absl::StatusOr<crypto::PublicKey> HistoryVerifier::ParseOwnerKey(ByteView spki_der) {
  constexpr size_t kMaxCachedOwnerKeys = 1024;
  std::string cache_key(AsStringView(spki_der));
  if (auto it = owner_keys_.find(cache_key); it != owner_keys_.end()) {
    return it->second;
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromSpkiDer(spki_der));
  if (owner_keys_.size() >= kMaxCachedOwnerKeys) {
    owner_keys_.clear();
  }
  owner_keys_.emplace(std::move(cache_key), key);
  return key;
}

absl::StatusOr<VerifiedHistory> HistoryVerifier::VerifyLatest(ByteView latest_bytes) {
  absl::MutexLock lock(&mu_);
  if (cache_.has_value() && std::equal(latest_bytes.begin(), latest_bytes.end(),
                                       cache_->latest_bytes.begin(),
                                       cache_->latest_bytes.end())) {
    return *cache_;
  }
  absl::StatusOr<Latest> latest = ParseLatest(latest_bytes);
  if (!latest.ok()) {
    return absl::DataLossError(latest.status().message());  // "latest: ..."
  }
  if (absl::Status s = history::VerifyLatest(fast_history_key_, *latest); !s.ok()) {
    return absl::DataLossError(absl::StrCat(
        s.message(), " (forged, or signed by another deployment's history key)"));
  }

  uint64_t stop_generation = 0;
  if (cache_.has_value()) {
    const VerifiedTransition& head = cache_->head();
    stop_generation = head.transition.generation;
    if (latest->generation < stop_generation) {
      return absl::DataLossError(absl::StrCat(
          "latest: generation ", latest->generation, " is older than the verified generation ",
          stop_generation, " (rollback)"));
    }
    if (latest->generation == stop_generation) {
      if (latest->transition_hash != head.hash) {
        return absl::DataLossError(absl::StrCat(
            "latest: names ", ObjectKey(ObjectType::kTransition, latest->transition_hash),
            " at generation ", stop_generation, ", but ",
            ObjectKey(ObjectType::kTransition, head.hash),
            " was verified there (history rewritten)"));
      }
      // The same head, signed again.
      cache_->latest = *std::move(latest);
      cache_->latest_bytes.assign(latest_bytes.begin(), latest_bytes.end());
      return *cache_;
    }
  }

  // Walk back from the new head to the verified prefix (or genesis),
  // re-hashing and parsing every transition on the way.
  std::vector<VerifiedTransition> fresh;
  crypto::Sha256Digest hash = latest->transition_hash;
  for (uint64_t generation = latest->generation; generation > stop_generation; --generation) {
    const std::string key = ObjectKey(ObjectType::kTransition, hash);
    absl::StatusOr<Bytes> bytes = ReadObject(store_, ObjectType::kTransition, hash);
    if (!bytes.ok()) {
      return AsDataLoss(bytes.status(), key);
    }
    absl::StatusOr<Transition> t = ParseTransition(
        *bytes, [this](ByteView spki) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return ParseOwnerKey(spki);
        });
    if (!t.ok()) {
      return absl::DataLossError(absl::StrCat(key, ": ", t.status().message()));
    }
    if (t->generation != generation) {
      return absl::DataLossError(absl::StrCat(key, ": generation ", t->generation, ", want ",
                                              generation, " (broken link)"));
    }
    crypto::Sha256Digest previous = t->previous_hash;
    fresh.push_back(VerifiedTransition{hash, *std::move(t), nullptr});
    hash = previous;
  }
  if (cache_.has_value() && hash != cache_->head().hash) {
    return absl::DataLossError(absl::StrCat(
        ObjectKey(ObjectType::kTransition, fresh.back().hash), ": previous hash ",
        HexEncode(hash), " does not match the verified ",
        ObjectKey(ObjectType::kTransition, cache_->head().hash), " (history rewritten)"));
  }

  // Check forward from the oldest new transition.
  std::vector<std::shared_ptr<const VerifiedTransition>> verified;
  verified.reserve(fresh.size());
  const VerifiedTransition* previous = cache_.has_value() ? &cache_->head() : nullptr;
  absl::flat_hash_map<crypto::Sha256Digest, std::shared_ptr<const manifest::Manifest>>
      new_manifests;
  for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
    VerifiedTransition& vt = *it;
    const std::string key = ObjectKey(ObjectType::kTransition, vt.hash);
    if (previous != nullptr && vt.transition.manifest_hash == previous->transition.manifest_hash) {
      vt.manifest = previous->manifest;
    } else if (auto found = new_manifests.find(vt.transition.manifest_hash);
               found != new_manifests.end()) {
      vt.manifest = found->second;
    } else {
      CONCORD_ASSIGN_OR_RETURN(vt.manifest, LoadManifest(vt.transition.manifest_hash));
      new_manifests.emplace(vt.transition.manifest_hash, vt.manifest);
    }
    absl::StatusOr<Bytes> bundle =
        ReadObject(store_, ObjectType::kCaBundle, vt.transition.ca_bundle_hash);
    if (!bundle.ok()) {
      return AsDataLoss(bundle.status(),
                        ObjectKey(ObjectType::kCaBundle, vt.transition.ca_bundle_hash));
    }
    if (absl::Status s = internal::CheckTransition(vt.transition, previous, *vt.manifest, options_);
        !s.ok()) {
      return absl::DataLossError(absl::StrCat(key, ": ", s.message()));
    }
    verified.push_back(std::make_shared<const VerifiedTransition>(std::move(vt)));
    previous = verified.back().get();
  }

  // Everything checked: extend the cache.
  if (!cache_.has_value()) {
    cache_.emplace();
  }
  for (auto& entry : new_manifests) {
    manifests_.insert(std::move(entry));
  }
  checked_ += verified.size();
  cache_->transitions.insert(cache_->transitions.end(), verified.begin(), verified.end());
  cache_->latest = *std::move(latest);
  cache_->latest_bytes.assign(latest_bytes.begin(), latest_bytes.end());
  return *cache_;
}

}  // namespace concord::history
