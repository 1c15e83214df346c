// concord-init's logic (DESIGN.md §4): make a fresh P-256 key, obtain a
// mesh certificate for it from the coordinator (retrying with capped
// exponential backoff and jitter while the coordinator is unavailable or
// not ready), check what came back (the leaf is for our key, the chain
// verifies against both the mesh CA and the root, the root matches the
// policy's pin), and write the files. In renew mode it repeats with a new
// key before each certificate expires. All I/O with the coordinator goes
// through a CertificateSource, all waiting through a Waiter, so tests drive
// it with fakes and a FakeClock. Not thread-safe; Waiter::Stop may be called
// from any thread.
#pragma once

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/client/api_client.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/common/random.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/initializer/output_dir.h"

namespace concord::initializer {

// Obtains a mesh certificate for a key. Implementations need not be
// thread-safe.
class CertificateSource {
 public:
  virtual ~CertificateSource() = default;
  // Errors follow client::RequestMeshCertificate: Unavailable while the
  // coordinator cannot serve (503, connection refused, timeouts); other codes
  // for refusals.
  virtual absl::StatusOr<client::MeshCertificate> Request(const crypto::PrivateKey& key,
                                                          absl::Duration timeout) = 0;
};

// How the initializer waits between attempts; Stop() ends every current and
// future wait early. Thread-safe.
class Waiter {
 public:
  virtual ~Waiter() = default;
  // Waits up to `d`; false if stopped (at once, or during the wait).
  virtual bool WaitFor(absl::Duration d) = 0;
  virtual void Stop() = 0;
  virtual bool stopped() const = 0;
};

// Waits on the real clock (a condition variable), woken by Stop().
class ConditionWaiter final : public Waiter {
 public:
  ConditionWaiter() = default;
  ConditionWaiter(const ConditionWaiter&) = delete;
  ConditionWaiter& operator=(const ConditionWaiter&) = delete;
  bool WaitFor(absl::Duration d) override;
  void Stop() override;
  bool stopped() const override;

 private:
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(200);
  absl::Duration max = absl::Seconds(5);
  double multiplier = 2.0;
};

// Capped exponential backoff with "equal jitter": the n-th delay is drawn
// uniformly from [b/2, b] with b = min(max, initial * multiplier^n), so
// workloads that start together spread out but never retry faster than
// half the schedule. Not thread-safe.
class Backoff final {
 public:
  Backoff(BackoffOptions options, RandomSource& random) : options_(options), random_(random) {}
  absl::Duration Next();
  void Reset() { attempt_ = 0; }

 private:
  BackoffOptions options_;
  RandomSource& random_;
  int attempt_ = 0;
};

// Whether the initializer should try again after `status`: Unavailable,
// DeadlineExceeded, Aborted and ResourceExhausted say "later"; every other
// code is a refusal that retrying cannot change.
bool IsRetryable(const absl::Status& status);

enum class Mode { kOneshot, kRenew };

struct InitializerOptions {
  Mode mode = Mode::kOneshot;
  // Oneshot: give up after this long (DeadlineExceeded with the last error).
  absl::Duration timeout = absl::Minutes(5);
  // Renew: start renewing after this fraction of the certificate's lifetime.
  double renew_at = 0.67;
  // Per attempt (connection + request).
  absl::Duration attempt_timeout = absl::Seconds(30);
  BackoffOptions backoff;
  // The policy's pin of the root CA (SPKI SHA-256).
  std::optional<crypto::Sha256Digest> root_ca_spki_sha256;
};

class Initializer final {
 public:
  // Collaborators; all must outlive the Initializer.
  struct Deps {
    Clock& clock;
    RandomSource& random;
    Waiter& waiter;
    Logger& logger;
    CertificateSource& source;
    OutputDir& out;
  };

  Initializer(InitializerOptions options, Deps deps) : options_(options), deps_(deps) {}
  Initializer(const Initializer&) = delete;
  Initializer& operator=(const Initializer&) = delete;

  // Runs in the configured mode.
  //  - Oneshot: OK once the files are written; DeadlineExceeded after
  //    `timeout` of retryable failures (naming the last one); the refusal
  //    itself, at once, for a non-retryable error (403 policy not in the
  //    manifest, coordinator evidence rejected, root pin mismatch);
  //    Cancelled if stopped first.
  //  - Renew: keeps the files current until stopped (then OK); returns a
  //    non-retryable error as oneshot does. Retryable failures are logged
  //    and retried for as long as it takes, also past expiry.
  [[nodiscard]] absl::Status Run();

  // One attempt: a new key, a certificate, checks, files written. Returns
  // the certificate's notAfter. Exposed for tests.
  absl::StatusOr<absl::Time> AttemptOnceForTest() { return AttemptOnce(); }

 private:
  absl::StatusOr<absl::Time> AttemptOnce();
  // Retries AttemptOnce until success, a non-retryable error, `deadline`
  // (if any) or Stop().
  absl::StatusOr<absl::Time> Obtain(std::optional<absl::Time> deadline);

  InitializerOptions options_;
  Deps deps_;
};

// Checks a coordinator's answer for `key`: the leaf certifies `key`, the
// chain (leaf, intermediate) verifies at `now` against the root and, leaf
// alone, against the mesh CA, the root is the one the coordinator's TLS
// evidence bound (cert.attested_root_ca_spki_sha256, decision 0028: a stolen
// coordinator TLS key cannot hand out another CA), and the root's SPKI
// SHA-256 equals `root_pin` when given. PermissionDenied for a root other
// than the attested or the pinned one; Unavailable (retried) when the
// evidence bound no root yet; DataLoss for anything else that does not fit.
// Returns the leaf's notAfter.
absl::StatusOr<absl::Time> CheckMeshCertificate(
    const client::MeshCertificate& cert, const crypto::PrivateKey& key, absl::Time now,
    const std::optional<crypto::Sha256Digest>& root_pin);

}  // namespace concord::initializer
