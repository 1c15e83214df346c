#include "concord/attest/tdx/quote.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"

namespace concord::attest {
namespace {

constexpr uint16_t kCertDataQeReport = 6;
constexpr uint16_t kCertDataPckChain = 5;
constexpr uint16_t kBodyTypeTdx10 = 2;
constexpr uint16_t kBodyTypeTdx15 = 3;

absl::Status Err(absl::string_view field, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("tdx quote: ", field, ": ", detail));
}

// A bounds-checked little-endian reader over the quote.
class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  absl::Status Need(size_t n, absl::string_view field) const {
    if (remaining() < n) {
      return Err(field, absl::StrCat("want ", n, " bytes at offset ", pos_, ", only ", remaining(),
                                     " remain"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<uint16_t> U16(absl::string_view field) {
    if (absl::Status s = Need(2, field); !s.ok()) {
      return s;
    }
    uint16_t v = static_cast<uint16_t>(data_[pos_] | data_[pos_ + 1] << 8);
    pos_ += 2;
    return v;
  }
  absl::StatusOr<uint32_t> U32(absl::string_view field) {
    if (absl::Status s = Need(4, field); !s.ok()) {
      return s;
    }
    uint32_t v = static_cast<uint32_t>(data_[pos_]) | static_cast<uint32_t>(data_[pos_ + 1]) << 8 |
                 static_cast<uint32_t>(data_[pos_ + 2]) << 16 |
                 static_cast<uint32_t>(data_[pos_ + 3]) << 24;
    pos_ += 4;
    return v;
  }
  template <size_t N>
  absl::Status Fixed(std::array<uint8_t, N>& out, absl::string_view field) {
    if (absl::Status s = Need(N, field); !s.ok()) {
      return s;
    }
    std::copy(data_.begin() + pos_, data_.begin() + pos_ + N, out.begin());
    pos_ += N;
    return absl::OkStatus();
  }
  absl::StatusOr<ByteView> Take(size_t n, absl::string_view field) {
    if (absl::Status s = Need(n, field); !s.ok()) {
      return s;
    }
    ByteView out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

absl::Status ParseBody(Reader& r, bool tdx15, TdxReportBody& b) {
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.tee_tcb_svn, "TEE_TCB_SVN"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.mrseam, "MRSEAM"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.mrsignerseam, "MRSIGNERSEAM"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.seam_attributes, "SEAMATTRIBUTES"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.td_attributes, "TDATTRIBUTES"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.xfam, "XFAM"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.mrtd, "MRTD"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.mrconfigid, "MRCONFIGID"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.mrowner, "MROWNER"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.mrownerconfig, "MROWNERCONFIG"));
  for (size_t i = 0; i < 4; ++i) {
    CONCORD_RETURN_IF_ERROR(r.Fixed(b.rtmr[i], absl::StrCat("RTMR", i)));
  }
  CONCORD_RETURN_IF_ERROR(r.Fixed(b.report_data, "REPORTDATA"));
  b.is_tdx15 = tdx15;
  if (tdx15) {
    CONCORD_RETURN_IF_ERROR(r.Fixed(b.tee_tcb_svn2, "TEE_TCB_SVN2"));
    CONCORD_RETURN_IF_ERROR(r.Fixed(b.mrservicetd, "MRSERVICETD"));
  }
  return absl::OkStatus();
}

absl::Status ParseQeReport(Reader& r, SgxReportBody& q) {
  CONCORD_RETURN_IF_ERROR(r.Fixed(q.cpusvn, "QE report CPUSVN"));
  CONCORD_ASSIGN_OR_RETURN(q.miscselect, r.U32("QE report MISCSELECT"));
  CONCORD_RETURN_IF_ERROR(r.Take(28, "QE report reserved").status());
  CONCORD_RETURN_IF_ERROR(r.Fixed(q.attributes, "QE report ATTRIBUTES"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(q.mrenclave, "QE report MRENCLAVE"));
  CONCORD_RETURN_IF_ERROR(r.Take(32, "QE report reserved").status());
  CONCORD_RETURN_IF_ERROR(r.Fixed(q.mrsigner, "QE report MRSIGNER"));
  CONCORD_RETURN_IF_ERROR(r.Take(96, "QE report reserved").status());
  CONCORD_ASSIGN_OR_RETURN(q.isvprodid, r.U16("QE report ISVPRODID"));
  CONCORD_ASSIGN_OR_RETURN(q.isvsvn, r.U16("QE report ISVSVN"));
  CONCORD_RETURN_IF_ERROR(r.Take(60, "QE report reserved").status());
  CONCORD_RETURN_IF_ERROR(r.Fixed(q.report_data, "QE report REPORTDATA"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TdxQuote> TdxQuote::Parse(ByteView data) {
  if (data.size() > kTdxMaxQuoteSize) {
    return Err("size",
               absl::StrCat("want at most ", kTdxMaxQuoteSize, " bytes, got ", data.size()));
  }
  TdxQuote q;
  Reader r(data);
  CONCORD_ASSIGN_OR_RETURN(q.version, r.U16("header version"));
  if (q.version != 4 && q.version != 5) {
    return Err("header version", absl::StrCat("want 4 or 5, got ", q.version));
  }
  CONCORD_ASSIGN_OR_RETURN(q.attestation_key_type, r.U16("header attestation key type"));
  if (q.attestation_key_type != kTdxAttestationKeyTypeEcdsaP256) {
    return Err("header attestation key type",
               absl::StrCat("want 2 (ECDSA P-256), got ", q.attestation_key_type));
  }
  CONCORD_ASSIGN_OR_RETURN(q.tee_type, r.U32("header TEE type"));
  if (q.tee_type != kTdxTeeType) {
    return Err("header TEE type", absl::StrCat("want 0x81 (TDX), got 0x", absl::Hex(q.tee_type)));
  }
  CONCORD_ASSIGN_OR_RETURN(q.qe_svn, r.U16("header QE SVN"));
  CONCORD_ASSIGN_OR_RETURN(q.pce_svn, r.U16("header PCE SVN"));
  CONCORD_RETURN_IF_ERROR(r.Fixed(q.qe_vendor_id, "header QE vendor id"));
  if (q.qe_vendor_id != kIntelQeVendorId) {
    return Err("header QE vendor id", absl::StrCat("want Intel's ", HexEncode(kIntelQeVendorId),
                                                   ", got ", HexEncode(q.qe_vendor_id)));
  }
  CONCORD_RETURN_IF_ERROR(r.Fixed(q.user_data, "header user data"));

  bool tdx15 = false;
  if (q.version == 5) {
    CONCORD_ASSIGN_OR_RETURN(q.body_type, r.U16("body type"));
    uint32_t body_size = 0;
    CONCORD_ASSIGN_OR_RETURN(body_size, r.U32("body size"));
    if (q.body_type == kBodyTypeTdx10) {
      if (body_size != kTdx10BodySize) {
        return Err("body size",
                   absl::StrCat("want ", kTdx10BodySize, " for body type 2, got ", body_size));
      }
    } else if (q.body_type == kBodyTypeTdx15) {
      if (body_size != kTdx15BodySize) {
        return Err("body size",
                   absl::StrCat("want ", kTdx15BodySize, " for body type 3, got ", body_size));
      }
      tdx15 = true;
    } else {
      return Err("body type", absl::StrCat("want 2 (TDX 1.0) or 3 (TDX 1.5), got ", q.body_type));
    }
  }
  CONCORD_RETURN_IF_ERROR(ParseBody(r, tdx15, q.body));
  const size_t signed_size = r.pos();
  q.signed_bytes.assign(data.begin(), data.begin() + signed_size);

  uint32_t sig_data_len = 0;
  CONCORD_ASSIGN_OR_RETURN(sig_data_len, r.U32("signature data length"));
  if (sig_data_len > r.remaining()) {
    return Err("signature data length",
               absl::StrCat("declares ", sig_data_len, " bytes, only ", r.remaining(), " remain"));
  }
  q.declared_length = r.pos() + sig_data_len;
  ByteView sig_data;
  CONCORD_ASSIGN_OR_RETURN(sig_data, r.Take(sig_data_len, "signature data"));
  if (data.size() - q.declared_length > kTdxMaxQuotePadding) {
    return Err("trailing bytes",
               absl::StrCat(data.size() - q.declared_length, " bytes after the declared end (",
                            q.declared_length, "), at most ", kTdxMaxQuotePadding,
                            " bytes of zero padding are accepted"));
  }
  for (size_t i = q.declared_length; i < data.size(); ++i) {
    if (data[i] != 0) {
      return Err("trailing bytes",
                 absl::StrCat(data.size() - q.declared_length, " bytes after the declared end (",
                              q.declared_length, ") are not zero padding"));
    }
  }

  Reader s(sig_data);
  CONCORD_RETURN_IF_ERROR(s.Fixed(q.signature, "quote signature"));
  CONCORD_RETURN_IF_ERROR(s.Fixed(q.attestation_key, "attestation key"));
  uint16_t cert_type = 0;
  CONCORD_ASSIGN_OR_RETURN(cert_type, s.U16("certification data type"));
  if (cert_type != kCertDataQeReport) {
    return Err("certification data type",
               absl::StrCat("want 6 (QE report certification data), got ", cert_type));
  }
  uint32_t cert_size = 0;
  CONCORD_ASSIGN_OR_RETURN(cert_size, s.U32("certification data size"));
  if (cert_size != s.remaining()) {
    return Err(
        "certification data size",
        absl::StrCat("declares ", cert_size, " bytes, the signature data holds ", s.remaining()));
  }
  ByteView qe_report_bytes;
  CONCORD_ASSIGN_OR_RETURN(qe_report_bytes, s.Take(kSgxReportBodySize, "QE report"));
  q.qe_report_bytes.assign(qe_report_bytes.begin(), qe_report_bytes.end());
  Reader qr(qe_report_bytes);
  CONCORD_RETURN_IF_ERROR(ParseQeReport(qr, q.qe_report));
  CONCORD_RETURN_IF_ERROR(s.Fixed(q.qe_report_signature, "QE report signature"));
  uint16_t auth_size = 0;
  CONCORD_ASSIGN_OR_RETURN(auth_size, s.U16("QE authentication data size"));
  ByteView auth;
  CONCORD_ASSIGN_OR_RETURN(auth, s.Take(auth_size, "QE authentication data"));
  q.qe_auth_data.assign(auth.begin(), auth.end());
  uint16_t inner_type = 0;
  CONCORD_ASSIGN_OR_RETURN(inner_type, s.U16("PCK certification data type"));
  if (inner_type != kCertDataPckChain) {
    return Err("PCK certification data type",
               absl::StrCat("want 5 (PEM PCK certificate chain), got ", inner_type));
  }
  uint32_t inner_size = 0;
  CONCORD_ASSIGN_OR_RETURN(inner_size, s.U32("PCK certification data size"));
  if (inner_size != s.remaining()) {
    return Err("PCK certification data size",
               absl::StrCat("declares ", inner_size, " bytes, ", s.remaining(), " remain"));
  }
  ByteView chain;
  CONCORD_ASSIGN_OR_RETURN(chain, s.Take(inner_size, "PCK certificate chain"));
  size_t end = chain.size();
  while (end > 0 && chain[end - 1] == 0) {
    --end;
  }
  if (end == 0) {
    return Err("PCK certificate chain", "is empty");
  }
  q.pck_chain_pem = ToString(chain.first(end));
  return q;
}

nlohmann::json TdxQuoteToJson(const TdxQuote& q) {
  const TdxReportBody& b = q.body;
  nlohmann::json j = {
      {"version", q.version},
      {"body_type", q.body_type},
      {"tee_tcb_svn", HexEncode(b.tee_tcb_svn)},
      {"mrseam", HexEncode(b.mrseam)},
      {"mrsignerseam", HexEncode(b.mrsignerseam)},
      {"seam_attributes", HexEncode(b.seam_attributes)},
      {"td_attributes", HexEncode(b.td_attributes)},
      {"xfam", HexEncode(b.xfam)},
      {"mrtd", HexEncode(b.mrtd)},
      {"mrconfigid", HexEncode(b.mrconfigid)},
      {"mrowner", HexEncode(b.mrowner)},
      {"mrownerconfig", HexEncode(b.mrownerconfig)},
      {"rtmr0", HexEncode(b.rtmr[0])},
      {"rtmr1", HexEncode(b.rtmr[1])},
      {"rtmr2", HexEncode(b.rtmr[2])},
      {"rtmr3", HexEncode(b.rtmr[3])},
      {"report_data", HexEncode(b.report_data)},
      {"debug", b.debug()},
      {"qe_isvsvn", q.qe_report.isvsvn},
      {"qe_mrsigner", HexEncode(q.qe_report.mrsigner)},
      {"qe_mrenclave", HexEncode(q.qe_report.mrenclave)},
  };
  if (b.is_tdx15) {
    j["tee_tcb_svn2"] = HexEncode(b.tee_tcb_svn2);
    j["mrservicetd"] = HexEncode(b.mrservicetd);
  }
  return j;
}

}  // namespace concord::attest
