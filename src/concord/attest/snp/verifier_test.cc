#include "concord/attest/snp/verifier.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "concord/attest/snp/amd_roots.h"
#include "concord/attest/snp/signer_cert.h"
#include "concord/common/hex.h"
#include "concord/common/time_format.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::attest {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::ReadTestdata;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kSnpDir[] = "attestation/snp/";

absl::Time At(absl::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339, "at");
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

// A time inside every genuine VCEK's validity window.
absl::Time VcekTime() { return At("2026-01-01T00:00:00Z"); }
// Inside the AWS VLEK's window (2024-12-10 to 2025-12-10).
absl::Time VlekTime() { return At("2025-06-01T00:00:00Z"); }

Evidence SnpEvidence(absl::string_view report, absl::string_view cert) {
  Evidence e;
  e.platform = Platform::kSnp;
  e.report = ReadTestdata(absl::StrCat(kSnpDir, report));
  e.certs = {ReadTestdata(absl::StrCat(kSnpDir, cert))};
  return e;
}

Evidence Virtee() { return SnpEvidence("milan-v2-virtee/report.bin", "milan-v2-virtee/vcek.der"); }

VerifyOptions AuthenticityOnly(absl::Time at) {
  VerifyOptions o;
  o.at = at;
  o.check_reference_values = false;
  return o;
}

std::unique_ptr<SnpVerifier> MakeVerifier(SnpVerifier::Options options = {}) {
  auto v = SnpVerifier::Create(options);
  EXPECT_TRUE(v.ok()) << v.status();
  return std::move(v).value();
}

template <size_t N>
std::array<uint8_t, N> HexArray(const std::string& hex) {
  std::array<uint8_t, N> out{};
  auto b = HexDecodeExact(hex, N, "test");
  EXPECT_TRUE(b.ok()) << b.status();
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

// Milan reference values (SMT allowed) for one measurement, TCB and VMPL.
SnpReferenceValues MilanReference(const std::string& measurement_hex, SnpTcb minimum_tcb,
                                  uint32_t vmpl) {
  SnpReferenceValues ref;
  ref.product = SnpProduct::kMilan;
  ref.measurement = HexArray<48>(measurement_hex);
  ref.minimum_tcb = minimum_tcb;
  ref.allow_smt = true;
  ref.vmpl = vmpl;
  return ref;
}

// Reference values that accept the virtee vector exactly.
SnpReferenceValues VirteeReference() {
  return MilanReference(
      "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579e"
      "a158d3e1a0dc39b2c60bd95b9c480cd81"
      "841f",
      SnpTcb{.bootloader = 3, .tee = 0, .snp = 8, .microcode = 115}, 0);
}

VerifyOptions WithReference(std::vector<SnpReferenceValues> refs) {
  VerifyOptions o;
  o.at = VcekTime();
  o.reference_values.snp = std::move(refs);
  return o;
}

absl::Time ExpectedTime(const nlohmann::json& v) {
  // "2022-09-24 00:55:28+00:00" -> RFC 3339.
  std::string s = absl::StrReplaceAll(v.get<std::string>(), {{" ", "T"}, {"+00:00", "Z"}});
  return At(s);
}

TEST(SnpVerifierTest, EveryGenuineVectorVerifiesAndMatchesExpectedJson) {
  Bytes text = ReadTestdata("attestation/expected.json");
  nlohmann::json expected = nlohmann::json::parse(text.begin(), text.end());
  auto verifier = MakeVerifier();
  int verified = 0;
  for (const nlohmann::json& v : expected["snp"]) {
    const std::string id = v["id"];
    SCOPED_TRACE(id);
    Evidence e;
    e.report = ReadTestdata("attestation/" + v["report"].get<std::string>());
    e.certs = {ReadTestdata("attestation/" + v["signing_cert"].get<std::string>())};
    absl::Time at = v["signing_cert_kind"] == "VLEK" ? VlekTime() : VcekTime();
    absl::StatusOr<Claims> claims = verifier->Verify(e, AuthenticityOnly(at));
    if (id == "milan-v2-gsg") {
      // Signature, chain and binding pass; the always-on no-debug policy fails.
      EXPECT_THAT(claims,
                  StatusIs(absl::StatusCode::kPermissionDenied, "snp: guest policy allows debug"));
      continue;
    }
    ASSERT_THAT(claims, IsOk());
    ++verified;
    std::string product = v["product"];
    product[0] = static_cast<char>(std::toupper(product[0]));
    EXPECT_EQ(claims->product, product);
    EXPECT_EQ(claims->snp->signer_product_name, v["cert_product_name"]);
    EXPECT_EQ(std::string(SnpSigningKeyName(claims->snp->signing_key)),
              v["signing_cert_kind"].get<std::string>());
    EXPECT_EQ(HexEncode(claims->measurement), v["measurement"]);
    EXPECT_EQ(HexEncode(claims->report_data), v["report_data"]);
    EXPECT_EQ(HexEncode(claims->host_data), v["host_data"]);
    EXPECT_EQ(HexEncode(claims->chip_id), v["chip_id"]);
    EXPECT_EQ(claims->signer_not_before, ExpectedTime(v["cert_not_before"]));
    EXPECT_EQ(claims->signer_not_after, ExpectedTime(v["cert_not_after"]));
    nlohmann::json j = ClaimsToJson(*claims);
    for (const char* key :
         {"version", "guest_svn", "policy", "vmpl", "platform_info", "flags", "reported_tcb",
          "current_tcb", "committed_tcb", "launch_tcb", "reported_tcb_raw", "family_id", "image_id",
          "id_key_digest", "report_id"}) {
      EXPECT_EQ(j["snp"][key], v[key]) << key;
    }
    // The VCEK SPLs equal the reported TCB (checked by the verifier too).
    const nlohmann::json& spl = v["cert_spl"];
    EXPECT_EQ(claims->snp->reported_tcb.bootloader, spl["blSPL"]);
    EXPECT_EQ(claims->snp->reported_tcb.microcode, spl["ucodeSPL"]);
  }
  EXPECT_EQ(verified, 5);
}

TEST(SnpVerifierTest, TamperedReportsFailTheSignature) {
  auto verifier = MakeVerifier();
  struct Case {
    const char* report;
    const char* cert;
  };
  for (const Case& c :
       {Case{"milan-v2-gsg/report-tampered-measurement.bin", "milan-v2-gsg/vcek.der"},
        Case{"milan-v2-gsg/report-tampered-reportdata.bin", "milan-v2-gsg/vcek.der"},
        Case{"milan-v2-trustee/report-tampered-policy-debug.bin", "milan-v2-trustee/vcek.der"},
        Case{"turin-v5-oak/report-tampered-chipid.bin", "turin-v5-oak/vcek.der"}}) {
    SCOPED_TRACE(c.report);
    EXPECT_THAT(verifier->Verify(SnpEvidence(c.report, c.cert), AuthenticityOnly(VcekTime())),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         "snp: report signature does not verify with the VCEK"));
  }
}

TEST(SnpVerifierTest, TamperedChipIdDoesNotMatchTurinHwid) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpReport report,
      SnpReport::Parse(ReadTestdata("attestation/snp/turin-v5-oak/report-tampered-chipid.bin")));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpSignerCert vcek,
      ParseSnpSignerCert(ReadTestdata("attestation/snp/turin-v5-oak/vcek.der"), "VCEK"));
  ASSERT_TRUE(vcek.hwid.has_value());
  EXPECT_EQ(vcek.hwid->size(), 8u);
  EXPECT_THAT(
      CheckSignerBinding(report, SnpProduct::kTurin, SnpSigningKey::kVcek, vcek),
      StatusIs(absl::StatusCode::kUnauthenticated, "snp: VCEK hwID does not match report CHIP_ID"));
  // The genuine Turin report binds (8-byte hwID, rest of CHIP_ID zero, fmcSPL).
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpReport genuine, SnpReport::Parse(ReadTestdata("attestation/snp/turin-v5-oak/report.bin")));
  EXPECT_THAT(CheckSignerBinding(genuine, SnpProduct::kTurin, SnpSigningKey::kVcek, vcek), IsOk());
  // Nonzero bytes after the 8-byte hwID are rejected.
  genuine.chip_id[40] = 1;
  EXPECT_THAT(CheckSignerBinding(genuine, SnpProduct::kTurin, SnpSigningKey::kVcek, vcek),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("hwID")));
}

TEST(SnpVerifierTest, WrongChipVcekChainsButFailsSignatureAndBinding) {
  auto verifier = MakeVerifier();
  EXPECT_THAT(verifier->Verify(SnpEvidence("milan-v2-gsg/report.bin",
                                           "milan-v2-gsg/vcek-tampered-wrong-chip.der"),
                               AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "snp: report signature does not verify with the VCEK"));
  EXPECT_EQ(verifier->ChainVerificationsForTest(), 1u);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpReport report, SnpReport::Parse(ReadTestdata("attestation/snp/milan-v2-gsg/report.bin")));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpSignerCert wrong,
      ParseSnpSignerCert(ReadTestdata("attestation/snp/milan-v2-gsg/vcek-tampered-wrong-chip.der"),
                         "VCEK"));
  EXPECT_THAT(
      CheckSignerBinding(report, SnpProduct::kMilan, SnpSigningKey::kVcek, wrong),
      StatusIs(absl::StatusCode::kUnauthenticated, "snp: VCEK hwID does not match report CHIP_ID"));
  // With the hwID out of the way, the SPLs differ too.
  wrong.hwid = Bytes(report.chip_id.begin(), report.chip_id.end());
  EXPECT_THAT(CheckSignerBinding(report, SnpProduct::kMilan, SnpSigningKey::kVcek, wrong),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "snp: VCEK blSPL 3 does not match the reported TCB bootloader 2"));
}

TEST(SnpVerifierTest, VcekAgainstAnotherProductsChainFails) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpSignerCert vcek,
      ParseSnpSignerCert(ReadTestdata("attestation/snp/milan-v2-virtee/vcek.der"), "VCEK"));
  EXPECT_THAT(VerifyAmdChain(vcek.cert.get(), SnpProduct::kMilan, SnpSigningKey::kVcek, VcekTime()),
              IsOk());
  for (SnpProduct other : {SnpProduct::kGenoa, SnpProduct::kTurin}) {
    EXPECT_THAT(VerifyAmdChain(vcek.cert.get(), other, SnpSigningKey::kVcek, VcekTime()),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         "snp: VCEK chain: unable to get local issuer "
                         "certificate (at 2026-01-01T00:00:00Z)"));
  }
}

TEST(SnpVerifierTest, ReportCpuidProductMustMatchVcekProduct) {
  // A Genoa report presented with a Milan VCEK: refused before any signature.
  auto verifier = MakeVerifier();
  Evidence e = SnpEvidence("genoa-v5-oak/report.bin", "milan-v2-virtee/vcek.der");
  EXPECT_THAT(verifier->Verify(e, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "snp: VCEK productName Milan-B0 does not match the "
                       "report's CPUID product "
                       "Genoa"));
}

TEST(SnpVerifierTest, VlekAgainstAskFails) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      SnpSignerCert vlek,
      ParseSnpSignerCert(ReadTestdata("attestation/snp/milan-v3-vlek-aws/vlek.der"), "VLEK"));
  EXPECT_FALSE(vlek.hwid.has_value());
  EXPECT_EQ(vlek.csp_id, "CN=cc-us-east-2.amazonaws.com");
  EXPECT_THAT(VerifyAmdChain(vlek.cert.get(), SnpProduct::kMilan, SnpSigningKey::kVlek, VlekTime()),
              IsOk());
  // kVcek selects the ASK as intermediate.
  EXPECT_THAT(VerifyAmdChain(vlek.cert.get(), SnpProduct::kMilan, SnpSigningKey::kVcek, VlekTime()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("snp: VCEK chain: ")));
}

TEST(SnpVerifierTest, VlekHasExpiredBy20261123) {
  auto verifier = MakeVerifier();
  Evidence e = SnpEvidence("milan-v3-vlek-aws/report.bin", "milan-v3-vlek-aws/vlek.der");
  EXPECT_THAT(verifier->Verify(e, AuthenticityOnly(At("2026-11-23T00:00:00Z"))),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "snp: VLEK chain: certificate has expired (at "
                       "2026-11-23T00:00:00Z)"));
  EXPECT_THAT(verifier->Verify(e, AuthenticityOnly(VlekTime())), IsOk());
}

TEST(SnpVerifierTest, CachedChainSkipsChainVerificationButChecksValidity) {
  auto verifier = MakeVerifier();
  EXPECT_THAT(verifier->Verify(Virtee(), AuthenticityOnly(VcekTime())), IsOk());
  EXPECT_EQ(verifier->ChainVerificationsForTest(), 1u);
  EXPECT_THAT(verifier->Verify(Virtee(), AuthenticityOnly(VcekTime())), IsOk());
  EXPECT_EQ(verifier->ChainVerificationsForTest(), 1u);
  // The VCEK is valid 2023-04-03T19:23:43Z to 2030-04-03T19:23:43Z.
  EXPECT_THAT(verifier->Verify(Virtee(), AuthenticityOnly(At("2030-04-03T19:23:44Z"))),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "snp: VCEK chain: certificate has expired (at "
                       "2030-04-03T19:23:44Z)"));
  EXPECT_THAT(verifier->Verify(Virtee(), AuthenticityOnly(At("2023-04-03T19:23:42Z"))),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "snp: VCEK chain: certificate is not yet valid (at "
                       "2023-04-03T19:23:42Z)"));
  EXPECT_EQ(verifier->ChainVerificationsForTest(), 1u);
  // A fresh verifier checks the window during chain verification as well.
  auto fresh = MakeVerifier();
  EXPECT_THAT(fresh->Verify(Virtee(), AuthenticityOnly(At("2030-04-03T19:23:44Z"))),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "snp: VCEK chain: certificate has expired (at "
                       "2030-04-03T19:23:44Z)"));
}

TEST(SnpVerifierTest, CacheIsBounded) {
  auto verifier = MakeVerifier({.allow_simulated = false, .cache_capacity = 1});
  Evidence trustee = SnpEvidence("milan-v2-trustee/report.bin", "milan-v2-trustee/vcek.der");
  EXPECT_THAT(verifier->Verify(Virtee(), AuthenticityOnly(VcekTime())), IsOk());
  EXPECT_THAT(verifier->Verify(trustee, AuthenticityOnly(VcekTime())), IsOk());
  EXPECT_THAT(verifier->Verify(Virtee(), AuthenticityOnly(VcekTime())), IsOk());
  EXPECT_EQ(verifier->ChainVerificationsForTest(), 3u);
}

TEST(SnpVerifierTest, ConcurrentVerificationsAgree) {
  auto verifier = MakeVerifier();
  Evidence e = Virtee();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (verifier->Verify(e, AuthenticityOnly(VcekTime())).ok()) {
          ok.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 20);
}

TEST(SnpVerifierTest, MatchingReferenceValuesPass) {
  auto verifier = MakeVerifier();
  CONCORD_ASSERT_OK_AND_ASSIGN(Claims claims,
                               verifier->Verify(Virtee(), WithReference({VirteeReference()})));
  EXPECT_EQ(claims.snp->matched_reference_value, 0u);
  // Any entry may match.
  SnpReferenceValues other = VirteeReference();
  other.measurement[0] ^= 1;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      claims, verifier->Verify(Virtee(), WithReference({other, VirteeReference()})));
  EXPECT_EQ(claims.snp->matched_reference_value, 1u);
}

TEST(SnpVerifierTest, ReferenceValueMismatchesNameTheCheck) {
  auto verifier = MakeVerifier();
  auto expect_denied = [&](const SnpReferenceValues& ref, const std::string& message) {
    EXPECT_THAT(verifier->Verify(Virtee(), WithReference({ref})),
                StatusIs(absl::StatusCode::kPermissionDenied, message));
  };
  SnpReferenceValues ref = VirteeReference();
  ref.measurement[47] ^= 0x80;
  expect_denied(ref, "snp: measurement does not match any reference value");

  ref = VirteeReference();
  ref.product = SnpProduct::kGenoa;
  expect_denied(ref,
                "snp: product Milan does not match the reference product Genoa "
                "(reference value 0)");

  ref = VirteeReference();
  ref.minimum_tcb.microcode = 116;
  expect_denied(ref,
                "snp: reported TCB bl=3 tee=0 snp=8 ucode=115 is below the minimum TCB "
                "bl=3 tee=0 snp=8 ucode=116 (reference value 0)");

  ref = VirteeReference();
  ref.minimum_tcb.snp = 9;
  expect_denied(ref,
                "snp: reported TCB bl=3 tee=0 snp=8 ucode=115 is below the minimum TCB "
                "bl=3 tee=0 snp=9 ucode=115 (reference value 0)");

  ref = VirteeReference();
  ref.allow_smt = false;
  expect_denied(ref,
                "snp: guest policy allows SMT, which the reference value forbids "
                "(reference value 0)");

  ref = VirteeReference();
  ref.minimum_abi_major = 1;
  ref.minimum_abi_minor = 51;
  expect_denied(ref,
                "snp: guest policy ABI 0.0 is below the minimum ABI 1.51 "
                "(reference value 0)");

  ref = VirteeReference();
  ref.vmpl = 1;
  expect_denied(ref, "snp: VMPL 0 does not match the reference VMPL 1 (reference value 0)");

  ref = VirteeReference();
  ref.allowed_chip_ids = {std::array<uint8_t, 64>{}};
  expect_denied(ref, "snp: CHIP_ID is not among the allowed chip IDs (reference value 0)");
  // The right chip ID passes.
  CONCORD_ASSERT_OK_AND_ASSIGN(SnpReport report, SnpReport::Parse(Virtee().report));
  ref.allowed_chip_ids.push_back(report.chip_id);
  EXPECT_THAT(verifier->Verify(Virtee(), WithReference({ref})), IsOk());
}

TEST(SnpVerifierTest, ClosestReferenceValueIsReported) {
  auto verifier = MakeVerifier();
  SnpReferenceValues wrong_product = VirteeReference();
  wrong_product.product = SnpProduct::kTurin;
  SnpReferenceValues wrong_vmpl = VirteeReference();
  wrong_vmpl.vmpl = 2;
  EXPECT_THAT(verifier->Verify(Virtee(), WithReference({wrong_product, wrong_vmpl})),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "snp: VMPL 0 does not match the reference VMPL 2 (reference "
                       "value 1)"));
}

TEST(SnpVerifierTest, NoReferenceValuesIsDenied) {
  auto verifier = MakeVerifier();
  EXPECT_THAT(
      verifier->Verify(Virtee(), WithReference({})),
      StatusIs(absl::StatusCode::kPermissionDenied, "snp: no reference values for this platform"));
}

TEST(SnpVerifierTest, VlekVectorMatchesVmplOneReference) {
  auto verifier = MakeVerifier();
  Evidence e = SnpEvidence("milan-v3-vlek-aws/report.bin", "milan-v3-vlek-aws/vlek.der");
  SnpReferenceValues ref = MilanReference(
      "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92"
      "c93c4e8c9af857f5ceeb5a493df2a570d"
      "7bf0",
      SnpTcb{.bootloader = 4, .tee = 0, .snp = 24, .microcode = 217}, 1);
  VerifyOptions o = WithReference({ref});
  o.at = VlekTime();
  EXPECT_THAT(verifier->Verify(e, o), IsOk());
  ref.vmpl = 0;
  o.reference_values.snp = {ref};
  EXPECT_THAT(verifier->Verify(e, o),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("VMPL 1 does not match")));
}

TEST(SnpVerifierTest, ExpectedReportAndHostDataAreEnforced) {
  auto verifier = MakeVerifier();
  CONCORD_ASSERT_OK_AND_ASSIGN(SnpReport report, SnpReport::Parse(Virtee().report));
  VerifyOptions o = WithReference({VirteeReference()});
  o.report_data = report.report_data;
  o.host_data = report.host_data;
  EXPECT_THAT(verifier->Verify(Virtee(), o), IsOk());
  (*o.report_data)[63] ^= 1;
  EXPECT_THAT(verifier->Verify(Virtee(), o),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "snp: report data does not match the expected value"));
  o.report_data = report.report_data;
  (*o.host_data)[0] ^= 1;
  EXPECT_THAT(verifier->Verify(Virtee(), o),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "snp: host data does not match the expected value"));
}

TEST(SnpVerifierTest, RejectsMalformedEvidenceAndOptions) {
  auto verifier = MakeVerifier();
  Evidence e = Virtee();
  VerifyOptions no_time;
  no_time.check_reference_values = false;
  EXPECT_THAT(verifier->Verify(e, no_time),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("verification time")));

  Evidence tdx = e;
  tdx.platform = Platform::kTdx;
  EXPECT_THAT(verifier->Verify(tdx, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tdx")));

  Evidence short_report = e;
  short_report.report.pop_back();
  EXPECT_THAT(
      verifier->Verify(short_report, AuthenticityOnly(VcekTime())),
      StatusIs(absl::StatusCode::kInvalidArgument, "snp report: want 1184 bytes, got 1183"));

  Evidence no_certs = e;
  no_certs.certs.clear();
  EXPECT_THAT(verifier->Verify(no_certs, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snp: evidence certificates: want 1 to 4 (VCEK or VLEK "
                       "first), got 0"));

  Evidence deep = e;
  deep.certs.assign(5, e.certs[0]);
  EXPECT_THAT(verifier->Verify(deep, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snp: evidence certificates: want 1 to 4 (VCEK or VLEK "
                       "first), got 5"));

  Evidence oversized = e;
  oversized.certs.push_back(Bytes(kMaxEvidenceCertSize + 1, 0x30));
  EXPECT_THAT(verifier->Verify(oversized, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snp: evidence certificate 1: want 1 to 16384 bytes, got 16385"));

  Evidence garbage = e;
  garbage.certs = {ToBytes("not a certificate")};
  EXPECT_THAT(verifier->Verify(garbage, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("snp: VCEK")));

  // An RSA certificate (the ARK) in the VCEK's place.
  Evidence rsa_leaf = e;
  rsa_leaf.certs = {ReadTestdata("attestation/snp/certs/milan/ark.pem")};
  EXPECT_THAT(
      verifier->Verify(rsa_leaf, AuthenticityOnly(VcekTime())),
      StatusIs(absl::StatusCode::kInvalidArgument, "snp: VCEK public key is not ECDSA P-384"));
}

TEST(SnpVerifierTest, VlekFlagWithVcekFailsTheChain) {
  // Flip SIGNING_KEY to VLEK: the VCEK is then checked against the ASVK.
  auto verifier = MakeVerifier();
  Evidence e = Virtee();
  e.report[0x48] = 1 << 2;
  EXPECT_THAT(verifier->Verify(e, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("snp: VLEK chain: ")));
}

TEST(SnpVerifierTest, SimulatedEvidenceRejectedWhenDisabled) {
  auto verifier = MakeVerifier();
  Evidence e = Virtee();
  e.platform = Platform::kSimulated;
  EXPECT_THAT(verifier->Verify(e, AuthenticityOnly(VcekTime())),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("simulated evidence is not accepted by this verifier")));
}

TEST(AmdRootsTest, CompiledInRootsHaveTheirFingerprints) {
  for (SnpProduct p : {SnpProduct::kMilan, SnpProduct::kGenoa, SnpProduct::kTurin}) {
    CONCORD_ASSERT_OK_AND_ASSIGN(const AmdRootCerts* roots, GetAmdRoots(p));
    EXPECT_NE(roots->ark, nullptr);
    EXPECT_NE(roots->ask, nullptr);
    EXPECT_NE(roots->asvk, nullptr);
  }
}

}  // namespace
}  // namespace concord::attest
