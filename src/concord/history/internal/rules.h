// The authorization and linking rules between consecutive transitions
// (DESIGN.md §6), shared by the verifier (which reports a failure as DataLoss
// naming the transition) and the writer (which refuses to commit). Pure.
#pragma once

#include "absl/status/status.h"
#include "concord/history/format.h"
#include "concord/history/verifier.h"
#include "concord/manifest/manifest.h"

namespace concord::history::internal {

// Checks that `t`, naming `manifest`, may follow `previous` (nullptr for
// genesis). Returns, with a message naming the rule:
//  - InvalidArgument for a broken link or generation, or a recovery that
//    changes the manifest;
//  - FailedPrecondition for a manifest transition after an immutable
//    manifest, or as manifest::ValidateUpdate() says;
//  - PermissionDenied for a missing, unexpected or unauthorized owner key;
//  - Unauthenticated when the owner's signature does not verify.
[[nodiscard]] absl::Status CheckTransition(const Transition& t, const VerifiedTransition* previous,
                                           const manifest::Manifest& manifest,
                                           const AuthorizationOptions& options);

}  // namespace concord::history::internal
