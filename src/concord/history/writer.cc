#include "concord/history/writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/history/internal/rules.h"
#include "concord/history/objects.h"

namespace concord::history {

HistoryWriter::HistoryWriter(store::Store& store, crypto::PrivateKey history_key,
                             AuthorizationOptions options)
    : store_(store), history_key_(std::move(history_key)), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<HistoryWriter>> HistoryWriter::Create(store::Store& store,
                                                                     crypto::PrivateKey history_key,
                                                                     AuthorizationOptions options) {
  if (history_key.type() != crypto::KeyType::kEcP384) {
    return absl::InvalidArgumentError(
        absl::StrCat("history writer: history key must be ECDSA P-384, got ",
                     crypto::KeyTypeName(history_key.type())));
  }
  return std::unique_ptr<HistoryWriter>(
      new HistoryWriter(store, std::move(history_key), std::move(options)));
}

absl::StatusOr<VerifiedHistory> HistoryWriter::Append(const std::optional<VerifiedHistory>& base,
                                                      const AppendRequest& request) {
  if (base.has_value() && base->transitions.empty()) {
    return absl::InvalidArgumentError("history append: base history has no transitions");
  }
  const VerifiedTransition* previous = base.has_value() ? &base->head() : nullptr;

  std::shared_ptr<const manifest::Manifest> manifest;
  switch (request.kind) {
    case TransitionKind::kManifest: {
      CONCORD_ASSIGN_OR_RETURN(manifest::Manifest parsed,
                               manifest::Manifest::Parse(request.manifest));
      manifest = std::make_shared<const manifest::Manifest>(std::move(parsed));
      break;
    }
    case TransitionKind::kRecovery: {
      if (previous == nullptr) {
        return absl::FailedPreconditionError(
            "history append: a recovery transition needs an existing history");
      }
      if (!request.manifest.empty()) {
        return absl::InvalidArgumentError(
            "history append: a recovery transition keeps the current manifest; leave "
            "manifest empty");
      }
      manifest = previous->manifest;
      break;
    }
    default:
      return absl::InvalidArgumentError("history append: kind: want manifest or recovery");
  }

  Transition t;
  t.kind = request.kind;
  t.generation = previous == nullptr ? 1 : previous->transition.generation + 1;
  t.manifest_hash = manifest->hash();
  if (previous != nullptr) {
    if (request.genesis_challenge.has_value()) {
      return absl::InvalidArgumentError(
          "history append: a genesis challenge is for the first transition only");
    }
    t.previous_hash = previous->hash;
  } else if (request.genesis_challenge.has_value()) {
    t.previous_hash = *request.genesis_challenge;
  }
  t.ca_bundle_hash = crypto::Sha256(request.ca_bundle);
  t.authorization = request.authorization;
  if (absl::Status s = internal::CheckTransition(t, previous, *manifest, options_); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("history append: ", s.message()));
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes encoded, EncodeTransition(t));
  const crypto::Sha256Digest hash = TransitionHash(encoded);
  CONCORD_ASSIGN_OR_RETURN(Latest latest, SignLatest(history_key_, t.generation, hash));
  CONCORD_ASSIGN_OR_RETURN(Bytes latest_bytes, EncodeLatest(latest));

  std::vector<store::Object> objects;
  if (request.kind == TransitionKind::kManifest) {
    objects.push_back({ObjectKey(ObjectType::kManifest, t.manifest_hash), manifest->bytes()});
  }
  for (const Bytes& policy : request.policies) {
    std::string key = ObjectKey(ObjectType::kPolicy, crypto::Sha256(policy));
    bool duplicate = false;
    for (const store::Object& o : objects) {
      duplicate = duplicate || o.key == key;
    }
    if (!duplicate) {
      objects.push_back({std::move(key), policy});
    }
  }
  objects.push_back({ObjectKey(ObjectType::kCaBundle, t.ca_bundle_hash), request.ca_bundle});
  objects.push_back({ObjectKey(ObjectType::kTransition, hash), encoded});

  std::optional<Bytes> expected;
  if (base.has_value()) {
    expected = base->latest_bytes;
  }
  CONCORD_RETURN_IF_ERROR(store_.Commit(objects, expected, latest_bytes));

  VerifiedHistory out;
  if (base.has_value()) {
    out.transitions = base->transitions;
  }
  out.transitions.push_back(std::make_shared<const VerifiedTransition>(
      VerifiedTransition{hash, std::move(t), std::move(manifest)}));
  out.latest = std::move(latest);
  out.latest_bytes = std::move(latest_bytes);
  return out;
}

}  // namespace concord::history
