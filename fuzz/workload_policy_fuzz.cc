// Fuzzes ParseWorkloadPolicy with arbitrary bytes. Whenever a document
// parses, what it yields must respect the schema's guarantees: a name, at
// least one coordinator policy, some reference values, and the document's
// own SHA-256 as its policy hash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/initializer/workload_policy.h"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "workload_policy_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  concord::ByteView input(data, size);
  absl::StatusOr<concord::initializer::WorkloadPolicy> policy =
      concord::initializer::ParseWorkloadPolicy(input);
  if (!policy.ok()) {
    if (policy.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("a rejection that is not InvalidArgument");
    }
    return 0;
  }
  if (size > concord::initializer::kMaxWorkloadPolicySize) {
    Fail("accepted an oversized document");
  }
  if (policy->name.empty() || policy->name.size() > 128) {
    Fail("accepted a bad name");
  }
  if (policy->coordinator_policies.empty()) {
    Fail("accepted no coordinator policy");
  }
  if (policy->coordinator_reference_values.empty()) {
    Fail("accepted empty reference values");
  }
  if (policy->policy_hash != concord::crypto::Sha256(input)) {
    Fail("policy hash is not the document's SHA-256");
  }
  return 0;
}
