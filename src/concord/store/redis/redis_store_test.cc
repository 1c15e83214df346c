#include "concord/store/redis/redis_store.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concord/common/log.h"
#include "concord/store/redis/testing/redis_server.h"
#include "concord/store/registry.h"
#include "concord/store/testing/conformance.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::store {
namespace {

using ::concord::store::testing::CommitRounds;
using ::concord::store::testing::RedisServer;
using ::concord::store::testing::RunCommitRounds;
using ::concord::store::testing::StoreConformanceParam;
using ::concord::store::testing::StoreConformanceParamName;
using ::concord::store::testing::StoreConformanceTest;
using ::concord::store::testing::WatchRecorder;
using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Generous: only reached when the store is broken.
constexpr absl::Duration kDeadline = absl::Seconds(15);

// The suite's shared durable server: started on first use, stopped by the
// environment's TearDown (also when tests fail).
class SharedServer : public ::testing::Environment {
 public:
  static RedisServer& Get() {
    if (server_ == nullptr) {
      absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
      if (!server.ok()) {
        ADD_FAILURE() << server.status();
        std::abort();
      }
      server_ = *std::move(server);
    }
    return *server_;
  }
  void TearDown() override { server_.reset(); }

 private:
  static inline std::unique_ptr<RedisServer> server_;
};
::testing::Environment* const kSharedServerEnv =
    ::testing::AddGlobalTestEnvironment(new SharedServer);

absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& rest, const Deps& deps = Deps()) {
  return OpenRedisStore(StoreUrl{"redis", rest}, deps);
}

std::function<absl::StatusOr<std::unique_ptr<Store>>()> MakeShared(std::string query,
                                                                   absl::Duration poll) {
  return [query, poll]() -> absl::StatusOr<std::unique_ptr<Store>> {
    RedisServer& server = SharedServer::Get();
    absl::Status flushed = server.FlushAll();
    if (!flushed.ok()) {
      return flushed;
    }
    Deps deps;
    deps.watch_poll_interval = poll;
    return Open(server.UrlRest("conformance", query), deps);
  };
}

// Notifications on (the store enables them; polling would take an hour), and
// notifications off (polling every 20 ms).
INSTANTIATE_TEST_SUITE_P(
    Redis, StoreConformanceTest,
    ::testing::Values(StoreConformanceParam{"RedisNotify",
                                            MakeShared("keyspace_events=enable", absl::Hours(1))},
                      StoreConformanceParam{
                          "RedisPoll", MakeShared("keyspace_events=off", absl::Milliseconds(20))}),
    StoreConformanceParamName);

// Collects log lines.
class LogCapture {
 public:
  LogCapture()
      : logger_(LogFormat::kHuman, LogLevel::kDebug, [this](absl::string_view line) {
          absl::MutexLock lock(&mu_);
          absl::StrAppend(&text_, line);
        }) {}
  Logger* logger() { return &logger_; }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }

 private:
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  Logger logger_;
};

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& content) {
  std::string path = absl::StrCat(dir, "/", name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::unique_ptr<RedisServer> StartServer(std::vector<std::string> args,
                                         std::string admin_password = "") {
  absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Start({std::move(args), std::move(admin_password)});
  EXPECT_THAT(server.status(), IsOk());
  return server.ok() ? *std::move(server) : nullptr;
}

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(SharedServer::Get().FlushAll(), IsOk()); }
  RedisServer& shared() { return SharedServer::Get(); }
};

TEST_F(RedisStoreTest, KeysAreStoredUnderThePrefix) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(shared().UrlRest("p/q")));
  ASSERT_THAT(store->Put("manifests/m1", AsBytes("M1")), IsOk());
  ASSERT_THAT(store->Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  EXPECT_THAT(shared().Command({"GET", "p/q/manifests/m1"}), IsOkAndHolds("M1"));
  EXPECT_THAT(shared().Command({"GET", "p/q/latest"}), IsOkAndHolds("L1"));
  // Another prefix is another store.
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> other, Open(shared().UrlRest("p/r")));
  EXPECT_THAT(other->Get("manifests/m1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(other->List(""), IsOkAndHolds(::testing::IsEmpty()));
}

TEST_F(RedisStoreTest, OpensThroughARegistryAsRedisScheme) {
  StoreRegistry registry;
  registry.Register("redis", OpenRedisStore);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                               registry.Open(shared().Url("viaregistry"), Deps()));
  EXPECT_THAT(store->Put("a", AsBytes("1")), IsOk());
  EXPECT_THAT(shared().Command({"GET", "viaregistry/a"}), IsOkAndHolds("1"));
}

TEST_F(RedisStoreTest, SelectDbIsolatesData) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> db0, Open(shared().UrlRest("c")));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> db1, Open(shared().UrlRest("c", "db=1")));
  ASSERT_THAT(db1->Put("k", AsBytes("one")), IsOk());
  EXPECT_THAT(db0->Get("k"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(db1->Get("k"), IsOkAndHolds(ToBytes("one")));
  EXPECT_THAT(shared().Command({"DBSIZE"}), IsOkAndHolds("0"));
}

TEST_F(RedisStoreTest, StoredValueOverLimitIsDataLoss) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(shared().UrlRest("c")));
  ASSERT_THAT(shared().Command({"SET", "c/big", std::string(kMaxValueSize + 1, 'x')}), IsOk());
  EXPECT_THAT(store->Get("big"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(RedisStoreTest, ForeignKeysUnderPrefixAreNotListed) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(shared().UrlRest("c")));
  ASSERT_THAT(store->Put("good", AsBytes("1")), IsOk());
  ASSERT_THAT(shared().Command({"SET", "c/BAD KEY", "x"}), IsOk());
  ASSERT_THAT(shared().Command({"SET", "cx/other", "x"}), IsOk());
  EXPECT_THAT(store->List(""), IsOkAndHolds(::testing::ElementsAre("good")));
}

TEST_F(RedisStoreTest, CommitFallsBackToEvalAfterScriptFlush) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(shared().UrlRest("c")));
  ASSERT_THAT(store->Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  ASSERT_THAT(shared().Command({"SCRIPT", "FLUSH"}), IsOk());
  ASSERT_THAT(store->Commit({{"t/2", ToBytes("T2")}}, ToBytes("L1"), AsBytes("L2")), IsOk());
  EXPECT_THAT(store->Get(kLatestKey), IsOkAndHolds(ToBytes("L2")));
  // A mismatch after the flush still writes nothing.
  ASSERT_THAT(shared().Command({"SCRIPT", "FLUSH"}), IsOk());
  EXPECT_THAT(store->Commit({{"t/3", ToBytes("T3")}}, ToBytes("L1"), AsBytes("L3")),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store->Get("t/3"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RedisStoreTest, CommitScriptHasExactlyOneWinnerAcrossClients) {
  // Each thread has its own store (own connections), like separate replicas.
  constexpr int kClients = 5;
  constexpr int kRounds = 20;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kClients; ++i) {
    CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(shared().UrlRest("race")));
    stores.push_back(std::move(store));
  }
  CommitRounds result = RunCommitRounds(kClients, kRounds, [&](int t, int round) {
    std::optional<Bytes> expected;
    if (round > 0) {
      expected = ToBytes(absl::StrCat("r", round - 1));
    }
    std::vector<Object> objects;
    for (int o = 0; o < 3; ++o) {
      objects.push_back({absl::StrCat("objs/r", round, "-c", t, "-", o), ToBytes("x")});
    }
    return stores[t]->Commit(objects, expected, ToBytes(absl::StrCat("r", round)));
  });
  EXPECT_EQ(result.unexpected, 0);
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(result.wins[round], 1) << "round " << round;
  }
  // Every winner wrote all three objects, every loser none.
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<std::string> objs, stores[0]->List("objs/"));
  EXPECT_EQ(objs.size(), static_cast<size_t>(3 * kRounds));
}

TEST_F(RedisStoreTest, NotificationsReportChangesByOtherClients) {
  Deps deps;
  deps.watch_poll_interval = absl::Hours(1);  // only notifications can deliver
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> watcher,
                               Open(shared().UrlRest("n", "keyspace_events=enable"), deps));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> writer, Open(shared().UrlRest("n")));
  WatchRecorder recorder(kDeadline);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               watcher->Watch(kLatestKey, recorder.Callback()));
  ASSERT_TRUE(recorder.WaitForLast(std::nullopt));
  // The subscription may still be on its way: a write before it is covered
  // by the re-read after SUBSCRIBE, one after it by the event.
  ASSERT_THAT(writer->Commit({}, std::nullopt, AsBytes("L1")), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("L1"));
  ASSERT_THAT(writer->Commit({}, ToBytes("L1"), AsBytes("L2")), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("L2"));
  ASSERT_THAT(writer->Delete(kLatestKey), IsOk());
  ASSERT_TRUE(recorder.WaitForLast(std::nullopt));
  ASSERT_THAT(shared().Command({"SET", "n/latest", "raw"}), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("raw"));
}

TEST_F(RedisStoreTest, NotificationsOffFallsBackToPolling) {
  std::unique_ptr<RedisServer> server = StartServer({"--notify-keyspace-events", ""});
  ASSERT_NE(server, nullptr);
  LogCapture log;
  Deps deps;
  deps.watch_poll_interval = absl::Milliseconds(20);
  deps.log = log.logger();
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> watcher, Open(server->UrlRest("c"), deps));
  WatchRecorder recorder(kDeadline);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               watcher->Watch("certs/a", recorder.Callback()));
  ASSERT_TRUE(recorder.WaitForLast(std::nullopt));
  // Written behind the store's back: only a poll can see it.
  ASSERT_THAT(server->Command({"SET", "c/certs/a", "A1"}), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("A1"));
  ASSERT_THAT(server->Command({"SET", "c/certs/a", "A2"}), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("A2"));
  EXPECT_THAT(log.text(), HasSubstr("keyspace notifications unavailable; polling"));
}

TEST_F(RedisStoreTest, VolatileServerIsRefused) {
  std::unique_ptr<RedisServer> server = StartServer({"--appendonly", "no"});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(Open(server->UrlRest("c")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("appendonly no"), HasSubstr("appendfsync always"),
                             HasSubstr("--allow-volatile-store"))));
  ASSERT_THAT(server->Command({"CONFIG", "SET", "appendonly", "yes"}), IsOk());
  ASSERT_THAT(server->Command({"CONFIG", "SET", "appendfsync", "everysec"}), IsOk());
  EXPECT_THAT(Open(server->UrlRest("c")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("appendfsync everysec")));
  ASSERT_THAT(server->Command({"CONFIG", "SET", "appendfsync", "always"}), IsOk());
  EXPECT_THAT(Open(server->UrlRest("c")), IsOk());
}

TEST_F(RedisStoreTest, VolatileServerIsAllowedWithFlagAndWarns) {
  std::unique_ptr<RedisServer> server = StartServer({"--appendonly", "no"});
  ASSERT_NE(server, nullptr);
  LogCapture log;
  Deps deps;
  deps.allow_volatile_store = true;
  deps.log = log.logger();
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(server->UrlRest("c"), deps));
  EXPECT_THAT(store->Put("a", AsBytes("1")), IsOk());
  EXPECT_THAT(log.text(), AllOf(HasSubstr("REDIS STORE IS VOLATILE"), HasSubstr("appendonly=no")));
}

TEST_F(RedisStoreTest, DisabledConfigIsRefusedUnlessAllowedAndWatchPolls) {
  // Managed Redis often renames CONFIG away.
  std::unique_ptr<RedisServer> server = StartServer({"--rename-command", "CONFIG", ""});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(Open(server->UrlRest("c")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("CONFIG GET failed"), HasSubstr("--allow-volatile-store"))));
  EXPECT_THAT(Open(server->UrlRest("c", "keyspace_events=enable"),
                   Deps{absl::Milliseconds(20), true, nullptr}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("keyspace_events=enable")));
  Deps deps;
  deps.allow_volatile_store = true;
  deps.watch_poll_interval = absl::Milliseconds(20);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Open(server->UrlRest("c"), deps));
  WatchRecorder recorder(kDeadline);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               store->Watch("k", recorder.Callback()));
  ASSERT_THAT(server->Command({"SET", "c/k", "v"}), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("v"));
}

TEST_F(RedisStoreTest, PasswordFromFileAuthenticates) {
  const std::string password = "correct-horse-battery";
  std::unique_ptr<RedisServer> server = StartServer({"--requirepass", password}, password);
  ASSERT_NE(server, nullptr);
  const std::string dir = concord::testing::MakeTempDir("redis-auth");
  const std::string good = WriteFile(dir, "good", password + "\n");
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                               Open(server->UrlRest("c", "password_file=" + good)));
  ASSERT_THAT(store->Put("a", AsBytes("1")), IsOk());
  EXPECT_THAT(store->Get("a"), IsOkAndHolds(ToBytes("1")));
}

TEST_F(RedisStoreTest, WrongPasswordIsRejectedWithoutRevealingIt) {
  const std::string password = "correct-horse-battery";
  std::unique_ptr<RedisServer> server = StartServer({"--requirepass", password}, password);
  ASSERT_NE(server, nullptr);
  const std::string dir = concord::testing::MakeTempDir("redis-auth");
  const std::string bad = WriteFile(dir, "bad", "tr0ub4dor-guess");
  LogCapture log;
  Deps deps;
  deps.log = log.logger();
  absl::StatusOr<std::unique_ptr<Store>> store =
      Open(server->UrlRest("c", "password_file=" + bad), deps);
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnauthenticated,
                              AllOf(HasSubstr("rejected the password"), HasSubstr("WRONGPASS"),
                                    Not(HasSubstr("tr0ub4dor")), Not(HasSubstr("horse")))));
  EXPECT_THAT(log.text(), AllOf(Not(HasSubstr("tr0ub4dor")), Not(HasSubstr("horse"))));
  // No password at all: the error says one is needed.
  EXPECT_THAT(Open(server->UrlRest("c")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("requires a password")));
  // A missing password file names the option, not a secret.
  EXPECT_THAT(Open(server->UrlRest("c", "password_file=" + dir + "/absent")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("password_file")));
}

TEST_F(RedisStoreTest, AclUserWithPasswordFromEnvironment) {
  std::unique_ptr<RedisServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  ASSERT_THAT(
      server->Command({"ACL", "SETUSER", "concord", "on", ">acl-pass-123", "~c/*", "&*", "+@all"}),
      IsOk());
  ASSERT_EQ(setenv("CONCORD_TEST_REDIS_PASSWORD", "acl-pass-123", 1), 0);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Store> store,
      Open(server->UrlRest("c", "user=concord&password_env=CONCORD_TEST_REDIS_PASSWORD")));
  EXPECT_THAT(store->Put("a", AsBytes("1")), IsOk());
  ASSERT_EQ(setenv("CONCORD_TEST_REDIS_PASSWORD", "wrong-one", 1), 0);
  EXPECT_THAT(Open(server->UrlRest("c", "user=concord&password_env=CONCORD_TEST_REDIS_PASSWORD")),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("user \"concord\""), Not(HasSubstr("wrong-one")))));
  ASSERT_EQ(unsetenv("CONCORD_TEST_REDIS_PASSWORD"), 0);
  EXPECT_THAT(Open(server->UrlRest("c", "user=concord&password_env=CONCORD_TEST_REDIS_PASSWORD")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("CONCORD_TEST_REDIS_PASSWORD is not set")));
}

TEST_F(RedisStoreTest, KilledServerIsUnavailableThenRecoversAfterRestart) {
  std::unique_ptr<RedisServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  Deps deps;
  deps.watch_poll_interval = absl::Milliseconds(20);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                               Open(server->UrlRest("c", "keyspace_events=enable"), deps));
  ASSERT_THAT(store->Commit({{"t/1", ToBytes("T1")}}, std::nullopt, AsBytes("L1")), IsOk());
  WatchRecorder recorder(kDeadline);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<WatchHandle> handle,
                               store->Watch(kLatestKey, recorder.Callback()));
  ASSERT_TRUE(recorder.WaitForLast("L1"));

  ASSERT_THAT(server->Kill(), IsOk());
  EXPECT_THAT(store->Get(kLatestKey), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store->Put("a", AsBytes("1")), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store->Commit({}, ToBytes("L1"), AsBytes("L2")),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store->List(""), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(recorder.WaitForError(absl::StatusCode::kUnavailable));

  ASSERT_THAT(server->Restart(), IsOk());
  // Reconnects after its backoff; the acknowledged commit survived the crash.
  absl::StatusOr<Bytes> latest = store->Get(kLatestKey);
  const absl::Time deadline = absl::Now() + kDeadline;
  while (absl::IsUnavailable(latest.status()) && absl::Now() < deadline) {
    latest = store->Get(kLatestKey);
  }
  EXPECT_THAT(latest, IsOkAndHolds(ToBytes("L1")));
  EXPECT_THAT(store->Get("t/1"), IsOkAndHolds(ToBytes("T1")));
  ASSERT_TRUE(recorder.WaitForLast("L1"));
  // The watch resubscribed: a change by another client reaches it.
  ASSERT_THAT(server->Command({"SET", "c/latest", "L2"}), IsOk());
  ASSERT_TRUE(recorder.WaitForLast("L2"));
  EXPECT_THAT(store->Commit({}, ToBytes("L2"), AsBytes("L3")), IsOk());
}

TEST_F(RedisStoreTest, UnreachableServerIsUnavailable) {
  std::unique_ptr<RedisServer> server = StartServer({});
  ASSERT_NE(server, nullptr);
  const std::string rest = server->UrlRest("c", "connect_timeout_ms=500");
  server.reset();  // nothing listens on the port any more
  EXPECT_THAT(Open(rest), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis connect")));
}

// A hostile server (or anyone between a replica and Redis): it answers every
// command with an array header announcing 222,222,222 elements and sends
// nothing else. hiredis would allocate 1.7 GB for that header alone; the
// store refuses it as a corrupt reply.
TEST(RedisStoreHostileServerTest, HugeArrayHeaderIsDataLossNotAnAllocation) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::thread server([listener] {
    const int connection = ::accept(listener, nullptr, nullptr);
    if (connection < 0) {
      return;
    }
    char buffer[4096];
    if (::read(connection, buffer, sizeof(buffer)) > 0) {
      constexpr char kHeader[] = "*222222222\r\n";
      (void)!::write(connection, kHeader, sizeof(kHeader) - 1);
    }
    // Hold the connection until the client gives up on it.
    while (::read(connection, buffer, sizeof(buffer)) > 0) {
    }
    ::close(connection);
  });
  const std::string rest = absl::StrCat("127.0.0.1:", ntohs(address.sin_port),
                                        "/c?timeout_ms=5000&connect_timeout_ms=5000");
  absl::StatusOr<std::unique_ptr<Store>> store = Open(rest);
  EXPECT_THAT(store,
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("announces 222222222 elements"),
                                                          HasSubstr("hostile server"))));
  ::shutdown(listener, SHUT_RDWR);
  server.join();
  ::close(listener);
}

TEST_F(RedisStoreTest, WaitWithoutReplicasIsUnavailable) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                               Open(shared().UrlRest("c", "replicas=1&wait_timeout_ms=20")));
  EXPECT_THAT(store->Put("a", AsBytes("1")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("0 of 1 replicas")));
  EXPECT_THAT(store->Commit({}, std::nullopt, AsBytes("L1")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("0 of 1 replicas")));
  // A lost swap writes nothing, so there is nothing to wait for.
  EXPECT_THAT(store->Commit({}, std::nullopt, AsBytes("L2")), StatusIs(absl::StatusCode::kAborted));
}

TEST_F(RedisStoreTest, WaitWithReplicaSucceeds) {
  // Redis waits 5 s for more replicas before a diskless full sync by default.
  ASSERT_THAT(shared().Command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}), IsOk());
  std::unique_ptr<RedisServer> replica =
      StartServer({"--replicaof", "127.0.0.1", absl::StrCat(shared().port())});
  ASSERT_NE(replica, nullptr);
  // Poll until the replica has synced (its link to the primary is up).
  const absl::Time deadline = absl::Now() + kDeadline;
  absl::StatusOr<std::string> info = replica->Command({"INFO", "replication"});
  while (!(info.ok() && absl::StrContains(*info, "master_link_status:up")) &&
         absl::Now() < deadline) {
    info = replica->Command({"INFO", "replication"});
  }
  ASSERT_THAT(info, IsOkAndHolds(HasSubstr("master_link_status:up")));
  CONCORD_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                               Open(shared().UrlRest("c", "replicas=1&wait_timeout_ms=3000")));
  EXPECT_THAT(store->Put("a", AsBytes("1")), IsOk());
  EXPECT_THAT(store->Commit({{"t/1", ToBytes("T1")}}, std::nullopt, AsBytes("L1")), IsOk());
  EXPECT_THAT(replica->Command({"GET", "c/latest"}), IsOkAndHolds("L1"));
}

TEST_F(RedisStoreTest, UrlErrorsNameTheField) {
  EXPECT_THAT(Open("127.0.0.1:1/c?db=x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db")));
  EXPECT_THAT(Open("127.0.0.1:1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prefix")));
  EXPECT_THAT(OpenRedisStore(StoreUrl{"etcd", "h/c"}, Deps()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scheme")));
}

}  // namespace
}  // namespace concord::store
