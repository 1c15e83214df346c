#include "concord/initializer/output_dir.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "concord/common/bytes.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::initializer {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

mode_t Mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return 0;
  }
  return st.st_mode & 0777;
}

OutputFiles Files(absl::string_view tag, bool secret) {
  OutputFiles f;
  f.key_pem = crypto::SecretBytes(AsBytes(absl::StrCat("KEY ", tag)));
  f.cert_chain_pem = absl::StrCat("CHAIN ", tag);
  f.mesh_ca_pem = absl::StrCat("MESH ", tag);
  f.root_ca_pem = absl::StrCat("ROOT ", tag);
  if (secret) {
    f.workload_secret_hex = crypto::SecretBytes(AsBytes(absl::StrCat("SECRET ", tag)));
  }
  return f;
}

TEST(OutputDirTest, WritesEveryFileWithItsMode) {
  const std::string dir = concord::testing::MakeTempDir("init-out") + "/out";
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<OutputDir> out, OutputDir::Create(dir));
  ASSERT_THAT(out->Write(Files("1", true)), IsOk());
  EXPECT_EQ(Read(dir + "/key.pem"), "KEY 1");
  EXPECT_EQ(Read(dir + "/cert-chain.pem"), "CHAIN 1");
  EXPECT_EQ(Read(dir + "/mesh-ca.pem"), "MESH 1");
  EXPECT_EQ(Read(dir + "/root-ca.pem"), "ROOT 1");
  EXPECT_EQ(Read(dir + "/workload-secret"), "SECRET 1");
  EXPECT_EQ(Mode(dir + "/key.pem"), 0600u);
  EXPECT_EQ(Mode(dir + "/workload-secret"), 0600u);
  EXPECT_EQ(Mode(dir + "/cert-chain.pem"), 0644u);
}

TEST(OutputDirTest, ReplacesFilesAndRemovesAStaleSecret) {
  const std::string dir = concord::testing::MakeTempDir("init-out");
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<OutputDir> out, OutputDir::Create(dir));
  ASSERT_THAT(out->Write(Files("1", true)), IsOk());
  ASSERT_THAT(out->Write(Files("2", false)), IsOk());
  EXPECT_EQ(Read(dir + "/key.pem"), "KEY 2");
  EXPECT_EQ(Read(dir + "/root-ca.pem"), "ROOT 2");
  EXPECT_EQ(Mode(dir + "/workload-secret"), 0u);  // gone
  // Exactly the four files: no temporary is left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) {
    ++entries;
  }
  EXPECT_EQ(entries, 4);
}

TEST(OutputDirTest, CreateRejectsAFileInTheWay) {
  const std::string dir = concord::testing::MakeTempDir("init-out");
  std::ofstream(dir + "/file") << "x";
  EXPECT_THAT(OutputDir::Create(dir + "/file"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(OutputDir::Create(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OutputDirTest, WriteFailsWhenTheDirectoryIsGone) {
  const std::string dir = concord::testing::MakeTempDir("init-out") + "/out";
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<OutputDir> out, OutputDir::Create(dir));
  ASSERT_EQ(::rmdir(dir.c_str()), 0);
  EXPECT_THAT(out->Write(Files("1", false)), StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace concord::initializer
