// The vendor clients over real HTTP: a local stand-in for KDS/PCS
// (testdata/fake_vendor.py, plain HTTP on 127.0.0.1) and `openssl s_server
// -WWW` for HTTPS with a generated CA. Nothing leaves the loopback.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "concord/attest/snp/report.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/testing/fake_vendor.h"
#include "concord/collateral/vendor_client.h"
#include "concord/collateral/verifiers.h"
#include "concord/collateral/web_fetcher.h"
#include "concord/common/time_format.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/ports.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::collateral {
namespace {

using ::concord::testing::FakeClock;
using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using testing::PercentEncode;

const absl::Time kPhalaTime = *ParseRfc3339("2025-06-25T00:00:00Z", "t");
const std::string kData = concord::testing::TestdataPath("attestation");

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits (bounded, polling the descriptor) for one line on `fd`.
std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  char c;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0 || ::read(fd, &c, 1) != 1 || c == '\n') {
      return line;
    }
    line.push_back(c);
  }
}

// A child process, terminated and reaped on destruction (also on failure).
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& cwd) {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
        ::_exit(126);
      }
      ::dup2(fds[1], 1);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 2);
      std::vector<char*> argv;
      for (std::string& a : args) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_fd_);
  }
  int out_fd() const { return out_fd_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

// fake_vendor.py with the given routes.
class FakeVendor {
 public:
  explicit FakeVendor(const nlohmann::json& routes)
      : dir_(concord::testing::MakeTempDir("fake_vendor")) {
    std::ofstream(dir_ + "/routes.json") << routes.dump();
    child_ = std::make_unique<Child>(
        std::vector<std::string>{
            "python3",
            absl::StrCat(CONCORD_SOURCE_DIR, "/src/concord/collateral/testdata/fake_vendor.py"),
            dir_ + "/routes.json", dir_ + "/requests.log"},
        "");
    std::string line = ReadLine(child_->out_fd(), 10000);
    uint32_t port = 0;
    EXPECT_TRUE(absl::SimpleAtoi(line, &port) && port > 0 && port < 65536)
        << "fake vendor did not start: " << line;
    port_ = static_cast<uint16_t>(port);
  }
  std::string base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  std::vector<std::string> requests() const {
    std::string log = FileText(dir_ + "/requests.log");
    return absl::StrSplit(log, '\n', absl::SkipEmpty());
  }

 private:
  std::string dir_;
  std::unique_ptr<Child> child_;
  uint16_t port_ = 0;
};

nlohmann::json Response(int status, const std::string& body_file,
                        nlohmann::json headers = nlohmann::json::object()) {
  nlohmann::json r = {{"status", status}, {"headers", headers}};
  if (!body_file.empty()) {
    r["body_file"] = body_file;
  }
  return r;
}

nlohmann::json PhalaRoutes(const std::string& tcb_info_file) {
  const std::string phala = kData + "/tdx/v4-b0c06f-phala/";
  const std::string signing =
      PercentEncode(FileText(kData + "/tdx/certs/tcb_signing_chain_2025.pem"));
  const std::string pck_ca =
      PercentEncode(FileText(kData + "/tdx/certs/pck_platform_ca_chain.pem"));
  // json::array, not braces: `{json_value}` is a one-element array under GCC
  // but a copy of the value under Clang.
  nlohmann::json routes;
  routes["/tdx/certification/v4/tcb?fmspc=b0c06f000000"] =
      nlohmann::json::array({Response(200, tcb_info_file, {{"TCB-Info-Issuer-Chain", signing}})});
  routes["/tdx/certification/v4/qe/identity"] = nlohmann::json::array({Response(
      200, phala + "qe_identity.json", {{"SGX-Enclave-Identity-Issuer-Chain", signing}})});
  routes["/sgx/certification/v4/pckcrl?ca=platform&encoding=der"] = nlohmann::json::array(
      {Response(200, phala + "pck_crl.der", {{"SGX-PCK-CRL-Issuer-Chain", pck_ca}})});
  routes["/sgx/certification/v4/rootcacrl"] =
      nlohmann::json::array({Response(200, phala + "root_ca_crl.der")});
  return routes;
}

struct Env {
  Env() : clock(kPhalaTime), store(store::MemoryStore::Create()) {
    cache = *CollateralCache::Create({store.get(), &clock});
  }
  FakeClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<CollateralCache> cache;
};

std::unique_ptr<WebClientFetcher> Fetcher(const std::string& base_url,
                                          const std::string& ca_file = "") {
  net::WebClientOptions options;
  options.base_url = base_url;
  options.ca_file = ca_file;
  options.connect_timeout = absl::Seconds(5);
  options.io_timeout = absl::Seconds(5);
  auto fetcher = WebClientFetcher::Create(options);
  EXPECT_THAT(fetcher.status(), IsOk());
  return *std::move(fetcher);
}

TEST(CollateralHttpTest, PcsFetchValidateCacheAndVerifyAQuote) {
  FakeVendor vendor(PhalaRoutes(kData + "/tdx/v4-b0c06f-phala/tcb_info.json"));
  Env env;
  auto fetcher = Fetcher(vendor.base_url());
  PcsClient pcs(*fetcher, env.clock);
  for (auto [kind, key] : std::vector<std::pair<CollateralKind, std::string>>{
           {CollateralKind::kTdxTcbInfo, "b0c06f000000"},
           {CollateralKind::kTdxQeIdentity, "td_qe"},
           {CollateralKind::kTdxPckCrl, "platform"},
           {CollateralKind::kTdxRootCaCrl, "root"}}) {
    absl::StatusOr<CollateralItem> item = pcs.Fetch(kind, key);
    ASSERT_THAT(item.status(), IsOk()) << KindName(kind);
    ASSERT_THAT(env.cache->Insert(*std::move(item)).status(), IsOk()) << KindName(kind);
  }
  CachedTdxVerifier verifier(*env.cache);
  attest::Evidence evidence;
  evidence.platform = attest::Platform::kTdx;
  evidence.report = concord::testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat");
  attest::VerifyOptions options;
  options.at = kPhalaTime;
  options.check_reference_values = false;
  EXPECT_THAT(verifier.Verify(evidence, options).status(), IsOk());
  EXPECT_EQ(vendor.requests().size(), 4u);
}

TEST(CollateralHttpTest, TamperedSignatureFromTheServerIsRefused) {
  FakeVendor vendor(PhalaRoutes(kData + "/tdx/v4-b0c06f-phala/tcb_info-tampered-evalnum.json"));
  Env env;
  auto fetcher = Fetcher(vendor.base_url());
  PcsClient pcs(*fetcher, env.clock);
  CONCORD_ASSERT_OK_AND_ASSIGN(CollateralItem item,
                               pcs.Fetch(CollateralKind::kTdxTcbInfo, "b0c06f000000"));
  EXPECT_THAT(env.cache->Insert(item), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(*env.store->List("collateral/"), ::testing::IsEmpty());
}

TEST(CollateralHttpTest, KdsRetryAfterIsHonoured) {
  const std::string vcek = kData + "/snp/milan-v2-virtee/vcek.der";
  Env env;
  auto report = attest::SnpReport::Parse(
      concord::testing::ReadTestdata("attestation/snp/milan-v2-virtee/report.bin"));
  ASSERT_THAT(report.status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::string vcek_key,
      SnpVcekKey(attest::SnpProduct::kMilan, report->chip_id, report->reported_tcb));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::string target,
                               KdsClient::Target(CollateralKind::kSnpVcek, vcek_key));
  nlohmann::json routes;
  routes[target] = {Response(429, "", {{"Retry-After", "30"}}), Response(200, vcek)};
  FakeVendor vendor(routes);
  auto fetcher = Fetcher(vendor.base_url());
  KdsClient kds(*fetcher, env.clock);
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpVcek, vcek_key),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 429")));
  env.clock.Advance(absl::Seconds(20));
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpVcek, vcek_key),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("rate limited")));
  EXPECT_EQ(vendor.requests().size(), 1u);
  env.clock.Advance(absl::Seconds(11));
  CONCORD_ASSERT_OK_AND_ASSIGN(CollateralItem item, kds.Fetch(CollateralKind::kSnpVcek, vcek_key));
  EXPECT_THAT(env.cache->Insert(item).status(), IsOk());
  EXPECT_EQ(vendor.requests().size(), 2u);
}

class CollateralHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = concord::testing::MakeTempDir("collateral_https");
    const std::string script = absl::StrCat(
        "set -e; cd ", dir_, "; exec >/dev/null 2>&1;",
        "for ca in ca otherca; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        "-nodes -keyout $ca.key -out $ca.pem -days 2 -subj /CN=$ca; done;",
        "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext;",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key "
        "-out server.csr -subj /CN=server;",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san.ext -out server.pem;",
        "mkdir -p vcek/v1/Milan; cp ", kData,
        "/snp/certs/milan/cert_chain.pem vcek/v1/Milan/cert_chain");
    std::ofstream(dir_ + "/setup.sh") << script;
    ASSERT_EQ(std::system(absl::StrCat("sh ", dir_, "/setup.sh").c_str()), 0);
    port_ = concord::testing::FreeLoopbackPort();
    server_ = std::make_unique<Child>(
        std::vector<std::string>{"openssl", "s_server", "-quiet", "-WWW", "-accept",
                                 absl::StrCat("127.0.0.1:", port_), "-cert", "server.pem", "-key",
                                 "server.key"},
        dir_);
    for (int i = 0; i < 500 && !concord::testing::CanConnectLoopback(port_); ++i) {
      pollfd none{};
      ::poll(&none, 0, 10);
    }
  }
  void TearDown() override {
    server_.reset();
    EXPECT_EQ(std::system(absl::StrCat("rm -rf ", dir_).c_str()), 0);
  }
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Child> server_;
};

TEST_F(CollateralHttpsTest, KdsCertChainOverHttpsIsValidatedAndCached) {
  Env env;
  auto fetcher = Fetcher(absl::StrCat("https://127.0.0.1:", port_), dir_ + "/ca.pem");
  KdsClient kds(*fetcher, env.clock);
  CONCORD_ASSERT_OK_AND_ASSIGN(CollateralItem item,
                               kds.Fetch(CollateralKind::kSnpCertChain, "milan"));
  EXPECT_THAT(env.cache->Insert(item).status(), IsOk());
}

TEST_F(CollateralHttpsTest, UntrustedServerIsUnavailable) {
  Env env;
  auto fetcher = Fetcher(absl::StrCat("https://127.0.0.1:", port_), dir_ + "/otherca.pem");
  KdsClient kds(*fetcher, env.clock);
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpCertChain, "milan"),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace concord::collateral
