#include "concord/crypto/secret_bytes.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::crypto {
namespace {

TEST(SecretBytesTest, PrintingNeverShowsContent) {
  SecretBytes s(AsBytes("topsecretvalue"));
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted 14 bytes]");
}

TEST(SecretBytesTest, EqualsComparesContentAndLength) {
  EXPECT_TRUE(SecretBytes(AsBytes("abc")).Equals(SecretBytes(AsBytes("abc"))));
  EXPECT_FALSE(SecretBytes(AsBytes("abc")).Equals(SecretBytes(AsBytes("abd"))));
  EXPECT_FALSE(SecretBytes(AsBytes("abc")).Equals(SecretBytes(AsBytes("abcd"))));
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a(AsBytes("abc"));
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checked on purpose.
}

TEST(SecretBytesTest, AdoptWipesSource) {
  Bytes raw = {1, 2, 3};
  SecretBytes s = SecretBytes::Adopt(std::move(raw));
  EXPECT_EQ(s.size(), 3u);
  EXPECT_TRUE(raw.empty());  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace concord::crypto
