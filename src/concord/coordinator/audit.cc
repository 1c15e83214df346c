// Audit events (DESIGN §5a; docs/security.md): the privileged operations
// (manifest sets, seed-share re-issue, manual recovery) wrapped with an
// event naming who authorized them, the head before and after and the
// outcome; peer grants and refusals use the same Audit. Never a secret.
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/coordinator/internal/impl.h"
#include "concord/crypto/hash.h"

namespace concord::coordinator {

using internal::Short;

std::string Coordinator::Impl::HeadForAudit() const {
  absl::MutexLock lock(&mu_);
  if (active_ != nullptr) {
    return absl::StrCat(Short(active_->history.head().hash), " (generation ",
                        active_->history.generation(), ")");
  }
  if (unverified_.has_value()) {
    return absl::StrCat(Short(unverified_->transition_hash), " (generation ",
                        unverified_->generation, ", unverified)");
  }
  return "none";
}

absl::StatusOr<TransitionResult> Coordinator::Impl::AuditedSetManifest(
    const SetManifestRequest& request) {
  const std::string before = HeadForAudit();
  absl::StatusOr<TransitionResult> result = SetManifest(request);
  LogFields fields = {{"authorized_by", request.authorization.has_value()
                                            ? Short(request.authorization->owner_key.SpkiSha256())
                                            : std::string("none (immutable first manifest)")},
                      {"manifest", Short(crypto::Sha256(request.manifest))},
                      {"head_before", before}};
  if (result.ok()) {
    fields.emplace_back("head_after", absl::StrCat(Short(result->transition_hash), " (generation ",
                                                   result->generation, ")"));
  }
  Audit(request.expected_previous.has_value() ? "manifest update" : "first set", result.status(),
        std::move(fields));
  return result;
}

absl::StatusOr<seed::SeedSharesDocument> Coordinator::Impl::AuditedSeedShare(
    const crypto::PublicKey& caller) {
  absl::StatusOr<seed::SeedSharesDocument> result = SeedShare(caller);
  Audit("seed share re-issue", result.status(),
        {{"caller_key", Short(caller.SpkiSha256())}, {"head", HeadForAudit()}});
  return result;
}

absl::StatusOr<TransitionResult> Coordinator::Impl::AuditedRecover(const RecoverRequest& request) {
  const std::string before = HeadForAudit();
  absl::StatusOr<TransitionResult> result = Recover(request);
  LogFields fields = {{"authorized_by", Short(request.caller.SpkiSha256())},
                      {"head_before", before},
                      {"forced", request.force ? "true" : "false"}};
  if (result.ok()) {
    fields.emplace_back("head_after", absl::StrCat(Short(result->transition_hash), " (generation ",
                                                   result->generation, ")"));
  }
  Audit("manual recovery", result.status(), std::move(fields));
  return result;
}

void Coordinator::Impl::Audit(absl::string_view event, const absl::Status& outcome,
                              LogFields fields) const {
  fields.insert(fields.begin(), {"event", std::string(event)});
  fields.insert(fields.begin() + 1, {"outcome", outcome.ok() ? "granted" : "refused"});
  fields.emplace_back("replica", options_.replica_name);
  if (!outcome.ok()) {
    fields.emplace_back("error", std::string(outcome.message()));
  }
  if (outcome.ok()) {
    deps_.log.Info("audit", fields);
  } else {
    deps_.log.Warning("audit", fields);
  }
}

}  // namespace concord::coordinator
