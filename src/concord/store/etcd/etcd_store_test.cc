// EtcdStore against a real etcd 3.4 on loopback: the Store conformance suite
// (one etcd for the whole binary, a fresh prefix per store) plus failover,
// auth, TLS, a server killed mid-watch, URL parsing and the JSON parsers.
#include "concord/store/etcd/etcd_store.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concord/store/etcd/etcd_json.h"
#include "concord/store/etcd/testing/etcd_server.h"
#include "concord/store/testing/conformance.h"
#include "concord/testing/ports.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::store {
namespace {

using ::concord::store::testing::EtcdServer;
using ::concord::store::testing::EtcdServerOptions;
using ::concord::store::testing::StoreConformanceParam;
using ::concord::store::testing::StoreConformanceParamName;
using ::concord::store::testing::StoreConformanceTest;
using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWatchDeadline = absl::Seconds(15);

// One etcd shared by every test that needs a plain one; stopped at exit.
std::atomic<bool> shared_started{false};
EtcdServer* SharedEtcd() {
  static EtcdServer* server = [] {
    shared_started = true;
    absl::StatusOr<std::unique_ptr<EtcdServer>> started = EtcdServer::Start();
    if (!started.ok()) {
      ADD_FAILURE() << started.status();
      return static_cast<EtcdServer*>(nullptr);
    }
    return started->release();
  }();
  return server;
}

// Stops the shared etcd after the last test (kills it and removes its dir).
class StopSharedEtcd : public ::testing::Environment {
 public:
  void TearDown() override {
    if (shared_started) {
      delete SharedEtcd();
    }
  }
};
const ::testing::Environment* const kStopSharedEtcd =
    ::testing::AddGlobalTestEnvironment(new StopSharedEtcd);

std::atomic<int> prefix_counter{0};

std::string FreshPrefix() { return absl::StrCat("t", getpid(), "-", prefix_counter++); }

absl::StatusOr<std::unique_ptr<Store>> OpenUrl(const std::string& rest) {
  return OpenEtcdStore(StoreUrl{"etcd", rest}, Deps{});
}

absl::StatusOr<std::unique_ptr<Store>> MakeSharedStore() {
  EtcdServer* etcd = SharedEtcd();
  if (etcd == nullptr) {
    return absl::UnavailableError("no etcd");
  }
  return OpenUrl(absl::StrCat(etcd->endpoint(), "/", FreshPrefix()));
}

INSTANTIATE_TEST_SUITE_P(Etcd, StoreConformanceTest,
                         ::testing::Values(StoreConformanceParam{"etcd", MakeSharedStore}),
                         StoreConformanceParamName);

// Collects watch states for the etcd-specific tests.
class StateLog {
 public:
  WatchCallback Callback() {
    return [this](const absl::StatusOr<Bytes>& state) {
      absl::MutexLock lock(&mu_);
      states_.push_back(state);
    };
  }
  // Waits until some reported state satisfies `pred` (bounded).
  bool WaitFor(std::function<bool(const absl::StatusOr<Bytes>&)> pred) {
    absl::MutexLock lock(&mu_);
    size_t seen = 0;
    auto found = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (; seen < states_.size(); ++seen) {
        if (pred(states_[seen])) {
          return true;
        }
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&found), kWatchDeadline);
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::StatusOr<Bytes>> states_ ABSL_GUARDED_BY(mu_);
};

auto HasValue(absl::string_view v) {
  return [v = std::string(v)](const absl::StatusOr<Bytes>& s) {
    return s.ok() && AsStringView(*s) == v;
  };
}
auto HasCode(absl::StatusCode code) {
  return [code](const absl::StatusOr<Bytes>& s) { return s.status().code() == code; };
}

TEST(EtcdStoreTest, FirstEndpointDeadFailsOverToSecond) {
  EtcdServer* etcd = SharedEtcd();
  ASSERT_NE(etcd, nullptr);
  uint16_t dead = concord::testing::FreeLoopbackPort();
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> store,
      OpenUrl(absl::StrCat("127.0.0.1:", dead, ",", etcd->endpoint(), "/", FreshPrefix())));
  ASSERT_THAT(store->Put("a", AsBytes("1")), IsOk());
  EXPECT_THAT(store->Get("a"), concord::testing::IsOkAndHolds(ToBytes("1")));
  ASSERT_THAT(store->Commit({}, std::nullopt, AsBytes("L")), IsOk());
  StateLog log;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> watch,
                               store->Watch(kLatestKey, log.Callback()));
  EXPECT_TRUE(log.WaitFor(HasValue("L")));
}

TEST(EtcdStoreTest, AllEndpointsDeadIsUnavailable) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> store,
      OpenUrl(absl::StrCat("127.0.0.1:", concord::testing::FreeLoopbackPort(), "/p")));
  EXPECT_THAT(store->Get("a").status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store->Commit({}, std::nullopt, AsBytes("x")),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(EtcdStoreTest, ServerKilledMidWatchReportsUnavailableThenRecovers) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EtcdServer> etcd, EtcdServer::Start());
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> store,
      OpenUrl(absl::StrCat(etcd->endpoint(), "/w?timeout=1s&connect_timeout=500ms")));
  ASSERT_THAT(store->Commit({}, std::nullopt, AsBytes("one")), IsOk());
  StateLog log;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> watch,
                               store->Watch(kLatestKey, log.Callback()));
  ASSERT_TRUE(log.WaitFor(HasValue("one")));
  etcd->Stop();
  ASSERT_TRUE(log.WaitFor(HasCode(absl::StatusCode::kUnavailable)));
  EXPECT_THAT(store->Get(kLatestKey).status(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(etcd->Restart(), IsOk());
  ASSERT_TRUE(log.WaitFor(HasValue("one")));
  ASSERT_THAT(store->Commit({}, ToBytes("one"), AsBytes("two")), IsOk());
  EXPECT_TRUE(log.WaitFor(HasValue("two")));
}

TEST(EtcdStoreTest, AuthWithPasswordFileWorksAndWrongPasswordIsClear) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EtcdServer> etcd, EtcdServer::Start());
  ASSERT_THAT(etcd->Etcdctl({"user", "add", "root:rootpw"}), IsOk());
  ASSERT_THAT(etcd->Etcdctl({"user", "add", "concord:s3cret-pw"}), IsOk());
  ASSERT_THAT(etcd->Etcdctl({"role", "add", "concord"}), IsOk());
  ASSERT_THAT(
      etcd->Etcdctl({"role", "grant-permission", "concord", "--prefix=true", "readwrite", "app/"}),
      IsOk());
  ASSERT_THAT(etcd->Etcdctl({"user", "grant-role", "concord", "concord"}), IsOk());
  ASSERT_THAT(etcd->Etcdctl({"auth", "enable"}), IsOk());

  std::string dir = concord::testing::MakeTempDir("etcd_auth");
  std::ofstream(dir + "/good") << "s3cret-pw\n";
  std::ofstream(dir + "/bad") << "wrong-guess-pw\n";

  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> store,
      OpenUrl(absl::StrCat(etcd->endpoint(), "/app?user=concord&password_file=", dir, "/good")));
  ASSERT_THAT(store->Put("k", AsBytes("v")), IsOk());
  EXPECT_THAT(store->Get("k"), concord::testing::IsOkAndHolds(ToBytes("v")));
  ASSERT_THAT(store->Commit({{"o", ToBytes("x")}}, std::nullopt, AsBytes("L1")), IsOk());
  StateLog log;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> watch,
                               store->Watch(kLatestKey, log.Callback()));
  ASSERT_TRUE(log.WaitFor(HasValue("L1")));
  ASSERT_THAT(store->Commit({}, ToBytes("L1"), AsBytes("L2")), IsOk());
  EXPECT_TRUE(log.WaitFor(HasValue("L2")));

  // Outside the granted prefix: denied.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> other,
      OpenUrl(
          absl::StrCat(etcd->endpoint(), "/elsewhere?user=concord&password_file=", dir, "/good")));
  EXPECT_THAT(other->Put("k", AsBytes("v")), StatusIs(absl::StatusCode::kPermissionDenied));

  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> bad,
      OpenUrl(absl::StrCat(etcd->endpoint(), "/app?user=concord&password_file=", dir, "/bad")));
  absl::Status denied = bad->Put("k", AsBytes("v"));
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("concord")));
  EXPECT_THAT(denied.message(), Not(HasSubstr("wrong-guess-pw")));

  // No credentials at all against an auth-enabled etcd.
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> anonymous,
                               OpenUrl(absl::StrCat(etcd->endpoint(), "/app")));
  EXPECT_THAT(anonymous->Get("k").status(), Not(IsOk()));

  // The password from the environment.
  ::setenv("CONCORD_TEST_ETCD_PW", "s3cret-pw", 1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> from_env,
      OpenUrl(
          absl::StrCat(etcd->endpoint(), "/app?user=concord&password_env=CONCORD_TEST_ETCD_PW")));
  EXPECT_THAT(from_env->Get("k"), concord::testing::IsOkAndHolds(ToBytes("v")));
}

TEST(EtcdStoreTest, TlsWithClientCertificates) {
  std::string d = concord::testing::MakeTempDir("etcd_tls");
  std::string script = absl::StrCat(
      "set -e; cd ", d, "; exec >/dev/null 2>&1;",
      "for ca in ca otherca; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
      "-nodes -keyout $ca.key -out $ca.pem -days 2 -subj /CN=$ca; done;",
      "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > ext;",
      "for n in server client; do openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
      "-nodes -keyout $n.key -out $n.csr -subj /CN=$n; openssl x509 -req -in $n.csr -CA ca.pem "
      "-CAkey ca.key -CAcreateserial -days 2 -extfile ext -out $n.pem; done");
  ASSERT_EQ(std::system(script.c_str()), 0);
  EtcdServerOptions options;
  options.cert_file = d + "/server.pem";
  options.key_file = d + "/server.key";
  options.trusted_ca_file = d + "/ca.pem";
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EtcdServer> etcd, EtcdServer::Start(options));

  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> store,
      OpenUrl(absl::StrCat(etcd->endpoint(), "/tls?ca_file=", d, "/ca.pem&cert_file=", d,
                           "/client.pem&key_file=", d, "/client.key")));
  ASSERT_THAT(store->Commit({{"o", ToBytes("x")}}, std::nullopt, AsBytes("L")), IsOk());
  EXPECT_THAT(store->Get("o"), concord::testing::IsOkAndHolds(ToBytes("x")));
  StateLog log;
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> watch,
                               store->Watch(kLatestKey, log.Callback()));
  EXPECT_TRUE(log.WaitFor(HasValue("L")));

  // Wrong CA: the server is not trusted.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> untrusted,
      OpenUrl(absl::StrCat(etcd->endpoint(), "/tls?ca_file=", d, "/otherca.pem&cert_file=", d,
                           "/client.pem&key_file=", d, "/client.key")));
  EXPECT_THAT(untrusted->Get("o").status(), StatusIs(absl::StatusCode::kUnavailable));
  // Plain http to a TLS etcd fails too.
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> plain,
                               OpenUrl(absl::StrCat(etcd->endpoint(), "/tls")));
  EXPECT_THAT(plain->Get("o").status(), Not(IsOk()));
}

TEST(EtcdStoreTest, UrlErrorsNameTheField) {
  struct Case {
    const char* rest;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {"127.0.0.1:2379", "prefix"},
           {"/p", "endpoints"},
           {"127.0.0.1/p", "endpoint"},
           {"127.0.0.1:0/p", "endpoint"},
           {"127.0.0.1:2379,/p", "endpoint"},
           {"127.0.0.1:2379/", "prefix"},
           {"127.0.0.1:2379/a//b", "prefix"},
           {"127.0.0.1:2379/p?bogus=1", "option bogus"},
           {"127.0.0.1:2379/p?tls=maybe", "option tls"},
           {"127.0.0.1:2379/p?timeout=forever", "option timeout"},
           {"127.0.0.1:2379/p?cert_file=/x", "cert_file"},
           {"127.0.0.1:2379/p?user=u", "option user"},
           {"127.0.0.1:2379/p?password_file=/x", "option user"},
           {"127.0.0.1:2379/p?user=u&password_file=/nonexistent", "password_file"},
           {"127.0.0.1:2379/p?user=u&password_env=CONCORD_SURELY_UNSET_VAR", "password_env"},
           {"127.0.0.1:2379/p?ca_file=/nonexistent", "ca_file"},
       }) {
    EXPECT_THAT(OpenUrl(c.rest).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)))
        << c.rest;
  }
}

TEST(EtcdStoreTest, UrlParsesEveryOption) {
  std::string dir = concord::testing::MakeTempDir("etcd_url");
  std::ofstream(dir + "/pw") << "pw\n";
  CONCORD_ASSERT_OK_AND_ASSIGN(
      EtcdStoreOptions options,
      ParseEtcdStoreUrl(absl::StrCat("a:1,[::1]:2/x/y?user=u&password_file=", dir,
                                     "/pw&timeout=3s&connect_timeout=1s&tls=true")));
  EXPECT_EQ(options.endpoints, (std::vector<std::string>{"a:1", "[::1]:2"}));
  EXPECT_EQ(options.prefix, "x/y");
  EXPECT_TRUE(options.tls);
  EXPECT_EQ(options.user, "u");
  EXPECT_EQ(AsStringView(options.password.Reveal()), "pw");
  EXPECT_EQ(options.timeout, absl::Seconds(3));
  EXPECT_EQ(options.connect_timeout, absl::Seconds(1));
}

TEST(EtcdJsonTest, RangeParsesValuesAndOmittedFields) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      etcd::RangeResult r,
      etcd::ParseRangeResponse(R"({"header":{"revision":"7"},"kvs":[{"key":"YQ==",)"
                               R"("mod_revision":"5","value":"eA=="},{"key":"Yg=="}]})"));
  EXPECT_EQ(r.revision, 7);
  ASSERT_EQ(r.kvs.size(), 2u);
  EXPECT_EQ(r.kvs[0].key, "a");
  EXPECT_EQ(AsStringView(r.kvs[0].value), "x");
  EXPECT_TRUE(r.kvs[1].value.empty());
  CONCORD_ASSERT_OK_AND_ASSIGN(etcd::RangeResult empty,
                               etcd::ParseRangeResponse(R"({"header":{"revision":"3"}})"));
  EXPECT_TRUE(empty.kvs.empty());
}

TEST(EtcdJsonTest, TamperedResponsesAreDataLossNamingTheField) {
  EXPECT_THAT(etcd::ParseRangeResponse("not json").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("body")));
  EXPECT_THAT(etcd::ParseRangeResponse(R"({"kvs":[]})").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("header")));
  EXPECT_THAT(
      etcd::ParseRangeResponse(R"({"header":{"revision":"1"},"kvs":[{"key":"!!"}]})").status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("key")));
  EXPECT_THAT(etcd::ParseRangeResponse(R"({"header":{"revision":"x"}})").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("revision")));
  EXPECT_THAT(etcd::ParseTxnResponse(R"({"header":{},"succeeded":"yes"})").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("succeeded")));
  EXPECT_THAT(etcd::ParseWatchMessage(R"({"result":{"header":{},"events":[{"type":"BAD",)"
                                      R"("kv":{"key":"YQ=="}}]}})")
                  .status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("type")));
  EXPECT_THAT(etcd::ParseRangeResponse(std::string(100, '[')).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("nested")));
  EXPECT_THAT(etcd::ParseAuthenticateResponse(R"({"token":""})").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("token")));
}

TEST(EtcdJsonTest, TxnAndWatchAndErrors) {
  EXPECT_THAT(etcd::ParseTxnResponse(R"({"header":{"revision":"2"},"succeeded":true})"),
              concord::testing::IsOkAndHolds(true));
  EXPECT_THAT(etcd::ParseTxnResponse(R"({"header":{"revision":"2"}})"),
              concord::testing::IsOkAndHolds(false));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      etcd::WatchMessage m,
      etcd::ParseWatchMessage(R"({"result":{"header":{"revision":"9"},"events":[)"
                              R"({"kv":{"key":"YQ==","value":"MQ=="}},)"
                              R"({"type":"DELETE","kv":{"key":"YQ=="}}]}})"));
  ASSERT_EQ(m.events.size(), 2u);
  EXPECT_FALSE(m.events[0].deleted);
  EXPECT_TRUE(m.events[1].deleted);
  EXPECT_THAT(etcd::ParseWatchMessage(R"({"error":{"grpc_code":14,"http_code":503,)"
                                      R"("message":"down","code":14}})")
                  .status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("down")));
  EXPECT_THAT(etcd::GatewayError("op", 400, R"({"error":"x","code":3,"message":"too large"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("op: etcd: too large")));
  EXPECT_THAT(etcd::GatewayError("op", 502, "<html>"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(EtcdJsonTest, ResponsesMustBeStrictJson) {
  EXPECT_THAT(
      etcd::ParseRangeResponse(R"({"header":{"revision":"1","revision":"2"}})").status(),
      StatusIs(absl::StatusCode::kDataLoss, "etcd range response: header.revision: duplicate key"));
  EXPECT_THAT(
      etcd::ParseRangeResponse(absl::StrCat(R"({"kvs":)", std::string(1'000'000, '['))).status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("nested at most 16 deep")));
  EXPECT_THAT(etcd::ParseRangeResponse(R"({"header":{"revision":"1"}} {})").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("body")));
  // An error body that is not strict JSON is reported by its HTTP status.
  EXPECT_THAT(etcd::GatewayError("op", 400, R"({"message":"a","message":"b"})"),
              StatusIs(absl::StatusCode::kInternal, "op: etcd answered HTTP 400"));
}

}  // namespace
}  // namespace concord::store
