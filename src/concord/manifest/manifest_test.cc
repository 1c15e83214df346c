#include "concord/manifest/manifest.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::manifest {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using Json = nlohmann::ordered_json;

constexpr char kCoordinatorHash[] =
    "1111111111111111111111111111111111111111111111111111111111111111";
constexpr char kWebHash[] = "2222222222222222222222222222222222222222222222222222222222222222";

std::string Hex(const crypto::PublicKey& k) { return HexEncode(k.spki_der()); }

PolicyHash HashFromHex(absl::string_view hex) {
  absl::StatusOr<PolicyHash> h = ParsePolicyHash(hex);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : PolicyHash{};
}

absl::StatusOr<Manifest> ParseString(const std::string& s) { return Manifest::Parse(AsBytes(s)); }
absl::StatusOr<Manifest> ParseJson(const Json& j) { return ParseString(j.dump()); }

class ManifestTest : public ::testing::Test {
 protected:
  struct Keys {
    crypto::PrivateKey ec256;
    crypto::PrivateKey ec384;
    crypto::PrivateKey rsa_a;
    crypto::PrivateKey rsa_b;
  };

  // RSA generation is slow: once per suite.
  static void SetUpTestSuite() {
    auto ec256 = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
    auto ec384 = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
    auto rsa_a = crypto::PrivateKey::GenerateRsa(2048);
    auto rsa_b = crypto::PrivateKey::GenerateRsa(2048);
    ASSERT_TRUE(ec256.ok() && ec384.ok() && rsa_a.ok() && rsa_b.ok());
    keys_ = new Keys{*std::move(ec256), *std::move(ec384), *std::move(rsa_a), *std::move(rsa_b)};
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }

  static const Keys& keys() { return *keys_; }

  // A small valid manifest exercising every kind of field once.
  static Json Base() {
    Json j = Json::object();
    j["Version"] = 1;
    j["Policies"] = Json::object();
    j["Policies"][kCoordinatorHash] = {
        {"Name", "coordinator"}, {"SANs", {"coordinator.example.com"}}, {"Role", "coordinator"}};
    j["Policies"][kWebHash] = {
        {"Name", "web"},
        {"SANs", {"web.example.com", "10.1.2.3", "spiffe://example.com/web"}},
        {"WorkloadSecretID", "web"}};
    j["ReferenceValues"]["snp"] = Json::array({Json{
        {"Product", "Milan"},
        {"Measurement", std::string(96, 'a')},
        {"MinimumTCB",
         {{"BootloaderVersion", 3},
          {"TEEVersion", 0},
          {"SNPVersion", 8},
          {"MicrocodeVersion", 115}}},
    }});
    j["ReferenceValues"]["tdx"] = Json::array({Json{
        {"MRTD", std::string(96, 'b')},
        {"XFAM", "e702060000000000"},
        {"TDAttributes", "0000001000000000"},
    }});
    j["WorkloadOwnerKeys"] = {Hex(keys().ec256.public_key()), Hex(keys().ec384.public_key())};
    j["SeedshareOwnerKeys"] = {Hex(keys().rsa_a.public_key())};
    return j;
  }

  static Json SimulatedBase() {
    Json j = Base();
    j["ReferenceValues"] = {
        {"simulated", Json::array({Json{{"ARKHash", std::string(64, 'c')},
                                        {"Measurement", std::string(96, 'd')}}})}};
    return j;
  }

  static Manifest MustParse(const Json& j) {
    absl::StatusOr<Manifest> m = ParseJson(j);
    EXPECT_TRUE(m.ok()) << m.status();
    return *std::move(m);
  }

 private:
  static Keys* keys_;
};

ManifestTest::Keys* ManifestTest::keys_ = nullptr;

TEST_F(ManifestTest, BaseManifestParses) {
  absl::StatusOr<Manifest> m = ParseJson(Base());
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->version(), 1);
  EXPECT_EQ(m->policies().size(), 2u);
  EXPECT_THAT(m->CoordinatorPolicies(), ElementsAre(HashFromHex(kCoordinatorHash)));
}

TEST_F(ManifestTest, FullTestdataManifestParsesIntoReferenceValueStructs) {
  Bytes bytes = testing::ReadTestdata("manifest/full.json");
  CONCORD_ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(bytes));
  EXPECT_EQ(m.version(), 1);
  ASSERT_EQ(m.policies().size(), 3u);

  const PolicyHash coordinator =
      HashFromHex("a6b0967eeb7b2f40ea3005713e8a011ac67b244d3c448e6862bca1833e2be651");
  // Written in upper case in the file: normalized to the same bytes.
  const PolicyHash web =
      HashFromHex("64886c61a4f96b694c0416c8e294bc2c8189d1928ee1cef43973dc65dcf4de88");
  const PolicyHash db =
      HashFromHex("b0cb9a877aca34b5fe5ff7db4d955bfb5471b8d279370c61b186cd65a7ba0a90");
  EXPECT_THAT(m.CoordinatorPolicies(), ElementsAre(coordinator));

  const PolicyEntry* w = m.FindPolicy(web);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->name, "web frontend");
  EXPECT_THAT(w->sans, ElementsAre("web.example.com", "*.web.example.com",
                                   "spiffe://example.com/ns/shop/sa/web", "2001:db8::10"));
  EXPECT_EQ(w->workload_secret_id, "web-frontend.v1");
  EXPECT_EQ(w->role, PolicyRole::kWorkload);
  EXPECT_FALSE(w->reference_values.has_value());
  const PolicyEntry* d = m.FindPolicy(db);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->role, PolicyRole::kWorkload);
  EXPECT_EQ(m.FindPolicy(HashFromHex(std::string(64, '0'))), nullptr);

  const attest::ReferenceValues& rv = m.reference_values();
  ASSERT_EQ(rv.snp.size(), 2u);
  EXPECT_EQ(rv.snp[0].product, attest::SnpProduct::kGenoa);
  EXPECT_EQ(HexEncode(rv.snp[0].measurement),
            "c57729018b0a6fb90dc17bb138b0aa35e4401004283ff4a2c24d3739ff3750f52384370e77b7032862a0"
            "8c440a9bc4dc");
  EXPECT_EQ(rv.snp[0].minimum_tcb, (attest::SnpTcb{10, 0, 25, 84, 0}));
  EXPECT_TRUE(rv.snp[0].allow_smt);
  EXPECT_EQ(rv.snp[0].minimum_abi_major, 1);
  EXPECT_EQ(rv.snp[0].minimum_abi_minor, 55);
  EXPECT_EQ(rv.snp[1].product, attest::SnpProduct::kTurin);
  EXPECT_EQ(rv.snp[1].minimum_tcb, (attest::SnpTcb{1, 0, 2, 71, 0}));
  EXPECT_FALSE(rv.snp[1].allow_smt);
  EXPECT_EQ(rv.snp[1].vmpl, 2u);
  ASSERT_EQ(rv.snp[1].allowed_chip_ids.size(), 1u);
  EXPECT_EQ(rv.snp[1].allowed_chip_ids[0][0], 0x3b);

  ASSERT_EQ(rv.tdx.size(), 1u);
  const attest::TdxReferenceValues& tdx = rv.tdx[0];
  EXPECT_EQ(HexEncode(tdx.mrtd).substr(0, 8), "91eb2b44");
  ASSERT_TRUE(tdx.rtmr[0].has_value());
  EXPECT_EQ(HexEncode(*tdx.rtmr[0]).substr(0, 8), "44c0197b");
  EXPECT_FALSE(tdx.rtmr[1].has_value());
  EXPECT_FALSE(tdx.rtmr[3].has_value());
  ASSERT_TRUE(tdx.mrseam.has_value());
  EXPECT_EQ(HexEncode(tdx.xfam), "e702060000000000");
  EXPECT_EQ(HexEncode(tdx.td_attributes), "0000001000000000");
  EXPECT_EQ(tdx.minimum_tcb_evaluation_number, 17u);
  EXPECT_THAT(tdx.accepted_tcb_statuses, ElementsAre(attest::TdxTcbStatus::kUpToDate,
                                                     attest::TdxTcbStatus::kSwHardeningNeeded));
  ASSERT_EQ(tdx.allowed_piids.size(), 1u);
  EXPECT_EQ(HexEncode(tdx.allowed_piids[0]), "0f1e2d3c4b5a69788796a5b4c3d2e1f0");

  // Per-policy override replaces the global values; others get the global.
  attest::ReferenceValues coord_rv = m.ReferenceValuesFor(coordinator);
  EXPECT_EQ(coord_rv.snp.size(), 1u);
  EXPECT_TRUE(coord_rv.tdx.empty());
  EXPECT_EQ(m.ReferenceValuesFor(web), rv);
  EXPECT_EQ(m.ReferenceValuesFor(HashFromHex(std::string(64, 'f'))), rv);

  ASSERT_EQ(m.workload_owner_keys().size(), 2u);
  EXPECT_EQ(m.workload_owner_keys()[0].type(), crypto::KeyType::kEcP256);
  EXPECT_EQ(m.workload_owner_keys()[1].type(), crypto::KeyType::kEcP384);
  ASSERT_EQ(m.seedshare_owner_keys().size(), 2u);
  EXPECT_EQ(m.seedshare_owner_keys()[0].type(), crypto::KeyType::kRsa);
  EXPECT_TRUE(m.IsWorkloadOwner(m.workload_owner_keys()[1]));
  EXPECT_FALSE(m.IsWorkloadOwner(m.seedshare_owner_keys()[0]));
  EXPECT_TRUE(m.IsSeedshareOwner(m.seedshare_owner_keys()[1]));
  EXPECT_FALSE(m.IsSeedshareOwner(m.workload_owner_keys()[0]));
  EXPECT_FALSE(m.UsesSimulated());
}

TEST_F(ManifestTest, SimulatedTestdataManifestParses) {
  Bytes bytes = testing::ReadTestdata("manifest/simulated.json");
  CONCORD_ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(bytes));
  EXPECT_TRUE(m.UsesSimulated());
  ASSERT_EQ(m.reference_values().simulated.size(), 1u);
  EXPECT_TRUE(m.reference_values().snp.empty());
  EXPECT_TRUE(m.seedshare_owner_keys().empty());
  EXPECT_EQ(m.workload_owner_keys().size(), 1u);
}

TEST_F(ManifestTest, HashIsSha256OfExactBytes) {
  Bytes bytes = testing::ReadTestdata("manifest/full.json");
  CONCORD_ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(bytes));
  EXPECT_EQ(m.bytes(), bytes);
  EXPECT_EQ(m.hash(), crypto::Sha256(bytes));

  // Insignificant whitespace changes the hash but not the content.
  Bytes spaced = bytes;
  spaced.push_back('\n');
  CONCORD_ASSERT_OK_AND_ASSIGN(Manifest m2, Manifest::Parse(spaced));
  EXPECT_NE(m2.hash(), m.hash());
  EXPECT_EQ(m2.hash(), crypto::Sha256(spaced));
  EXPECT_EQ(m2.policies(), m.policies());
}

TEST_F(ManifestTest, SerializeRoundTripsAndIsCanonical) {
  for (const char* file : {"manifest/full.json", "manifest/simulated.json"}) {
    SCOPED_TRACE(file);
    Bytes bytes = testing::ReadTestdata(file);
    CONCORD_ASSERT_OK_AND_ASSIGN(Manifest m, Manifest::Parse(bytes));
    std::string canonical = m.Serialize();
    EXPECT_LE(canonical.size(), bytes.size());
    CONCORD_ASSERT_OK_AND_ASSIGN(Manifest again, ParseString(canonical));
    EXPECT_EQ(again.version(), m.version());
    EXPECT_EQ(again.policies(), m.policies());
    EXPECT_EQ(again.reference_values(), m.reference_values());
    ASSERT_EQ(again.workload_owner_keys().size(), m.workload_owner_keys().size());
    for (size_t i = 0; i < m.workload_owner_keys().size(); ++i) {
      EXPECT_EQ(again.workload_owner_keys()[i].spki_der(), m.workload_owner_keys()[i].spki_der());
    }
    EXPECT_THAT(ValidateUpdate(m, again), IsOk());
    // Canonical form is a fixed point.
    EXPECT_EQ(again.Serialize(), canonical);
    EXPECT_EQ(again.hash(), crypto::Sha256(AsBytes(canonical)));
  }
}

TEST_F(ManifestTest, SerializeUsesDocumentedOrderAndOmitsDefaults) {
  Manifest m = MustParse(Base());
  std::string s = m.Serialize();
  EXPECT_THAT(s, StartsWith("{\"Version\":1,\"Policies\":{\"1111"));
  EXPECT_THAT(s, HasSubstr("\"ReferenceValues\":{\"snp\":[{\"Product\":\"Milan\""));
  EXPECT_THAT(s, ::testing::Not(HasSubstr("AcceptedTCBStatuses")));
  EXPECT_THAT(s, ::testing::Not(HasSubstr("GuestPolicy")));
  EXPECT_THAT(s, ::testing::Not(HasSubstr("\"workload\"")));
  EXPECT_THAT(s, HasSubstr("\"Role\":\"coordinator\""));
}

TEST_F(ManifestTest, DefaultsApplyWhenOptionalFieldsAreAbsent) {
  Manifest m = MustParse(Base());
  const attest::SnpReferenceValues& snp = m.reference_values().snp[0];
  EXPECT_TRUE(snp.allow_smt);
  EXPECT_EQ(snp.minimum_abi_major, 0);
  EXPECT_EQ(snp.vmpl, 0u);
  EXPECT_TRUE(snp.allowed_chip_ids.empty());
  const attest::TdxReferenceValues& tdx = m.reference_values().tdx[0];
  EXPECT_THAT(tdx.accepted_tcb_statuses, ElementsAre(attest::TdxTcbStatus::kUpToDate));
  EXPECT_FALSE(tdx.mrseam.has_value());
  EXPECT_EQ(tdx.minimum_tcb_evaluation_number, 0u);
  EXPECT_EQ(m.FindPolicy(HashFromHex(kWebHash))->role, PolicyRole::kWorkload);
  EXPECT_FALSE(m.FindPolicy(HashFromHex(kCoordinatorHash))->workload_secret_id.has_value());
}

TEST_F(ManifestTest, GlobalReferenceValuesMayBeEmptyWhenEveryPolicyHasItsOwn) {
  Json j = Base();
  Json rv = j["ReferenceValues"];
  j["ReferenceValues"] = Json::object();
  j["Policies"][kCoordinatorHash]["ReferenceValues"] = rv;
  j["Policies"][kWebHash]["ReferenceValues"] = rv;
  Manifest m = MustParse(j);
  EXPECT_TRUE(m.reference_values().empty());
  EXPECT_EQ(m.ReferenceValuesFor(HashFromHex(kWebHash)).tdx.size(), 1u);
}

TEST_F(ManifestTest, EmptyWorkloadOwnerKeysAreAccepted) {
  Json j = Base();
  j["WorkloadOwnerKeys"] = Json::array();
  j["SeedshareOwnerKeys"] = Json::array();
  Manifest m = MustParse(j);
  EXPECT_TRUE(m.workload_owner_keys().empty());
  EXPECT_FALSE(m.IsWorkloadOwner(keys().ec256.public_key()));
}

TEST_F(ManifestTest, UsesSimulatedSeesPerPolicyOverrides) {
  Json j = SimulatedBase();
  Json sim = j["ReferenceValues"];
  j["ReferenceValues"] = Json::object();
  j["Policies"][kCoordinatorHash]["ReferenceValues"] = sim;
  j["Policies"][kWebHash]["ReferenceValues"] = sim;
  EXPECT_TRUE(MustParse(j).UsesSimulated());
}

// ---------------------------------------------------------------------------
// Rejections: one case per rule, asserting code and message.

struct MutationCase {
  std::string name;
  std::function<void(Json&)> mutate;
  std::string message;  // exact
};

std::string PolicyPath(absl::string_view hash, absl::string_view field) {
  return absl::StrCat("Policies.", hash, ".", field);
}

TEST_F(ManifestTest, RejectsInvalidFieldsWithExactMessages) {
  const std::string rsa_hex = Hex(keys().rsa_a.public_key());
  const std::string ec_hex = Hex(keys().ec256.public_key());
  const std::vector<MutationCase> cases = {
      {"VersionString", [](Json& j) { j["Version"] = "x"; },
       "Version: want an integer 1, got \"x\""},
      {"VersionTooNew", [](Json& j) { j["Version"] = 2; }, "Version: want an integer 1, got 2"},
      {"VersionZero", [](Json& j) { j["Version"] = 0; }, "Version: want an integer 1, got 0"},
      {"VersionFloat", [](Json& j) { j["Version"] = 1.5; }, "Version: want an integer 1, got 1.5"},
      {"VersionMissing", [](Json& j) { j.erase("Version"); }, "Version: required field missing"},
      {"UnknownTopLevelField", [](Json& j) { j["RecoveryThreshold"] = 2; },
       "RecoveryThreshold: unknown field, want one of Version, Policies, ReferenceValues, "
       "WorkloadOwnerKeys, SeedshareOwnerKeys"},
      {"UnknownPolicyField", [](Json& j) { j["Policies"][kWebHash]["Secret"] = "x"; },
       PolicyPath(kWebHash,
                  "Secret: unknown field, want one of Name, SANs, WorkloadSecretID, "
                  "Role, ReferenceValues")},
      {"UnknownSnpFieldDebug",
       [](Json& j) {
         j["ReferenceValues"]["snp"][0]["GuestPolicy"] = {{"Debug", true}};
       },
       "ReferenceValues.snp[0].GuestPolicy.Debug: unknown field, want one of SMT, "
       "MinimumABIMajor, MinimumABIMinor"},
      {"UnknownPlatform", [](Json& j) { j["ReferenceValues"]["sgx"] = Json::array(); },
       "ReferenceValues.sgx: unknown field, want one of snp, tdx, simulated"},
      {"PoliciesMissing", [](Json& j) { j.erase("Policies"); }, "Policies: required field missing"},
      {"PoliciesNotObject", [](Json& j) { j["Policies"] = Json::array(); },
       "Policies: want an object, got an array"},
      {"ReferenceValuesMissing", [](Json& j) { j.erase("ReferenceValues"); },
       "ReferenceValues: required field missing"},
      {"WorkloadOwnerKeysMissing", [](Json& j) { j.erase("WorkloadOwnerKeys"); },
       "WorkloadOwnerKeys: required field missing"},
      {"SeedshareOwnerKeysMissing", [](Json& j) { j.erase("SeedshareOwnerKeys"); },
       "SeedshareOwnerKeys: required field missing"},
      // Policy hashes.
      {"PolicyHashShort",
       [](Json& j) { j["Policies"][std::string(63, 'a')] = j["Policies"][kWebHash]; },
       absl::StrCat("Policies.", std::string(63, 'a'), ": want 64 hex characters, got 63")},
      {"PolicyHashNotHex",
       [](Json& j) { j["Policies"][std::string(64, 'g')] = j["Policies"][kWebHash]; },
       absl::StrCat("Policies.", std::string(64, 'g'),
                    ": want hex characters, got a non-hex character at offset 0")},
      {"PolicyHashDuplicateByCase",
       [](Json& j) {
         j["Policies"][std::string(64, 'A')] = j["Policies"][kWebHash];
         j["Policies"][std::string(64, 'a')] = j["Policies"][kWebHash];
       },
       absl::StrCat("Policies.", std::string(64, 'a'),
                    ": duplicate policy hash (keys differ only in letter case)")},
      {"PolicyNotObject", [](Json& j) { j["Policies"][kWebHash] = "web"; },
       absl::StrCat("Policies.", kWebHash, ": want an object, got \"web\"")},
      // Names, SANs, secret IDs, roles.
      {"NameMissing", [](Json& j) { j["Policies"][kWebHash].erase("Name"); },
       PolicyPath(kWebHash, "Name: required field missing")},
      {"NameEmpty", [](Json& j) { j["Policies"][kWebHash]["Name"] = ""; },
       PolicyPath(kWebHash, "Name: want 1 to 128 printable ASCII characters, got \"\"")},
      {"NameTooLong", [](Json& j) { j["Policies"][kWebHash]["Name"] = std::string(129, 'n'); },
       PolicyPath(kWebHash, absl::StrCat("Name: want 1 to 128 printable ASCII characters, got \"",
                                         std::string(32, 'n'), "...\""))},
      {"NameControlChar", [](Json& j) { j["Policies"][kWebHash]["Name"] = "a\tb"; },
       PolicyPath(kWebHash, "Name: want 1 to 128 printable ASCII characters, got \"a\\x09b\"")},
      {"SansMissing", [](Json& j) { j["Policies"][kWebHash].erase("SANs"); },
       PolicyPath(kWebHash, "SANs: required field missing")},
      {"SanInvalid", [](Json& j) { j["Policies"][kWebHash]["SANs"][2] = "not a name"; },
       PolicyPath(kWebHash, "SANs[2]: want a DNS name, IP address or URI, got \"not a name\"")},
      {"SanEchoTruncated",
       [](Json& j) { j["Policies"][kWebHash]["SANs"][0] = std::string(300, '_'); },
       PolicyPath(kWebHash, absl::StrCat("SANs[0]: want a DNS name, IP address or URI, got \"",
                                         std::string(32, '_'), "...\""))},
      {"SanNotString", [](Json& j) { j["Policies"][kWebHash]["SANs"][1] = 7; },
       PolicyPath(kWebHash, "SANs[1]: want a DNS name, IP address or URI, got 7")},
      {"SanDuplicateIgnoringCase",
       [](Json& j) { j["Policies"][kWebHash]["SANs"].push_back("WEB.example.com"); },
       PolicyPath(kWebHash,
                  "SANs[3]: duplicate of Policies." + std::string(kWebHash) + ".SANs[0]")},
      {"SecretIdBadChar", [](Json& j) { j["Policies"][kWebHash]["WorkloadSecretID"] = "a/b"; },
       PolicyPath(kWebHash,
                  "WorkloadSecretID: want 1 to 128 characters of [A-Za-z0-9._-], got \"a/b\"")},
      {"SecretIdTooLong",
       [](Json& j) { j["Policies"][kWebHash]["WorkloadSecretID"] = std::string(129, 's'); },
       PolicyPath(kWebHash,
                  absl::StrCat("WorkloadSecretID: want 1 to 128 characters of [A-Za-z0-9._-], "
                               "got \"",
                               std::string(32, 's'), "...\""))},
      {"RoleUnknown", [](Json& j) { j["Policies"][kWebHash]["Role"] = "admin"; },
       PolicyPath(kWebHash, "Role: want \"workload\" or \"coordinator\", got \"admin\"")},
      {"NoCoordinatorPolicy", [](Json& j) { j["Policies"][kCoordinatorHash]["Role"] = "workload"; },
       "Policies: want at least one policy with Role \"coordinator\", got none"},
      {"NoPolicies", [](Json& j) { j["Policies"] = Json::object(); },
       "Policies: want at least one policy with Role \"coordinator\", got none"},
      {"PolicyOverrideEmpty",
       [](Json& j) { j["Policies"][kWebHash]["ReferenceValues"] = Json::object(); },
       PolicyPath(kWebHash,
                  "ReferenceValues: want at least one entry in snp, tdx or simulated, got none")},
      {"NoReferenceValuesForPolicy", [](Json& j) { j["ReferenceValues"] = Json::object(); },
       absl::StrCat("Policies.", kCoordinatorHash,
                    ": want reference values, got none (ReferenceValues is empty and the "
                    "policy has no ReferenceValues of its own)")},
      // SNP.
      {"SnpMeasurementShort",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["Measurement"] = std::string(95, 'a'); },
       "ReferenceValues.snp[0].Measurement: want 96 hex characters, got 95"},
      {"SnpMeasurementNotHex",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["Measurement"] = std::string(95, 'a') + "z"; },
       "ReferenceValues.snp[0].Measurement: want hex characters, got a non-hex character at "
       "offset 95"},
      {"SnpMeasurementNotString",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["Measurement"] = 5; },
       "ReferenceValues.snp[0].Measurement: want a string of 96 hex characters, got 5"},
      {"SnpProductUnknown", [](Json& j) { j["ReferenceValues"]["snp"][0]["Product"] = "Rome"; },
       "ReferenceValues.snp[0].Product: want \"Milan\", \"Genoa\" or \"Turin\", got \"Rome\""},
      {"SnpTcbMissing", [](Json& j) { j["ReferenceValues"]["snp"][0].erase("MinimumTCB"); },
       "ReferenceValues.snp[0].MinimumTCB: required field missing"},
      {"SnpTcbComponentMissing",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["MinimumTCB"].erase("SNPVersion"); },
       "ReferenceValues.snp[0].MinimumTCB.SNPVersion: required field missing"},
      {"SnpTcbOutOfRange",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["MinimumTCB"]["MicrocodeVersion"] = 256; },
       "ReferenceValues.snp[0].MinimumTCB.MicrocodeVersion: want an integer from 0 to 255, got "
       "256"},
      {"SnpTcbNegative",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["MinimumTCB"]["TEEVersion"] = -1; },
       "ReferenceValues.snp[0].MinimumTCB.TEEVersion: want an integer from 0 to 255, got -1"},
      {"SnpFmcOnMilan",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["MinimumTCB"]["FMCVersion"] = 1; },
       "ReferenceValues.snp[0].MinimumTCB.FMCVersion: want no FMCVersion for product Milan "
       "(Turin only)"},
      {"SnpFmcMissingOnTurin", [](Json& j) { j["ReferenceValues"]["snp"][0]["Product"] = "Turin"; },
       "ReferenceValues.snp[0].MinimumTCB.FMCVersion: required field missing"},
      {"SnpSmtNotBool",
       [](Json& j) {
         j["ReferenceValues"]["snp"][0]["GuestPolicy"] = {{"SMT", 1}};
       },
       "ReferenceValues.snp[0].GuestPolicy.SMT: want true or false, got 1"},
      {"SnpVmplOutOfRange", [](Json& j) { j["ReferenceValues"]["snp"][0]["VMPL"] = 4; },
       "ReferenceValues.snp[0].VMPL: want an integer from 0 to 3, got 4"},
      {"SnpChipIdShort",
       [](Json& j) { j["ReferenceValues"]["snp"][0]["AllowedChipIDs"] = {std::string(126, '1')}; },
       "ReferenceValues.snp[0].AllowedChipIDs[0]: want 128 hex characters, got 126"},
      {"SnpChipIdDuplicate",
       [](Json& j) {
         j["ReferenceValues"]["snp"][0]["AllowedChipIDs"] = {
             std::string(128, '1'), std::string(128, '2'), std::string(128, '1')};
       },
       "ReferenceValues.snp[0].AllowedChipIDs[2]: duplicate of "
       "ReferenceValues.snp[0].AllowedChipIDs[0]"},
      {"SnpListNotArray", [](Json& j) { j["ReferenceValues"]["snp"] = Json::object(); },
       "ReferenceValues.snp: want an array, got an object"},
      {"SnpEntryNotObject", [](Json& j) { j["ReferenceValues"]["snp"][0] = nullptr; },
       "ReferenceValues.snp[0]: want an object, got null"},
      // TDX.
      {"TdxMrtdMissing", [](Json& j) { j["ReferenceValues"]["tdx"][0].erase("MRTD"); },
       "ReferenceValues.tdx[0].MRTD: required field missing"},
      {"TdxRtmrLong",
       [](Json& j) { j["ReferenceValues"]["tdx"][0]["RTMR2"] = std::string(98, '0'); },
       "ReferenceValues.tdx[0].RTMR2: want 96 hex characters, got 98"},
      {"TdxMrseamShort",
       [](Json& j) { j["ReferenceValues"]["tdx"][0]["MRSEAM"] = std::string(64, '0'); },
       "ReferenceValues.tdx[0].MRSEAM: want 96 hex characters, got 64"},
      {"TdxXfamMissing", [](Json& j) { j["ReferenceValues"]["tdx"][0].erase("XFAM"); },
       "ReferenceValues.tdx[0].XFAM: required field missing"},
      {"TdxDebugBit",
       [](Json& j) { j["ReferenceValues"]["tdx"][0]["TDAttributes"] = "0100001000000000"; },
       "ReferenceValues.tdx[0].TDAttributes: want the DEBUG bit (bit 0 of the first byte) "
       "clear, got 0100001000000000"},
      {"TdxEvaluationNumberTooLarge",
       [](Json& j) {
         j["ReferenceValues"]["tdx"][0]["MinimumTCBEvaluationNumber"] = 4294967296ULL;
       },
       "ReferenceValues.tdx[0].MinimumTCBEvaluationNumber: want an integer from 0 to "
       "4294967295, got 4294967296"},
      {"TdxRevokedAccepted",
       [](Json& j) {
         j["ReferenceValues"]["tdx"][0]["AcceptedTCBStatuses"] = {"UpToDate", "Revoked"};
       },
       "ReferenceValues.tdx[0].AcceptedTCBStatuses[1]: want a status other than Revoked (never "
       "acceptable)"},
      {"TdxUnknownStatus",
       [](Json& j) { j["ReferenceValues"]["tdx"][0]["AcceptedTCBStatuses"] = {"uptodate"}; },
       "ReferenceValues.tdx[0].AcceptedTCBStatuses[0]: want one of UpToDate, SWHardeningNeeded, "
       "ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, "
       "OutOfDateConfigurationNeeded, got \"uptodate\""},
      {"TdxNoStatuses",
       [](Json& j) { j["ReferenceValues"]["tdx"][0]["AcceptedTCBStatuses"] = Json::array(); },
       "ReferenceValues.tdx[0].AcceptedTCBStatuses: want at least one status, got none"},
      {"TdxDuplicateStatus",
       [](Json& j) {
         j["ReferenceValues"]["tdx"][0]["AcceptedTCBStatuses"] = {"OutOfDate", "OutOfDate"};
       },
       "ReferenceValues.tdx[0].AcceptedTCBStatuses[1]: duplicate of "
       "ReferenceValues.tdx[0].AcceptedTCBStatuses[0]"},
      {"TdxPiidWrongLength",
       [](Json& j) { j["ReferenceValues"]["tdx"][0]["AllowedPIIDs"] = {std::string(30, 'e')}; },
       "ReferenceValues.tdx[0].AllowedPIIDs[0]: want 32 hex characters, got 30"},
      // Simulated.
      {"SimulatedArkHashShort",
       [](Json& j) {
         j["ReferenceValues"] = {
             {"simulated", Json::array({Json{{"ARKHash", std::string(62, 'c')},
                                             {"Measurement", std::string(96, 'd')}}})}};
       },
       "ReferenceValues.simulated[0].ARKHash: want 64 hex characters, got 62"},
      {"SimulatedMixedWithSnpGlobally",
       [](Json& j) {
         j["ReferenceValues"]["simulated"] = Json::array(
             {Json{{"ARKHash", std::string(64, 'c')}, {"Measurement", std::string(96, 'd')}}});
       },
       "ReferenceValues.simulated: want no simulated reference values in a manifest with snp "
       "or tdx ones, got both (see ReferenceValues.snp)"},
      {"SimulatedMixedViaPolicyOverride",
       [](Json& j) {
         j["Policies"][kWebHash]["ReferenceValues"]["simulated"] = Json::array(
             {Json{{"ARKHash", std::string(64, 'c')}, {"Measurement", std::string(96, 'd')}}});
       },
       PolicyPath(kWebHash,
                  "ReferenceValues.simulated: want no simulated reference values in a manifest "
                  "with snp or tdx ones, got both (see ReferenceValues.snp)")},
      // Keys.
      {"OwnerKeyIsRsa", [rsa_hex](Json& j) { j["WorkloadOwnerKeys"][0] = rsa_hex; },
       "WorkloadOwnerKeys[0]: want an ECDSA P-256 or P-384 key, got RSA"},
      {"SeedshareKeyIsEc", [ec_hex](Json& j) { j["SeedshareOwnerKeys"][0] = ec_hex; },
       "SeedshareOwnerKeys[0]: want an RSA key of at least 2048 bits, got ECDSA P-256"},
      {"OwnerKeyDuplicate", [ec_hex](Json& j) { j["WorkloadOwnerKeys"].push_back(ec_hex); },
       "WorkloadOwnerKeys[2]: duplicate of WorkloadOwnerKeys[0]"},
      {"SeedshareKeyDuplicate", [rsa_hex](Json& j) { j["SeedshareOwnerKeys"].push_back(rsa_hex); },
       "SeedshareOwnerKeys[1]: duplicate of SeedshareOwnerKeys[0]"},
      {"OwnerKeyNotHex", [](Json& j) { j["WorkloadOwnerKeys"][1] = "zz"; },
       "WorkloadOwnerKeys[1]: want hex characters, got a non-hex character at offset 0"},
      {"OwnerKeyOddHex", [](Json& j) { j["WorkloadOwnerKeys"][1] = "abc"; },
       "WorkloadOwnerKeys[1]: want an even number of hex characters, got 3"},
      {"OwnerKeyEmpty", [](Json& j) { j["WorkloadOwnerKeys"][1] = ""; },
       "WorkloadOwnerKeys[1]: want 2 to 8192 hex characters, got 0"},
      {"OwnerKeyNotString", [](Json& j) { j["WorkloadOwnerKeys"][0] = Json::object(); },
       "WorkloadOwnerKeys[0]: want a hex DER SubjectPublicKeyInfo, got an object"},
      {"KeyListNotArray", [ec_hex](Json& j) { j["WorkloadOwnerKeys"] = ec_hex; },
       absl::StrCat("WorkloadOwnerKeys: want an array, got \"", ec_hex.substr(0, 32), "...\"")},
  };
  for (const MutationCase& c : cases) {
    SCOPED_TRACE(c.name);
    Json j = Base();
    c.mutate(j);
    EXPECT_THAT(ParseJson(j), StatusIs(absl::StatusCode::kInvalidArgument, Eq(c.message)));
  }
}

TEST_F(ManifestTest, RejectsKeysThatAreNotSpki) {
  const std::string ec_hex = Hex(keys().ec256.public_key());
  const std::vector<std::string> bad = {
      "3000",                               // empty SEQUENCE
      ec_hex.substr(0, ec_hex.size() - 2),  // truncated
      ec_hex + "00",                        // trailing byte
      std::string(200, '0'),
  };
  for (const std::string& hex : bad) {
    SCOPED_TRACE(hex);
    Json j = Base();
    j["WorkloadOwnerKeys"][0] = hex;
    EXPECT_THAT(ParseJson(j),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         StartsWith("WorkloadOwnerKeys[0]: want a valid DER "
                                    "SubjectPublicKeyInfo, got an invalid key (public key: ")));
  }
  // Flipping one bit of the EC point makes it leave the curve.
  std::string tampered = ec_hex;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  Json j = Base();
  j["WorkloadOwnerKeys"][0] = tampered;
  EXPECT_THAT(ParseJson(j), StatusIs(absl::StatusCode::kInvalidArgument,
                                     StartsWith("WorkloadOwnerKeys[0]: want a valid DER")));
}

TEST_F(ManifestTest, AcceptsUpperCaseHexKeys) {
  Json j = Base();
  std::string upper = Hex(keys().ec384.public_key());
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  j["WorkloadOwnerKeys"][1] = upper;
  Manifest m = MustParse(j);
  EXPECT_TRUE(m.IsWorkloadOwner(keys().ec384.public_key()));
}

struct RawCase {
  std::string name;
  std::string text;
  std::string message;  // prefix
};

TEST_F(ManifestTest, RejectsMalformedDocuments) {
  const std::vector<RawCase> cases = {
      {"Empty", "", "manifest: invalid JSON at line 1, column 1 (byte offset 0): "},
      {"TopLevelArray", "[]", "manifest: want a JSON object at the top level, got an array"},
      {"TopLevelString", "\"x\"", "manifest: want a JSON object at the top level, got \"x\""},
      {"TopLevelNumber", " 3 ", "manifest: want a JSON object at the top level, got 3"},
      {"InvalidJsonReportsLine", "{\n  \"Version\": 1,\n  \"Policies\": x\n}",
       "manifest: invalid JSON at line 3, column 15 (byte offset 32): syntax error while parsing "
       "value - invalid literal"},
      {"TrailingGarbage", "{\"Version\":1} x",
       "manifest: invalid JSON at line 1, column 15 (byte offset 14): syntax error while parsing "
       "value - invalid literal"},
      {"TwoDocuments", "{\"Version\":1}{}",
       "manifest: invalid JSON at line 1, column 14 (byte offset 13): syntax error while parsing "
       "value - unexpected '{'; expected end of input"},
      {"InvalidUtf8InString", "{\"Version\":1,\"x\":\"\xff\"}",
       "manifest: invalid JSON at line 1, column 19 (byte offset 18): syntax error while parsing "
       "value - invalid string: ill-formed UTF-8 byte"},
      {"Utf8Surrogate", "{\"x\":\"\xed\xa0\x80\"}", "manifest: invalid JSON at line 1"},
      {"OverlongUtf8", "{\"x\":\"\xc0\xaf\"}", "manifest: invalid JSON at line 1"},
      {"UnpairedEscapedSurrogate", "{\"x\":\"\\ud800\"}", "manifest: invalid JSON at line 1"},
      {"ByteOrderMark", "\xef\xbb\xbf{}",
       "manifest: invalid JSON at line 1, column 1 (byte offset 0): want no byte order mark"},
      {"Comment", "{/* c */}", "manifest: invalid JSON at line 1"},
      {"DuplicateTopLevelKey", "{\"Version\":1,\"Version\":1}", "Version: duplicate key"},
      {"DuplicateKeyEscaped", "{\"Version\":1,\"Versio\\u006e\":1}", "Version: duplicate key"},
      {"DuplicateNestedKey",
       "{\"Version\":1,\"Policies\":{\"" + std::string(kWebHash) +
           "\":{\"Name\":\"a\",\"Name\":\"b\"}}}",
       absl::StrCat("Policies.", kWebHash, ".Name: duplicate key")},
      {"DuplicateKeyInArrayElement", "{\"ReferenceValues\":{\"snp\":[{},{\"VMPL\":0,\"VMPL\":1}]}}",
       "ReferenceValues.snp[1].VMPL: duplicate key"},
      {"DuplicateOddKeyIsQuoted", "{\"a b\":1,\"a b\":2}", "\"a b\": duplicate key"},
      {"TooDeep", "{\"a\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}",
       "a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: want at most 16 levels of nesting"},
  };
  for (const RawCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseString(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(c.message)));
  }
}

TEST_F(ManifestTest, RejectsVeryDeepNestingWithoutRecursion) {
  std::string deep(200000, '[');
  EXPECT_THAT(ParseString(deep), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("want at most 16 levels of nesting")));
}

TEST_F(ManifestTest, RejectsOversizeInputBeforeParsing) {
  // Not even JSON: the size check comes first.
  std::string big(kMaxManifestSize + 1, '{');
  EXPECT_THAT(ParseString(big), StatusIs(absl::StatusCode::kInvalidArgument,
                                         Eq("manifest: want at most 524288 bytes, got 524289")));
  // A valid manifest padded to exactly the limit is still accepted.
  std::string text = Base().dump();
  text.append(kMaxManifestSize - text.size(), ' ');
  EXPECT_THAT(ParseString(text), IsOk());
  text.push_back(' ');
  EXPECT_THAT(ParseString(text), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ManifestTest, EveryTruncationOfTheFullManifestIsRejected) {
  Bytes bytes = testing::ReadTestdata("manifest/full.json");
  // Whitespace at the end is insignificant; everything shorter than the
  // closing brace must fail cleanly.
  size_t last_brace = bytes.size();
  while (last_brace > 0 && bytes[last_brace - 1] != '}') {
    --last_brace;
  }
  for (size_t n = 0; n + 1 < last_brace; n += 7) {
    EXPECT_THAT(Manifest::Parse(ByteView(bytes.data(), n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << n;
  }
}

// ---------------------------------------------------------------------------
// ValidateUpdate.

TEST_F(ManifestTest, UpdateWithSameSeedshareKeysIsAccepted) {
  Manifest prev = MustParse(Base());
  Json j = Base();
  j["Policies"][kWebHash]["Name"] = "web v2";
  Manifest next = MustParse(j);
  EXPECT_THAT(ValidateUpdate(prev, next), IsOk());
}

TEST_F(ManifestTest, UpdateChangingSeedshareKeysIsRejected) {
  Manifest prev = MustParse(Base());
  const std::string a = Hex(keys().rsa_a.public_key());
  const std::string b = Hex(keys().rsa_b.public_key());
  const std::vector<Json> lists = {Json::array(), Json{b}, Json{a, b}};
  for (const Json& list : lists) {
    Json j = Base();
    j["SeedshareOwnerKeys"] = list;
    EXPECT_THAT(ValidateUpdate(prev, MustParse(j)),
                StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("SeedshareOwnerKeys: ")));
  }
}

TEST_F(ManifestTest, UpdateReorderingSeedshareKeysIsRejected) {
  const std::string a = Hex(keys().rsa_a.public_key());
  const std::string b = Hex(keys().rsa_b.public_key());
  Json j1 = Base();
  j1["SeedshareOwnerKeys"] = {a, b};
  Json j2 = Base();
  j2["SeedshareOwnerKeys"] = {b, a};
  EXPECT_THAT(ValidateUpdate(MustParse(j1), MustParse(j2)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ManifestTest, UpdateOfImmutableManifestFailsPrecondition) {
  Json j = Base();
  j["WorkloadOwnerKeys"] = Json::array();
  Manifest prev = MustParse(j);
  EXPECT_THAT(ValidateUpdate(prev, MustParse(Base())),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("WorkloadOwnerKeys")));
}

// ---------------------------------------------------------------------------
// ValidateForPlatforms.

TEST_F(ManifestTest, HardwareManifestAcceptedByMatchingCoordinator) {
  Manifest m = MustParse(Base());
  EXPECT_THAT(ValidateForPlatforms(m, {.snp = true, .tdx = true}), IsOk());
}

TEST_F(ManifestTest, PlatformNotAllowedIsRejected) {
  Manifest m = MustParse(Base());
  EXPECT_THAT(ValidateForPlatforms(m, {.snp = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("ReferenceValues.tdx: want reference values for the platforms this "
                          "coordinator allows (snp), got tdx")));
  EXPECT_THAT(ValidateForPlatforms(m, {.tdx = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition, StartsWith("ReferenceValues.snp:")));
  EXPECT_THAT(ValidateForPlatforms(m, {.simulated = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("ReferenceValues.snp: want reference values for the platforms this "
                          "coordinator allows (simulated), got snp")));
  EXPECT_THAT(ValidateForPlatforms(m, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("allows (none)")));
}

TEST_F(ManifestTest, PlatformInPolicyOverrideIsChecked) {
  Json j = Base();
  j["ReferenceValues"].erase("tdx");
  j["Policies"][kWebHash]["ReferenceValues"]["tdx"] = Base()["ReferenceValues"]["tdx"];
  Manifest m = MustParse(j);
  EXPECT_THAT(ValidateForPlatforms(m, {.snp = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       StartsWith(PolicyPath(kWebHash, "ReferenceValues.tdx: "))));
}

TEST_F(ManifestTest, SimulatedManifestNeedsSimulatedOnlyCoordinator) {
  Manifest m = MustParse(SimulatedBase());
  EXPECT_THAT(ValidateForPlatforms(m, {.simulated = true}), IsOk());
  EXPECT_THAT(ValidateForPlatforms(m, {.snp = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("ReferenceValues.simulated: want no simulated reference values on a "
                          "coordinator launched for snp or tdx, got simulated")));
  EXPECT_THAT(ValidateForPlatforms(m, {.tdx = true, .simulated = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ValidateForPlatforms(m, {}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ParsePolicyHashTest, AcceptsBothCasesAndRejectsWrongLength) {
  CONCORD_ASSERT_OK_AND_ASSIGN(PolicyHash lower, ParsePolicyHash(std::string(64, 'a')));
  CONCORD_ASSERT_OK_AND_ASSIGN(PolicyHash upper, ParsePolicyHash(std::string(64, 'A')));
  EXPECT_EQ(lower, upper);
  EXPECT_EQ(lower[0], 0xaa);
  EXPECT_THAT(
      ParsePolicyHash("abc", "policy"),
      StatusIs(absl::StatusCode::kInvalidArgument, Eq("policy: want 64 hex characters, got 3")));
}

}  // namespace
}  // namespace concord::manifest
