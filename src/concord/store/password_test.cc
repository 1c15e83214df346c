#include "concord/store/password.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "concord/common/bytes.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::store {
namespace {

using ::concord::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr PasswordRules kRules{.context = "store url test://",
                               .code = absl::StatusCode::kFailedPrecondition,
                               .max_bytes = 8,
                               .one_line = true};

class ReadStorePasswordTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  absl::StatusOr<std::string> ReadFile(const std::string& content, PasswordRules rules = kRules) {
    absl::StatusOr<crypto::SecretBytes> p =
        ReadStorePassword({.file = Write("pw", content), .env = ""}, rules);
    if (!p.ok()) {
      return p.status();
    }
    return std::string(AsStringView(p->Reveal()));
  }

  std::string dir_ = ::concord::testing::MakeTempDir("store-password");
};

TEST_F(ReadStorePasswordTest, NeitherSourceGivesAnEmptyPassword) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::SecretBytes p, ReadStorePassword({}, kRules));
  EXPECT_TRUE(p.empty());
}

TEST_F(ReadStorePasswordTest, FileDropsOneTrailingNewline) {
  EXPECT_THAT(ReadFile("secret\n"), ::concord::testing::IsOkAndHolds("secret"));
  EXPECT_THAT(ReadFile("secret\r\n"), ::concord::testing::IsOkAndHolds("secret"));
  EXPECT_THAT(ReadFile("secret"), ::concord::testing::IsOkAndHolds("secret"));
  // The limit counts the password, not its newline.
  EXPECT_THAT(ReadFile("12345678\r\n"), ::concord::testing::IsOkAndHolds("12345678"));
}

TEST_F(ReadStorePasswordTest, LongEmptyOrMultiLineFileIsRefusedWithoutTheContent) {
  EXPECT_THAT(ReadFile("123456789"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("store url test:// password_file: "),
                             HasSubstr("is longer than 8 bytes"), Not(HasSubstr("1234")))));
  EXPECT_THAT(ReadFile("\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is empty")));
  EXPECT_THAT(ReadFile("ab\ncd\n"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("on one line"), Not(HasSubstr("ab")))));
  PasswordRules any_line = kRules;
  any_line.one_line = false;
  EXPECT_THAT(ReadFile("ab\ncd\n", any_line), ::concord::testing::IsOkAndHolds("ab\ncd"));
}

TEST_F(ReadStorePasswordTest, MissingFileNamesTheOptionWithTheCallersCode) {
  PasswordRules rules = kRules;
  rules.code = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(ReadStorePassword({.file = dir_ + "/absent", .env = ""}, rules),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "store url test:// password_file: cannot open " + dir_ + "/absent"));
}

TEST_F(ReadStorePasswordTest, EnvironmentVariableIsReadAndMustBeSet) {
  ASSERT_EQ(setenv("CONCORD_TEST_STORE_PASSWORD", "from-env", 1), 0);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      crypto::SecretBytes p,
      ReadStorePassword({.file = "", .env = "CONCORD_TEST_STORE_PASSWORD"}, kRules));
  EXPECT_EQ(AsStringView(p.Reveal()), "from-env");
  ASSERT_EQ(unsetenv("CONCORD_TEST_STORE_PASSWORD"), 0);
  EXPECT_THAT(ReadStorePassword({.file = "", .env = "CONCORD_TEST_STORE_PASSWORD"}, kRules),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "store url test:// password_env: environment variable "
                       "CONCORD_TEST_STORE_PASSWORD is not set or empty"));
}

}  // namespace
}  // namespace concord::store
