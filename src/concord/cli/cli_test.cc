#include "concord/cli/cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/cli/cli_test_util.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::cli {
namespace {

using ::concord::testing::TestdataPath;
using ::testing::HasSubstr;

// `concord evidence verify` of testdata/attestation/snp/<report> with
// testdata/attestation/snp/<cert> at the time `at`, then `extra` flags.
CliResult VerifySnpEvidence(absl::string_view report, absl::string_view cert, absl::string_view at,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "evidence", "verify",
      "--report", TestdataPath(absl::StrCat("attestation/snp/", report)),
      "--cert",   TestdataPath(absl::StrCat("attestation/snp/", cert)),
      "--at",     std::string(at)};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunCli(std::move(args));
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

class CliTest : public ::testing::Test {
 protected:
  std::string dir_ = ::concord::testing::MakeTempDir("cli");
  std::string Path(absl::string_view name) { return absl::StrCat(dir_, "/", name); }
};

TEST_F(CliTest, KeygenOwnerWritesPrivateKey0600AndPrintsSpki) {
  CliResult r = RunCli({"keygen", "owner", "--out", Path("owner.key")});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  struct stat st;
  ASSERT_EQ(stat(Path("owner.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes spki,
                               HexDecode(std::string(r.out.substr(0, r.out.size() - 1))));
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PublicKey pub, crypto::PublicKey::FromSpkiDer(spki));
  EXPECT_EQ(pub.type(), crypto::KeyType::kEcP384);
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes pem, posix::ReadFileBounded(Path("owner.key"), 1 << 16));
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::FromPem(crypto::SecretBytes(pem)));
  EXPECT_EQ(key.public_key().spki_der(), spki);
}

TEST_F(CliTest, KeygenRefusesToOverwriteWithoutForce) {
  ASSERT_EQ(RunCli({"keygen", "owner", "--out", Path("k")}).code, kExitOk);
  CliResult r = RunCli({"keygen", "owner", "--out", Path("k")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("refusing to overwrite"));
  EXPECT_EQ(RunCli({"keygen", "owner", "--out", Path("k"), "--force"}).code, kExitOk);
}

TEST_F(CliTest, KeygenSeedshareMakesRsa4096) {
  CliResult r = RunCli({"keygen", "seedshare", "--out", Path("share.key")});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes spki,
                               HexDecode(std::string(r.out.substr(0, r.out.size() - 1))));
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PublicKey pub, crypto::PublicKey::FromSpkiDer(spki));
  EXPECT_EQ(pub.type(), crypto::KeyType::kRsa);
  EXPECT_EQ(EVP_PKEY_get_bits(pub.evp()), 4096);
}

TEST_F(CliTest, PolicyHashIsSha256OfExactBytes) {
  WriteText(Path("policy.json"), "{\"a\": 1}\n");
  CliResult r = RunCli({"policy", "hash", Path("policy.json")});
  ASSERT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, HexEncode(crypto::Sha256(AsBytes("{\"a\": 1}\n"))) + "\n");
}

TEST_F(CliTest, PolicyHashOfMissingFileIsUsageError) {
  CliResult r = RunCli({"policy", "hash", Path("absent")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("absent"));
}

TEST_F(CliTest, ManifestCheckAcceptsExampleAndRejectsBrokenOne) {
  CliResult ok = RunCli({"manifest", "check", TestdataPath("manifest/simulated.json")});
  EXPECT_EQ(ok.code, kExitOk) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("manifest valid"));
  WriteText(Path("bad.json"), "{\"Version\": 1, \"Bogus\": true}");
  CliResult bad = RunCli({"manifest", "check", Path("bad.json")});
  EXPECT_EQ(bad.code, kExitInvalid);
  EXPECT_THAT(bad.err, HasSubstr("Bogus"));
  EXPECT_EQ(RunCli({"manifest", "check", Path("missing.json")}).code, kExitUsage);
}

TEST_F(CliTest, ManifestCheckJsonReportsHash) {
  CliResult r = RunCli({"manifest", "check", "--json", TestdataPath("manifest/simulated.json")});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes bytes, posix::ReadFileBounded(TestdataPath("manifest/simulated.json"), 1 << 20));
  EXPECT_EQ(j["hash"], HexEncode(crypto::Sha256(bytes)));
  EXPECT_EQ(j["valid"], true);
}

TEST_F(CliTest, EvidenceVerifyGenuineSnpReportIsValid) {
  CliResult r = VerifySnpEvidence("milan-v2-virtee/report.bin", "milan-v2-virtee/vcek.der",
                                  "2025-06-01T00:00:00Z", {"--platform", "snp"});
  ASSERT_EQ(r.code, kExitOk) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "valid");
  EXPECT_THAT(j.dump(), HasSubstr("7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d"
                                  "3e1a0dc39b2c60bd95b9c480cd81841f"));
}

TEST_F(CliTest, EvidenceVerifyTamperedReportIsInvalidAndShowsParsedReport) {
  CliResult r = VerifySnpEvidence("milan-v2-gsg/report-tampered-measurement.bin",
                                  "milan-v2-gsg/vcek.der", "2025-06-01T00:00:00Z");
  EXPECT_EQ(r.code, kExitInvalid);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "invalid");
  EXPECT_THAT(j["error"].get<std::string>(), HasSubstr("signature"));
  EXPECT_TRUE(j.contains("report"));
}

TEST_F(CliTest, EvidenceVerifyDebugPolicyIsInvalid) {
  CliResult r =
      VerifySnpEvidence("milan-v2-gsg/report.bin", "milan-v2-gsg/vcek.der", "2025-06-01T00:00:00Z");
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.out, HasSubstr("debug"));
}

TEST_F(CliTest, EvidenceVerifyExpiredVlekIsInvalid) {
  CliResult r = VerifySnpEvidence("milan-v3-vlek-aws/report.bin", "milan-v3-vlek-aws/vlek.der",
                                  "2026-11-23T00:00:00Z");
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.out, HasSubstr("expired"));
}

TEST_F(CliTest, EvidenceVerifyChecksReferenceValues) {
  WriteText(
      Path("rv-good.json"),
      R"({"snp":[{"Product":"Milan","Measurement":"7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f","MinimumTCB":{"BootloaderVersion":3,"TEEVersion":0,"SNPVersion":8,"MicrocodeVersion":115}}]})");
  WriteText(
      Path("rv-bad.json"),
      R"({"snp":[{"Product":"Milan","Measurement":"0a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f","MinimumTCB":{"BootloaderVersion":3,"TEEVersion":0,"SNPVersion":8,"MicrocodeVersion":115}}]})");
  CliResult g =
      VerifySnpEvidence("milan-v2-virtee/report.bin", "milan-v2-virtee/vcek.der",
                        "2025-06-01T00:00:00Z", {"--reference-values", Path("rv-good.json")});
  EXPECT_EQ(g.code, kExitOk) << g.out << g.err;
  CliResult b =
      VerifySnpEvidence("milan-v2-virtee/report.bin", "milan-v2-virtee/vcek.der",
                        "2025-06-01T00:00:00Z", {"--reference-values", Path("rv-bad.json")});
  EXPECT_EQ(b.code, kExitInvalid);
  EXPECT_THAT(b.out, HasSubstr("measurement"));
}

TEST_F(CliTest, EvidenceVerifyUsageErrorsExit2) {
  const std::string report = TestdataPath("attestation/snp/milan-v2-virtee/report.bin");
  const std::string cert = TestdataPath("attestation/snp/milan-v2-virtee/vcek.der");
  EXPECT_EQ(RunCli({"evidence", "verify", "--report", Path("nope"), "--cert", cert}).code,
            kExitUsage);
  EXPECT_EQ(RunCli({"evidence", "verify", "--report", report, "--cert", Path("nope")}).code,
            kExitUsage);
  EXPECT_EQ(RunCli({"evidence", "verify", "--report", report, "--cert", cert, "--at", "soon"}).code,
            kExitUsage);
  EXPECT_EQ(
      RunCli({"evidence", "verify", "--platform", "sgx", "--report", report, "--cert", cert}).code,
      kExitUsage);
  EXPECT_EQ(RunCli({"evidence", "verify", "--report", report}).code, kExitUsage);
  WriteText(Path("rv.json"), "{\"snp\": 3}");
  EXPECT_EQ(RunCli({"evidence", "verify", "--report", report, "--cert", cert, "--reference-values",
                    Path("rv.json")})
                .code,
            kExitUsage);
}

TEST_F(CliTest, EvidenceVerifyTruncatedReportIsInvalid) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes report,
      posix::ReadFileBounded(TestdataPath("attestation/snp/milan-v2-virtee/report.bin"), 1 << 16));
  report.resize(1000);
  ASSERT_TRUE(
      posix::WriteFileAtomic(Path("short.bin"), report, 0644, posix::IfExists::kRefuse).ok());
  CliResult r = RunCli({"evidence", "verify", "--report", Path("short.bin"), "--cert",
                        TestdataPath("attestation/snp/milan-v2-virtee/vcek.der")});
  EXPECT_EQ(r.code, kExitInvalid);
  EXPECT_THAT(r.out, HasSubstr("1184"));
}

TEST_F(CliTest, SimulatedHostEndToEnd) {
  const std::string host = Path("host");
  CliResult init = RunCli({"sim", "init", "--dir", host});
  ASSERT_EQ(init.code, kExitOk) << init.err;
  nlohmann::json rv_json = nlohmann::json::parse(init.out)["reference_values"];
  WriteText(Path("rv.json"), rv_json.dump());
  WriteText(Path("policy.yaml"), "workload: demo\n");
  const std::string host_data = HexEncode(crypto::Sha256(AsBytes("workload: demo\n")));
  CliResult rep =
      RunCli({"sim", "report", "--dir", host, "--report-data", "abcd", "--policy",
              Path("policy.yaml"), "--out", Path("r.bin"), "--certs-out", Path("c.pem")});
  ASSERT_EQ(rep.code, kExitOk) << rep.err;

  std::vector<std::string> verify = {"evidence",      "verify",      "--platform",
                                     "simulated",     "--report",    Path("r.bin"),
                                     "--cert",        Path("c.pem"), "--reference-values",
                                     Path("rv.json"), "--host-data", host_data};
  CliResult ok = RunCli(verify);
  EXPECT_EQ(ok.code, kExitOk) << ok.out << ok.err;

  // The same report is not SNP evidence: real AMD roots never accept it.
  std::vector<std::string> as_snp = verify;
  as_snp[3] = "snp";
  EXPECT_EQ(RunCli(as_snp).code, kExitInvalid);

  // Another host's ARK is refused.
  ASSERT_EQ(RunCli({"sim", "init", "--dir", Path("host2")}).code, kExitOk);
  CliResult other = RunCli({"sim", "report", "--dir", Path("host2"), "--out", Path("r2.bin"),
                            "--certs-out", Path("c2.pem"), "--policy", Path("policy.yaml")});
  ASSERT_EQ(other.code, kExitOk);
  std::vector<std::string> foreign = verify;
  foreign[5] = Path("r2.bin");
  foreign[7] = Path("c2.pem");
  EXPECT_EQ(RunCli(foreign).code, kExitInvalid);

  // Wrong host data (another policy) is refused.
  std::vector<std::string> wrong_host = verify;
  wrong_host.back() = std::string(64, '0');
  EXPECT_EQ(RunCli(wrong_host).code, kExitInvalid);

  // A flipped bit in the report is refused.
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes report, posix::ReadFileBounded(Path("r.bin"), 1 << 16));
  report[0x90] ^= 1;
  ASSERT_TRUE(posix::WriteFileAtomic(Path("r.bin"), report, 0644).ok());
  EXPECT_EQ(RunCli(verify).code, kExitInvalid);
}

TEST_F(CliTest, SimInitRefusesNonEmptyDir) {
  WriteText(Path("file"), "x");
  CliResult r = RunCli({"sim", "init", "--dir", dir_});
  EXPECT_EQ(r.code, kExitUsage);
}

// Runs the real binary: --help works on every command and usage errors exit 2.
int RunBinary(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = CONCORD_CLI_BINARY;
    argv.push_back(bin.data());
    for (const auto& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CliBinaryTest, HelpOnEveryCommandExitsZero) {
  const std::vector<std::vector<std::string>> commands = {{},
                                                          {"keygen"},
                                                          {"keygen", "owner"},
                                                          {"keygen", "seedshare"},
                                                          {"policy"},
                                                          {"policy", "hash"},
                                                          {"sim"},
                                                          {"sim", "init"},
                                                          {"sim", "report"},
                                                          {"manifest"},
                                                          {"manifest", "check"},
                                                          {"evidence"},
                                                          {"evidence", "verify"}};
  for (auto args : commands) {
    args.push_back("--help");
    EXPECT_EQ(RunBinary(args), 0) << absl::StrJoin(args, " ");
  }
}

TEST(CliBinaryTest, UnknownCommandAndMissingArgsExitTwo) {
  EXPECT_EQ(RunBinary({}), 2);
  EXPECT_EQ(RunBinary({"frobnicate"}), 2);
  EXPECT_EQ(RunBinary({"policy", "hash"}), 2);
  EXPECT_EQ(RunBinary({"keygen", "owner"}), 2);
  // --help does not turn a misspelt command into success, at any level.
  EXPECT_EQ(RunBinary({"bogus", "--help"}), 2);
  EXPECT_EQ(RunBinary({"manifest", "bogus", "--help"}), 2);
  EXPECT_EQ(RunBinary({"manifest", "check", "--help"}), 0);
}

}  // namespace
}  // namespace concord::cli
