#include "concord/attester/snp_cert_table.h"

#include "concord/attest/evidence.h"
#include "concord/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attester {
namespace {

using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

void PutU32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

TEST(SnpCertTableTest, RoundTripsAndSkipsUnknownGuids) {
  const Guid other = {1, 2, 3};
  Bytes t = BuildSnpCertTable({{kSnpVcekGuid, Bytes(10, 0xa1)},
                               {other, Bytes(5, 0xee)},
                               {kSnpAskGuid, Bytes(7, 0xa2)},
                               {kSnpArkGuid, Bytes(8, 0xa3)},
                               {kSnpVlekGuid, Bytes(9, 0xa4)}});
  t.resize(t.size() + 100, 0);  // page padding after the certificates
  CONCORD_ASSERT_OK_AND_ASSIGN(SnpCertTable table, ParseSnpCertTable(t));
  EXPECT_EQ(table.vcek, Bytes(10, 0xa1));
  EXPECT_EQ(table.ask, Bytes(7, 0xa2));
  EXPECT_EQ(table.ark, Bytes(8, 0xa3));
  EXPECT_EQ(table.vlek, Bytes(9, 0xa4));
}

TEST(SnpCertTableTest, EmptyInputAndBareTerminatorAreEmptyTables) {
  CONCORD_ASSERT_OK_AND_ASSIGN(SnpCertTable a, ParseSnpCertTable({}));
  EXPECT_FALSE(a.vcek.has_value());
  CONCORD_ASSERT_OK_AND_ASSIGN(SnpCertTable b, ParseSnpCertTable(Bytes(4096, 0)));
  EXPECT_FALSE(b.vcek.has_value());
}

TEST(SnpCertTableTest, MalformedTablesAreRejectedWithTheReason) {
  const Bytes good = BuildSnpCertTable({{kSnpVcekGuid, Bytes(10, 0xa1)}});
  Bytes no_term(good.begin(), good.begin() + 30);
  EXPECT_THAT(ParseSnpCertTable(no_term),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no all-zero terminator")));

  Bytes bad_term = good;
  bad_term[24 + 16] = 1;  // terminator offset
  EXPECT_THAT(ParseSnpCertTable(bad_term),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("zero GUID with a non-zero offset or length")));

  Bytes past_end = good;
  PutU32(past_end, 20, 11);  // length one past the buffer
  EXPECT_THAT(ParseSnpCertTable(past_end),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("entry 0: certificate at [48, 59) is outside [48, 58)")));

  Bytes overlapping = good;
  PutU32(overlapping, 16, 0);  // the certificate would be the table itself
  EXPECT_THAT(ParseSnpCertTable(overlapping),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is outside")));

  Bytes zero_len = good;
  PutU32(zero_len, 20, 0);
  EXPECT_THAT(ParseSnpCertTable(zero_len),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zero-length")));

  const Bytes dup = BuildSnpCertTable({{kSnpVcekGuid, Bytes(3, 1)}, {kSnpVcekGuid, Bytes(3, 2)}});
  EXPECT_THAT(ParseSnpCertTable(dup),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));

  EXPECT_THAT(ParseSnpCertTable(Bytes(kSnpCertTableMaxSize + 1, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want at most 32768")));

  const Bytes huge =
      BuildSnpCertTable({{kSnpVcekGuid, Bytes(attest::kMaxEvidenceCertSize + 1, 0x30)}});
  EXPECT_THAT(ParseSnpCertTable(huge),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want at most 16384")));
}

TEST(SnpCertTableTest, TooManyEntriesAreRejected) {
  std::vector<std::pair<Guid, Bytes>> entries;
  for (size_t i = 0; i <= kSnpCertTableMaxEntries; ++i) {
    Guid g{};
    g[0] = static_cast<uint8_t>(i + 1);
    g[1] = static_cast<uint8_t>((i + 1) >> 8);
    entries.push_back({g, Bytes(1, 0x30)});
  }
  EXPECT_THAT(ParseSnpCertTable(BuildSnpCertTable(entries)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 64 entries")));
}

}  // namespace
}  // namespace concord::attester
