// `concord collateral export|import|list` end to end through the CLI entry
// point, on file:// stores in temp dirs.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/cli/cli_test_util.h"
#include "concord/collateral/cache.h"
#include "concord/common/time_format.h"
#include "concord/store/builtin.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::collateral {
namespace {

using ::concord::cli::CliResult;
using ::concord::cli::RunCli;

using ::concord::testing::IsOk;
using ::concord::testing::ReadTestdata;
using ::testing::HasSubstr;

CollateralItem PckCrl(absl::string_view dir) {
  return {CollateralKind::kTdxPckCrl, "platform",
          ReadTestdata(absl::StrCat("attestation/tdx/", dir, "/pck_crl.der")),
          ToString(ReadTestdata("attestation/tdx/certs/pck_platform_ca_chain.pem"))};
}
CollateralItem TcbInfo() {
  return {CollateralKind::kTdxTcbInfo, "b0c06f000000",
          ReadTestdata("attestation/tdx/v4-b0c06f-phala/tcb_info.json"),
          ToString(ReadTestdata("attestation/tdx/certs/tcb_signing_chain_2025.pem"))};
}

class CollateralCliTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = concord::testing::MakeTempDir("collateral_cli"); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string Url(absl::string_view name) { return absl::StrCat("file://", root_, "/", name); }
  std::string Dir(absl::string_view name) { return absl::StrCat(root_, "/", name); }
  // Inserts items into the store `name` as of `at`.
  void Seed(absl::string_view name, absl::string_view at, std::vector<CollateralItem> items) {
    auto st = store::OpenStore(Url(name), store::Deps());
    ASSERT_THAT(st.status(), IsOk());
    concord::testing::FakeClock clock(*ParseRfc3339(at, "at"));
    auto cache = *CollateralCache::Create({st->get(), &clock});
    for (CollateralItem& item : items) {
      ASSERT_THAT(cache->Insert(std::move(item)).status(), IsOk());
    }
  }
  std::vector<std::string> Keys(absl::string_view name) {
    auto st = store::OpenStore(Url(name), store::Deps());
    EXPECT_THAT(st.status(), IsOk());
    return *(*st)->List("collateral/");
  }
  std::string root_;
};

constexpr absl::string_view kAt = "2025-06-25T00:00:00Z";

TEST_F(CollateralCliTest, ExportImportRoundTrip) {
  Seed("a", kAt, {TcbInfo(), PckCrl("v4-b0c06f-phala")});
  CliResult exp = RunCli({"collateral", "export", "--store", Url("a"), "--out", Dir("bundle")});
  ASSERT_EQ(exp.code, 0) << exp.err;
  EXPECT_THAT(exp.out, HasSubstr("\"exported\": 2"));
  CliResult imp = RunCli({"collateral", "import", "--store", Url("b"), "--in", Dir("bundle"),
                          "--at", std::string(kAt)});
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_EQ(Keys("a"), Keys("b"));
  CliResult list = RunCli({"collateral", "list", "--store", Url("b")});
  EXPECT_EQ(list.code, 0);
  EXPECT_THAT(list.out, HasSubstr("\"issueDate\": \"2025-06-19T10:16:03Z\""));
}

TEST_F(CollateralCliTest, TamperedBundleIsRefusedAndNothingIsWritten) {
  Seed("a", kAt, {TcbInfo(), PckCrl("v4-b0c06f-phala")});
  ASSERT_EQ(RunCli({"collateral", "export", "--store", Url("a"), "--out", Dir("bundle")}).code, 0);
  // Flip one base64 character of the PCK CRL body (inside its signature).
  for (const auto& entry : std::filesystem::directory_iterator(Dir("bundle"))) {
    if (entry.path().filename().string().rfind("tdx-pck-crl-", 0) == 0) {
      std::ifstream in(entry.path());
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      size_t pos = text.find("\",\"issuerChain\"") - 10;
      text[pos] = text[pos] == 'A' ? 'B' : 'A';
      std::ofstream(entry.path()) << text;
    }
  }
  CliResult imp = RunCli({"collateral", "import", "--store", Url("b"), "--in", Dir("bundle"),
                          "--at", std::string(kAt)});
  EXPECT_EQ(imp.code, 1);
  EXPECT_THAT(imp.err, HasSubstr("bundle tdx-pck-crl-"));
  EXPECT_THAT(Keys("b"), ::testing::IsEmpty());
}

TEST_F(CollateralCliTest, OlderBundleIsRefusedWithAClearMessage) {
  Seed("new", kAt, {PckCrl("v4-b0c06f-phala")});
  Seed("old", "2023-06-20T00:00:00Z", {PckCrl("v4-50806f-gtg")});
  ASSERT_EQ(RunCli({"collateral", "export", "--store", Url("old"), "--out", Dir("old")}).code, 0);
  const auto before = Keys("new");
  CliResult imp = RunCli({"collateral", "import", "--store", Url("new"), "--in", Dir("old"), "--at",
                          "2023-06-20T00:00:00Z"});
  EXPECT_EQ(imp.code, 1);
  EXPECT_THAT(imp.err, HasSubstr("is older than the newest seen (2025-06-19T10:00:35Z)"));
  EXPECT_EQ(Keys("new"), before);
}

TEST_F(CollateralCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCli({"collateral", "import", "--store", Url("b"), "--in", Dir("missing")}).code, 2);
  EXPECT_EQ(RunCli({"collateral", "export", "--store", "nope", "--out", Dir("x")}).code, 2);
  EXPECT_EQ(RunCli({"collateral", "list", "--store", Url("b"), "--at", "yesterday"}).code, 2);
  EXPECT_EQ(RunCli({"collateral", "import", "--store", Url("b")}).code, 2);
}

}  // namespace
}  // namespace concord::collateral
