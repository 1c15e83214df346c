#include "concord/common/strict_json.h"

#include <string.h>  // memmem

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONCORD_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CONCORD_TEST_ASAN 1
#endif

#ifdef CONCORD_TEST_ASAN
#include <sanitizer/allocator_interface.h>
#endif

namespace concord::json {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Heap bytes in use, and the most in use since the last Reset(): counted by
// the sanitizer's allocation hooks under ASan, else by this binary's
// replacement of operator new and delete (nlohmann allocates through
// std::allocator). Single-threaded use.
class HeapMeter {
 public:
  static void Allocated(size_t n) {
    size_t now = in_use_.fetch_add(n, std::memory_order_relaxed) + n;
    size_t peak = peak_.load(std::memory_order_relaxed);
    while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  static void Freed(size_t n) { in_use_.fetch_sub(n, std::memory_order_relaxed); }
  // Called with each block about to be freed (its contents still intact):
  // counts the blocks that still hold the marker being watched.
  static void Inspect(const void* p, size_t n) {
    const char* marker = watched_.load(std::memory_order_relaxed);
    if (marker == nullptr || p == nullptr) {
      return;
    }
    const size_t length = std::strlen(marker);
    if (n >= length && memmem(p, n, marker, length) != nullptr) {
      freed_with_marker_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  // Starts counting freed blocks that hold `marker` (a string literal;
  // nullptr stops).
  static void Watch(const char* marker) {
    Install();
    freed_with_marker_.store(0, std::memory_order_relaxed);
    watched_.store(marker, std::memory_order_relaxed);
  }
  static size_t FreedWithMarker() { return freed_with_marker_.load(std::memory_order_relaxed); }

  // Starts a measurement; PeakSinceReset() is then the most allocated on top
  // of what was in use here.
  static void Reset() {
    Install();
    base_ = in_use_.load(std::memory_order_relaxed);
    peak_.store(base_, std::memory_order_relaxed);
  }
  static size_t PeakSinceReset() { return peak_.load(std::memory_order_relaxed) - base_; }

 private:
  static void Install() {
#ifdef CONCORD_TEST_ASAN
    static const bool installed = [] {
      __sanitizer_install_malloc_and_free_hooks(
          [](const volatile void* /*p*/, size_t n) { Allocated(n); },
          [](const volatile void* p) {
            const size_t n = __sanitizer_get_allocated_size(const_cast<const void*>(p));
            Inspect(const_cast<const void*>(p), n);
            Freed(n);
          });
      return true;
    }();
    static_cast<void>(installed);
#endif
  }

  static inline std::atomic<const char*> watched_{nullptr};
  static inline std::atomic<size_t> freed_with_marker_{0};
  static inline std::atomic<size_t> in_use_{0};
  static inline std::atomic<size_t> peak_{0};
  static inline size_t base_ = 0;
};

// The depth bomb's budget (refusing it takes under 2 KB); building the
// document it describes would take hundreds of bytes per level.
constexpr size_t kBombBudget = 64 << 10;

StrictJsonOptions Options(size_t max_depth, size_t max_size = 1 << 24) {
  return StrictJsonOptions{.document = "doc", .max_size = max_size, .max_depth = max_depth};
}

absl::StatusOr<nlohmann::ordered_json> ParseOrdered(absl::string_view text, size_t max_depth) {
  return ParseStrict<nlohmann::ordered_json>(text, Options(max_depth));
}

absl::StatusOr<nlohmann::json> Parse(absl::string_view text, size_t max_depth) {
  return ParseStrict<nlohmann::json>(text, Options(max_depth));
}

TEST(StrictJsonTest, OrderedParseKeepsKeyOrder) {
  CONCORD_ASSERT_OK_AND_ASSIGN(nlohmann::ordered_json j,
                               ParseOrdered("{\"b\":1,\"a\":[true,null,\"x\"]}", 8));
  EXPECT_EQ(j.dump(), "{\"b\":1,\"a\":[true,null,\"x\"]}");
  CONCORD_ASSERT_OK_AND_ASSIGN(nlohmann::json sorted,
                               Parse("{\"b\":1,\"a\":[true,null,\"x\"]}", 8));
  EXPECT_EQ(sorted.dump(), "{\"a\":[true,null,\"x\"],\"b\":1}");
}

TEST(StrictJsonTest, NumbersKeepTheirKind) {
  CONCORD_ASSERT_OK_AND_ASSIGN(nlohmann::json j, Parse("[1,-1,1.0,18446744073709551615]", 8));
  EXPECT_TRUE(j[0].is_number_unsigned());
  EXPECT_TRUE(j[1].is_number_integer());
  EXPECT_TRUE(j[2].is_number_float());
  EXPECT_EQ(j[3].get<uint64_t>(), 18446744073709551615ULL);
}

TEST(StrictJsonTest, DuplicateKeysAreFoundAtAnyDepthInBothDocumentKinds) {
  const std::string text = "{\"a\":{\"b\":[{\"c\":1},{\"c\":1,\"c\":2}]}}";
  EXPECT_THAT(Parse(text, 8),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("doc: a.b[1].c: duplicate key")));
  EXPECT_THAT(ParseOrdered(text, 8),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("doc: a.b[1].c: duplicate key")));
  // Compared after unescaping.
  EXPECT_THAT(Parse("{\"k\":1,\"\\u006b\":2}", 8),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("doc: k: duplicate key")));
  // The same key in sibling objects is fine.
  EXPECT_THAT(Parse("[{\"c\":1},{\"c\":1}]", 8), IsOk());
}

TEST(StrictJsonTest, DepthLimitCountsObjectsAndArraysAndNamesThePath) {
  EXPECT_THAT(Parse("[[[]]]", 3), IsOk());
  EXPECT_THAT(Parse("[[[[]]]]", 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("doc: [0][0][0]: want at most 3 levels of nesting")));
  EXPECT_THAT(ParseOrdered("{\"a\":{\"b\":{}}}", 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("doc: a.b: want at most 2 levels of nesting")));
  EXPECT_THAT(Parse("{\"a\":1,\"b\":[0,{}]}", 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("doc: b[1]: want at most 2 levels of nesting")));
  EXPECT_THAT(Parse("[]", 0), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("doc: want at most 0 levels of nesting")));
  EXPECT_THAT(Parse("7", 0), IsOk());
}

// The finding this parser answers: a 40 KB body of "[" grew a server by
// gigabytes because parsing went on past the depth limit, and every level
// kept a copy of its whole path.
TEST(StrictJsonTest, DepthBombIsRefusedAtTheLimitAllocatingLittle) {
  for (size_t levels : {40'000u, 1'000'000u}) {
    SCOPED_TRACE(levels);
    const std::string bomb = absl::StrCat("{\"nonce\":", std::string(levels, '['));
    for (bool ordered : {false, true}) {
      HeapMeter::Reset();
      absl::Status status = ordered ? ParseOrdered(bomb, 8).status() : Parse(bomb, 8).status();
      const size_t peak = HeapMeter::PeakSinceReset();
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                                   Eq("doc: nonce[0][0][0][0][0][0][0]: want at most 8 "
                                      "levels of nesting")));
      EXPECT_LT(peak, kBombBudget) << "ordered " << ordered;
    }
  }
}

TEST(StrictJsonTest, HeapMeterSeesTheDocumentBeingBuilt) {
  // The meter itself must work, or the test above proves nothing.
  std::string many = "[";
  for (int i = 0; i < 100'000; ++i) {
    absl::StrAppend(&many, i == 0 ? "" : ",", "\"s\"");
  }
  many += "]";
  HeapMeter::Reset();
  ASSERT_THAT(Parse(many, 2), IsOk());
  EXPECT_GT(HeapMeter::PeakSinceReset(), 1u << 20);
}

TEST(StrictJsonTest, SizeLimitIsCheckedBeforeParsing) {
  // Not even JSON and nested far too deep: the size check comes first.
  const std::string big(1025, '[');
  HeapMeter::Reset();
  EXPECT_THAT(
      ParseStrict<nlohmann::json>(big, Options(8, 1024)),
      StatusIs(absl::StatusCode::kInvalidArgument, Eq("doc: want at most 1024 bytes, got 1025")));
  EXPECT_LT(HeapMeter::PeakSinceReset(), 4096u);
  std::string exact = "[]";
  exact.append(1024 - exact.size(), ' ');
  EXPECT_THAT(ParseStrict<nlohmann::json>(exact, Options(8, 1024)), IsOk());
}

TEST(StrictJsonTest, RefusesByteOrderMarkTrailingContentAndCommentsWithLocation) {
  EXPECT_THAT(Parse("\xef\xbb\xbf{}", 8),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("doc: invalid JSON at line 1, column 1 (byte offset 0): want no "
                          "byte order mark")));
  EXPECT_THAT(Parse("{\"a\":1} x", 8),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("doc: invalid JSON at line 1, column 9 (byte offset 8): "
                                  "syntax error while parsing value - invalid literal")));
  EXPECT_THAT(Parse("{}\n{}", 8),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("doc: invalid JSON at line 2, column 1 (byte offset 3): "
                                  "syntax error while parsing value - unexpected '{'; expected "
                                  "end of input")));
  EXPECT_THAT(Parse("{/* c */}", 8), StatusIs(absl::StatusCode::kInvalidArgument,
                                              StartsWith("doc: invalid JSON at line 1")));
  EXPECT_THAT(Parse("", 8), StatusIs(absl::StatusCode::kInvalidArgument,
                                     StartsWith("doc: invalid JSON at line 1, column 1")));
}

TEST(StrictJsonTest, RefusesInvalidUtf8WithoutEchoingInput) {
  const std::string secretish(1000, 'q');
  EXPECT_THAT(Parse(absl::StrCat("{\n\"a\": \"", secretish, "\xff\"}"), 8),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("doc: invalid JSON at line 2, column 1007 (byte offset 1008): "
                          "syntax error while parsing value - invalid string: ill-formed "
                          "UTF-8 byte")));
  for (const char* bad : {"[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]", "[\"\\ud800\"]"}) {
    EXPECT_THAT(Parse(bad, 8), StatusIs(absl::StatusCode::kInvalidArgument,
                                        StartsWith("doc: invalid JSON at line 1")))
        << bad;
  }
}

TEST(StrictJsonTest, CallersWordTheirOwnMessagesAndChooseTheCode) {
  const StrictJsonOptions options{
      .document = "seed shares",
      .max_size = 64,
      .max_depth = 2,
      .code = absl::StatusCode::kDataLoss,
      .messages = {.too_large = "{document}: {size} bytes is over {limit}",
                   .invalid = "{document}: not valid JSON",
                   .too_deep = "{document}: want at most {limit} levels",
                   .duplicate_key = "{document}: duplicate key {key} at {where}"},
  };
  EXPECT_THAT(ParseStrict<nlohmann::json>(std::string(65, ' '), options),
              StatusIs(absl::StatusCode::kDataLoss, Eq("seed shares: 65 bytes is over 64")));
  EXPECT_THAT(ParseStrict<nlohmann::json>("{", options),
              StatusIs(absl::StatusCode::kDataLoss, Eq("seed shares: not valid JSON")));
  EXPECT_THAT(ParseStrict<nlohmann::json>("[[[]]]", options),
              StatusIs(absl::StatusCode::kDataLoss, Eq("seed shares: want at most 2 levels")));
  EXPECT_THAT(
      ParseStrict<nlohmann::ordered_json>("{\"a b\":{\"{where}\":1,\"{where}\":2}}", options),
      StatusIs(absl::StatusCode::kDataLoss,
               Eq("seed shares: duplicate key \"{where}\" at \"a b\".\"{where}\"")));
}

TEST(StrictJsonTest, LargeObjectsParseInLinearTime) {
  // 60k distinct keys: quadratic insertion would take minutes.
  std::string text = "{";
  for (int i = 0; i < 60000; ++i) {
    absl::StrAppend(&text, i == 0 ? "" : ",", "\"k", i, "\":0");
  }
  text += "}";
  CONCORD_ASSERT_OK_AND_ASSIGN(nlohmann::ordered_json j, ParseOrdered(text, 1));
  EXPECT_EQ(j.size(), 60000u);
  EXPECT_EQ(j.begin().key(), "k0");
}

TEST(StrictJsonTest, PathsQuoteKeysThatAreNotIdentifiers) {
  EXPECT_EQ(MemberPath("", "Version"), "Version");
  EXPECT_EQ(MemberPath("A", "b_c-1"), "A.b_c-1");
  EXPECT_EQ(MemberPath("A", "b c"), "A.\"b c\"");
  EXPECT_EQ(MemberPath("A", ""), "A.\"\"");
  EXPECT_EQ(MemberPath("A", std::string(65, 'k')), "A.\"" + std::string(32, 'k') + "...\"");
  EXPECT_EQ(ElementPath("A.b", 3), "A.b[3]");
  EXPECT_EQ(EchoString("a\nb\xff\"\\"), "\"a\\x0ab\\xff\\\"\\\\\"");
}

// The secret's text, long enough that no string keeps it inline.
constexpr char kSecretHex[] = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";

// A document as secret-bearing messages are: the secret, then a shorter
// string the lexer reads into the same token buffer afterwards.
std::string SecretDocument() {
  return absl::StrCat(R"({"seed":")", kSecretHex, R"(","replica":"r1"})");
}

TEST(StrictJsonSecretTest, PlainParseLeavesTheSecretInFreedBlocks) {
  // What ParseStrictSecret is for: the ordinary parse frees the lexer's
  // token buffer (and the DOM's strings) without overwriting them.
  const std::string text = SecretDocument();
  HeapMeter::Watch(kSecretHex);
  {
    absl::StatusOr<nlohmann::json> parsed = Parse(text, 4);
    ASSERT_THAT(parsed, IsOk());
  }
  const size_t leaked = HeapMeter::FreedWithMarker();
  HeapMeter::Watch(nullptr);
  EXPECT_GE(leaked, 1u);
}

TEST(StrictJsonSecretTest, SecretParseAndWipeFreeNoBlockHoldingTheSecret) {
  const std::string text = SecretDocument();
  HeapMeter::Watch(kSecretHex);
  {
    absl::StatusOr<nlohmann::json> parsed = ParseStrictSecret(text, Options(4));
    ASSERT_THAT(parsed, IsOk());
    // (Compared as std::string: comparing with a json value would make one,
    // a copy of the secret this test would then find.)
    EXPECT_EQ((*parsed)["seed"].get_ref<const std::string&>(), kSecretHex);
    EXPECT_EQ((*parsed)["replica"].get_ref<const std::string&>(), "r1");
    WipeStrings(*parsed);
    EXPECT_EQ((*parsed)["seed"].get_ref<const std::string&>(), "");
  }
  const size_t leaked = HeapMeter::FreedWithMarker();
  HeapMeter::Watch(nullptr);
  EXPECT_EQ(leaked, 0u);
}

TEST(StrictJsonSecretTest, DumpSecretLeavesNoCopyBehindAndMatchesDump) {
  nlohmann::json document = {{"seed", kSecretHex}, {"n", 7}, {"list", {1, "two", nullptr}}};
  const std::string plain = document.dump();
  HeapMeter::Watch(kSecretHex);
  std::string text = DumpSecret(document);
  const size_t leaked = HeapMeter::FreedWithMarker();
  HeapMeter::Watch(nullptr);
  EXPECT_EQ(text, plain);
  EXPECT_EQ(leaked, 0u);
}

TEST(StrictJsonSecretTest, SecretParseRefusesWhatParseStrictRefuses) {
  for (absl::string_view bad : {R"({"a":1,"a":2})", R"({"a":[[[[[1]]]]]})", "{", R"({"a":1} x)"}) {
    absl::StatusOr<nlohmann::json> plain = Parse(bad, 4);
    absl::StatusOr<nlohmann::json> secret = ParseStrictSecret(bad, Options(4));
    ASSERT_FALSE(plain.ok()) << bad;
    EXPECT_EQ(secret.status(), plain.status()) << bad;
  }
  // Numbers, booleans and null keep their kinds through the copy.
  absl::StatusOr<nlohmann::json> kinds = ParseStrictSecret(
      R"({"i":-1,"u":18446744073709551615,"f":1.5,"b":true,"z":null})", Options(2));
  ASSERT_THAT(kinds, IsOk());
  EXPECT_TRUE((*kinds)["i"].is_number_integer());
  EXPECT_TRUE((*kinds)["u"].is_number_unsigned());
  EXPECT_TRUE((*kinds)["f"].is_number_float());
  EXPECT_TRUE((*kinds)["b"].is_boolean());
  EXPECT_TRUE((*kinds)["z"].is_null());
}

}  // namespace
}  // namespace concord::json

#ifndef CONCORD_TEST_ASAN
// Counts every allocation made through operator new in this test binary for
// HeapMeter; the size lives in a header in front of the block.
namespace {
constexpr size_t kHeader = alignof(std::max_align_t);
}  // namespace

void* operator new(size_t n) {
  void* block = std::malloc(n + kHeader);
  if (block == nullptr) {
    throw std::bad_alloc();
  }
  *static_cast<size_t*>(block) = n;
  concord::json::HeapMeter::Allocated(n);
  return static_cast<char*>(block) + kHeader;
}

void operator delete(void* p) noexcept {
  if (p == nullptr) {
    return;
  }
  void* block = static_cast<char*>(p) - kHeader;
  concord::json::HeapMeter::Inspect(p, *static_cast<size_t*>(block));
  concord::json::HeapMeter::Freed(*static_cast<size_t*>(block));
  std::free(block);
}

void operator delete(void* p, size_t /*n*/) noexcept { operator delete(p); }
#endif
