#include "concord/initializer/initializer.h"

#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/ca/issuer.h"
#include "concord/ca/test_ca.h"
#include "concord/common/hex.h"
#include "concord/crypto/x509.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::initializer {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Exists(const std::string& path) { return std::ifstream(path).good(); }

// Issues real certificates under a test CA, after failing as scripted.
class FakeSource final : public CertificateSource {
 public:
  FakeSource(Clock& clock, RandomSource& random) : ca_(ca::testing::MakeTestCa(7)) {
    issuer_ =
        *ca::Issuer::Create(std::move(ca_.mesh_key), ca_.bundle, ca::Issuer::Deps{clock, random});
  }
  absl::StatusOr<client::MeshCertificate> Request(const crypto::PrivateKey& key,
                                                  absl::Duration) override {
    ++calls;
    keys.push_back(key.public_key().spki_der());
    if (!failures.empty()) {
      absl::Status s = failures.front();
      failures.pop_front();
      return s;
    }
    ca::Sans sans;
    sans.dns = {"web.demo.svc"};
    const crypto::PublicKey& subject =
        other_key.has_value() ? other_key->public_key() : key.public_key();
    auto issued = issuer_->Issue(subject, sans, lifetime);
    if (!issued.ok()) {
      return issued.status();
    }
    client::MeshCertificate m;
    m.certificate_pem = issued->pem;
    m.chain_pem = ca_.bundle.WorkloadChainPem(issued->der);
    m.mesh_ca_pem = mesh_ca_override.value_or(ca_.bundle.MeshCaPem());
    m.root_ca_pem = ca_.bundle.RootCaPem();
    m.not_after = issued->not_after;
    m.policy_name = "web";
    m.generation = 1;
    if (!bind_no_root) {
      m.attested_root_ca_spki_sha256 = attested_root_override.value_or(RootSpkiSha256());
    }
    if (with_secret) {
      m.workload_secret = crypto::SecretBytes(Bytes(32, 0xab));
    }
    return m;
  }
  crypto::Sha256Digest RootSpkiSha256() const { return ca_.bundle.root_public_key().SpkiSha256(); }

  std::deque<absl::Status> failures;
  int calls = 0;
  std::vector<Bytes> keys;
  absl::Duration lifetime = absl::Hours(1);
  bool with_secret = false;
  std::optional<crypto::PrivateKey> other_key;
  std::optional<std::string> mesh_ca_override;
  // What the coordinator's TLS evidence bound: by default this CA's root.
  std::optional<crypto::Sha256Digest> attested_root_override;
  bool bind_no_root = false;

 private:
  ca::testing::TestCa ca_;
  std::unique_ptr<ca::Issuer> issuer_;
};

// Advances the fake clock instead of sleeping; stops after a number of waits.
class FakeWaiter final : public Waiter {
 public:
  explicit FakeWaiter(concord::testing::FakeClock& clock) : clock_(clock) {}
  bool WaitFor(absl::Duration d) override {
    if (stopped_) {
      return false;
    }
    waits.push_back(d);
    clock_.Advance(d);
    if (stop_after_waits > 0 && static_cast<int>(waits.size()) >= stop_after_waits) {
      stopped_ = true;
      return false;
    }
    return true;
  }
  void Stop() override { stopped_ = true; }
  bool stopped() const override { return stopped_; }

  std::vector<absl::Duration> waits;
  int stop_after_waits = 0;

 private:
  concord::testing::FakeClock& clock_;
  bool stopped_ = false;
};

class InitializerTest : public ::testing::Test {
 protected:
  InitializerTest()
      : clock_(ca::testing::TestNow()),
        random_(11),
        source_(clock_, random_),
        waiter_(clock_),
        logger_(LogFormat::kHuman, LogLevel::kDebug,
                [this](absl::string_view line) { log_.append(line.data(), line.size()); }),
        dir_(concord::testing::MakeTempDir("init")) {
    out_ = *OutputDir::Create(dir_);
  }

  absl::Status Run(InitializerOptions options) {
    Initializer init(options, Initializer::Deps{.clock = clock_,
                                                .random = random_,
                                                .waiter = waiter_,
                                                .logger = logger_,
                                                .source = source_,
                                                .out = *out_});
    return init.Run();
  }

  concord::testing::FakeClock clock_;
  concord::testing::FakeRandom random_;
  FakeSource source_;
  FakeWaiter waiter_;
  std::string log_;
  Logger logger_;
  std::string dir_;
  std::unique_ptr<OutputDir> out_;
};

TEST_F(InitializerTest, OneshotWritesFilesForItsOwnKey) {
  source_.with_secret = true;
  ASSERT_THAT(Run(InitializerOptions()), IsOk());
  EXPECT_EQ(source_.calls, 1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey key,
      crypto::PrivateKey::FromPem(crypto::SecretBytes(AsBytes(Read(dir_ + "/key.pem")))));
  EXPECT_EQ(key.type(), crypto::KeyType::kEcP256);
  EXPECT_EQ(key.public_key().spki_der(), source_.keys[0]);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto chain,
                               crypto::ParseCertChainPem(Read(dir_ + "/cert-chain.pem")));
  EXPECT_EQ(chain.size(), 2u);
  EXPECT_FALSE(Read(dir_ + "/mesh-ca.pem").empty());
  EXPECT_FALSE(Read(dir_ + "/root-ca.pem").empty());
  EXPECT_EQ(Read(dir_ + "/workload-secret"), HexEncode(ByteView(Bytes(32, 0xab))));
  EXPECT_THAT(log_, HasSubstr("certificate written"));
  // The secret itself is never logged.
  EXPECT_THAT(log_, ::testing::Not(HasSubstr(HexEncode(ByteView(Bytes(32, 0xab))))));
}

TEST_F(InitializerTest, OneshotRetriesWithGrowingBackoffWhileUnavailable) {
  for (int i = 0; i < 4; ++i) {
    source_.failures.push_back(absl::UnavailableError("coordinator state: recovery"));
  }
  ASSERT_THAT(Run(InitializerOptions()), IsOk());
  EXPECT_EQ(source_.calls, 5);
  ASSERT_EQ(waiter_.waits.size(), 4u);
  // Delay n lies in [b/2, b] with b = 200 ms * 2^n.
  for (size_t n = 0; n < 4; ++n) {
    absl::Duration b = absl::Milliseconds(200) * (1 << n);
    EXPECT_GE(waiter_.waits[n], b / 2) << n;
    EXPECT_LE(waiter_.waits[n], b) << n;
  }
  // Every attempt used a fresh key.
  EXPECT_NE(source_.keys[0], source_.keys[1]);
  EXPECT_TRUE(Exists(dir_ + "/key.pem"));
}

TEST_F(InitializerTest, OneshotStopsAtOnceOnARefusal) {
  source_.failures.push_back(
      absl::PermissionDeniedError("policy ab12 is not in the manifest (generation 1)"));
  EXPECT_THAT(Run(InitializerOptions()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not in the manifest")));
  EXPECT_EQ(source_.calls, 1);
  EXPECT_TRUE(waiter_.waits.empty());
  EXPECT_FALSE(Exists(dir_ + "/key.pem"));
}

TEST_F(InitializerTest, OneshotGivesUpAfterTimeoutNamingTheLastError) {
  for (int i = 0; i < 100; ++i) {
    source_.failures.push_back(absl::UnavailableError("connect 127.0.0.1:7777: refused"));
  }
  InitializerOptions options;
  options.timeout = absl::Seconds(10);
  const absl::Time start = clock_.Now();
  EXPECT_THAT(Run(options), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                     HasSubstr("last error: UNAVAILABLE: connect")));
  EXPECT_EQ(clock_.Now() - start, absl::Seconds(10));
  // Capped at 5 s: at least 2 + 4 attempts.
  EXPECT_GE(source_.calls, 6);
  for (absl::Duration d : waiter_.waits) {
    EXPECT_LE(d, absl::Seconds(5));
  }
  EXPECT_FALSE(Exists(dir_ + "/key.pem"));
}

TEST_F(InitializerTest, OneshotStoppedBeforeSuccessIsCancelled) {
  for (int i = 0; i < 10; ++i) {
    source_.failures.push_back(absl::UnavailableError("503"));
  }
  waiter_.stop_after_waits = 2;
  EXPECT_THAT(Run(InitializerOptions()), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(source_.calls, 2);
}

TEST_F(InitializerTest, RefusesARootOtherThanThePinnedOne) {
  InitializerOptions options;
  crypto::Sha256Digest pin = source_.RootSpkiSha256();
  pin[0] ^= 1;
  options.root_ca_spki_sha256 = pin;
  EXPECT_THAT(Run(options), StatusIs(absl::StatusCode::kPermissionDenied,
                                     HasSubstr("is not the policy's RootCaSpkiSha256")));
  EXPECT_FALSE(Exists(dir_ + "/key.pem"));
}

// A stolen coordinator TLS key (with a copy of the coordinator's
// certificate, whose evidence binds the genuine root) answering with a chain
// of the attacker's own CA: refused, nothing written.
TEST_F(InitializerTest, RefusesAChainThatDoesNotLeadToTheAttestedRoot) {
  source_.attested_root_override = ca::testing::MakeTestCa(8).bundle.root_public_key().SpkiSha256();
  EXPECT_THAT(Run(InitializerOptions()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("is not the root CA the coordinator's evidence binds")));
  EXPECT_EQ(source_.calls, 1);
  EXPECT_FALSE(Exists(dir_ + "/key.pem"));
}

// Evidence that binds no root (a replica not yet initialized, or a replayed
// certificate from before it was) is not enough for a chain: retried.
TEST_F(InitializerTest, RetriesWhileTheCoordinatorEvidenceBindsNoRoot) {
  source_.bind_no_root = true;
  waiter_.stop_after_waits = 2;
  EXPECT_THAT(Run(InitializerOptions()), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(source_.calls, 2);
  EXPECT_THAT(log_, HasSubstr("binds no root CA"));
  EXPECT_FALSE(Exists(dir_ + "/key.pem"));
}

TEST_F(InitializerTest, AcceptsThePinnedRoot) {
  InitializerOptions options;
  options.root_ca_spki_sha256 = source_.RootSpkiSha256();
  EXPECT_THAT(Run(options), IsOk());
}

TEST_F(InitializerTest, RejectsACertificateForAnotherKey) {
  source_.other_key = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  EXPECT_THAT(Run(InitializerOptions()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not certify")));
  EXPECT_EQ(source_.calls, 1);
  EXPECT_FALSE(Exists(dir_ + "/key.pem"));
}

TEST_F(InitializerTest, RejectsAMeshCaThatDidNotIssueTheLeaf) {
  ca::testing::TestCa other = ca::testing::MakeTestCa(99);
  source_.mesh_ca_override = other.bundle.MeshCaPem();
  EXPECT_THAT(Run(InitializerOptions()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("against the mesh CA")));
  EXPECT_FALSE(Exists(dir_ + "/key.pem"));
}

TEST_F(InitializerTest, RenewReplacesKeyAndFilesBeforeExpiryUntilStopped) {
  source_.lifetime = absl::Hours(1);
  waiter_.stop_after_waits = 3;
  InitializerOptions options;
  options.mode = Mode::kRenew;
  options.renew_at = 0.5;
  ASSERT_THAT(Run(options), IsOk());  // stopped: OK
  EXPECT_EQ(source_.calls, 3);
  ASSERT_EQ(waiter_.waits.size(), 3u);
  for (absl::Duration d : waiter_.waits) {
    EXPECT_EQ(d, absl::Minutes(30));
  }
  EXPECT_NE(source_.keys[0], source_.keys[1]);
  EXPECT_NE(source_.keys[1], source_.keys[2]);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey key,
      crypto::PrivateKey::FromPem(crypto::SecretBytes(AsBytes(Read(dir_ + "/key.pem")))));
  EXPECT_EQ(key.public_key().spki_der(), source_.keys[2]);
}

TEST_F(InitializerTest, RenewKeepsRetryingThroughAnOutageThenReturnsRefusals) {
  source_.lifetime = absl::Hours(1);
  InitializerOptions options;
  options.mode = Mode::kRenew;
  options.renew_at = 0.5;
  // First issuance fine; then two unavailable renewals; then a refusal.
  struct Script final : public CertificateSource {
    FakeSource& inner;
    int n = 0;
    explicit Script(FakeSource& s) : inner(s) {}
    absl::StatusOr<client::MeshCertificate> Request(const crypto::PrivateKey& key,
                                                    absl::Duration t) override {
      ++n;
      if (n == 2 || n == 3) {
        return absl::UnavailableError("store unavailable");
      }
      if (n == 4) {
        return absl::PermissionDeniedError("policy is not in the manifest (generation 2)");
      }
      return inner.Request(key, t);
    }
  } script(source_);
  Initializer init(options, Initializer::Deps{.clock = clock_,
                                              .random = random_,
                                              .waiter = waiter_,
                                              .logger = logger_,
                                              .source = script,
                                              .out = *out_});
  EXPECT_THAT(init.Run(), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("generation 2")));
  EXPECT_EQ(script.n, 4);
  // The files of the first certificate stay in place.
  EXPECT_TRUE(Exists(dir_ + "/key.pem"));
}

TEST(BackoffTest, GrowsExponentiallyWithJitterAndCaps) {
  concord::testing::FakeRandom random(3);
  Backoff backoff(BackoffOptions(), random);
  absl::Duration bound = absl::Milliseconds(200);
  for (int i = 0; i < 12; ++i) {
    absl::Duration d = backoff.Next();
    EXPECT_GE(d, bound / 2) << i;
    EXPECT_LE(d, bound) << i;
    bound = std::min(bound * 2, absl::Seconds(5));
  }
  backoff.Reset();
  EXPECT_LE(backoff.Next(), absl::Milliseconds(200));
}

TEST(IsRetryableTest, OnlyTransientCodesAreRetried) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(absl::AbortedError("")));
  EXPECT_FALSE(IsRetryable(absl::PermissionDeniedError("")));
  EXPECT_FALSE(IsRetryable(absl::UnauthenticatedError("")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsRetryable(absl::DataLossError("")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("")));
}

}  // namespace
}  // namespace concord::initializer
