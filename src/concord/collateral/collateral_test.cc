#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/snp/verifier.h"
#include "concord/collateral/bundle.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/item.h"
#include "concord/collateral/refresher.h"
#include "concord/collateral/testing/fake_vendor.h"
#include "concord/collateral/validate.h"
#include "concord/collateral/vendor_client.h"
#include "concord/collateral/verifiers.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::collateral {
namespace {

using ::concord::testing::FakeClock;
using ::concord::testing::IsOk;
using ::concord::testing::ReadTestdata;
using ::concord::testing::StatusIs;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::Ok;
using testing::PercentEncode;

constexpr absl::string_view kPhala = "attestation/tdx/v4-b0c06f-phala/";
constexpr absl::string_view kGtg = "attestation/tdx/v4-50806f-gtg/";
constexpr absl::string_view kCerts = "attestation/tdx/certs/";
constexpr absl::string_view kVirtee = "attestation/snp/milan-v2-virtee/";

absl::Time T(absl::string_view rfc3339) { return *ParseRfc3339(rfc3339, "test time"); }
// Every phala collateral item is current here.
const absl::Time kPhalaTime = T("2025-06-25T00:00:00Z");
// The 2023 gtg PCK CRL is current here.
const absl::Time kGtgTime = T("2023-06-20T00:00:00Z");

std::string Text(absl::string_view path) { return ToString(ReadTestdata(path)); }

CollateralItem PhalaTcbInfo() {
  return {CollateralKind::kTdxTcbInfo, "b0c06f000000",
          ReadTestdata(absl::StrCat(kPhala, "tcb_info.json")),
          Text(absl::StrCat(kCerts, "tcb_signing_chain_2025.pem"))};
}
CollateralItem PhalaQeIdentity() {
  return {CollateralKind::kTdxQeIdentity, "td_qe",
          ReadTestdata(absl::StrCat(kPhala, "qe_identity.json")),
          Text(absl::StrCat(kCerts, "tcb_signing_chain_2025.pem"))};
}
CollateralItem PckCrl(absl::string_view dir) {
  return {CollateralKind::kTdxPckCrl, "platform", ReadTestdata(absl::StrCat(dir, "pck_crl.der")),
          Text(absl::StrCat(kCerts, "pck_platform_ca_chain.pem"))};
}
CollateralItem RootCrl(absl::string_view dir) {
  return {CollateralKind::kTdxRootCaCrl, "root", ReadTestdata(absl::StrCat(dir, "root_ca_crl.der")),
          ""};
}
std::string VirteeVcekKey() {
  auto report = attest::SnpReport::Parse(ReadTestdata(absl::StrCat(kVirtee, "report.bin")));
  EXPECT_THAT(report.status(), IsOk());
  auto key = SnpVcekKey(attest::SnpProduct::kMilan, report->chip_id, report->reported_tcb);
  EXPECT_THAT(key.status(), IsOk());
  return *key;
}
CollateralItem VirteeVcek() {
  return {CollateralKind::kSnpVcek, VirteeVcekKey(),
          ReadTestdata(absl::StrCat(kVirtee, "vcek.der")), ""};
}

struct CacheFixture {
  explicit CacheFixture(absl::Time now, store::Store* shared = nullptr) : clock(now) {
    if (shared == nullptr) {
      owned = store::MemoryStore::Create();
      shared = owned.get();
    }
    store = shared;
    cache = *CollateralCache::Create({store, &clock});
  }
  FakeClock clock;
  std::unique_ptr<store::Store> owned;
  store::Store* store;
  std::unique_ptr<CollateralCache> cache;
};

// --- item.h ---

TEST(ItemTest, RecordRoundTripsAndHashIsStable) {
  CollateralItem item = PhalaTcbInfo();
  Bytes record = EncodeItem(item);
  CONCORD_ASSERT_OK_AND_ASSIGN(CollateralItem back, DecodeItem(record));
  EXPECT_EQ(back.kind, item.kind);
  EXPECT_EQ(back.key, item.key);
  EXPECT_EQ(back.body, item.body);
  EXPECT_EQ(back.issuer_chain_pem, item.issuer_chain_pem);
  EXPECT_EQ(ContentHash(back), ContentHash(item));
}

TEST(ItemTest, DecodeRejectsUnknownDuplicateAndMalformedFields) {
  EXPECT_THAT(
      DecodeItem(AsBytes(
          R"({"version":1,"kind":"snp-crl","key":"milan","body":"AA==","issuerChain":"","x":1})")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field")));
  EXPECT_THAT(
      DecodeItem(AsBytes(
          R"({"version":1,"kind":"snp-crl","kind":"snp-crl","key":"milan","body":"AA==","issuerChain":""})")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate key")));
  EXPECT_THAT(DecodeItem(AsBytes(
                  R"({"version":1,"kind":"snp-crl","key":"mars","body":"AA==","issuerChain":""})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key")));
  EXPECT_THAT(DecodeItem(AsBytes(
                  R"({"version":1,"kind":"snp-crl","key":"milan","body":"!!","issuerChain":""})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body: want base64")));
  EXPECT_THAT(
      DecodeItem(AsBytes(
          R"({"version":2,"kind":"snp-crl","key":"milan","body":"AA==","issuerChain":""})")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version: want 1")));
  EXPECT_THAT(DecodeItem(AsBytes("[")), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ItemTest, DecodeRefusesNestedValuesAndOversizeRecordsBeforeParsing) {
  EXPECT_THAT(DecodeItem(AsBytes(R"({"version":1,"kind":{"a":1},"key":"milan"})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "collateral record: kind: want a string or a number"));
  EXPECT_THAT(DecodeItem(AsBytes(absl::StrCat(R"({"body":)", std::string(40'000, '[')))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "collateral record: body: want a string or a number"));
  EXPECT_THAT(DecodeItem(AsBytes(std::string(kMaxRecordSize + 1, '['))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("collateral record: want at most ", kMaxRecordSize,
                                    " bytes, got ", kMaxRecordSize + 1)));
}

TEST(ItemTest, IndexEntryNamesSortByIssueDateAndParseBack) {
  const std::string hash(64, 'a');
  std::string older =
      IndexEntryKey(CollateralKind::kTdxPckCrl, "platform", T("2023-06-08T00:00:00Z"), hash);
  std::string newer =
      IndexEntryKey(CollateralKind::kTdxPckCrl, "platform", T("2025-06-19T10:00:35Z"), hash);
  EXPECT_LT(older, newer);
  EXPECT_THAT(store::ValidateKey(newer), IsOk());
  const std::string dir = IndexDir(CollateralKind::kTdxPckCrl, "platform");
  CONCORD_ASSERT_OK_AND_ASSIGN(IndexEntryName name,
                               ParseIndexEntryName(absl::string_view(newer).substr(dir.size())));
  EXPECT_EQ(name.issue_date, T("2025-06-19T10:00:35Z"));
  EXPECT_EQ(name.hash, hash);
  EXPECT_THAT(ParseIndexEntryName("20251319t000000z-" + hash),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("date")));
  EXPECT_THAT(ParseIndexEntryName("x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ItemTest, VcekKeysFollowKdsHardwareIds) {
  Bytes chip(64, 0xab);
  CONCORD_ASSERT_OK_AND_ASSIGN(std::string milan,
                               SnpVcekKey(attest::SnpProduct::kMilan, chip, 0x7308000000000003));
  std::string hex_ab;
  for (int i = 0; i < 64; ++i) hex_ab += "ab";
  EXPECT_EQ(milan, absl::StrCat("milan/", hex_ab, "/7308000000000003"));
  EXPECT_EQ(milan.substr(0, 8), "milan/ab");
  EXPECT_EQ(milan.substr(milan.size() - 16), "7308000000000003");
  EXPECT_THAT(SnpVcekKey(attest::SnpProduct::kTurin, chip, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Turin")));
  Bytes turin_chip(64, 0);
  for (int i = 0; i < 8; ++i) turin_chip[i] = 0x3b;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::string turin, SnpVcekKey(attest::SnpProduct::kTurin, turin_chip, 0x4700000002000100));
  EXPECT_EQ(turin, "turin/3b3b3b3b3b3b3b3b/4700000002000100");
  EXPECT_THAT(store::ValidateKey(absl::StrCat("collateral/index/x/", milan)), IsOk());
}

// --- validate.h ---

TEST(ValidateTest, RealIntelCollateralValidates) {
  for (const CollateralItem& item :
       {PhalaTcbInfo(), PhalaQeIdentity(), PckCrl(kPhala), RootCrl(kPhala)}) {
    absl::StatusOr<ValidatedItem> v = ValidateItem(item, kPhalaTime);
    ASSERT_THAT(v.status(), IsOk()) << KindName(item.kind);
  }
  CONCORD_ASSERT_OK_AND_ASSIGN(ValidatedItem tcb, ValidateItem(PhalaTcbInfo(), kPhalaTime));
  EXPECT_EQ(tcb.issue_date, T("2025-06-19T10:16:03Z"));
  EXPECT_EQ(tcb.next_update, T("2025-07-19T10:16:03Z"));
}

TEST(ValidateTest, TamperedTcbInfoSignatureIsRefused) {
  CollateralItem item = PhalaTcbInfo();
  item.body = ReadTestdata(absl::StrCat(kPhala, "tcb_info-tampered-evalnum.json"));
  EXPECT_THAT(ValidateItem(item, kPhalaTime),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature does not verify")));
}

TEST(ValidateTest, TamperedCrlAndWrongIssuerChainAreRefused) {
  CollateralItem crl = PckCrl(kPhala);
  crl.body[crl.body.size() - 5] ^= 0x01;  // inside the signature
  EXPECT_THAT(ValidateItem(crl, kPhalaTime), StatusIs(absl::StatusCode::kUnauthenticated));
  CollateralItem wrong_ca = PckCrl(kPhala);
  wrong_ca.issuer_chain_pem = Text(absl::StrCat(kCerts, "tcb_signing_chain_2025.pem"));
  EXPECT_THAT(ValidateItem(wrong_ca, kPhalaTime),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not the PCK Platform CA")));
  CollateralItem processor = PckCrl(kPhala);
  processor.key = "processor";
  EXPECT_THAT(ValidateItem(processor, kPhalaTime), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateTest, TcbInfoUnderAnotherFmspcKeyIsRefused) {
  CollateralItem item = PhalaTcbInfo();
  item.key = "50806f000000";
  EXPECT_THAT(ValidateItem(item, kPhalaTime),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("FMSPC b0c06f000000")));
}

TEST(ValidateTest, ExpiredOrNotYetIssuedItemIsNotCurrent) {
  EXPECT_THAT(ValidateItem(PhalaTcbInfo(), T("2025-08-01T00:00:00Z")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not current")));
  EXPECT_THAT(ValidateItem(PhalaTcbInfo(), T("2025-06-01T00:00:00Z")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not current")));
  EXPECT_THAT(ValidateItem(PhalaTcbInfo(), T("2025-08-01T00:00:00Z"), WindowCheck::kAsOfIssueDate),
              IsOk());
}

TEST(ValidateTest, RealVcekValidatesAndMustMatchItsKey) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ValidatedItem v, ValidateItem(VirteeVcek(), kPhalaTime));
  EXPECT_EQ(FormatRfc3339(v.issue_date).substr(0, 10), "2023-04-03");
  EXPECT_EQ(FormatRfc3339(v.next_update).substr(0, 10), "2030-04-03");
  CollateralItem other_tcb = VirteeVcek();
  other_tcb.key.back() = other_tcb.key.back() == '3' ? '4' : '3';
  EXPECT_THAT(ValidateItem(other_tcb, kPhalaTime),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("SPL")));
  CollateralItem other_chip = VirteeVcek();
  other_chip.body = ReadTestdata("attestation/snp/milan-v2-trustee/vcek.der");
  EXPECT_THAT(ValidateItem(other_chip, kPhalaTime),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("hwID")));
  CollateralItem tampered = VirteeVcek();
  tampered.body[tampered.body.size() - 10] ^= 0x01;
  EXPECT_THAT(ValidateItem(tampered, kPhalaTime), ::testing::Not(IsOk()));
  CollateralItem genoa = VirteeVcek();
  genoa.key.replace(0, 5, "genoa");
  EXPECT_THAT(ValidateItem(genoa, kPhalaTime), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ValidateTest, AmdCertChainMustBeTheCompiledInAskAndArk) {
  CollateralItem chain{CollateralKind::kSnpCertChain, "milan",
                       ReadTestdata("attestation/snp/certs/milan/cert_chain.pem"), ""};
  EXPECT_THAT(ValidateItem(chain, kPhalaTime).status(), IsOk());
  chain.key = "genoa";
  EXPECT_THAT(ValidateItem(chain, kPhalaTime),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("compiled-in")));
}

// --- vendor clients ---

TEST(KdsClientTest, VcekTargetsUseKdsSpelling) {
  CONCORD_ASSERT_OK_AND_ASSIGN(std::string milan,
                               KdsClient::Target(CollateralKind::kSnpVcek, VirteeVcekKey()));
  EXPECT_THAT(milan, HasSubstr("/vcek/v1/Milan/d49554ec717f4e5b"));
  EXPECT_THAT(milan, HasSubstr("?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::string turin,
      KdsClient::Target(CollateralKind::kSnpVcek, "turin/3b42092f69c656d3/4700000002000100"));
  EXPECT_EQ(turin,
            "/vcek/v1/Turin/3b42092f69c656d3?fmcSPL=00&blSPL=01&teeSPL=00&snpSPL=02&ucodeSPL=71");
  EXPECT_THAT(KdsClient::Target(CollateralKind::kSnpCrl, "genoa"),
              concord::testing::IsOkAndHolds(std::string("/vcek/v1/Genoa/crl")));
  EXPECT_THAT(KdsClient::Target(CollateralKind::kSnpCertChain, "turin"),
              concord::testing::IsOkAndHolds(std::string("/vcek/v1/Turin/cert_chain")));
}

TEST(KdsClientTest, RetryAfterIsHonouredWithoutHammering) {
  FakeClock clock(kPhalaTime);
  FakeFetcher fetcher;
  net::HttpResponse busy;
  busy.status = 429;
  busy.headers = {{"Retry-After", "30"}};
  fetcher.Serve("/vcek/v1/Milan/crl", busy);
  fetcher.Serve("/vcek/v1/Milan/crl", Ok("crl-bytes"));
  KdsClient kds(fetcher, clock);
  EXPECT_THAT(
      kds.Fetch(CollateralKind::kSnpCrl, "milan"),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("retry after 2025-06-25T00:00:30Z")));
  clock.Advance(absl::Seconds(10));
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpCrl, "milan"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("rate limited")));
  EXPECT_EQ(fetcher.requests.size(), 1u);  // no request while backing off
  clock.Advance(absl::Seconds(21));
  CONCORD_ASSERT_OK_AND_ASSIGN(CollateralItem item, kds.Fetch(CollateralKind::kSnpCrl, "milan"));
  EXPECT_EQ(ToString(item.body), "crl-bytes");
  EXPECT_EQ(fetcher.requests.size(), 2u);
}

TEST(KdsClientTest, VcekRequestsArePacedTenSecondsApart) {
  FakeClock clock(kPhalaTime);
  FakeFetcher fetcher;
  const std::string key = VirteeVcekKey();
  fetcher.Serve(*KdsClient::Target(CollateralKind::kSnpVcek, key),
                Ok(ToString(ReadTestdata(absl::StrCat(kVirtee, "vcek.der")))));
  KdsClient kds(fetcher, clock);
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpVcek, key).status(), IsOk());
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpVcek, key),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("rate limited")));
  EXPECT_EQ(fetcher.requests.size(), 1u);
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpCertChain, "milan"),
              StatusIs(absl::StatusCode::kNotFound));  // other endpoints are not paced
  clock.Advance(absl::Seconds(10));
  EXPECT_THAT(kds.Fetch(CollateralKind::kSnpVcek, key).status(), IsOk());
}

TEST(KdsClientTest, HttpDateRetryAfterIsParsed) {
  net::HttpResponse r;
  r.status = 503;
  r.headers = {{"Retry-After", "Wed, 25 Jun 2025 00:02:00 GMT"}};
  EXPECT_EQ(ParseRetryAfter(r, kPhalaTime, absl::Seconds(5)), absl::Minutes(2));
  r.headers = {{"Retry-After", "soon"}};
  EXPECT_EQ(ParseRetryAfter(r, kPhalaTime, absl::Seconds(5)), absl::Seconds(5));
  r.headers = {{"Retry-After", "999999"}};
  EXPECT_EQ(ParseRetryAfter(r, kPhalaTime, absl::Seconds(5)), absl::Hours(1));
}

TEST(PcsClientTest, FetchValidateCacheWithIssuerChainHeaders) {
  CacheFixture f(kPhalaTime);
  FakeFetcher fetcher;
  testing::ServePhalaPcs(fetcher);
  PcsClient pcs(fetcher, f.clock);
  for (auto [kind, key] : std::vector<std::pair<CollateralKind, std::string>>{
           {CollateralKind::kTdxTcbInfo, "b0c06f000000"},
           {CollateralKind::kTdxQeIdentity, "td_qe"},
           {CollateralKind::kTdxPckCrl, "platform"},
           {CollateralKind::kTdxRootCaCrl, "root"}}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(CollateralItem item, pcs.Fetch(kind, key));
    EXPECT_THAT(f.cache->Insert(item).status(), IsOk()) << KindName(kind);
  }
  CONCORD_ASSERT_OK_AND_ASSIGN(auto root, f.cache->Lookup(CollateralKind::kTdxRootCaCrl, "root"));
  EXPECT_EQ(root->item.body, ReadTestdata(absl::StrCat(kPhala, "root_ca_crl.der")));
}

TEST(PcsClientTest, MissingIssuerChainHeaderIsDataLoss) {
  FakeClock clock(kPhalaTime);
  FakeFetcher fetcher;
  fetcher.Serve("/tdx/certification/v4/qe/identity",
                Ok(Text(absl::StrCat(kPhala, "qe_identity.json"))));
  PcsClient pcs(fetcher, clock);
  EXPECT_THAT(
      pcs.Fetch(CollateralKind::kTdxQeIdentity, "td_qe"),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("SGX-Enclave-Identity-Issuer-Chain")));
  EXPECT_THAT(pcs.Fetch(CollateralKind::kSnpCrl, "milan"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PcsClientTest, TamperedServedTcbInfoIsNotCached) {
  CacheFixture f(kPhalaTime);
  FakeFetcher fetcher;
  fetcher.Serve("/tdx/certification/v4/tcb?fmspc=b0c06f000000",
                Ok(Text(absl::StrCat(kPhala, "tcb_info-tampered-evalnum.json")),
                   {{"TCB-Info-Issuer-Chain",
                     PercentEncode(Text(absl::StrCat(kCerts, "tcb_signing_chain_2025.pem")))}}));
  PcsClient pcs(fetcher, f.clock);
  CONCORD_ASSERT_OK_AND_ASSIGN(CollateralItem item,
                               pcs.Fetch(CollateralKind::kTdxTcbInfo, "b0c06f000000"));
  EXPECT_THAT(f.cache->Insert(item), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(f.cache->Lookup(CollateralKind::kTdxTcbInfo, "b0c06f000000"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(*f.store->List("collateral/"), ::testing::IsEmpty());
}

TEST(PercentDecodeTest, DecodesAndRejectsMalformedEscapes) {
  EXPECT_THAT(PercentDecode("a%20b%2Fc"), concord::testing::IsOkAndHolds(std::string("a b/c")));
  EXPECT_THAT(PercentDecode("abc%2"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("abc%zz"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- cache.h ---

TEST(CacheTest, OlderIssueDateIsRefusedAfterNewerWasSeen) {
  CacheFixture f(kPhalaTime);
  ASSERT_THAT(f.cache->Insert(PckCrl(kPhala)).status(), IsOk());
  f.clock.Set(kGtgTime);  // the 2023 CRL is valid then, but older than the newest seen
  EXPECT_THAT(f.cache->Insert(PckCrl(kGtg)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is older than the newest seen (2025-06-19T10:00:35Z)")));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto item, f.cache->Lookup(CollateralKind::kTdxPckCrl, "platform"));
  EXPECT_EQ(item->item.body, ReadTestdata(absl::StrCat(kPhala, "pck_crl.der")));
  // Also a fresh replica over the same store (high-water mark in the index).
  CacheFixture g(kGtgTime, f.store);
  EXPECT_THAT(g.cache->Insert(PckCrl(kGtg)), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(CacheTest, TwoCachesShareOneStore) {
  auto shared = store::MemoryStore::Create();
  CacheFixture a(kPhalaTime, shared.get());
  CacheFixture b(kPhalaTime, shared.get());
  EXPECT_THAT(b.cache->Lookup(CollateralKind::kTdxTcbInfo, "b0c06f000000"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(a.cache->Insert(PhalaTcbInfo()).status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(auto seen,
                               b.cache->Lookup(CollateralKind::kTdxTcbInfo, "b0c06f000000"));
  EXPECT_EQ(seen->issue_date, T("2025-06-19T10:16:03Z"));
  EXPECT_EQ(seen->hash, ContentHash(PhalaTcbInfo()));
  // Re-inserting the same item is a no-op.
  EXPECT_THAT(b.cache->Insert(PhalaTcbInfo()).status(), IsOk());
  EXPECT_EQ(shared->List("collateral/index/")->size(), 1u);
}

TEST(CacheTest, ReplicaAdoptsNewerItemAndConcurrentOlderEntryLoses) {
  auto shared = store::MemoryStore::Create();
  CacheFixture a(kGtgTime, shared.get());
  CacheFixture b(kGtgTime, shared.get());
  ASSERT_THAT(a.cache->Insert(PckCrl(kGtg)).status(), IsOk());
  ASSERT_THAT(b.cache->Lookup(CollateralKind::kTdxPckCrl, "platform").status(), IsOk());
  a.clock.Set(kPhalaTime);
  ASSERT_THAT(a.cache->Insert(PckCrl(kPhala)).status(), IsOk());
  // A concurrent writer that read the store before the newer item landed
  // adds its older entry anyway: it never becomes the newest.
  CollateralItem old = PckCrl(kGtg);
  ASSERT_THAT(
      shared->Put(IndexEntryKey(old.kind, old.key, T("2023-06-08T07:27:52Z"), ContentHash(old)),
                  AsBytes("{}")),
      IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(auto reloaded,
                               b.cache->Reload(CollateralKind::kTdxPckCrl, "platform"));
  EXPECT_EQ(reloaded->hash, ContentHash(PckCrl(kPhala)));
  CacheFixture c(kPhalaTime, shared.get());
  CONCORD_ASSERT_OK_AND_ASSIGN(auto fresh, c.cache->Lookup(CollateralKind::kTdxPckCrl, "platform"));
  EXPECT_EQ(fresh->hash, ContentHash(PckCrl(kPhala)));
}

TEST(CacheTest, TamperedStoredObjectOrForgedIndexIsSkipped) {
  auto shared = store::MemoryStore::Create();
  CacheFixture a(kPhalaTime, shared.get());
  ASSERT_THAT(a.cache->Insert(PhalaQeIdentity()).status(), IsOk());
  const std::string hash = ContentHash(PhalaQeIdentity());
  Bytes record = *shared->Get(ObjectKey(hash));
  record[record.size() / 2] ^= 0x01;
  ASSERT_THAT(shared->Put(ObjectKey(hash), record), IsOk());
  CacheFixture b(kPhalaTime, shared.get());
  EXPECT_THAT(b.cache->Lookup(CollateralKind::kTdxQeIdentity, "td_qe"),
              StatusIs(absl::StatusCode::kDataLoss));
  // A forged entry claiming a later date for a genuine object is skipped too.
  CacheFixture c(kPhalaTime);
  ASSERT_THAT(c.cache->Insert(PhalaTcbInfo()).status(), IsOk());
  CollateralItem tcb = PhalaTcbInfo();
  ASSERT_THAT(
      c.store->Put(IndexEntryKey(tcb.kind, tcb.key, T("2030-01-01T00:00:00Z"), ContentHash(tcb)),
                   AsBytes("{}")),
      IsOk());
  CacheFixture d(kPhalaTime, c.store);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto got,
                               d.cache->Lookup(CollateralKind::kTdxTcbInfo, "b0c06f000000"));
  EXPECT_EQ(got->issue_date, T("2025-06-19T10:16:03Z"));
}

// --- refresher.h ---

TEST(RefresherTest, FetchesMissingItemsAndBacksOffOnFailure) {
  CacheFixture f(kPhalaTime);
  FakeFetcher fetcher;
  testing::ServePhalaPcs(fetcher);
  PcsClient pcs(fetcher, f.clock);
  VendorSource source(nullptr, &pcs);
  CollateralRefresher::Options opts;
  opts.refresh_margin = absl::Hours(1);
  CollateralRefresher refresher(*f.cache, source, f.clock, opts);
  ASSERT_THAT(refresher.Want(CollateralKind::kTdxTcbInfo, "b0c06f000000"), IsOk());
  ASSERT_THAT(refresher.Want(CollateralKind::kTdxPckCrl, "platform"), IsOk());
  ASSERT_THAT(refresher.Want(CollateralKind::kSnpCrl, "milan"), IsOk());  // no KDS client
  EXPECT_THAT(refresher.Want(CollateralKind::kSnpCrl, "mars"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  CollateralRefresher::Result r = refresher.RunOnce();
  EXPECT_EQ(r.fetched, 2u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_THAT(refresher.LastError(CollateralKind::kSnpCrl, "milan"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const size_t requests = fetcher.requests.size();
  r = refresher.RunOnce();
  EXPECT_EQ(r.fresh, 2u);
  EXPECT_EQ(r.deferred, 1u);
  EXPECT_EQ(fetcher.requests.size(), requests);  // nothing refetched
  f.clock.Advance(absl::Minutes(1));
  r = refresher.RunOnce();
  EXPECT_EQ(r.failed, 1u);  // retried after the back-off
  f.clock.Advance(absl::Minutes(1));
  EXPECT_EQ(refresher.RunOnce().deferred, 1u);  // doubled back-off
}

// A Milan VCEK key for a chip ID nobody has: what anyone can put in an SNP
// report without certificates.
std::string MadeUpVcekKey(int i) {
  const crypto::Sha512Digest chip_id = crypto::Sha512(AsBytes(absl::StrCat("made-up chip ", i)));
  return *SnpVcekKey(attest::SnpProduct::kMilan, chip_id, 0x7300000000000003);
}

// AMD KDS behind the fake fetcher, pacing VCEK requests (one per 10 s) as
// the real client does.
struct KdsFixture {
  explicit KdsFixture(absl::Time now) : f(now), kds(fetcher, f.clock), source(&kds, nullptr) {}
  void ServeVirteeVcek() {
    fetcher.Serve(*KdsClient::Target(CollateralKind::kSnpVcek, VirteeVcekKey()),
                  Ok(Text(absl::StrCat(kVirtee, "vcek.der"))));
  }
  CacheFixture f;
  FakeFetcher fetcher;
  KdsClient kds;
  VendorSource source;
};

TEST(RefresherTest, GenuineChipIsFetchedNextRoundAfterTenThousandMadeUpChips) {
  KdsFixture k(kPhalaTime);
  k.ServeVirteeVcek();
  CollateralRefresher refresher(*k.f.cache, k.source, k.f.clock, {});
  ASSERT_THAT(refresher.Want(CollateralKind::kSnpCertChain, "milan"), IsOk());  // vouched
  for (int i = 0; i < 10000; ++i) {
    ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, MadeUpVcekKey(i)), IsOk());
  }
  CollateralRefresher::Stats stats = refresher.stats();
  EXPECT_EQ(stats.unverified, 256u);
  EXPECT_EQ(stats.evictions, 10000u - 256u);
  EXPECT_TRUE(refresher.IsWanted(CollateralKind::kSnpCertChain, "milan"));  // never evicted

  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, VirteeVcekKey()), IsOk());
  CollateralRefresher::Result r = refresher.RunOnce();
  EXPECT_EQ(r.fetched, 1u);
  EXPECT_THAT(k.f.cache->Lookup(CollateralKind::kSnpVcek, VirteeVcekKey()), IsOk());
  // AMD was asked for the cert chain (not served: 404) and the genuine VCEK
  // only. The next chip met the VCEK rate limit, and the other 254 waited
  // for the next pass, uncharged.
  EXPECT_THAT(
      k.fetcher.requests,
      ::testing::ElementsAre("/vcek/v1/Milan/cert_chain",
                             *KdsClient::Target(CollateralKind::kSnpVcek, VirteeVcekKey())));
  EXPECT_EQ(r.failed, 2u);
  EXPECT_EQ(r.deferred, 254u);
  stats = refresher.stats();
  EXPECT_EQ(stats.promoted, 1u);
  EXPECT_EQ(stats.unverified, 255u);

  // Fetched, the chip is vouched for: no later flood evicts it.
  for (int i = 10000; i < 11000; ++i) {
    ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, MadeUpVcekKey(i)), IsOk());
  }
  EXPECT_TRUE(refresher.IsWanted(CollateralKind::kSnpVcek, VirteeVcekKey()));
  EXPECT_EQ(refresher.stats().unverified, 256u);
  EXPECT_EQ(refresher.stats().wanted, 256u + 2u);
}

TEST(RefresherTest, FullPoolEvictsTheLeastRequestedThenLeastRecent) {
  KdsFixture k(kPhalaTime);
  CollateralRefresher::Options opts;
  opts.max_unverified = 3;
  CollateralRefresher refresher(*k.f.cache, k.source, k.f.clock, opts);
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, MadeUpVcekKey(i)), IsOk());
  }
  // Chip 0 is asked for twice; of the others, chip 1 is the older.
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, MadeUpVcekKey(0)), IsOk());
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, MadeUpVcekKey(3)), IsOk());
  EXPECT_TRUE(refresher.IsWanted(CollateralKind::kSnpVcek, MadeUpVcekKey(0)));
  EXPECT_FALSE(refresher.IsWanted(CollateralKind::kSnpVcek, MadeUpVcekKey(1)));
  EXPECT_TRUE(refresher.IsWanted(CollateralKind::kSnpVcek, MadeUpVcekKey(2)));
  EXPECT_TRUE(refresher.IsWanted(CollateralKind::kSnpVcek, MadeUpVcekKey(3)));
  EXPECT_EQ(refresher.stats().evictions, 1u);
  EXPECT_EQ(refresher.stats().unverified, 3u);
  // The most requested is fetched first (AMD has none of them), then, one
  // VCEK request per 10 s, the most recent.
  refresher.RunOnce();
  k.f.clock.Advance(absl::Seconds(10));
  refresher.RunOnce();
  EXPECT_THAT(
      k.fetcher.requests,
      ::testing::ElementsAre(*KdsClient::Target(CollateralKind::kSnpVcek, MadeUpVcekKey(0)),
                             *KdsClient::Target(CollateralKind::kSnpVcek, MadeUpVcekKey(3))));
}

TEST(RefresherTest, GenuineChipAskedForAgainStaysAheadOfAContinuingFlood) {
  KdsFixture k(kPhalaTime);
  k.ServeVirteeVcek();
  CollateralRefresher refresher(*k.f.cache, k.source, k.f.clock, {});
  // AMD's rate limit is spent on a made-up chip first.
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, MadeUpVcekKey(-1)), IsOk());
  refresher.RunOnce();
  // The workload's handshake fails and it retries; made-up chips keep coming,
  // before, between and after its attempts, many more than the pool holds.
  int next = 0;
  auto flood = [&](int n) {
    for (int end = next + n; next < end; ++next) {
      ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, MadeUpVcekKey(next)), IsOk());
    }
  };
  flood(500);
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, VirteeVcekKey()), IsOk());
  flood(100);
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, VirteeVcekKey()), IsOk());
  flood(1000);
  EXPECT_TRUE(refresher.IsWanted(CollateralKind::kSnpVcek, VirteeVcekKey()));
  EXPECT_EQ(refresher.RunOnce().fetched, 0u);  // still within AMD's 10 s
  flood(1000);
  k.f.clock.Advance(absl::Seconds(10));
  EXPECT_EQ(refresher.RunOnce().fetched, 1u);
  EXPECT_THAT(k.f.cache->Lookup(CollateralKind::kSnpVcek, VirteeVcekKey()), IsOk());
  EXPECT_EQ(k.fetcher.requests.size(), 2u);  // the first made-up chip, then the genuine one
}

TEST(RefresherTest, UnverifiedWantsExpireUnfetchedAfterTheirTimeFromFirstSight) {
  KdsFixture k(kPhalaTime);
  const std::string key = MadeUpVcekKey(1);
  net::HttpResponse busy;
  busy.status = 503;
  k.fetcher.Serve(*KdsClient::Target(CollateralKind::kSnpVcek, key), busy);
  CollateralRefresher refresher(*k.f.cache, k.source, k.f.clock, {});  // unverified_ttl 1 h
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, key), IsOk());
  EXPECT_EQ(refresher.RunOnce().failed, 1u);
  EXPECT_THAT(refresher.LastError(CollateralKind::kSnpVcek, key),
              StatusIs(absl::StatusCode::kUnavailable));
  k.f.clock.Advance(absl::Minutes(30));
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, key), IsOk());  // asked again
  EXPECT_EQ(refresher.RunOnce().failed, 1u);
  EXPECT_TRUE(refresher.IsWanted(CollateralKind::kSnpVcek, key));
  EXPECT_EQ(k.fetcher.requests.size(), 2u);
  // Requests do not extend the entry's life: an hour after it was first seen
  // it is dropped without another request.
  k.f.clock.Advance(absl::Minutes(30));
  CollateralRefresher::Result r = refresher.RunOnce();
  EXPECT_EQ(r.failed, 0u);
  EXPECT_FALSE(refresher.IsWanted(CollateralKind::kSnpVcek, key));
  EXPECT_EQ(k.fetcher.requests.size(), 2u);
  EXPECT_EQ(refresher.stats().expiries, 1u);
  EXPECT_EQ(refresher.stats().wanted, 0u);
}

TEST(RefresherTest, NotFoundKeyIsNotRequestedAgainWithinItsNegativeTime) {
  KdsFixture k(kPhalaTime);  // the fake KDS answers 404 for made-up chips
  const std::string key = MadeUpVcekKey(7);
  CollateralRefresher refresher(*k.f.cache, k.source, k.f.clock, {});  // not_found_ttl 1 h
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, key), IsOk());
  EXPECT_EQ(refresher.RunOnce().failed, 1u);
  EXPECT_FALSE(refresher.IsWanted(CollateralKind::kSnpVcek, key));
  EXPECT_THAT(refresher.LastError(CollateralKind::kSnpVcek, key),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(refresher.stats().not_found, 1u);
  EXPECT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, key),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not asked again before")));
  k.f.clock.Advance(absl::Minutes(59));
  EXPECT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, key),
              StatusIs(absl::StatusCode::kNotFound));
  refresher.RunOnce();
  EXPECT_EQ(k.fetcher.requests.size(), 1u);
  EXPECT_EQ(refresher.stats().negative_hits, 2u);
  // After it, the key may be asked for once more.
  k.f.clock.Advance(absl::Minutes(2));
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, key), IsOk());
  refresher.RunOnce();
  EXPECT_EQ(k.fetcher.requests.size(), 2u);
  EXPECT_EQ(refresher.stats().not_found, 1u);
}

TEST(RefresherTest, UnverifiedWantIsDroppedAfterMaxAttempts) {
  KdsFixture k(kPhalaTime);
  const std::string key = MadeUpVcekKey(3);
  k.fetcher.Serve(*KdsClient::Target(CollateralKind::kSnpVcek, key), Ok("not a certificate"));
  CollateralRefresher::Options opts;
  opts.max_attempts = 3;
  CollateralRefresher refresher(*k.f.cache, k.source, k.f.clock, opts);
  ASSERT_THAT(refresher.WantUnverified(CollateralKind::kSnpVcek, key), IsOk());
  EXPECT_EQ(refresher.RunOnce().failed, 1u);
  EXPECT_EQ(refresher.RunOnce().deferred, 1u);  // backing off
  for (int i = 0; i < 4; ++i) {
    k.f.clock.Advance(absl::Minutes(10));
    refresher.RunOnce();
  }
  EXPECT_EQ(k.fetcher.requests.size(), 3u);
  EXPECT_FALSE(refresher.IsWanted(CollateralKind::kSnpVcek, key));
  EXPECT_EQ(refresher.stats().abandoned, 1u);
}

// --- bundle.h ---

TEST(BundleTest, ExportImportRoundTrip) {
  CacheFixture a(kPhalaTime);
  for (const CollateralItem& item :
       {PhalaTcbInfo(), PhalaQeIdentity(), PckCrl(kPhala), RootCrl(kPhala), VirteeVcek()}) {
    ASSERT_THAT(a.cache->Insert(item).status(), IsOk());
  }
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<BundleRecord> bundle, ExportBundle(*a.cache));
  ASSERT_EQ(bundle.size(), 5u);
  CacheFixture b(kPhalaTime);
  EXPECT_THAT(ImportBundle(*b.cache, bundle), concord::testing::IsOkAndHolds(5u));
  EXPECT_EQ(*a.store->List("collateral/"), *b.store->List("collateral/"));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto vcek,
                               b.cache->Lookup(CollateralKind::kSnpVcek, VirteeVcekKey()));
  EXPECT_EQ(vcek->item.body, ReadTestdata(absl::StrCat(kVirtee, "vcek.der")));
}

TEST(BundleTest, TamperedOrOlderBundleWritesNothing) {
  CacheFixture a(kPhalaTime);
  ASSERT_THAT(a.cache->Insert(PhalaTcbInfo()).status(), IsOk());
  ASSERT_THAT(a.cache->Insert(PckCrl(kPhala)).status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<BundleRecord> bundle, ExportBundle(*a.cache));
  ASSERT_EQ(bundle.size(), 2u);
  // Tamper with the TCB info body inside the second record.
  std::vector<BundleRecord> tampered = bundle;
  for (BundleRecord& r : tampered) {
    CollateralItem item = *DecodeItem(r.record);
    if (item.kind == CollateralKind::kTdxTcbInfo) {
      item.body = ReadTestdata(absl::StrCat(kPhala, "tcb_info-tampered-evalnum.json"));
      r.record = EncodeItem(item);
    }
  }
  CacheFixture b(kPhalaTime);
  EXPECT_THAT(ImportBundle(*b.cache, tampered),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("bundle tdx-tcb-info-")));
  EXPECT_THAT(*b.store->List(""), ::testing::IsEmpty());
  // A store that has seen a newer PCK CRL refuses an older one, and nothing
  // else from the bundle is written.
  CacheFixture old_site(kGtgTime);
  ASSERT_THAT(old_site.cache->Insert(PckCrl(kGtg)).status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(std::vector<BundleRecord> old_bundle, ExportBundle(*old_site.cache));
  a.clock.Set(kGtgTime);
  const auto before = *a.store->List("");
  EXPECT_THAT(
      ImportBundle(*a.cache, old_bundle),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("older than the newest seen")));
  EXPECT_EQ(*a.store->List(""), before);
  std::vector<BundleRecord> garbage = {{"x.json", ToBytes("{")}};
  EXPECT_THAT(ImportBundle(*a.cache, garbage),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bundle x.json")));
}

// --- verifiers.h ---

// Options that verify at the phala time and skip the reference values (the
// adapters are about collateral).
attest::VerifyOptions AtPhalaTimeWithoutReferenceValues() {
  attest::VerifyOptions options;
  options.at = kPhalaTime;
  options.check_reference_values = false;
  return options;
}

TEST(VerifierAdapterTest, TdxVerifiesWithCollateralFromTheCache) {
  CacheFixture f(kPhalaTime);
  CachedTdxVerifier verifier(*f.cache);
  attest::Evidence evidence{
      attest::Platform::kTdx, ReadTestdata(absl::StrCat(kPhala, "quote.dat")), {}};
  const attest::VerifyOptions options = AtPhalaTimeWithoutReferenceValues();
  EXPECT_THAT(
      verifier.Verify(evidence, options),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no tdx-tcb-info b0c06f000000")));
  for (const CollateralItem& item :
       {PhalaTcbInfo(), PhalaQeIdentity(), PckCrl(kPhala), RootCrl(kPhala)}) {
    ASSERT_THAT(f.cache->Insert(item).status(), IsOk());
  }
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims, verifier.Verify(evidence, options));
  ASSERT_TRUE(claims.tdx.has_value());
  EXPECT_EQ(claims.tdx->tcb_status, attest::TdxTcbStatus::kUpToDate);
  EXPECT_THAT(verifier.Verify(evidence, options).status(), IsOk());  // reused verifier
  attest::Evidence tampered = evidence;
  tampered.report = ReadTestdata(absl::StrCat(kPhala, "quote-tampered-signature.dat"));
  EXPECT_THAT(verifier.Verify(tampered, options), ::testing::Not(IsOk()));
}

TEST(VerifierAdapterTest, SnpGetsTheVcekFromTheCache) {
  CacheFixture f(kPhalaTime);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto snp, attest::SnpVerifier::Create({}));
  CachedSnpVerifier verifier(*snp, *f.cache);
  attest::Evidence evidence{
      attest::Platform::kSnp, ReadTestdata(absl::StrCat(kVirtee, "report.bin")), {}};
  const attest::VerifyOptions options = AtPhalaTimeWithoutReferenceValues();
  EXPECT_THAT(verifier.Verify(evidence, options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no VCEK cached for chip d49554ec717f4e5b")));
  ASSERT_THAT(f.cache->Insert(VirteeVcek()).status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims, verifier.Verify(evidence, options));
  EXPECT_EQ(claims.product, "Milan");
  attest::Evidence tampered = evidence;
  tampered.report[0x90] ^= 0x01;
  EXPECT_THAT(verifier.Verify(tampered, options), StatusIs(absl::StatusCode::kUnauthenticated));
}

// The phala quote with one character of its PCK certificate's signature
// changed.
Bytes PhalaQuoteWithForgedPck() {
  Bytes quote = ReadTestdata(absl::StrCat(kPhala, "quote.dat"));
  const std::string text = ToString(quote);
  size_t pos = text.find("-----END CERTIFICATE-----") - 8;
  while (!absl::ascii_isalnum(static_cast<unsigned char>(text[pos]))) {
    --pos;
  }
  quote[pos] = quote[pos] == 'A' ? 'B' : 'A';
  return quote;
}

TEST(VerifierAdapterTest,
     PlatformVerifierWantsOnlyForEvidencePassingTheChecksThatNeedNoCollateral) {
  CacheFixture f(kPhalaTime);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto snp, attest::SnpVerifier::Create({}));
  std::vector<std::vector<CollateralRef>> calls;
  PlatformVerifier verifier(*snp, *f.cache, [&calls](const std::vector<CollateralRef>& needed) {
    calls.push_back(needed);
  });
  attest::VerifyOptions options = AtPhalaTimeWithoutReferenceValues();
  auto verify = [&](attest::Platform platform, Bytes report) {
    calls.clear();
    return verifier.Verify(attest::Evidence{platform, std::move(report), {}}, options).status();
  };

  // SNP without certificates: its VCEK is wanted, unvouched; the product's
  // chain and CRL are fixed keys.
  EXPECT_THAT(verify(attest::Platform::kSnp, ReadTestdata(absl::StrCat(kVirtee, "report.bin"))),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_THAT(calls[0],
              ::testing::Contains(CollateralRef{CollateralKind::kSnpVcek, VirteeVcekKey(), false}));
  EXPECT_THAT(calls[0], ::testing::Contains(CollateralRef{CollateralKind::kSnpCrl, "milan", true}));
  for (const CollateralRef& ref : calls[0]) {
    EXPECT_EQ(ref.vouched, ref.kind != CollateralKind::kSnpVcek) << ref.key;
  }
  // A debug policy, a VLEK (only the host has it) or report data other than
  // expected: refused for that, and nothing wanted.
  EXPECT_THAT(
      verify(attest::Platform::kSnp,
             ReadTestdata("attestation/snp/milan-v2-trustee/report-tampered-policy-debug.bin")),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("debug")));
  EXPECT_TRUE(calls.empty());
  EXPECT_THAT(
      verify(attest::Platform::kSnp, ReadTestdata("attestation/snp/milan-v3-vlek-aws/report.bin")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("VLEK")));
  EXPECT_TRUE(calls.empty());
  options.report_data = std::array<uint8_t, 64>{};
  EXPECT_THAT(verify(attest::Platform::kSnp, ReadTestdata(absl::StrCat(kVirtee, "report.bin"))),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("report data")));
  EXPECT_TRUE(calls.empty());
  options.report_data.reset();

  // TDX: a PCK chain that verifies to Intel's root vouches for the FMSPC.
  EXPECT_THAT(verify(attest::Platform::kTdx, ReadTestdata(absl::StrCat(kPhala, "quote.dat"))),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_THAT(calls[0], ::testing::Contains(
                            CollateralRef{CollateralKind::kTdxTcbInfo, "b0c06f000000", true}));
  // A forged PCK certificate: refused, nothing wanted.
  EXPECT_THAT(verify(attest::Platform::kTdx, PhalaQuoteWithForgedPck()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("PCK chain")));
  EXPECT_TRUE(calls.empty());
}

}  // namespace
}  // namespace concord::collateral
