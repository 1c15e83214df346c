#include "concord/history/verifier.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/history/internal/parallel.h"
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
                                 AuthorizationOptions options, size_t threads)
    : store_(store),
      history_key_(std::move(history_key)),
      fast_history_key_(std::move(fast_history_key)),
      options_(std::move(options)),
      threads_(threads) {}

absl::StatusOr<std::unique_ptr<HistoryVerifier>> HistoryVerifier::Create(
    store::Store& store, crypto::PublicKey history_key, AuthorizationOptions options,
    VerifierTuning tuning) {
  if (history_key.type() != crypto::KeyType::kEcP384) {
    return absl::InvalidArgumentError(
        absl::StrCat("history verifier: history key must be ECDSA P-384, got ",
                     crypto::KeyTypeName(history_key.type())));
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::P384Verifier fast,
                           crypto::P384Verifier::FromPublicKey(history_key));
  size_t threads = tuning.threads;
  if (threads == 0) {
    threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  }
  return std::unique_ptr<HistoryVerifier>(new HistoryVerifier(
      store, std::move(history_key), std::move(fast), std::move(options), threads));
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
      return absl::DataLossError(
          absl::StrCat("latest: missing, but generation ", cache_->generation(), " was verified"));
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
  const std::string key = ObjectKey(ObjectType::kManifest, hash);
  absl::StatusOr<Bytes> bytes = ReadObject(store_, ObjectType::kManifest, hash);
  if (!bytes.ok()) {
    return AsDataLoss(bytes.status(), key);
  }
  absl::StatusOr<manifest::Manifest> parsed =
      manifest::Manifest::Parse(*bytes, manifest::ParseOptions{.key_cache = &owner_keys_});
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat(key, ": ", parsed.status().message()));
  }
  return std::make_shared<const manifest::Manifest>(*std::move(parsed));
}

absl::StatusOr<VerifiedHistory> HistoryVerifier::VerifyLatest(ByteView latest_bytes) {
  absl::MutexLock lock(&mu_);
  if (cache_.has_value() && std::equal(latest_bytes.begin(), latest_bytes.end(),
                                       cache_->latest_bytes.begin(), cache_->latest_bytes.end())) {
    return *cache_;
  }
  absl::StatusOr<Latest> latest = ParseLatest(latest_bytes);
  if (!latest.ok()) {
    return absl::DataLossError(latest.status().message());  // "latest: ..."
  }
  if (absl::Status s = history::VerifyLatest(fast_history_key_, *latest); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat(s.message(), " (forged, or signed by another deployment's history key)"));
  }

  uint64_t stop_generation = 0;
  if (cache_.has_value()) {
    const VerifiedTransition& head = cache_->head();
    stop_generation = head.transition.generation;
    if (latest->generation < stop_generation) {
      return absl::DataLossError(absl::StrCat("latest: generation ", latest->generation,
                                              " is older than the verified generation ",
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
    absl::StatusOr<Transition> t =
        ParseTransition(*bytes, [this](ByteView spki) { return owner_keys_.FromSpkiDer(spki); });
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
        ObjectKey(ObjectType::kTransition, fresh.back().hash), ": previous hash ", HexEncode(hash),
        " does not match the verified ", ObjectKey(ObjectType::kTransition, cache_->head().hash),
        " (history rewritten)"));
  }

  // Check forward from the oldest new transition. Oldest first in `fresh`.
  std::reverse(fresh.begin(), fresh.end());
  const VerifiedTransition* base = cache_.has_value() ? &cache_->head() : nullptr;

  // Manifests not seen before, each loaded once, in parallel.
  absl::flat_hash_map<crypto::Sha256Digest, std::shared_ptr<const manifest::Manifest>>
      new_manifests;
  std::vector<crypto::Sha256Digest> to_load;
  for (const VerifiedTransition& vt : fresh) {
    const crypto::Sha256Digest& h = vt.transition.manifest_hash;
    if (!manifests_.contains(h) && new_manifests.emplace(h, nullptr).second) {
      to_load.push_back(h);
    }
  }
  std::vector<absl::Status> load_errors(to_load.size());
  std::vector<std::shared_ptr<const manifest::Manifest>> loaded(to_load.size());
  internal::ParallelFor(to_load.size(), threads_, [&](size_t i) {
    absl::StatusOr<std::shared_ptr<const manifest::Manifest>> m = LoadManifest(to_load[i]);
    if (m.ok()) {
      loaded[i] = *std::move(m);
    } else {
      load_errors[i] = m.status();
    }
  });
  absl::flat_hash_map<crypto::Sha256Digest, absl::Status> failed_manifests;
  for (size_t i = 0; i < to_load.size(); ++i) {
    if (load_errors[i].ok()) {
      new_manifests[to_load[i]] = std::move(loaded[i]);
    } else {
      failed_manifests.emplace(to_load[i], std::move(load_errors[i]));
    }
  }

  // Every transition is then checked against its predecessor, in parallel;
  // the first failure in chain order is reported, as a sequential walk would.
  std::vector<absl::Status> errors(fresh.size());
  for (size_t i = 0; i < fresh.size(); ++i) {
    VerifiedTransition& vt = fresh[i];
    const crypto::Sha256Digest& h = vt.transition.manifest_hash;
    if (auto bad = failed_manifests.find(h); bad != failed_manifests.end()) {
      errors[i] = bad->second;
    } else if (auto known = manifests_.find(h); known != manifests_.end()) {
      vt.manifest = known->second;
    } else {
      vt.manifest = new_manifests.at(h);
    }
  }
  internal::ParallelFor(fresh.size(), threads_, [&](size_t i) {
    if (!errors[i].ok()) {
      return;
    }
    const VerifiedTransition& vt = fresh[i];
    const VerifiedTransition* previous = i == 0 ? base : &fresh[i - 1];
    if (previous != nullptr && previous->manifest == nullptr) {
      return;  // The predecessor's own failure is reported first.
    }
    absl::StatusOr<Bytes> bundle =
        ReadObject(store_, ObjectType::kCaBundle, vt.transition.ca_bundle_hash);
    if (!bundle.ok()) {
      errors[i] = AsDataLoss(bundle.status(),
                             ObjectKey(ObjectType::kCaBundle, vt.transition.ca_bundle_hash));
      return;
    }
    if (absl::Status s = internal::CheckTransition(vt.transition, previous, *vt.manifest, options_);
        !s.ok()) {
      errors[i] = absl::DataLossError(
          absl::StrCat(ObjectKey(ObjectType::kTransition, vt.hash), ": ", s.message()));
    }
  });
  for (const absl::Status& error : errors) {
    if (!error.ok()) {
      return error;
    }
  }
  std::vector<std::shared_ptr<const VerifiedTransition>> verified;
  verified.reserve(fresh.size());
  for (VerifiedTransition& vt : fresh) {
    verified.push_back(std::make_shared<const VerifiedTransition>(std::move(vt)));
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
