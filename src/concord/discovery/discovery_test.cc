#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "concord/discovery/dns_discovery.h"
#include "concord/discovery/k8s_discovery.h"
#include "concord/discovery/spec.h"
#include "concord/discovery/static_discovery.h"
#include "concord/net/server.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::discovery {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string ReadDiscoveryTestdata(absl::string_view name) {
  absl::StatusOr<Bytes> bytes =
      concord::testing::ReadFileBytes(absl::StrCat(DISCOVERY_TESTDATA_DIR, "/", name));
  EXPECT_THAT(bytes.status(), IsOk());
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

PeerAddress Peer(std::string host, uint16_t port, std::string name = "") {
  return PeerAddress{std::move(host), port, std::move(name)};
}

// ---- static ----

TEST(StaticDiscoveryTest, ParsesSortsAndDeduplicates) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto discovery,
      StaticDiscovery::Create("127.0.0.12:7777,127.0.0.11:7777,[::1]:7001,127.0.0.12:7777"));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<PeerAddress> peers, discovery->Peers());
  EXPECT_THAT(peers,
              ElementsAre(Peer("127.0.0.11", 7777), Peer("127.0.0.12", 7777), Peer("::1", 7001)));
}

TEST(StaticDiscoveryTest, AcceptsHostNames) {
  CONCORD_ASSERT_OK_AND_ASSIGN(auto discovery,
                               StaticDiscovery::Create("coordinator-0.headless:7777"));
  EXPECT_THAT(discovery->Peers(), IsOkAndHolds(ElementsAre(Peer("coordinator-0.headless", 7777))));
}

TEST(StaticDiscoveryTest, RejectsMalformedEntriesNamingThem) {
  EXPECT_THAT(StaticDiscovery::Create(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least one")));
  EXPECT_THAT(StaticDiscovery::Create("127.0.0.1:7777,127.0.0.2"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("static peer 2: want host:port or [ipv6]:port (no port)")));
  EXPECT_THAT(StaticDiscovery::Create("127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port must be 1..65535")));
  EXPECT_THAT(StaticDiscovery::Create("127.0.0.1:65536"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port must be 1..65535")));
  EXPECT_THAT(StaticDiscovery::Create("127.0.0.1:+77"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port must be 1..65535")));
  EXPECT_THAT(StaticDiscovery::Create("::1:7777"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("need brackets")));
  EXPECT_THAT(StaticDiscovery::Create("[zz::1]:7777"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an IPv6 address")));
  EXPECT_THAT(StaticDiscovery::Create("[::1:7777"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unbalanced brackets")));
  EXPECT_THAT(StaticDiscovery::Create("a b:7777"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad host name")));
  EXPECT_THAT(StaticDiscovery::Create(":7777"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty host")));
  EXPECT_THAT(StaticDiscovery::Create("127.0.0.1:7777,"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("static peer 2")));
}

TEST(StaticDiscoveryTest, RejectsTooManyPeers) {
  std::string list = "127.0.0.1:1";
  for (size_t i = 0; i < kMaxPeers; ++i) {
    absl::StrAppend(&list, ",127.0.0.1:", 2 + i % 60000);
  }
  EXPECT_THAT(StaticDiscovery::Create(list),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 1024")));
}

// ---- DNS ----

TEST(DnsDiscoveryTest, ReResolvesOnEveryCall) {
  auto answers =
      std::make_shared<std::vector<std::vector<std::string>>>(std::vector<std::vector<std::string>>{
          {"10.0.0.2", "10.0.0.1", "10.0.0.2"}, {"10.0.0.3", "fd00::1"}});
  auto calls = std::make_shared<int>(0);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto discovery,
      DnsDiscovery::Create(
          "coordinator-headless.ns.svc:7777",
          [answers, calls](const std::string& name) -> absl::StatusOr<std::vector<std::string>> {
            EXPECT_EQ(name, "coordinator-headless.ns.svc");
            return (*answers)[static_cast<size_t>((*calls)++)];
          }));
  const std::string name = "coordinator-headless.ns.svc";
  EXPECT_THAT(discovery->Peers(), IsOkAndHolds(ElementsAre(Peer("10.0.0.1", 7777, name),
                                                           Peer("10.0.0.2", 7777, name))));
  EXPECT_THAT(discovery->Peers(),
              IsOkAndHolds(ElementsAre(Peer("10.0.0.3", 7777, name), Peer("fd00::1", 7777, name))));
  EXPECT_EQ(*calls, 2);
}

TEST(DnsDiscoveryTest, ResolverFailureIsUnavailable) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto discovery,
      DnsDiscovery::Create("x.example:7777",
                           [](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
                             return absl::UnavailableError("dns: temporary failure");
                           }));
  EXPECT_THAT(discovery->Peers(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(DnsDiscoveryTest, RejectsNonNumericResolverAnswer) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto discovery,
      DnsDiscovery::Create("x.example:7777",
                           [](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
                             return std::vector<std::string>{"10.0.0.1", "evil.example"};
                           }));
  EXPECT_THAT(discovery->Peers(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("non-numeric address")));
}

TEST(DnsDiscoveryTest, RejectsMalformedSpec) {
  EXPECT_THAT(DnsDiscovery::Create("no-port.example"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no port")));
  EXPECT_THAT(DnsDiscovery::Create("x:7777", nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resolver")));
}

TEST(DnsDiscoveryTest, SystemResolverFindsLocalhostAndNumericNames) {
  CONCORD_ASSERT_OK_AND_ASSIGN(auto numeric, DnsDiscovery::Create("127.0.0.7:7777"));
  EXPECT_THAT(numeric->Peers(), IsOkAndHolds(ElementsAre(Peer("127.0.0.7", 7777, "127.0.0.7"))));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto v6, DnsDiscovery::Create("[::1]:7777"));
  EXPECT_THAT(v6->Peers(), IsOkAndHolds(ElementsAre(Peer("::1", 7777, "::1"))));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto localhost, DnsDiscovery::Create("localhost:7777"));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<PeerAddress> peers, localhost->Peers());
  ASSERT_THAT(peers, Not(IsEmpty()));
  for (const PeerAddress& peer : peers) {
    EXPECT_TRUE(peer.host == "127.0.0.1" || peer.host == "::1") << peer.host;
    EXPECT_EQ(peer.port, 7777);
  }
}

TEST(DnsDiscoveryTest, SystemResolverReadsUnknownNameAsNoPeers) {
  // .invalid never resolves (RFC 6761); answered locally, no traffic.
  EXPECT_THAT(SystemResolve("concord-test.invalid"),
              ::testing::AnyOf(IsOkAndHolds(IsEmpty()), StatusIs(absl::StatusCode::kUnavailable)));
}

// ---- PodList ----

TEST(PodListTest, KeepsReadyPodsWithAnAddress) {
  EXPECT_THAT(ParsePodList(ReadDiscoveryTestdata("pods_mixed.json"), 7777),
              IsOkAndHolds(ElementsAre(Peer("10.244.0.12", 7777, "coordinator-0"),
                                       Peer("10.244.1.9", 7777, "coordinator-1"))));
}

TEST(PodListTest, EmptyListHasNoPeers) {
  EXPECT_THAT(ParsePodList(ReadDiscoveryTestdata("pods_empty.json"), 7777),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ParsePodList(R"({"kind":"PodList","items":null})", 7777), IsOkAndHolds(IsEmpty()));
}

TEST(PodListTest, RejectsTamperedPodIp) {
  EXPECT_THAT(
      ParsePodList(ReadDiscoveryTestdata("pods_bad_ip.json"), 7777),
      StatusIs(absl::StatusCode::kDataLoss, "pod list: items[1].status.podIP: want an IP address"));
}

TEST(PodListTest, RejectsWrongTypesNamingThePath) {
  const struct {
    const char* json;
    const char* message;
  } kCases[] = {
      {"", "pod list: not well-formed JSON"},
      {"[]", "pod list: body: want an object, got an array"},
      {R"({"kind":"Pod","items":[]})", "pod list: kind: want \"PodList\""},
      {R"({"items":{}})", "pod list: items: want an array, got an object"},
      {R"({"items":[1]})", "pod list: items[0]: want an object, got a number"},
      {R"({"items":[{}]})", "pod list: items[0].metadata: required"},
      {R"({"items":[{"metadata":{}}]})", "pod list: items[0].metadata.name: required"},
      {R"({"items":[{"metadata":{"name":7}}]})",
       "pod list: items[0].metadata.name: want a string, got a number"},
      {R"({"items":[{"metadata":{"name":""}}]})",
       "pod list: items[0].metadata.name: want 1 to 253 characters"},
      {R"({"items":[{"metadata":{"name":"a"},"status":[]}]})",
       "pod list: items[0].status: want an object, got an array"},
      {R"({"items":[{"metadata":{"name":"a"},"status":{"podIP":1}}]})",
       "pod list: items[0].status.podIP: want a string, got a number"},
      {R"({"items":[{"metadata":{"name":"a"},"status":{"podIP":"1.2.3.4","conditions":{}}}]})",
       "pod list: items[0].status.conditions: want an array, got an object"},
      {R"({"items":[{"metadata":{"name":"a"},"status":{"conditions":[{"status":"True"}]}}]})",
       "pod list: items[0].status.conditions[0].type: required"},
      {R"({"items":[{"metadata":{"name":"a"},"status":{"conditions":[{"type":"Ready"}]}}]})",
       "pod list: items[0].status.conditions[0].status: required"},
      {R"({"items":[{"metadata":{"name":"a"},"status":{"conditions":[{"type":"Ready","status":true}]}}]})",
       "pod list: items[0].status.conditions[0].status: want a string, got a boolean"},
      {R"({"items":[{"metadata":{"name":"a","deletionTimestamp":5}}]})",
       "pod list: items[0].metadata.deletionTimestamp: want a string, got a number"},
  };
  for (const auto& c : kCases) {
    EXPECT_THAT(ParsePodList(c.json, 7777), StatusIs(absl::StatusCode::kDataLoss, c.message))
        << c.json;
  }
}

TEST(PodListTest, ReadyMustBeExactlyTrue) {
  const std::string pod =
      R"({"items":[{"metadata":{"name":"a"},"status":{"podIP":"10.0.0.1","conditions":[{"type":"Ready","status":"STATUS"}]}}]})";
  EXPECT_THAT(ParsePodList(absl::StrReplaceAll(pod, {{"STATUS", "True"}}), 1),
              IsOkAndHolds(ElementsAre(Peer("10.0.0.1", 1, "a"))));
  EXPECT_THAT(ParsePodList(absl::StrReplaceAll(pod, {{"STATUS", "true"}}), 1),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ParsePodList(absl::StrReplaceAll(pod, {{"STATUS", "Unknown"}}), 1),
              IsOkAndHolds(IsEmpty()));
}

TEST(PodListTest, RefusesDuplicateKeysAndDepthBombsNamingThePath) {
  EXPECT_THAT(
      ParsePodList(R"({"items":[{"metadata":{"name":"a","name":"b"}}]})", 1),
      StatusIs(absl::StatusCode::kDataLoss, "pod list: items[0].metadata.name: duplicate key"));
  EXPECT_THAT(ParsePodList(absl::StrCat(R"({"items":)", std::string(1'000'000, '[')), 1),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("pod list: items[0][0]")));
}

TEST(PodListTest, EnforcesLimits) {
  std::string deep(kMaxPodListNesting + 1, '[');
  EXPECT_THAT(ParsePodList(deep, 1), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("nests")));
  // Brackets inside strings do not count.
  std::string in_string = absl::StrCat(
      R"({"kind":"PodList","x":")", std::string(kMaxPodListNesting * 2, '['), R"(","items":[]})");
  EXPECT_THAT(ParsePodList(in_string, 1), IsOkAndHolds(IsEmpty()));
  std::string items = R"({"items":[)";
  for (size_t i = 0; i <= kMaxPodListItems; ++i) {
    absl::StrAppend(&items, i == 0 ? "" : ",", R"({"metadata":{"name":"a"}})");
  }
  absl::StrAppend(&items, "]}");
  EXPECT_THAT(ParsePodList(items, 1),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("items: want at most 1024 pods")));
  EXPECT_THAT(ParsePodList(std::string(kMaxPodListSize + 1, ' '), 1),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("want at most")));
}

TEST(K8sHelpersTest, TargetPercentEncodesTheSelector) {
  EXPECT_EQ(PodListTarget("concord", "app.kubernetes.io/name=concord,tier!=x"),
            "/api/v1/namespaces/concord/pods?labelSelector="
            "app.kubernetes.io%2Fname%3Dconcord%2Ctier%21%3Dx");
}

TEST(K8sHelpersTest, ValidatesNamespaceAndSelector) {
  EXPECT_THAT(ValidateNamespace("concord-prod"), IsOk());
  EXPECT_THAT(ValidateNamespace("Concord"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNamespace("-a"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateNamespace(std::string(64, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateLabelSelector("app=concord"), IsOk());
  EXPECT_THAT(ValidateLabelSelector("app=concord&x=1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("selector")));
  EXPECT_THAT(ValidateLabelSelector(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(K8sHelpersTest, ReadsTokenWithoutEverShowingIt) {
  const std::string dir = concord::testing::MakeTempDir("k8s-token");
  const std::string path = dir + "/token";
  { std::ofstream(path) << "eyJhbGciOiJSUzI1NiJ9.secret-part\n"; }
  EXPECT_THAT(ReadBearerToken(path), IsOkAndHolds("eyJhbGciOiJSUzI1NiJ9.secret-part"));
  { std::ofstream(path) << "two words-secret-part\n"; }
  absl::StatusOr<std::string> bad = ReadBearerToken(path);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("printable")));
  EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr("secret-part")));
  { std::ofstream(path) << "\n"; }
  EXPECT_THAT(ReadBearerToken(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
  EXPECT_THAT(ReadBearerToken(dir + "/missing"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cannot be opened")));
}

// A local plain-HTTP stand-in for the API server that answers recorded
// PodList responses.
class FakeApiServer {
 public:
  FakeApiServer() {
    net::ServerOptions options;
    options.listeners.push_back(net::ListenerOptions{
        .name = "k8s",
        .address = "127.0.0.1",
        .port = 0,
        .tls = false,
        .client_auth = net::ClientAuth::kNone,
        .check_client = nullptr,
        .handler = [this](const net::HttpRequest& request) { return Handle(request); }});
    auto server = net::Server::Create(std::move(options));
    EXPECT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    EXPECT_THAT(server_->Start(), IsOk());
  }
  ~FakeApiServer() { server_->Shutdown(absl::ZeroDuration()); }

  std::string base_url() const { return absl::StrCat("http://127.0.0.1:", server_->port(0)); }

  void Answer(int status, std::string body) {
    absl::MutexLock lock(&mu_);
    status_ = status;
    body_ = std::move(body);
  }
  std::vector<std::string> targets() const {
    absl::MutexLock lock(&mu_);
    return targets_;
  }

 private:
  net::HttpResponse Handle(const net::HttpRequest& request) {
    absl::MutexLock lock(&mu_);
    targets_.push_back(request.target);
    net::HttpResponse response;
    response.status = status_;
    response.body = body_;
    return response;
  }

  mutable absl::Mutex mu_;
  int status_ = 200;
  std::string body_;
  std::vector<std::string> targets_;
  std::unique_ptr<net::Server> server_;
};

K8sDiscoveryOptions LocalOptions(std::string base_url, std::string selector = "app=concord") {
  K8sDiscoveryOptions options;
  options.namespace_name = "concord";
  options.selector = std::move(selector);
  options.port = 7777;
  options.api_base_url = std::move(base_url);
  return options;
}

TEST(K8sDiscoveryTest, ListsReadyPodsFromTheApiServer) {
  FakeApiServer api;
  api.Answer(200, ReadDiscoveryTestdata("pods_mixed.json"));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto discovery,
      K8sDiscovery::Create(LocalOptions(api.base_url(), "app.kubernetes.io/name=concord")));
  EXPECT_THAT(discovery->Peers(),
              IsOkAndHolds(ElementsAre(Peer("10.244.0.12", 7777, "coordinator-0"),
                                       Peer("10.244.1.9", 7777, "coordinator-1"))));
  // The list changes between calls: re-read every time.
  api.Answer(200, ReadDiscoveryTestdata("pods_empty.json"));
  EXPECT_THAT(discovery->Peers(), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(api.targets(), ElementsAre("/api/v1/namespaces/concord/pods?labelSelector="
                                         "app.kubernetes.io%2Fname%3Dconcord",
                                         "/api/v1/namespaces/concord/pods?labelSelector="
                                         "app.kubernetes.io%2Fname%3Dconcord"));
}

TEST(K8sDiscoveryTest, RejectsTamperedPodList) {
  FakeApiServer api;
  api.Answer(200, ReadDiscoveryTestdata("pods_bad_ip.json"));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto discovery, K8sDiscovery::Create(LocalOptions(api.base_url())));
  EXPECT_THAT(discovery->Peers(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("podIP")));
}

TEST(K8sDiscoveryTest, MapsApiServerErrors) {
  FakeApiServer api;
  CONCORD_ASSERT_OK_AND_ASSIGN(auto discovery, K8sDiscovery::Create(LocalOptions(api.base_url())));
  api.Answer(403, R"({"kind":"Status","reason":"Forbidden"})");
  EXPECT_THAT(discovery->Peers(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("answered 403")));
  api.Answer(503, "");
  EXPECT_THAT(discovery->Peers(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("answered 503")));
}

TEST(K8sDiscoveryTest, UnreachableApiServerIsUnavailable) {
  std::string base_url;
  {
    FakeApiServer api;  // bind a port, then free it
    base_url = api.base_url();
  }
  K8sDiscoveryOptions options = LocalOptions(base_url);
  options.connect_timeout = absl::Milliseconds(300);
  options.io_timeout = absl::Milliseconds(500);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto discovery, K8sDiscovery::Create(options));
  EXPECT_THAT(discovery->Peers(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(K8sDiscoveryTest, MissingTokenFileIsFailedPrecondition) {
  FakeApiServer api;
  api.Answer(200, ReadDiscoveryTestdata("pods_empty.json"));
  K8sDiscoveryOptions options = LocalOptions(api.base_url());
  options.token_file = "/nonexistent/concord/token";
  CONCORD_ASSERT_OK_AND_ASSIGN(auto discovery, K8sDiscovery::Create(options));
  EXPECT_THAT(discovery->Peers(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(api.targets(), IsEmpty());
}

// ---- spec ----

TEST(DiscoverySpecTest, ParsesEachScheme) {
  CONCORD_ASSERT_OK_AND_ASSIGN(DiscoverySpec s,
                               ParseDiscoverySpec("static:127.0.0.11:7777,127.0.0.12:7777"));
  EXPECT_EQ(s.kind, DiscoverySpec::Kind::kStatic);
  EXPECT_EQ(s.static_list, "127.0.0.11:7777,127.0.0.12:7777");
  CONCORD_ASSERT_OK_AND_ASSIGN(DiscoverySpec d,
                               ParseDiscoverySpec("dns:coordinator-headless.ns.svc:7777"));
  EXPECT_EQ(d.kind, DiscoverySpec::Kind::kDns);
  EXPECT_EQ(d.dns_host_port, "coordinator-headless.ns.svc:7777");
  CONCORD_ASSERT_OK_AND_ASSIGN(
      DiscoverySpec k,
      ParseDiscoverySpec(
          "k8s:namespace=ns,selector=app.kubernetes.io/name=concord,tier=a,port=7001"));
  EXPECT_EQ(k.kind, DiscoverySpec::Kind::kK8s);
  EXPECT_EQ(k.k8s_namespace, "ns");
  EXPECT_EQ(k.k8s_selector, "app.kubernetes.io/name=concord,tier=a");
  EXPECT_EQ(k.k8s_port, 7001);
  CONCORD_ASSERT_OK_AND_ASSIGN(DiscoverySpec k2, ParseDiscoverySpec("k8s:selector=app=c"));
  EXPECT_EQ(k2.k8s_namespace, "");
  EXPECT_EQ(k2.k8s_port, 7777);
}

TEST(DiscoverySpecTest, RejectsMalformedSpecs) {
  const struct {
    const char* spec;
    const char* message;
  } kCases[] = {
      {"", "peers: want static:"},
      {"consul:x", "peers: want static:"},
      {"static:", "at least one"},
      {"static:1.2.3.4", "static peer 1"},
      {"dns:name", "dns peers"},
      {"k8s:namespace=ns", "selector is required"},
      {"k8s:bogus=1,selector=a=b", "want namespace="},
      {"k8s:selector=a=b,port=0", "port: want 1..65535"},
      {"k8s:selector=a=b,port=70000", "port: want 1..65535"},
      {"k8s:selector=a=b,port=x", "port: want 1..65535"},
      {"k8s:selector=a=b,port=1,port=2", "port given twice"},
      {"k8s:namespace=A,selector=a=b", "namespace: want a DNS-1123 label"},
      {"k8s:selector=a b", "selector: want characters"},
  };
  for (const auto& c : kCases) {
    EXPECT_THAT(ParseDiscoverySpec(c.spec),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.spec;
  }
}

TEST(DiscoverySpecTest, CreatesStaticAndDnsBackends) {
  DiscoveryEnvironment environment;
  environment.resolver = [](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
    return std::vector<std::string>{"10.1.1.1"};
  };
  CONCORD_ASSERT_OK_AND_ASSIGN(auto s, CreateDiscovery("static:127.0.0.1:7777", environment));
  EXPECT_THAT(s->Peers(), IsOkAndHolds(ElementsAre(Peer("127.0.0.1", 7777))));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto d, CreateDiscovery("dns:svc.example:7001", environment));
  EXPECT_THAT(d->Peers(), IsOkAndHolds(ElementsAre(Peer("10.1.1.1", 7001, "svc.example"))));
}

TEST(DiscoverySpecTest, K8sOutsideAPodIsAClearError) {
  DiscoveryEnvironment environment;
  environment.env = [](absl::string_view) { return std::nullopt; };
  environment.service_account_dir = concord::testing::MakeTempDir("sa");
  EXPECT_THAT(CreateDiscovery("k8s:namespace=ns,selector=a=b", environment),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("KUBERNETES_SERVICE_HOST is not set")));
  EXPECT_THAT(CreateDiscovery("k8s:selector=a=b", environment),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no namespace= given")));
}

TEST(DiscoverySpecTest, K8sReadsNamespaceFromTheServiceAccount) {
  FakeApiServer api;
  api.Answer(200, ReadDiscoveryTestdata("pods_mixed.json"));
  DiscoveryEnvironment environment;
  environment.service_account_dir = concord::testing::MakeTempDir("sa");
  { std::ofstream(environment.service_account_dir + "/namespace") << "concord-prod"; }
  environment.k8s_api_base_url_override = api.base_url();
  CONCORD_ASSERT_OK_AND_ASSIGN(auto k, CreateDiscovery("k8s:selector=app=concord", environment));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<PeerAddress> peers, k->Peers());
  EXPECT_EQ(peers.size(), 2u);
  EXPECT_THAT(api.targets(),
              ElementsAre("/api/v1/namespaces/concord-prod/pods?labelSelector=app%3Dconcord"));
}

}  // namespace
}  // namespace concord::discovery
