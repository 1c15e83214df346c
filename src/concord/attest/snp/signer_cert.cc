#include "concord/attest/snp/signer_cert.h"

#include <openssl/objects.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/attest/evidence.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/crypto/x509.h"

namespace concord::attest {
namespace {

constexpr char kOidProductName[] = "1.3.6.1.4.1.3704.1.2";
constexpr char kOidBlSpl[] = "1.3.6.1.4.1.3704.1.3.1";
constexpr char kOidTeeSpl[] = "1.3.6.1.4.1.3704.1.3.2";
constexpr char kOidSnpSpl[] = "1.3.6.1.4.1.3704.1.3.3";
constexpr char kOidUcodeSpl[] = "1.3.6.1.4.1.3704.1.3.8";
constexpr char kOidFmcSpl[] = "1.3.6.1.4.1.3704.1.3.9";
constexpr char kOidHwid[] = "1.3.6.1.4.1.3704.1.4";
constexpr char kOidCspId[] = "1.3.6.1.4.1.3704.1.5";
constexpr size_t kMaxHwidSize = 64;
constexpr size_t kMaxNameSize = 127;

// The extnValue bytes of the extension `oid`, or an empty optional when the
// certificate does not have it. InvalidArgument when it appears twice.
absl::StatusOr<std::optional<ByteView>> FindExtension(X509* cert, const char* oid,
                                                      absl::string_view what,
                                                      absl::string_view name) {
  crypto::SslPtr<ASN1_OBJECT> obj(OBJ_txt2obj(oid, 1));
  if (obj == nullptr) {
    return crypto::OpenSslInternal("snp: OID");
  }
  int idx = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (idx < 0) {
    return std::optional<ByteView>();
  }
  if (X509_get_ext_by_OBJ(cert, obj.get(), idx) >= 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has the ", name, " extension twice"));
  }
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  if (data == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", name, " extension has no value"));
  }
  return std::optional<ByteView>(
      ByteView(ASN1_STRING_get0_data(data), static_cast<size_t>(ASN1_STRING_length(data))));
}

// A DER INTEGER holding a security patch level 0..255.
absl::StatusOr<std::optional<uint8_t>> ParseSpl(X509* cert, const char* oid, absl::string_view what,
                                                absl::string_view name) {
  CONCORD_ASSIGN_OR_RETURN(std::optional<ByteView> v, FindExtension(cert, oid, what, name));
  if (!v.has_value()) {
    return std::optional<uint8_t>();
  }
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", name, ": want a DER INTEGER from 0 to 255"));
  };
  if (v->size() < 3 || (*v)[0] != 0x02 || (*v)[1] != v->size() - 2 || v->size() > 10) {
    return bad();
  }
  ByteView digits = v->subspan(2);
  if ((digits[0] & 0x80) != 0) {
    return bad();
  }
  while (digits.size() > 1 && digits[0] == 0) {
    digits = digits.subspan(1);
  }
  if (digits.size() != 1) {
    return bad();
  }
  return std::optional<uint8_t>(digits[0]);
}

// A DER IA5String of printable ASCII.
absl::StatusOr<std::optional<std::string>> ParseName(X509* cert, const char* oid,
                                                     absl::string_view what,
                                                     absl::string_view name) {
  CONCORD_ASSIGN_OR_RETURN(std::optional<ByteView> v, FindExtension(cert, oid, what, name));
  if (!v.has_value()) {
    return std::optional<std::string>();
  }
  if (v->size() < 2 || (*v)[0] != 0x16 || (*v)[1] > kMaxNameSize || (*v)[1] != v->size() - 2) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", name, ": want a DER IA5String"));
  }
  ByteView chars = v->subspan(2);
  if (std::any_of(chars.begin(), chars.end(), [](uint8_t c) { return c < 0x20 || c > 0x7e; })) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", name, ": want printable ASCII"));
  }
  return std::optional<std::string>(ToString(chars));
}

absl::Status CheckSpl(absl::string_view prefix, absl::string_view what, absl::string_view ext_name,
                      const std::optional<uint8_t>& spl, absl::string_view tcb_name,
                      uint8_t reported) {
  if (!spl.has_value()) {
    return absl::UnauthenticatedError(
        absl::StrCat(prefix, ": ", what, " lacks the ", ext_name, " extension"));
  }
  if (*spl != reported) {
    return absl::UnauthenticatedError(absl::StrCat(prefix, ": ", what, " ", ext_name, " ", *spl,
                                                   " does not match the reported TCB ", tcb_name,
                                                   " ", reported));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SnpSignerCert> ParseSnpSignerCert(ByteView der_or_pem, absl::string_view signer,
                                                 absl::string_view prefix) {
  const std::string what = absl::StrCat(prefix, ": ", signer);
  if (der_or_pem.empty() || der_or_pem.size() > kMaxEvidenceCertSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " certificate: want 1 to ", kMaxEvidenceCertSize, " bytes, got ", der_or_pem.size()));
  }
  absl::StatusOr<crypto::SslPtr<X509>> parsed = crypto::ParseCertDerOrPem(der_or_pem);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", parsed.status().message()));
  }
  SnpSignerCert out;
  out.cert = std::move(parsed).value();
  X509* cert = out.cert.get();
  CONCORD_ASSIGN_OR_RETURN(std::optional<std::string> product,
                           ParseName(cert, kOidProductName, what, "productName"));
  out.product_name = product.value_or("");
  CONCORD_ASSIGN_OR_RETURN(out.csp_id, ParseName(cert, kOidCspId, what, "cspId"));
  CONCORD_ASSIGN_OR_RETURN(out.bl_spl, ParseSpl(cert, kOidBlSpl, what, "blSPL"));
  CONCORD_ASSIGN_OR_RETURN(out.tee_spl, ParseSpl(cert, kOidTeeSpl, what, "teeSPL"));
  CONCORD_ASSIGN_OR_RETURN(out.snp_spl, ParseSpl(cert, kOidSnpSpl, what, "snpSPL"));
  CONCORD_ASSIGN_OR_RETURN(out.ucode_spl, ParseSpl(cert, kOidUcodeSpl, what, "ucodeSPL"));
  CONCORD_ASSIGN_OR_RETURN(out.fmc_spl, ParseSpl(cert, kOidFmcSpl, what, "fmcSPL"));
  CONCORD_ASSIGN_OR_RETURN(std::optional<ByteView> hwid,
                           FindExtension(cert, kOidHwid, what, "hwID"));
  if (hwid.has_value()) {
    if (hwid->empty() || hwid->size() > kMaxHwidSize) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " hwID: want 1 to ", kMaxHwidSize, " bytes, got ", hwid->size()));
    }
    out.hwid = Bytes(hwid->begin(), hwid->end());
  }
  absl::StatusOr<absl::Time> not_before = crypto::Asn1TimeToAbsl(X509_get0_notBefore(cert));
  absl::StatusOr<absl::Time> not_after = crypto::Asn1TimeToAbsl(X509_get0_notAfter(cert));
  if (!not_before.ok() || !not_after.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has a malformed validity period"));
  }
  out.not_before = *not_before;
  out.not_after = *not_after;
  return out;
}

std::optional<SnpProduct> SnpProductFromName(absl::string_view product_name) {
  absl::string_view base = product_name.substr(0, product_name.find('-'));
  for (SnpProduct p : {SnpProduct::kMilan, SnpProduct::kGenoa, SnpProduct::kTurin}) {
    if (base == SnpProductName(p)) {
      return p;
    }
  }
  return std::nullopt;
}

absl::Status CheckSignerBinding(const SnpReport& report, SnpProduct product, SnpSigningKey key,
                                const SnpSignerCert& cert, absl::string_view prefix) {
  absl::string_view what = SnpSigningKeyName(key);
  if (key == SnpSigningKey::kVcek) {
    if (!cert.hwid.has_value()) {
      return absl::UnauthenticatedError(absl::StrCat(prefix, ": VCEK lacks the hwID extension"));
    }
    const Bytes& hwid = *cert.hwid;
    // Turin VCEKs carry an 8-byte hwID; the rest of CHIP_ID is zero.
    size_t want = product == SnpProduct::kTurin ? 8 : report.chip_id.size();
    bool match = hwid.size() == want &&
                 crypto::ConstantTimeEquals(hwid, ByteView(report.chip_id).first(want)) &&
                 std::all_of(report.chip_id.begin() + want, report.chip_id.end(),
                             [](uint8_t b) { return b == 0; });
    if (!match) {
      return absl::UnauthenticatedError(
          absl::StrCat(prefix, ": VCEK hwID does not match report CHIP_ID"));
    }
  }
  SnpTcb reported = DecodeSnpTcb(report.reported_tcb, product);
  CONCORD_RETURN_IF_ERROR(
      CheckSpl(prefix, what, "blSPL", cert.bl_spl, "bootloader", reported.bootloader));
  CONCORD_RETURN_IF_ERROR(CheckSpl(prefix, what, "teeSPL", cert.tee_spl, "tee", reported.tee));
  CONCORD_RETURN_IF_ERROR(CheckSpl(prefix, what, "snpSPL", cert.snp_spl, "snp", reported.snp));
  CONCORD_RETURN_IF_ERROR(
      CheckSpl(prefix, what, "ucodeSPL", cert.ucode_spl, "microcode", reported.microcode));
  if (product == SnpProduct::kTurin) {
    CONCORD_RETURN_IF_ERROR(CheckSpl(prefix, what, "fmcSPL", cert.fmc_spl, "fmc", reported.fmc));
  }
  return absl::OkStatus();
}

absl::Status VerifySignerChain(X509* leaf, X509* intermediate, X509* root, absl::Time at,
                               absl::string_view prefix, absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(
      int path,
      crypto::VerifyCertChain(leaf, {intermediate}, root, {}, X509_V_FLAG_CHECK_SS_SIGNATURE, at,
                              "snp", absl::StrCat(prefix, ": ", what, " chain")));
  if (path != 3) {
    return absl::UnauthenticatedError(absl::StrCat(prefix, ": ", what, " chain: want ", what,
                                                   " -> intermediate -> root, got a path of ", path,
                                                   " certificates"));
  }
  return absl::OkStatus();
}

}  // namespace concord::attest
