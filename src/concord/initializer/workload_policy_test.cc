#include "concord/initializer/workload_policy.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::initializer {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kCoordHash(64, 'a');
const std::string kOtherHash(64, 'b');
const std::string kArk(64, 'c');
const std::string kMeasurement(96, 'd');

std::string Doc(absl::string_view coordinator_extra = "", absl::string_view top_extra = "") {
  return absl::StrCat(R"({"Version": 1, "Kind": "workload", "Name": "web",)", top_extra,
                      R"( "Coordinator": {"PolicyHashes": [")", kCoordHash, R"("],)",
                      R"( "ReferenceValues": {"simulated": [{"ARKHash": ")", kArk,
                      R"(", "Measurement": ")", kMeasurement, R"("}]})", coordinator_extra, "}}");
}

absl::StatusOr<WorkloadPolicy> Parse(absl::string_view text) {
  return ParseWorkloadPolicy(AsBytes(text));
}

TEST(WorkloadPolicyTest, ParsesMinimalDocumentAndHashesItsExactBytes) {
  const std::string doc = Doc();
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadPolicy p, Parse(doc));
  EXPECT_EQ(p.name, "web");
  ASSERT_EQ(p.coordinator_policies.size(), 1u);
  EXPECT_EQ(HexEncode(ByteView(p.coordinator_policies[0])), kCoordHash);
  ASSERT_EQ(p.coordinator_reference_values.simulated.size(), 1u);
  EXPECT_EQ(HexEncode(ByteView(p.coordinator_reference_values.simulated[0].ark_spki_sha256)), kArk);
  EXPECT_FALSE(p.root_ca_spki_sha256.has_value());
  EXPECT_EQ(p.policy_hash, crypto::Sha256(AsBytes(doc)));
  // One more space is another document, another HOST_DATA.
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadPolicy q, Parse(doc + " "));
  EXPECT_NE(q.policy_hash, p.policy_hash);
}

TEST(WorkloadPolicyTest, ParsesRootPinAndSeveralCoordinatorPolicies) {
  std::string doc = Doc(absl::StrCat(R"(, "RootCaSpkiSha256": ")", std::string(64, 'E'), "\""));
  doc = absl::StrReplaceAll(doc, {{absl::StrCat("\"", kCoordHash, "\""),
                                   absl::StrCat("\"", kCoordHash, "\", \"", kOtherHash, "\"")}});
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadPolicy p, Parse(doc));
  EXPECT_EQ(p.coordinator_policies.size(), 2u);
  ASSERT_TRUE(p.root_ca_spki_sha256.has_value());
  EXPECT_EQ(HexEncode(ByteView(*p.root_ca_spki_sha256)), std::string(64, 'e'));
}

TEST(WorkloadPolicyTest, RejectsUnknownTopLevelField) {
  EXPECT_THAT(Parse(Doc("", R"( "Secret": 1,)")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Secret: unknown field")));
}

TEST(WorkloadPolicyTest, RejectsUnknownCoordinatorField) {
  EXPECT_THAT(Parse(Doc(R"(, "Address": "10.0.0.1")")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Coordinator.Address: unknown field")));
}

TEST(WorkloadPolicyTest, RejectsDuplicateKey) {
  EXPECT_THAT(Parse(Doc("", R"( "Name": "other",)")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate key")));
}

TEST(WorkloadPolicyTest, RejectsWrongKind) {
  std::string doc = absl::StrReplaceAll(Doc(), {{"\"workload\"", "\"coordinator\""}});
  EXPECT_THAT(Parse(doc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Kind: want \"workload\"")));
}

TEST(WorkloadPolicyTest, RejectsWrongVersion) {
  std::string doc = absl::StrReplaceAll(Doc(), {{"\"Version\": 1", "\"Version\": 2"}});
  EXPECT_THAT(Parse(doc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Version: want 1, got 2")));
}

TEST(WorkloadPolicyTest, RejectsShortPolicyHashNamingTheElement) {
  std::string doc = absl::StrReplaceAll(Doc(), {{kCoordHash, std::string(63, 'a')}});
  EXPECT_THAT(Parse(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("Coordinator.PolicyHashes[0]: want 64 hex "
                                             "characters, got 63")));
}

TEST(WorkloadPolicyTest, RejectsEmptyAndDuplicatePolicyHashes) {
  std::string empty = absl::StrReplaceAll(Doc(), {{absl::StrCat("\"", kCoordHash, "\""), ""}});
  EXPECT_THAT(Parse(empty), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("Coordinator.PolicyHashes: want 1 to")));
  std::string dup =
      absl::StrReplaceAll(Doc(), {{absl::StrCat("\"", kCoordHash, "\""),
                                   absl::StrCat("\"", kCoordHash, "\", \"", kCoordHash, "\"")}});
  EXPECT_THAT(Parse(dup), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("Coordinator.PolicyHashes[1]: duplicate")));
}

TEST(WorkloadPolicyTest, RejectsEmptyReferenceValues) {
  std::string doc = absl::StrCat(
      R"({"Version": 1, "Kind": "workload", "Name": "web", "Coordinator": {"PolicyHashes": [")",
      kCoordHash, R"("], "ReferenceValues": {}}})");
  EXPECT_THAT(Parse(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("Coordinator.ReferenceValues: want at least one")));
}

TEST(WorkloadPolicyTest, RejectsMalformedReferenceValuesNamingTheField) {
  std::string doc = absl::StrReplaceAll(Doc(), {{kMeasurement, std::string(95, 'd')}});
  EXPECT_THAT(Parse(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("Coordinator.ReferenceValues.simulated[0]")));
}

TEST(WorkloadPolicyTest, RejectsMissingCoordinator) {
  EXPECT_THAT(Parse(R"({"Version": 1, "Kind": "workload", "Name": "web"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Coordinator: required field missing")));
}

TEST(WorkloadPolicyTest, RejectsBadRootPinAndName) {
  EXPECT_THAT(
      Parse(Doc(R"(, "RootCaSpkiSha256": "xyz")")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Coordinator.RootCaSpkiSha256")));
  std::string doc = absl::StrReplaceAll(Doc(), {{"\"web\"", "\"\""}});
  EXPECT_THAT(Parse(doc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Name: want 1 to 128")));
}

TEST(WorkloadPolicyTest, RejectsNonJsonTrailingContentAndOversizedDocuments) {
  EXPECT_THAT(Parse("role: workload\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse(Doc() + "{}"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse(""), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string big = Doc() + std::string(kMaxWorkloadPolicySize, ' ');
  EXPECT_THAT(Parse(big),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want at most 262144 bytes")));
}

}  // namespace
}  // namespace concord::initializer
