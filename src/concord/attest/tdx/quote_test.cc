#include "concord/attest/tdx/quote.h"

#include "concord/common/hex.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::attest {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

Bytes Phala() { return testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat"); }

void PutU32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

TEST(TdxQuoteTest, V4WithZeroPaddingParsesTheDocumentedFields) {
  CONCORD_ASSERT_OK_AND_ASSIGN(TdxQuote q, TdxQuote::Parse(Phala()));
  EXPECT_EQ(q.version, 4);
  EXPECT_EQ(q.declared_length, 4936u);
  EXPECT_EQ(q.signed_bytes.size(), 632u);
  EXPECT_EQ(HexEncode(q.body.tee_tcb_svn), "06010300000000000000000000000000");
  EXPECT_EQ(HexEncode(q.body.mrtd),
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b"
            "2538873118b7");
  EXPECT_EQ(HexEncode(q.body.td_attributes), "0000001000000000");
  EXPECT_EQ(HexEncode(q.body.xfam), "e702060000000000");
  EXPECT_EQ(HexEncode(q.body.report_data).substr(0, 16), "9a9d48e7f6799642");
  EXPECT_EQ(q.qe_report.isvsvn, 6);
  EXPECT_EQ(q.qe_report.isvprodid, 2);
  EXPECT_EQ(HexEncode(q.qe_report.mrsigner),
            "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
  EXPECT_FALSE(q.body.debug());
  EXPECT_THAT(q.pck_chain_pem, HasSubstr("-----BEGIN CERTIFICATE-----"));
}

TEST(TdxQuoteTest, V5Tdx15BodyParses) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TdxQuote q,
      TdxQuote::Parse(testing::ReadTestdata("attestation/tdx/v5-90c06f/quote-phala-outdated.dat")));
  EXPECT_EQ(q.version, 5);
  EXPECT_EQ(q.body_type, 3);
  EXPECT_TRUE(q.body.is_tdx15);
  EXPECT_EQ(q.signed_bytes.size(), 702u);
  EXPECT_EQ(q.declared_length, 5006u);
  EXPECT_EQ(HexEncode(q.body.tee_tcb_svn2), "0d010300000000000000000000000000");
}

TEST(TdxQuoteTest, DebugVectorHasTheDebugBit) {
  CONCORD_ASSERT_OK_AND_ASSIGN(TdxQuote q,
                               TdxQuote::Parse(testing::ReadTestdata(
                                   "attestation/tdx/v4-50806f-gtg/quote-trustee-debug.dat")));
  EXPECT_TRUE(q.body.debug());
}

TEST(TdxQuoteTest, NonZeroTrailingBytesAreRejected) {
  Bytes spr = testing::ReadTestdata("attestation/tdx/v4-50806f-gtg/quote-spr-e4.dat");
  EXPECT_THAT(TdxQuote::Parse(spr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("39 bytes after the declared end (4935) are not zero padding")));
  spr.resize(4935);
  EXPECT_THAT(TdxQuote::Parse(spr).status(), IsOk());
  Bytes phala = Phala();
  phala.back() = 1;
  EXPECT_THAT(TdxQuote::Parse(phala).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing bytes")));
}

TEST(TdxQuoteTest, PaddingIsZeroAndBounded) {
  Bytes phala = Phala();
  ASSERT_EQ(phala.size(), 4936u + 70u);
  // The README's layout: 70 zero bytes after a 4936-byte quote.
  EXPECT_THAT(TdxQuote::Parse(phala).status(), IsOk());
  // Exact length (padding stripped) parses too.
  Bytes exact(phala.begin(), phala.begin() + 4936);
  EXPECT_THAT(TdxQuote::Parse(exact).status(), IsOk());
  // One non-zero byte in the middle of the padding.
  Bytes mid = phala;
  mid[4936 + 35] = 0x80;
  EXPECT_THAT(TdxQuote::Parse(mid).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("70 bytes after the declared end (4936) are not zero padding")));
  // The first byte after the declared end.
  Bytes first = phala;
  first[4936] = 0x01;
  EXPECT_THAT(TdxQuote::Parse(first).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not zero padding")));
  // Zero padding up to the bound is accepted, one more byte is not.
  Bytes most = exact;
  most.resize(4936 + kTdxMaxQuotePadding, 0);
  EXPECT_THAT(TdxQuote::Parse(most).status(), IsOk());
  most.push_back(0);
  EXPECT_THAT(TdxQuote::Parse(most).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("at most 1024 bytes of zero padding are accepted")));
}

TEST(TdxQuoteTest, HeaderFieldsAreChecked) {
  Bytes q = Phala();
  q[0] = 3;
  EXPECT_THAT(TdxQuote::Parse(q).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("header version: want 4 or 5, got 3")));
  q = Phala();
  q[2] = 3;
  EXPECT_THAT(TdxQuote::Parse(q).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("attestation key type")));
  q = Phala();
  q[4] = 0;
  EXPECT_THAT(TdxQuote::Parse(q).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TEE type: want 0x81")));
  q = Phala();
  q[12] ^= 1;
  EXPECT_THAT(TdxQuote::Parse(q).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("QE vendor id")));
}

TEST(TdxQuoteTest, LengthsAreChecked) {
  Bytes q = Phala();
  PutU32(q, 632, 100000);
  EXPECT_THAT(TdxQuote::Parse(q).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature data length")));
  q = Phala();
  q[764] = 5;  // certification data type
  EXPECT_THAT(TdxQuote::Parse(q).status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                                    HasSubstr("certification data type: want 6")));
  q = Phala();
  q[766] ^= 1;  // certification data size
  EXPECT_THAT(TdxQuote::Parse(q).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("certification data size")));
  for (size_t n : {0, 10, 47, 48, 631, 700, 1000, 4935}) {
    Bytes t = Phala();
    t.resize(n);
    EXPECT_THAT(TdxQuote::Parse(t).status(), StatusIs(absl::StatusCode::kInvalidArgument)) << n;
  }
  Bytes big(kTdxMaxQuoteSize + 1, 0);
  EXPECT_THAT(TdxQuote::Parse(big).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size")));
}

TEST(TdxQuoteTest, V5BodyTypeAndSizeAreChecked) {
  Bytes q = testing::ReadTestdata("attestation/tdx/v5-90c06f/quote-phala-outdated.dat");
  Bytes t = q;
  t[48] = 1;
  EXPECT_THAT(TdxQuote::Parse(t).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body type")));
  t = q;
  PutU32(t, 50, 584);
  EXPECT_THAT(TdxQuote::Parse(t).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body size")));
}

}  // namespace
}  // namespace concord::attest
