// Validation of one collateral item before Concord keeps, serves or exports
// it: the signature chains to the vendor root compiled in (AMD ARK/ASK of the
// product, Intel SGX Root CA), the content matches its key (VCEK hwID and SPLs,
// TCB info FMSPC, PCK CRL issuer), and the item's own issue date and expiry
// (certificate notBefore/notAfter, CRL thisUpdate/nextUpdate, PCS
// issueDate/nextUpdate). Used by the cache, bundles and the CLI. Pure
// functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/collateral/item.h"

namespace concord::collateral {

struct ValidatedItem {
  CollateralItem item;
  std::string hash;  // ContentHash(item)
  absl::Time issue_date;
  absl::Time next_update;
};

enum class WindowCheck {
  // `at` must lie in [issue_date, next_update]: for items entering the cache.
  kRequireCurrent,
  // Signatures and chains are checked as of the item's own issue date; used
  // when re-reading an item that was current when it was stored (the
  // verifiers check the window at verification time).
  kAsOfIssueDate,
};

// Validates `item`. InvalidArgument for a malformed key or body (naming the
// field); Unauthenticated "collateral: <kind> <key>: ..." when a signature,
// the chain to the vendor root, or the binding to the key fails;
// FailedPrecondition "... not current at <at> (valid <from> to <until>)";
// Internal if a compiled-in root fails its fingerprint.
absl::StatusOr<ValidatedItem> ValidateItem(CollateralItem item, absl::Time at,
                                           WindowCheck window = WindowCheck::kRequireCurrent);

}  // namespace concord::collateral
