#include "concord/attest/tdx/verifier.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/time_format.h"
#include "concord/crypto/x509.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attest {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::string_view kPhalaDir = "attestation/tdx/v4-b0c06f-phala";
constexpr absl::string_view kGtgDir = "attestation/tdx/v4-50806f-gtg";
constexpr absl::string_view kTrusteeDir = "attestation/tdx/v4-00a06d-trustee";
constexpr absl::string_view kV5Dir = "attestation/tdx/v5-90c06f";

absl::Time At(absl::string_view t) { return *ParseRfc3339(t, "test"); }

std::string Path(absl::string_view rel) { return testing::TestdataPath(rel); }

TdxCollateral Load(absl::string_view dir, absl::string_view chain = "") {
  absl::StatusOr<TdxCollateral> c =
      TdxCollateral::LoadDir(Path(dir), chain.empty() ? "" : Path(chain));
  EXPECT_THAT(c.status(), IsOk());
  return c.ok() ? *std::move(c) : TdxCollateral{};
}

TdxCollateral Gtg() { return Load(kGtgDir, "attestation/tdx/certs/tcb_signing_chain_2018.pem"); }

std::unique_ptr<TdxVerifier> MakeVerifier(std::vector<TdxCollateral> c) {
  absl::StatusOr<std::unique_ptr<TdxVerifier>> v = TdxVerifier::Create({std::move(c)});
  EXPECT_THAT(v.status(), IsOk());
  return v.ok() ? *std::move(v) : nullptr;
}

Evidence Quote(absl::string_view rel) {
  Evidence e;
  e.platform = Platform::kTdx;
  e.report = testing::ReadTestdata(rel);
  return e;
}

VerifyOptions NoRef(absl::string_view at) {
  VerifyOptions o;
  o.at = At(at);
  o.check_reference_values = false;
  return o;
}

constexpr absl::string_view kPhalaAt = "2025-06-25T00:00:00Z";
constexpr absl::string_view kGtgAt = "2023-06-20T00:00:00Z";
constexpr absl::string_view kV5At = "2026-02-25T00:00:00Z";

std::string PhalaQuote() { return absl::StrCat(kPhalaDir, "/quote.dat"); }

template <size_t N>
std::array<uint8_t, N> Arr(absl::string_view hex) {
  Bytes b = *HexDecodeExact(hex, N, "test");
  std::array<uint8_t, N> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

TdxReferenceValues PhalaRef() {
  TdxReferenceValues r;
  r.mrtd = Arr<48>(
      "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873"
      "118b7");
  r.xfam = Arr<8>("e702060000000000");
  r.td_attributes = Arr<8>("0000001000000000");
  r.mrseam = Arr<48>(
      "5b38e33a6487958b72c3c12a938eaa5e3fd4510c51aeeab58c7d5ecee41d7c436489d6c8e4f92f160b7cad3420"
      "7b00c1");
  r.rtmr[3] = std::array<uint8_t, 48>{};
  r.minimum_tcb_evaluation_number = 17;
  return r;
}

TEST(TdxVerifierTest, PhalaV4IsUpToDateWithClaims) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  VerifyOptions o = NoRef(kPhalaAt);
  o.check_reference_values = true;
  o.reference_values.tdx = {PhalaRef()};
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims c, v->Verify(Quote(PhalaQuote()), o));
  EXPECT_EQ(c.platform, Platform::kTdx);
  EXPECT_EQ(c.product, "TDX");
  ASSERT_TRUE(c.tdx.has_value());
  EXPECT_EQ(c.tdx->tcb_status, TdxTcbStatus::kUpToDate);
  EXPECT_EQ(c.tdx->module_identity, "TDX_01");
  EXPECT_TRUE(c.tdx->advisory_ids.empty());
  EXPECT_EQ(HexEncode(c.tdx->fmspc), "b0c06f000000");
  EXPECT_EQ(c.tdx->pcesvn, 11);
  EXPECT_EQ(HexEncode(c.tdx->sgx_tcb_components), "03030202040100050000000000000000");
  EXPECT_EQ(c.tdx->tcb_evaluation_data_number, 17u);
  EXPECT_EQ(c.tdx->matched_reference_value, 0u);
  EXPECT_EQ(HexEncode(c.measurement), HexEncode(PhalaRef().mrtd));
  EXPECT_EQ(c.host_data, Bytes(32, 0));
  EXPECT_EQ(HexEncode(c.report_data).substr(0, 8), "9a9d48e7");
  EXPECT_EQ(c.signer_not_before, At("2025-02-06T23:25:51Z"));
}

TEST(TdxVerifierTest, ClaimsToJsonRendersTdxClaims) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims c, v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)));
  nlohmann::json j = ClaimsToJson(c);
  EXPECT_EQ(j["platform"], "tdx");
  EXPECT_EQ(j["product"], "TDX");
  ASSERT_TRUE(j.contains("tdx"));
  const nlohmann::json& t = j["tdx"];
  EXPECT_EQ(t["tcb_status"], "UpToDate");
  EXPECT_EQ(t["platform_tcb_status"], "UpToDate");
  EXPECT_EQ(t["module_identity"], "TDX_01");
  EXPECT_EQ(t["fmspc"], "b0c06f000000");
  EXPECT_EQ(t["pceid"], "0000");
  EXPECT_EQ(t["pcesvn"], 11);
  EXPECT_EQ(t["tcb_evaluation_data_number"], 17);
  EXPECT_FALSE(t.contains("matched_reference_value"));
  const nlohmann::json& q = t["quote"];
  EXPECT_EQ(q["mrtd"], HexEncode(PhalaRef().mrtd));
  EXPECT_EQ(q["mrtd"], j["measurement"]);
  EXPECT_EQ(
      q["mrseam"],
      "5b38e33a6487958b72c3c12a938eaa5e3fd4510c51aeeab58c7d5ecee41d7c436489d6c8e4f92f160b7cad34"
      "207b00c1");
  EXPECT_EQ(q["xfam"], "e702060000000000");
  EXPECT_EQ(q["td_attributes"], "0000001000000000");
  EXPECT_EQ(q["rtmr3"], std::string(96, '0'));
  EXPECT_EQ(q["rtmr0"].get<std::string>().substr(0, 8), "44c0197b");
  EXPECT_EQ(q["mrconfigid"], std::string(96, '0'));
  EXPECT_EQ(q["debug"], false);
  EXPECT_FALSE(j.contains("snp"));
}

TEST(TdxVerifierTest, RepeatedVerificationUsesTheCacheAndGivesTheSameClaims) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->CachedChainsForTest(), 0u);
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims first, v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)));
  // One parsed PCK chain; the TCB Signing and PCK chain results.
  EXPECT_EQ(v->CachedChainsForTest(), 1u);
  EXPECT_EQ(v->CachedVerificationsForTest(), 2u);
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims second, v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)));
  EXPECT_EQ(v->CachedChainsForTest(), 1u);
  EXPECT_EQ(v->CachedVerificationsForTest(), 2u);
  EXPECT_EQ(ClaimsToJson(first).dump(), ClaimsToJson(second).dump());
  EXPECT_EQ(second.signer_not_before, At("2025-02-06T23:25:51Z"));
}

TEST(TdxVerifierTest, CachedChainsDoNotSkipSignaturesOrWindows) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  ASSERT_THAT(v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(), IsOk());
  // Same PCK chain (cache hit), tampered signed body: the quote signature
  // still fails.
  Evidence body = Quote(PhalaQuote());
  body.report[48 + 136] ^= 1;  // MRTD
  EXPECT_THAT(v->Verify(body, NoRef(kPhalaAt)).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("quote signature")));
  // Tampered QE report (ISVSVN byte): the PCK signature over it fails.
  CONCORD_ASSERT_OK_AND_ASSIGN(TdxQuote q, TdxQuote::Parse(Quote(PhalaQuote()).report));
  Evidence qe = Quote(PhalaQuote());
  const size_t qe_report_at = q.signed_bytes.size() + 4 + 64 + 64 + 2 + 4;
  qe.report[qe_report_at + 258] ^= 1;  // ISVSVN
  EXPECT_THAT(v->Verify(qe, NoRef(kPhalaAt)).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("QE report signature")));
  // After the PCK CRL's nextUpdate the cached chain result does not help.
  EXPECT_THAT(v->Verify(Quote(PhalaQuote()), NoRef("2025-07-19T10:00:36Z")).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(v->CachedChainsForTest(), 1u);
}

TEST(TdxVerifierTest, CacheIsBounded) {
  TdxVerifier::Options o;
  o.collateral = {Load(kPhalaDir), Load(kV5Dir)};
  o.cache_capacity = 1;
  CONCORD_ASSERT_OK_AND_ASSIGN(auto v, TdxVerifier::Create(std::move(o)));
  ASSERT_THAT(v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(), IsOk());
  // The v5 quote gets past both chains before its TCB evaluation rejects it.
  EXPECT_THAT(
      v->Verify(Quote(absl::StrCat(kV5Dir, "/quote-phala-outdated.dat")), NoRef(kV5At)).status(),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(v->CachedChainsForTest(), 1u);
  EXPECT_EQ(v->CachedVerificationsForTest(), 1u);
  ASSERT_THAT(v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(), IsOk());

  TdxVerifier::Options off;
  off.collateral = {Load(kPhalaDir)};
  off.cache_capacity = 0;
  CONCORD_ASSERT_OK_AND_ASSIGN(auto uncached, TdxVerifier::Create(std::move(off)));
  ASSERT_THAT(uncached->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(), IsOk());
  EXPECT_EQ(uncached->CachedChainsForTest(), 0u);
  EXPECT_EQ(uncached->CachedVerificationsForTest(), 0u);
}

TEST(TdxVerifierTest, CollateralJsonAndSeparateFilesAgree) {
  TdxCollateral from_json = Load(kPhalaDir);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes tcb, testing::ReadFileBytes(Path(absl::StrCat(kPhalaDir, "/tcb_info.json"))));
  EXPECT_EQ(from_json.tcb_info_json, ToString(tcb));
  EXPECT_EQ(from_json.pck_crl, testing::ReadTestdata(absl::StrCat(kPhalaDir, "/pck_crl.der")));
}

TEST(TdxVerifierTest, TamperedPhalaQuotesAreRejected) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  const VerifyOptions o = NoRef(kPhalaAt);
  struct Case {
    const char* file;
    const char* message;
  } cases[] = {
      {"quote-tampered-reportdata.dat", "quote signature does not verify"},
      {"quote-tampered-mrtd.dat", "quote signature does not verify"},
      {"quote-tampered-signature.dat", "quote signature does not verify"},
      {"quote-tampered-attkey.dat", "QE report data is not SHA-256(attestation key"},
      {"quote-tampered-qereport.dat", "QE report signature does not verify"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(v->Verify(Quote(absl::StrCat(kPhalaDir, "/", c.file)), o).status(),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(c.message)))
        << c.file;
  }
}

TEST(TdxVerifierTest, TamperedTcbInfoSignatureIsRejected) {
  TdxCollateral c = Load(kPhalaDir);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes tampered,
      testing::ReadFileBytes(Path(absl::StrCat(kPhalaDir, "/tcb_info-tampered-evalnum.json"))));
  c.tcb_info_json = ToString(tampered);
  EXPECT_THAT(TdxVerifier::Create({{c}}).status(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("collateral 0: TCB info signature does not verify")));
}

TEST(TdxVerifierTest, TamperedQeIdentitySignatureIsRejected) {
  TdxCollateral c = Load(kPhalaDir);
  const size_t at = c.qe_identity_json.find("\"isvprodid\":2");
  ASSERT_NE(at, std::string::npos);
  c.qe_identity_json[at + 12] = '3';
  EXPECT_THAT(TdxVerifier::Create({{c}}).status(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("QE identity signature does not verify")));
}

TEST(TdxVerifierTest, SprQuoteHasNoMatchingTcbLevel) {
  auto v = MakeVerifier({Gtg()});
  ASSERT_NE(v, nullptr);
  Evidence e = Quote(absl::StrCat(kGtgDir, "/quote-spr-e4.dat"));
  EXPECT_THAT(v->Verify(e, NoRef(kGtgAt)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not zero padding")));
  e.report.resize(4935);
  EXPECT_THAT(v->Verify(e, NoRef(kGtgAt)).status(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("no TCB level of FMSPC 50806f000000 matches")));
}

TEST(TdxVerifierTest, DebugTdIsRejected) {
  auto v = MakeVerifier({Gtg()});
  ASSERT_NE(v, nullptr);
  EXPECT_THAT(
      v->Verify(Quote(absl::StrCat(kGtgDir, "/quote-trustee-debug.dat")), NoRef(kGtgAt)).status(),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("debug TD")));
}

TEST(TdxVerifierTest, V5QuoteHasNoMatchingTcbLevel) {
  auto v = MakeVerifier({Load(kV5Dir)});
  ASSERT_NE(v, nullptr);
  EXPECT_THAT(
      v->Verify(Quote(absl::StrCat(kV5Dir, "/quote-phala-outdated.dat")), NoRef(kV5At)).status(),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("no TCB level of FMSPC 90c06f000000")));
}

TEST(TdxVerifierTest, TrusteeQuoteWithoutCrlsIsRefusedAndEvaluatesOutOfDate) {
  TdxCollateral c = Load(kTrusteeDir, "attestation/tdx/certs/tcb_signing_chain_2025.pem");
  auto v = MakeVerifier({c});
  ASSERT_NE(v, nullptr);
  const Evidence e = Quote(absl::StrCat(kTrusteeDir, "/quote.dat"));
  EXPECT_THAT(v->Verify(e, NoRef("2025-11-01T00:00:00Z")).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no PCK CRL")));
  // The TCB evaluation on its own (no CRLs ship with this vector).
  CONCORD_ASSERT_OK_AND_ASSIGN(TdxQuote q, TdxQuote::Parse(e.report));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto chain, crypto::ParseCertChainPem(q.pck_chain_pem, 3));
  CONCORD_ASSERT_OK_AND_ASSIGN(PckExtensions pck, ParsePckExtensions(chain[0].get()));
  EXPECT_EQ(pck.pcesvn, 11);
  CONCORD_ASSERT_OK_AND_ASSIGN(SignedJson tcb, SplitSignedJson(c.tcb_info_json, "tcbInfo", "t"));
  CONCORD_ASSERT_OK_AND_ASSIGN(SignedJson qe,
                               SplitSignedJson(c.qe_identity_json, "enclaveIdentity", "q"));
  CONCORD_ASSERT_OK_AND_ASSIGN(TdxTcbInfo info, ParseTcbInfo(tcb.body));
  CONCORD_ASSERT_OK_AND_ASSIGN(TdxQeIdentity qei, ParseQeIdentity(qe.body));
  CONCORD_ASSERT_OK_AND_ASSIGN(TdxTcbEvaluation eval, EvaluateTdxTcb(info, qei, pck, q));
  EXPECT_EQ(eval.status, TdxTcbStatus::kOutOfDate);
  EXPECT_EQ(eval.platform_status, TdxTcbStatus::kOutOfDate);
  EXPECT_EQ(eval.module_identity, "TDX_03");
  EXPECT_EQ(eval.module_status, TdxTcbStatus::kUpToDate);
  // With PCESVN 13 the platform would be UpToDate.
  pck.pcesvn = 13;
  CONCORD_ASSERT_OK_AND_ASSIGN(eval, EvaluateTdxTcb(info, qei, pck, q));
  EXPECT_EQ(eval.status, TdxTcbStatus::kUpToDate);
  // An unknown module version has no identity.
  q.body.tee_tcb_svn[1] = 9;
  EXPECT_THAT(EvaluateTdxTcb(info, qei, pck, q).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("TDX_09")));
}

TEST(TdxVerifierTest, CollateralWindowsAreEnforced) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  const Evidence e = Quote(PhalaQuote());
  EXPECT_THAT(v->Verify(e, NoRef("2025-06-19T10:32:27Z")).status(), IsOk());
  EXPECT_THAT(
      v->Verify(e, NoRef("2025-06-19T10:32:26Z")).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("QE identity is not current")));
  EXPECT_THAT(v->Verify(e, NoRef("2025-07-19T10:00:34Z")).status(), IsOk());
  // The PCK CRL expires before the TCB info.
  EXPECT_THAT(v->Verify(e, NoRef("2025-07-19T10:00:36Z")).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("PCK CRL is not current")));
  EXPECT_THAT(
      v->Verify(e, NoRef("2025-08-01T00:00:00Z")).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("TCB info is not current")));
}

TEST(TdxVerifierTest, MissingCollateralIsFailedPrecondition) {
  auto v = MakeVerifier({Gtg()});
  ASSERT_NE(v, nullptr);
  EXPECT_THAT(v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no TCB info for FMSPC b0c06f000000")));
  TdxCollateral c = Load(kPhalaDir);
  c.root_ca_crl.clear();
  auto v2 = MakeVerifier({c});
  ASSERT_NE(v2, nullptr);
  EXPECT_THAT(v2->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no Root CA CRL")));
}

TEST(TdxVerifierTest, ExpiredTcbSigningCertIsRejected) {
  // The 2018 TCB Signing cert carries the same key but expired 2025-05-21.
  TdxCollateral c = Load(kPhalaDir);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes old, testing::ReadFileBytes(Path("attestation/tdx/certs/tcb_signing_chain_2018.pem")));
  c.tcb_signing_chain_pem = ToString(old);
  auto v = MakeVerifier({c});
  ASSERT_NE(v, nullptr);
  EXPECT_THAT(v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("TCB Signing chain: certificate has expired")));
}

TEST(TdxVerifierTest, WrongCrlIssuerIsRejected) {
  // With the CRLs swapped no CA in the chain has its own CRL.
  TdxCollateral c = Load(kPhalaDir);
  std::swap(c.pck_crl, c.root_ca_crl);
  auto v = MakeVerifier({c});
  ASSERT_NE(v, nullptr);
  EXPECT_THAT(
      v->Verify(Quote(PhalaQuote()), NoRef(kPhalaAt)).status(),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unable to get certificate CRL")));
}

TEST(TdxVerifierTest, WrongPlatformAndTimeAreInvalidArgument) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  Evidence e = Quote(PhalaQuote());
  VerifyOptions o;
  EXPECT_THAT(v->Verify(e, o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("time is not set")));
  e.platform = Platform::kSnp;
  EXPECT_THAT(v->Verify(e, NoRef(kPhalaAt)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("platform snp")));
}

TEST(TdxVerifierTest, ExpectedReportAndHostDataAreChecked) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  const Evidence e = Quote(PhalaQuote());
  VerifyOptions o = NoRef(kPhalaAt);
  o.report_data = Arr<64>(
      "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493"
      "d6e44aed55d51ec39b7e518fadb92c2b523f20");
  o.host_data = std::array<uint8_t, 32>{};
  EXPECT_THAT(v->Verify(e, o).status(), IsOk());
  (*o.report_data)[63] ^= 1;
  EXPECT_THAT(v->Verify(e, o).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("report data")));
  o.report_data.reset();
  (*o.host_data)[0] = 1;
  EXPECT_THAT(v->Verify(e, o).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("MRCONFIGID")));
}

TEST(TdxVerifierTest, EachReferenceValueFieldIsEnforced) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  const Evidence e = Quote(PhalaQuote());
  VerifyOptions o = NoRef(kPhalaAt);
  o.check_reference_values = true;
  EXPECT_THAT(v->Verify(e, o).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no reference values")));
  struct Case {
    const char* name;
    void (*mutate)(TdxReferenceValues&);
    const char* message;
  } cases[] = {
      {"mrtd", [](TdxReferenceValues& r) { r.mrtd[0] ^= 1; }, "MRTD"},
      {"rtmr0", [](TdxReferenceValues& r) { r.rtmr[0] = std::array<uint8_t, 48>{}; }, "RTMR0"},
      {"rtmr3", [](TdxReferenceValues& r) { (*r.rtmr[3])[5] = 1; }, "RTMR3"},
      {"mrseam", [](TdxReferenceValues& r) { (*r.mrseam)[0] ^= 1; }, "MRSEAM"},
      {"xfam", [](TdxReferenceValues& r) { r.xfam[0] ^= 1; }, "XFAM"},
      {"attributes", [](TdxReferenceValues& r) { r.td_attributes[3] = 0; }, "TD attributes"},
      {"eval", [](TdxReferenceValues& r) { r.minimum_tcb_evaluation_number = 18; },
       "evaluation data number 17"},
      {"status",
       [](TdxReferenceValues& r) { r.accepted_tcb_statuses = {TdxTcbStatus::kOutOfDate}; },
       "TCB status UpToDate is not accepted"},
      {"piid", [](TdxReferenceValues& r) { r.allowed_piids = {std::array<uint8_t, 16>{}}; },
       "PPID/PIID"},
  };
  for (const Case& c : cases) {
    TdxReferenceValues ref = PhalaRef();
    c.mutate(ref);
    o.reference_values.tdx = {ref};
    EXPECT_THAT(v->Verify(e, o).status(),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(c.message)))
        << c.name;
  }
  // A second, matching entry is found.
  TdxReferenceValues bad = PhalaRef();
  bad.mrtd[1] ^= 1;
  o.reference_values.tdx = {bad, PhalaRef()};
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims claims, v->Verify(e, o));
  EXPECT_EQ(claims.tdx->matched_reference_value, 1u);
}

TEST(TdxVerifierTest, PiidOrPpidFromThePckCertificateMatches) {
  auto v = MakeVerifier({Load(kPhalaDir)});
  ASSERT_NE(v, nullptr);
  const Evidence e = Quote(PhalaQuote());
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims c, v->Verify(e, NoRef(kPhalaAt)));
  TdxReferenceValues ref = PhalaRef();
  ref.allowed_piids = {c.tdx->piid.value_or(c.tdx->ppid)};
  VerifyOptions o = NoRef(kPhalaAt);
  o.check_reference_values = true;
  o.reference_values.tdx = {ref};
  EXPECT_THAT(v->Verify(e, o).status(), IsOk());
}

TEST(TdxVerifierTest, SplitSignedJsonRefusesNestedDuplicatesAndDepthBombs) {
  EXPECT_THAT(
      SplitSignedJson(R"({"tcbInfo":{"a":[{"b":1,"b":1}]},"signature":"00"})", "tcbInfo", "t")
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, "tdx: t: tcbInfo.a[0].b: duplicate key"));
  EXPECT_THAT(
      SplitSignedJson(absl::StrCat(R"({"tcbInfo":)", std::string(200'000, '[')), "tcbInfo", "t")
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want at most 16 levels of nesting")));
}

TEST(TdxVerifierTest, SplitSignedJsonIsStrict) {
  EXPECT_THAT(
      SplitSignedJson("{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"00\"}", "tcbInfo", "t")
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate key")));
  EXPECT_THAT(
      SplitSignedJson("{\"tcbInfo\":{},\"extra\":1,\"signature\":\"00\"}", "tcbInfo", "t").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unexpected key")));
  EXPECT_THAT(SplitSignedJson("{\"tcbInfo\":{}}", "tcbInfo", "t").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature: missing")));
  EXPECT_THAT(SplitSignedJson("{\"tcbInfo\":{}", "tcbInfo", "t").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string sig(128, 'a');
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SignedJson s, SplitSignedJson(absl::StrCat("{ \"signature\" : \"", sig,
                                                 "\", \"tcbInfo\" : {\"a\": \"}\\\"\"} }"),
                                    "tcbInfo", "t"));
  EXPECT_EQ(s.body, "{\"a\": \"}\\\"\"}");
}

TEST(TdxVerifierTest, TcbInfoParserNamesTheField) {
  EXPECT_THAT(
      ParseTcbInfo("{\"id\":\"SGX\"}").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TCB info: id: want \"TDX\"")));
  EXPECT_THAT(ParseTcbInfo("{\"id\":\"TDX\",\"version\":2}").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version: want 3")));
  EXPECT_THAT(ParseTcbInfo("{\"id\":\"TDX\",\"version\":3}").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("issueDate: missing")));
  EXPECT_THAT(ParseQeIdentity("{\"id\":\"QE\"}").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("QE identity: id")));
  EXPECT_THAT(ParseTdxTcbStatus("Fine").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TdxVerifierTest, PckExtensionsParserRejectsGarbage) {
  EXPECT_THAT(ParsePckExtensionsDer(Bytes{0x30, 0x00}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PPID: missing")));
  EXPECT_THAT(ParsePckExtensionsDer(Bytes{0x31, 0x00}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want DER tag 0x30")));
  EXPECT_THAT(ParsePckExtensionsDer(Bytes{0x30, 0x05, 0x00}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds")));
}

}  // namespace
}  // namespace concord::attest
