#include "concord/crypto/key_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::crypto {
namespace {

using ::concord::testing::StatusIs;

TEST(PublicKeyCacheTest, ReturnsTheSameKeyAsDirectDecoding) {
  PublicKeyCache cache;
  Bytes der = PrivateKey::GenerateEc(KeyType::kEcP256)->public_key().spki_der();
  for (int i = 0; i < 3; ++i) {
    CONCORD_ASSERT_OK_AND_ASSIGN(PublicKey key, cache.FromSpkiDer(der));
    EXPECT_EQ(key.spki_der(), der);
    EXPECT_EQ(key.type(), KeyType::kEcP256);
  }
}

TEST(PublicKeyCacheTest, InvalidInputIsRejectedEveryTime) {
  PublicKeyCache cache;
  Bytes der = PrivateKey::GenerateEc(KeyType::kEcP256)->public_key().spki_der();
  der.back() ^= 1;
  EXPECT_THAT(cache.FromSpkiDer(der), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(cache.FromSpkiDer(der), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PublicKeyCacheTest, StaysBoundedAndCorrectPastCapacity) {
  PublicKeyCache cache(2);
  std::vector<Bytes> ders;
  for (int i = 0; i < 5; ++i) {
    ders.push_back(PrivateKey::GenerateEc(KeyType::kEcP256)->public_key().spki_der());
  }
  for (int round = 0; round < 2; ++round) {
    for (const Bytes& der : ders) {
      CONCORD_ASSERT_OK_AND_ASSIGN(PublicKey key, cache.FromSpkiDer(der));
      EXPECT_EQ(key.spki_der(), der);
    }
  }
}

TEST(PublicKeyCacheTest, ConcurrentLookupsAgree) {
  PublicKeyCache cache;
  Bytes der = PrivateKey::GenerateEc(KeyType::kEcP384)->public_key().spki_der();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto key = cache.FromSpkiDer(der);
        if (key.ok() && key->spki_der() == der) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 200);
}

}  // namespace
}  // namespace concord::crypto
