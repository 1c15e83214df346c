// The per-request authorization rule (DESIGN §5a) on hand-built claims: every
// field the rule reads is varied on its own, so a check that is dropped or
// weakened fails here.
#include "concord/coordinator/authorization.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/crypto/hash.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::coordinator {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

std::array<uint8_t, 48> Filled48(uint8_t v) {
  std::array<uint8_t, 48> a{};
  a.fill(v);
  return a;
}

attest::ReferenceValues TdxRefs(const attest::TdxReferenceValues& ref) {
  attest::ReferenceValues out;
  out.tdx = {ref};
  return out;
}
attest::ReferenceValues SnpRefs(const attest::SnpReferenceValues& ref) {
  attest::ReferenceValues out;
  out.snp = {ref};
  return out;
}
attest::ReferenceValues SimulatedRefs(const attest::SimulatedReferenceValues& ref) {
  attest::ReferenceValues out;
  out.simulated = {ref};
  return out;
}

// A launch config whose own policy hash is `own`, with `refs`.
LaunchConfig Launch(const manifest::PolicyHash& own, attest::ReferenceValues refs) {
  LaunchConfig launch;
  launch.platforms.snp = true;
  launch.platforms.tdx = true;
  launch.policy_hash = own;
  launch.reference_values = std::move(refs);
  return launch;
}

const manifest::PolicyHash kOwn = crypto::Sha256(AsBytes("coordinator launch config"));
const manifest::PolicyHash kUpgrade = crypto::Sha256(AsBytes("next coordinator launch config"));
const manifest::PolicyHash kOther = crypto::Sha256(AsBytes("some workload"));

// TDX claims of a genuine-looking coordinator TD under `kOwn`.
attest::Claims TdxPeer(const manifest::PolicyHash& policy = kOwn) {
  attest::Claims claims;
  claims.platform = attest::Platform::kTdx;
  claims.product = "TDX";
  attest::TdxClaims& tdx = claims.tdx.emplace();
  attest::TdxReportBody& body = tdx.quote.body;
  body.mrtd = Filled48(0x10);
  for (size_t i = 0; i < 4; ++i) {
    body.rtmr[i] = Filled48(static_cast<uint8_t>(0x20 + i));
  }
  body.mrseam = Filled48(0x30);
  body.xfam = {0xe7, 0x02, 0x06, 0, 0, 0, 0, 0};
  body.td_attributes = {0, 0, 0, 0x10, 0, 0, 0, 0};
  std::copy(policy.begin(), policy.end(), body.mrconfigid.begin());
  tdx.tcb_status = attest::TdxTcbStatus::kUpToDate;
  tdx.tcb_evaluation_data_number = 17;
  claims.measurement.assign(body.mrtd.begin(), body.mrtd.end());
  claims.host_data.assign(policy.begin(), policy.end());
  return claims;
}

attest::TdxReferenceValues TdxCoordinatorValues() {
  const attest::Claims peer = TdxPeer();
  const attest::TdxReportBody& body = peer.tdx->quote.body;
  attest::TdxReferenceValues ref;
  ref.mrtd = body.mrtd;
  for (size_t i = 0; i < 4; ++i) {
    ref.rtmr[i] = body.rtmr[i];
  }
  ref.mrseam = body.mrseam;
  ref.xfam = body.xfam;
  ref.td_attributes = body.td_attributes;
  ref.minimum_tcb_evaluation_number = 17;
  return ref;
}

attest::Claims SnpPeer(const manifest::PolicyHash& policy = kOwn) {
  attest::Claims claims;
  claims.platform = attest::Platform::kSnp;
  claims.product = "Genoa";
  attest::SnpClaims& snp = claims.snp.emplace();
  snp.product = attest::SnpProduct::kGenoa;
  snp.report.measurement = Filled48(0x44);
  snp.report.vmpl = 0;
  snp.report.policy = 0x30000;  // SMT allowed, reserved bit, ABI 0.0
  std::copy(policy.begin(), policy.end(), snp.report.host_data.begin());
  snp.reported_tcb = attest::SnpTcb{.bootloader = 9, .tee = 0, .snp = 21, .microcode = 72};
  claims.measurement.assign(snp.report.measurement.begin(), snp.report.measurement.end());
  claims.host_data.assign(policy.begin(), policy.end());
  return claims;
}

attest::SnpReferenceValues SnpCoordinatorValues() {
  attest::SnpReferenceValues ref;
  ref.product = attest::SnpProduct::kGenoa;
  ref.measurement = Filled48(0x44);
  ref.minimum_tcb = attest::SnpTcb{.bootloader = 9, .tee = 0, .snp = 21, .microcode = 72};
  ref.vmpl = 0;
  return ref;
}

TEST(PeerIdentityTest, TdxPeerMatchingEveryFieldIsAccepted) {
  const LaunchConfig launch = Launch(kOwn, TdxRefs(TdxCoordinatorValues()));
  EXPECT_THAT(CheckPeerIdentity(TdxPeer(), launch), IsOk());
}

// The finding behind the rule: the genuine firmware (same MRTD) with an
// attacker's kernel or command line differs only in an RTMR.
TEST(PeerIdentityTest, TdxPeerDifferingInOneRtmrIsRefused) {
  const LaunchConfig launch = Launch(kOwn, TdxRefs(TdxCoordinatorValues()));
  for (size_t i = 0; i < 4; ++i) {
    attest::Claims peer = TdxPeer();
    peer.tdx->quote.body.rtmr[i][47] ^= 0x01;
    EXPECT_THAT(CheckPeerIdentity(peer, launch),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr(absl::StrCat("RTMR", i, " does not match"))))
        << "RTMR" << i;
  }
}

TEST(PeerIdentityTest, TdxPeerDifferingInSeamXfamAttributesOrTcbIsRefused) {
  const LaunchConfig launch = Launch(kOwn, TdxRefs(TdxCoordinatorValues()));
  attest::Claims seam = TdxPeer();
  seam.tdx->quote.body.mrseam[0] ^= 1;
  EXPECT_THAT(CheckPeerIdentity(seam, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("MRSEAM")));
  attest::Claims xfam = TdxPeer();
  xfam.tdx->quote.body.xfam[1] ^= 1;
  EXPECT_THAT(CheckPeerIdentity(xfam, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("XFAM")));
  attest::Claims attributes = TdxPeer();
  attributes.tdx->quote.body.td_attributes[3] ^= 0x10;
  EXPECT_THAT(CheckPeerIdentity(attributes, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("TD attributes")));
  attest::Claims old_tcb = TdxPeer();
  old_tcb.tdx->tcb_evaluation_data_number = 16;
  EXPECT_THAT(CheckPeerIdentity(old_tcb, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("evaluation")));
  attest::Claims out_of_date = TdxPeer();
  out_of_date.tdx->tcb_status = attest::TdxTcbStatus::kOutOfDate;
  EXPECT_THAT(CheckPeerIdentity(out_of_date, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("TCB status")));
}

TEST(PeerIdentityTest, SnpPeerIsCheckedOnMeasurementTcbPolicyAndVmpl) {
  const LaunchConfig launch = Launch(kOwn, SnpRefs(SnpCoordinatorValues()));
  EXPECT_THAT(CheckPeerIdentity(SnpPeer(), launch), IsOk());

  attest::Claims measurement = SnpPeer();
  measurement.snp->report.measurement[5] ^= 1;
  EXPECT_THAT(CheckPeerIdentity(measurement, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("measurement")));
  attest::Claims tcb = SnpPeer();
  tcb.snp->reported_tcb.snp = 20;
  EXPECT_THAT(CheckPeerIdentity(tcb, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("minimum TCB")));
  attest::Claims vmpl = SnpPeer();
  vmpl.snp->report.vmpl = 1;
  EXPECT_THAT(CheckPeerIdentity(vmpl, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("VMPL")));
  attest::SnpReferenceValues no_smt = SnpCoordinatorValues();
  no_smt.allow_smt = false;
  EXPECT_THAT(CheckPeerIdentity(SnpPeer(), Launch(kOwn, SnpRefs(no_smt))),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("SMT")));
}

// A newer TCB than the reference is fine: the replica's own TCB is never
// the floor, only the launch config's minimum.
TEST(PeerIdentityTest, SnpPeerOnNewerFirmwareIsAccepted) {
  const LaunchConfig launch = Launch(kOwn, SnpRefs(SnpCoordinatorValues()));
  attest::Claims newer = SnpPeer();
  newer.snp->reported_tcb.microcode = 80;
  EXPECT_THAT(CheckPeerIdentity(newer, launch), IsOk());
}

TEST(PeerIdentityTest, SimulatedPeerMustCarryThePinnedArk) {
  attest::SimulatedReferenceValues ref;
  ref.ark_spki_sha256 = crypto::Sha256(AsBytes("the deployment's simulated ARK"));
  ref.measurement = Filled48(0x55);
  LaunchConfig launch = Launch(kOwn, SimulatedRefs(ref));
  attest::Claims peer;
  peer.platform = attest::Platform::kSimulated;
  attest::SnpClaims& snp = peer.snp.emplace();
  snp.report.measurement = ref.measurement;
  snp.root_spki_sha256 = ref.ark_spki_sha256;
  peer.host_data.assign(kOwn.begin(), kOwn.end());
  EXPECT_THAT(CheckPeerIdentity(peer, launch), IsOk());
  // An attacker's own simulated host: same measurement, another ARK.
  peer.snp->root_spki_sha256[0] ^= 1;
  EXPECT_THAT(CheckPeerIdentity(peer, launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ARK")));
}

TEST(PeerIdentityTest, PolicyHashMustBeOwnOrARecoveryPolicy) {
  LaunchConfig launch = Launch(kOwn, TdxRefs(TdxCoordinatorValues()));
  EXPECT_THAT(CheckPeerIdentity(TdxPeer(kUpgrade), launch),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(HexEncode(kUpgrade))));
  launch.recovery_policies = {kUpgrade};
  EXPECT_THAT(CheckPeerIdentity(TdxPeer(kUpgrade), launch), IsOk());
  EXPECT_THAT(CheckPeerIdentity(TdxPeer(kOther), launch),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PeerIdentityTest, NoReferenceValuesRecognisesNoPeer) {
  EXPECT_THAT(CheckPeerIdentity(TdxPeer(), Launch(kOwn, attest::ReferenceValues{})),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no ReferenceValues")));
}

// A manifest with the coordinator policy kOwn and the workload kOther, both
// under the TDX reference values of TdxCoordinatorValues().
manifest::Manifest TdxManifest(const attest::TdxReferenceValues& ref) {
  std::string rtmrs;
  for (size_t i = 0; i < 4; ++i) {
    absl::StrAppend(&rtmrs, "\"RTMR", i, "\":\"", HexEncode(*ref.rtmr[i]), "\",");
  }
  const std::string json =
      absl::StrCat(R"({"Version":1,"Policies":{")", HexEncode(kOwn),
                   R"(":{"Name":"coordinator","Role":"coordinator","SANs":["coordinator"]},")",
                   HexEncode(kOther), R"(":{"Name":"web","SANs":["web"]}},)",
                   R"("ReferenceValues":{"tdx":[{"MRTD":")", HexEncode(ref.mrtd), R"(",)", rtmrs,
                   R"("MRSEAM":")", HexEncode(*ref.mrseam), R"(","XFAM":")", HexEncode(ref.xfam),
                   R"(","TDAttributes":")", HexEncode(ref.td_attributes),
                   R"(","MinimumTCBEvaluationNumber":17}]},)",
                   R"("WorkloadOwnerKeys":[],"SeedshareOwnerKeys":[]})");
  absl::StatusOr<manifest::Manifest> m = manifest::Manifest::Parse(AsBytes(json));
  EXPECT_TRUE(m.ok()) << m.status() << "\n" << json;
  return *std::move(m);
}

TEST(AuthorizeMeshCallerTest, IssuanceNeedsAListedPolicyAndItsReferenceValues) {
  const manifest::Manifest m = TdxManifest(TdxCoordinatorValues());
  absl::StatusOr<const manifest::PolicyEntry*> web =
      AuthorizeMeshCaller(MeshOperation::kIssueCertificate, TdxPeer(kOther), m, 3);
  ASSERT_THAT(web, IsOk());
  EXPECT_EQ((*web)->name, "web");

  // Authentic evidence naming a listed policy is not enough.
  attest::Claims kernel = TdxPeer(kOther);
  kernel.tdx->quote.body.rtmr[2][0] ^= 1;
  EXPECT_THAT(AuthorizeMeshCaller(MeshOperation::kIssueCertificate, kernel, m, 3),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("mesh certificate: policy \"web\" (generation 3): tdx: RTMR2")));
  const manifest::PolicyHash unlisted = crypto::Sha256(AsBytes("unlisted"));
  EXPECT_THAT(AuthorizeMeshCaller(MeshOperation::kIssueCertificate, TdxPeer(unlisted), m, 3),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is not in the manifest")));
  attest::Claims short_host_data = TdxPeer(kOther);
  short_host_data.host_data.resize(20);
  EXPECT_THAT(AuthorizeMeshCaller(MeshOperation::kIssueCertificate, short_host_data, m, 3),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AuthorizeMeshCallerTest, PeerOperationsNeedACoordinatorPolicyOnFullEvidence) {
  const manifest::Manifest m = TdxManifest(TdxCoordinatorValues());
  for (MeshOperation op : {MeshOperation::kPeerRecovery, MeshOperation::kPeerHead}) {
    EXPECT_THAT(AuthorizeMeshCaller(op, TdxPeer(kOwn), m, 3), IsOk());
    // A workload of the manifest is not a peer.
    EXPECT_THAT(
        AuthorizeMeshCaller(op, TdxPeer(kOther), m, 3),
        StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is not a coordinator policy")));
    // A coordinator policy, but evidence that fails its reference values
    // (the genuine firmware with another kernel).
    attest::Claims kernel = TdxPeer(kOwn);
    kernel.tdx->quote.body.rtmr[1][0] ^= 1;
    EXPECT_THAT(AuthorizeMeshCaller(op, kernel, m, 3),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("RTMR1")));
  }
}

}  // namespace
}  // namespace concord::coordinator
