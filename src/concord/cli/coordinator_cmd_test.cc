// Argument validation and local input handling of set / verify / recover /
// status: everything that is decided before a connection is made.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/cli/cli_test_util.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/keys.h"
#include "concord/seed/seed_shares.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::cli {
namespace {

using ::testing::HasSubstr;

class CoordinatorCommandsTest : public ::testing::Test {
 protected:
  std::string dir_ = ::concord::testing::MakeTempDir("cli-coord");
  std::string manifest_ = ::concord::testing::TestdataPath("manifest/simulated.json");
  std::string Path(absl::string_view name) { return absl::StrCat(dir_, "/", name); }
};

TEST_F(CoordinatorCommandsTest, MissingCoordinatorIsUsageError) {
  for (const char* cmd : {"set", "verify", "recover", "status"}) {
    CliResult r = RunCli({cmd, "-m", manifest_});
    EXPECT_EQ(r.code, kExitUsage) << cmd;
    EXPECT_THAT(r.err, HasSubstr("--coordinator")) << cmd;
  }
}

TEST_F(CoordinatorCommandsTest, SetAndVerifyRequireManifest) {
  EXPECT_EQ(RunCli({"set", "-c", "127.0.0.1:1313"}).code, kExitUsage);
  EXPECT_EQ(RunCli({"verify", "-c", "127.0.0.1:1313"}).code, kExitUsage);
}

TEST_F(CoordinatorCommandsTest, MalformedEndpointIsUsageErrorNamingTheFlag) {
  for (const char* endpoint : {"host:0", "host:99999", "::1:80", "[::1", ""}) {
    CliResult r = RunCli({"status", "-c", endpoint});
    EXPECT_EQ(r.code, kExitUsage) << endpoint;
    EXPECT_THAT(r.err, HasSubstr("--coordinator")) << endpoint;
  }
}

TEST_F(CoordinatorCommandsTest, MalformedTimeoutIsUsageError) {
  CliResult r = RunCli({"status", "-c", "127.0.0.1:1313", "--timeout", "soon"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--timeout"));
  EXPECT_EQ(RunCli({"status", "-c", "127.0.0.1:1313", "--timeout", "-5s"}).code, kExitUsage);
  EXPECT_EQ(RunCli({"status", "-c", "127.0.0.1:1313", "--timeout", "48h"}).code, kExitUsage);
}

TEST_F(CoordinatorCommandsTest, UnreadableOrInvalidManifestIsUsageError) {
  CliResult missing = RunCli({"set", "-c", "127.0.0.1:1313", "-m", Path("nope.json")});
  EXPECT_EQ(missing.code, kExitUsage);
  EXPECT_THAT(missing.err, HasSubstr("nope.json"));
  std::ofstream(Path("bad.json")) << "{\"Version\": 1}";
  CliResult bad = RunCli({"verify", "-c", "127.0.0.1:1313", "-m", Path("bad.json")});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_THAT(bad.err, HasSubstr("bad.json"));
}

TEST_F(CoordinatorCommandsTest, SetWithUnreadableOwnerKeyOrPoliciesIsUsageError) {
  std::ofstream(Path("owner.key")) << "not a key";
  CliResult key =
      RunCli({"set", "-c", "127.0.0.1:1313", "-m", manifest_, "--owner-key", Path("owner.key")});
  EXPECT_EQ(key.code, kExitUsage);
  EXPECT_THAT(key.err, HasSubstr("not a PEM private key"));
  CliResult policies =
      RunCli({"set", "-c", "127.0.0.1:1313", "-m", manifest_, "--policies", Path("no-such-dir")});
  EXPECT_EQ(policies.code, kExitUsage);
  EXPECT_THAT(policies.err, HasSubstr("--policies"));
}

TEST_F(CoordinatorCommandsTest, SetOfAMutableManifestWithoutOwnerKeyIsUsageError) {
  CliResult r = RunCli({"set", "-c", "127.0.0.1:1", "-m", manifest_, "--workspace", dir_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--owner-key is required"));
}

TEST_F(CoordinatorCommandsTest, RecoverWithoutManifestOrVerifiedWorkspaceIsUsageError) {
  CliResult r = RunCli({"recover", "-c", "127.0.0.1:1313", "--seedshare-key", Path("k"),
                        "--seed-shares", Path("s"), "--workspace", dir_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--manifest is required"));
}

TEST_F(CoordinatorCommandsTest, RecoverWithAShareForAnotherKeyIsUsageErrorAndPrintsNoSeed) {
  absl::StatusOr<crypto::PrivateKey> mine = crypto::PrivateKey::GenerateRsa(2048);
  absl::StatusOr<crypto::PrivateKey> other = crypto::PrivateKey::GenerateRsa(2048);
  ASSERT_TRUE(mine.ok() && other.ok());
  ::concord::testing::FakeRandom random(3);
  absl::StatusOr<seed::SeedSecrets> secrets = seed::SeedSecrets::Generate(random);
  ASSERT_TRUE(secrets.ok());
  absl::StatusOr<seed::SeedSharesDocument> doc =
      seed::MakeSeedShares(*secrets, {other->public_key()});
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(
      posix::WriteFileAtomic(Path("shares.json"), AsBytes(seed::EncodeSeedSharesJson(*doc)), 0600)
          .ok());
  absl::StatusOr<crypto::SecretBytes> pem = mine->ToPkcs8Pem();
  ASSERT_TRUE(pem.ok());
  ASSERT_TRUE(posix::WriteFileAtomic(Path("mine.key"), pem->Reveal(), 0600).ok());
  CliResult r =
      RunCli({"recover", "-c", "127.0.0.1:1313", "-m", manifest_, "--seedshare-key",
              Path("mine.key"), "--seed-shares", Path("shares.json"), "--workspace", dir_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("shares.json"));
  CliResult garbage = RunCli({"recover", "-c", "127.0.0.1:1313", "-m", manifest_, "--seedshare-key",
                              Path("mine.key"), "--seed-shares", manifest_, "--workspace", dir_});
  EXPECT_EQ(garbage.code, kExitUsage);
}

TEST_F(CoordinatorCommandsTest, RecoverRejectsCorruptWorkspaceHead) {
  absl::StatusOr<crypto::PrivateKey> mine = crypto::PrivateKey::GenerateRsa(2048);
  ASSERT_TRUE(mine.ok());
  ::concord::testing::FakeRandom random(4);
  absl::StatusOr<seed::SeedSecrets> secrets = seed::SeedSecrets::Generate(random);
  absl::StatusOr<seed::SeedSharesDocument> doc =
      seed::MakeSeedShares(*secrets, {mine->public_key()});
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(
      posix::WriteFileAtomic(Path("shares.json"), AsBytes(seed::EncodeSeedSharesJson(*doc)), 0600)
          .ok());
  absl::StatusOr<crypto::SecretBytes> pem = mine->ToPkcs8Pem();
  ASSERT_TRUE(posix::WriteFileAtomic(Path("mine.key"), pem->Reveal(), 0600).ok());
  ASSERT_TRUE(posix::WriteFileAtomic(Path("head.json"), AsBytes("{\"generation\": 0}"), 0644).ok());
  CliResult r =
      RunCli({"recover", "-c", "127.0.0.1:1313", "-m", manifest_, "--seedshare-key",
              Path("mine.key"), "--seed-shares", Path("shares.json"), "--workspace", dir_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("head.json"));
}

TEST_F(CoordinatorCommandsTest, UnreachableCoordinatorGivesUpAtTheTimeoutWithExit1) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  CliResult r = RunCli({"status", "-c", "127.0.0.1:1", "-m", manifest_, "--timeout", "0"});
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.err, HasSubstr("gave up after 1 attempt"));
}

}  // namespace
}  // namespace concord::cli
