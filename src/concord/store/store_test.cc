// Runs the Store conformance suite on the memory and file backends, and tests
// the registry, key validation and the fault-injecting wrapper.
#include "concord/store/store.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/store/builtin.h"
#include "concord/store/file/file_store.h"
#include "concord/store/memory/memory_store.h"
#include "concord/store/registry.h"
#include "concord/store/testing/conformance.h"
#include "concord/store/testing/fault_injecting_store.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::store {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::MakeTempDir;
using ::concord::testing::StatusIs;
using testing::FaultInjectingStore;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::StoreConformanceParam;
using testing::StoreConformanceParamName;
using testing::StoreConformanceTest;

absl::StatusOr<std::unique_ptr<Store>> MakeMemory() {
  return std::unique_ptr<Store>(MemoryStore::Create());
}

absl::StatusOr<std::unique_ptr<Store>> MakeFile() {
  FileStore::Options options;
  options.watch_poll_interval = absl::Milliseconds(2);
  auto store = FileStore::Create(MakeTempDir("concord-store"), std::move(options));
  if (!store.ok()) {
    return store.status();
  }
  return std::unique_ptr<Store>(*std::move(store));
}

// Through the registry, as concordd opens it.
absl::StatusOr<std::unique_ptr<Store>> MakeFileFromUrl() {
  Deps deps;
  deps.watch_poll_interval = absl::Milliseconds(2);
  return OpenStore(absl::StrCat("file://", MakeTempDir("concord-store-url")), deps);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values(StoreConformanceParam{"memory", MakeMemory},
                                           StoreConformanceParam{"file", MakeFile},
                                           StoreConformanceParam{"file_url", MakeFileFromUrl}),
                         StoreConformanceParamName);

TEST(StoreKeyTest, ValidKeysAreAccepted) {
  for (const char* key : {"latest", "manifests/0123abcdef", "a/b/c", "x.y-z_0", "a.b/c"}) {
    EXPECT_THAT(ValidateKey(key), IsOk()) << key;
  }
  EXPECT_THAT(ValidatePrefix(""), IsOk());
  EXPECT_THAT(ValidatePrefix("transitions/"), IsOk());
}

TEST(StoreKeyTest, InvalidKeysNameTheProblem) {
  EXPECT_THAT(ValidateKey(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ValidateKey("/a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leading")));
  EXPECT_THAT(ValidateKey("a/"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing")));
  EXPECT_THAT(ValidateKey("a/../b"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("..")));
  EXPECT_THAT(ValidateKey("a/./b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\".\"")));
  EXPECT_THAT(ValidateKey("a%b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[a-z0-9/_.-]")));
  EXPECT_THAT(ValidateKey(std::string(kMaxKeySize + 1, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
}

TEST(StoreRegistryTest, OpensMemoryAndFileUrls) {
  CONCORD_ASSERT_OK_AND_ASSIGN(auto memory, OpenStore("memory://", Deps()));
  EXPECT_THAT(memory->Put("k", AsBytes("v")), IsOk());
  const std::string dir = MakeTempDir("concord-registry");
  CONCORD_ASSERT_OK_AND_ASSIGN(auto file, OpenStore(absl::StrCat("file://", dir), Deps()));
  ASSERT_THAT(file->Put("k", AsBytes("v")), IsOk());
  // A second open of the same directory sees the data.
  CONCORD_ASSERT_OK_AND_ASSIGN(auto again, OpenStore(absl::StrCat("file://", dir), Deps()));
  EXPECT_THAT(again->Get("k"), IsOkAndHolds(ToBytes("v")));
}

// Each networked scheme is either served by its backend (a malformed URL then
// gets the backend's own InvalidArgument) or, when the backend is not built
// in, refused as FailedPrecondition naming the CMake option; never unknown.
TEST(StoreRegistryTest, NetworkedSchemesAreRegisteredBuiltOrNot) {
  const struct {
    const char* url;
    const char* option;
    bool built;
  } cases[] = {
#if defined(CONCORD_WITH_ETCD)
    {"etcd://127.0.0.1:0/concord", "CONCORD_WITH_ETCD", true},
#else
    {"etcd://127.0.0.1:0/concord", "CONCORD_WITH_ETCD", false},
#endif
#if defined(CONCORD_WITH_REDIS)
    {"redis://127.0.0.1:0/concord", "CONCORD_WITH_REDIS", true},
#else
    {"redis://127.0.0.1:0/concord", "CONCORD_WITH_REDIS", false},
#endif
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::unique_ptr<Store>> opened = OpenStore(c.url, Deps());
    if (c.built) {
      // Port 0 is no endpoint: the backend's own URL check refuses it.
      EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInvalidArgument)) << c.url;
      EXPECT_THAT(opened.status().message(), Not(HasSubstr("not built"))) << c.url;
    } else {
      EXPECT_THAT(opened, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(c.option)))
          << c.url;
    }
  }
}

TEST(StoreRegistryTest, MalformedUrlsAreInvalidArgument) {
  for (const char* url : {"", "memory", "memory://x", "file://relative/dir", "file://", "file:///",
                          "file:///tmp/x?y", "ftp://host/x", "1x://y", "File:///tmp"}) {
    EXPECT_THAT(OpenStore(url, Deps()), StatusIs(absl::StatusCode::kInvalidArgument)) << url;
  }
}

TEST(StoreRegistryTest, RegisteredFactoryIsUsed) {
  StoreRegistry registry;
  int calls = 0;
  registry.Register(
      "test", [&](const StoreUrl& url, const Deps&) -> absl::StatusOr<std::unique_ptr<Store>> {
        ++calls;
        EXPECT_EQ(url.rest, "rest/of/it");
        return std::unique_ptr<Store>(MemoryStore::Create());
      });
  EXPECT_THAT(registry.Open("test://rest/of/it", Deps()), IsOk());
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(registry.Open("memory://", Deps()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("test://")));
}

TEST(FaultInjectingStoreTest, FailsTheNextCallsThenForwards) {
  auto base = MemoryStore::Create();
  FaultInjectingStore store(*base);
  store.FailNext(2, FaultInjectingStore::kGet | FaultInjectingStore::kCommit);
  EXPECT_THAT(store.Put("k", AsBytes("v")), IsOk());
  EXPECT_THAT(store.Get("k"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store.Commit({}, std::nullopt, AsBytes("L")),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(base->Get(kLatestKey), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.Get("k"), IsOkAndHolds(ToBytes("v")));
  EXPECT_THAT(store.Commit({}, std::nullopt, AsBytes("L")), IsOk());
  EXPECT_EQ(store.calls(FaultInjectingStore::kGet), 2);
  EXPECT_EQ(store.calls(), 5);
}

TEST(FaultInjectingStoreTest, FailAfterLetsTheFirstCallsThrough) {
  auto base = MemoryStore::Create();
  FaultInjectingStore store(*base);
  store.FailAfter(2, 1, FaultInjectingStore::kGet);
  EXPECT_THAT(store.Get("k"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.Get("k"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store.Get("k"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store.Get("k"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(FaultInjectingStoreTest, InjectsTheGivenStatus) {
  auto base = MemoryStore::Create();
  FaultInjectingStore store(*base);
  store.FailNext(1, FaultInjectingStore::kAll, absl::AbortedError("lost"));
  EXPECT_THAT(store.List(""), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store.List(""), IsOk());
}

}  // namespace
}  // namespace concord::store
