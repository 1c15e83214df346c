#include "concord/manifest/internal/san.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace concord::manifest::internal {
namespace {

TEST(SanTest, ClassifiesValidNames) {
  const std::vector<std::pair<std::string, SanKind>> valid = {
      {"example.com", SanKind::kDns},
      {"localhost", SanKind::kDns},
      {"coordinator", SanKind::kDns},
      {"a-b.c0", SanKind::kDns},
      {"Web.Example.COM", SanKind::kDns},
      {"*.example.com", SanKind::kDns},
      {"xn--bcher-kva.example", SanKind::kDns},
      {"concord-0.concord-mesh.concord.svc.cluster.local", SanKind::kDns},
      {std::string(63, 'a') + ".com", SanKind::kDns},
      {"10.0.0.1", SanKind::kIp},
      {"0.0.0.0", SanKind::kIp},
      {"255.255.255.255", SanKind::kIp},
      {"::1", SanKind::kIp},
      {"2001:db8::1", SanKind::kIp},
      {"::ffff:192.0.2.1", SanKind::kIp},
      {"spiffe://example.org", SanKind::kUri},
      {"spiffe://example.org/ns/default/sa/web", SanKind::kUri},
      {"spiffe://trust_domain-1.example/a.b/c-d/E_F", SanKind::kUri},
      {"https://example.com/path?x=1#frag", SanKind::kUri},
      {"urn+x://host/%2Fencoded", SanKind::kUri},
  };
  for (const auto& [san, kind] : valid) {
    SCOPED_TRACE(san);
    std::optional<SanKind> got = ClassifySan(san);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, kind);
  }
}

TEST(SanTest, RejectsInvalidNames) {
  const std::vector<std::string> invalid = {
      "",
      "-a.com",
      "a-.com",
      "a..com",
      ".a.com",
      "a.com.",
      "*",
      "*.com",
      "*.*.example.com",
      "a.*.com",
      "foo*.example.com",
      "ex ample.com",
      "under_score.example.com",
      "caf\xc3\xa9.example",
      std::string(64, 'a') + ".com",
      std::string(250, 'a').insert(63, ".").insert(127, ".").insert(191, ".") + ".com",
      "1.2.3",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.4.5",
      "example.123",
      "fe80::1%eth0",
      "[::1]",
      "::1::2",
      "spiffe://",
      "spiffe://Example.org/x",
      "spiffe://example.org/",
      "spiffe://example.org//a",
      "spiffe://example.org/./a",
      "spiffe://example.org/../a",
      "spiffe://example.org/a?b",
      "spiffe://example.org/a#b",
      "spiffe://user@example.org",
      "spiffe://example.org:443/a",
      "SPIFFE://example.org",
      "http:///path",
      "http://exa mple.com",
      "http://x/%zz",
      "http://x/%4",
      "http://x/\"",
      "://x",
      "1http://x",
      "localhost:8080",
      "http://" + std::string(kMaxSanLength, 'a'),
  };
  for (const std::string& san : invalid) {
    SCOPED_TRACE(san);
    EXPECT_FALSE(ClassifySan(san).has_value());
  }
}

TEST(SanTest, KeysFoldCaseForDnsAndNormalizeIps) {
  EXPECT_EQ(SanKey("EXAMPLE.com", SanKind::kDns), SanKey("example.COM", SanKind::kDns));
  EXPECT_EQ(SanKey("::1", SanKind::kIp), SanKey("0:0:0:0:0:0:0:1", SanKind::kIp));
  EXPECT_NE(SanKey("10.0.0.1", SanKind::kIp), SanKey("10.0.0.2", SanKind::kIp));
  EXPECT_EQ(SanKey("HTTPS://x/A", SanKind::kUri), SanKey("https://x/A", SanKind::kUri));
  EXPECT_NE(SanKey("https://x/A", SanKind::kUri), SanKey("https://x/a", SanKind::kUri));
}

}  // namespace
}  // namespace concord::manifest::internal
