#include "concord/attest/tdx/intel_pki.h"

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

namespace concord::attest {
namespace {

// Intel SGX Root CA, serial 22650cd65a9d3489f383b49552bf501b392706ac,
// 2018-05-21 to 2049-12-31 (https://certificates.trustedservices.intel.com/
// Intel_SGX_Provisioning_Certification_RootCA.pem).
constexpr absl::string_view kIntelSgxRootCaPem = R"(-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
)";

// OID 1.2.840.113741.1.13.1 (SGX extensions), DER content bytes.
constexpr uint8_t kSgxExtOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
constexpr size_t kMaxSgxExtensionSize = 4096;

absl::Status ExtErr(absl::string_view field, absl::string_view detail) {
  return absl::InvalidArgumentError(
      absl::StrCat("tdx: PCK certificate SGX extensions: ", field, ": ", detail));
}

// One DER TLV.
struct Tlv {
  uint8_t tag = 0;
  ByteView value;
};

// Strict DER reader: single-byte tags, definite minimal lengths.
class DerReader {
 public:
  explicit DerReader(ByteView data) : data_(data) {}
  bool done() const { return pos_ == data_.size(); }

  absl::StatusOr<Tlv> Next(uint8_t want_tag, absl::string_view field) {
    if (data_.size() - pos_ < 2) {
      return ExtErr(field, "truncated");
    }
    Tlv t;
    t.tag = data_[pos_];
    if (t.tag != want_tag) {
      return ExtErr(field, absl::StrCat("want DER tag 0x", absl::Hex(want_tag, absl::kZeroPad2),
                                        ", got 0x", absl::Hex(t.tag, absl::kZeroPad2)));
    }
    size_t p = pos_ + 1;
    size_t len = data_[p++];
    if (len & 0x80) {
      size_t n = len & 0x7f;
      if (n == 0 || n > 2 || data_.size() - p < n) {
        return ExtErr(field, "bad length");
      }
      len = 0;
      for (size_t i = 0; i < n; ++i) {
        len = len << 8 | data_[p++];
      }
      if (len < 0x80 || (n == 2 && len < 0x100)) {
        return ExtErr(field, "non-minimal length");
      }
    }
    if (data_.size() - p < len) {
      return ExtErr(field, absl::StrCat("length ", len, " exceeds the remaining ", data_.size() - p,
                                        " bytes"));
    }
    t.value = data_.subspan(p, len);
    pos_ = p + len;
    return t;
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagEnumerated = 0x0a;
constexpr uint8_t kTagSequence = 0x30;

// The arc after the SGX extensions OID prefix, e.g. {2} for TCB, {2, 17} for
// PCESVN. Empty optional if the OID is not under the prefix.
std::optional<std::vector<uint8_t>> SubArc(ByteView oid) {
  if (oid.size() <= sizeof(kSgxExtOid) ||
      !std::equal(std::begin(kSgxExtOid), std::end(kSgxExtOid), oid.begin())) {
    return std::nullopt;
  }
  std::vector<uint8_t> arc(oid.begin() + sizeof(kSgxExtOid), oid.end());
  for (uint8_t b : arc) {
    if (b & 0x80) {
      return std::nullopt;  // Arcs here are all below 128.
    }
  }
  return arc;
}

// A non-negative INTEGER of at most `max` (minimal DER).
absl::StatusOr<uint32_t> SmallUnsigned(ByteView v, uint32_t max, absl::string_view field) {
  if (v.empty() || v.size() > 3 || (v[0] & 0x80) ||
      (v.size() > 1 && v[0] == 0 && (v[1] & 0x80) == 0)) {
    return ExtErr(field, "want a small non-negative DER integer");
  }
  uint32_t out = 0;
  for (uint8_t b : v) {
    out = out << 8 | b;
  }
  if (out > max) {
    return ExtErr(field, absl::StrCat("want at most ", max, ", got ", out));
  }
  return out;
}

template <size_t N>
absl::Status FixedOctets(ByteView v, std::array<uint8_t, N>& out, absl::string_view field) {
  if (v.size() != N) {
    return ExtErr(field, absl::StrCat("want ", N, " bytes, got ", v.size()));
  }
  std::copy(v.begin(), v.end(), out.begin());
  return absl::OkStatus();
}

absl::Status ParseTcb(ByteView seq, PckExtensions& out) {
  DerReader r(seq);
  uint32_t seen = 0;  // Bit i: component i+1; bit 16 PCESVN; bit 17 CPUSVN.
  while (!r.done()) {
    CONCORD_ASSIGN_OR_RETURN(Tlv entry, r.Next(kTagSequence, "TCB entry"));
    DerReader e(entry.value);
    CONCORD_ASSIGN_OR_RETURN(Tlv oid, e.Next(kTagOid, "TCB entry OID"));
    std::optional<std::vector<uint8_t>> arc = SubArc(oid.value);
    if (!arc.has_value() || arc->size() != 2 || (*arc)[0] != 2 || (*arc)[1] < 1 || (*arc)[1] > 18) {
      return ExtErr("TCB entry OID", "not an SGX TCB component, PCESVN or CPUSVN");
    }
    const uint8_t n = (*arc)[1];
    if (seen & (1u << (n - 1))) {
      return ExtErr("TCB", absl::StrCat("duplicate entry ", n));
    }
    seen |= 1u << (n - 1);
    if (n <= 16) {
      std::string field = absl::StrCat("TCB COMP", n < 10 ? "0" : "", n, "_SVN");
      CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagInteger, field));
      CONCORD_ASSIGN_OR_RETURN(uint32_t svn, SmallUnsigned(v.value, 255, field));
      out.sgx_tcb_components[n - 1] = static_cast<uint8_t>(svn);
    } else if (n == 17) {
      CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagInteger, "PCESVN"));
      CONCORD_ASSIGN_OR_RETURN(uint32_t svn, SmallUnsigned(v.value, 65535, "PCESVN"));
      out.pcesvn = static_cast<uint16_t>(svn);
    } else {
      CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagOctetString, "CPUSVN"));
      CONCORD_RETURN_IF_ERROR(FixedOctets(v.value, out.cpusvn, "CPUSVN"));
    }
    if (!e.done()) {
      return ExtErr("TCB entry", "trailing data");
    }
  }
  if (seen != (1u << 18) - 1) {
    return ExtErr("TCB", "want all 16 components, PCESVN and CPUSVN");
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::SslPtr<X509>> LoadRoot() {
  auto certs = crypto::ParseCertChainPem(kIntelSgxRootCaPem, 1);
  if (!certs.ok()) {
    return absl::InternalError(absl::StrCat("tdx: compiled-in Intel SGX Root CA does not parse: ",
                                            certs.status().message()));
  }
  crypto::SslPtr<X509> cert = std::move((*certs)[0]);
  CONCORD_ASSIGN_OR_RETURN(Bytes der, crypto::CertToDer(cert.get()));
  std::string fingerprint = HexEncode(crypto::Sha256(der));
  if (fingerprint != kIntelSgxRootCaSha256Hex) {
    return absl::InternalError(absl::StrCat("tdx: compiled-in Intel SGX Root CA has SHA-256 ",
                                            fingerprint, ", want ", kIntelSgxRootCaSha256Hex));
  }
  return cert;
}

}  // namespace

absl::StatusOr<X509*> GetIntelSgxRootCa() {
  static const absl::StatusOr<crypto::SslPtr<X509>>* const kRoot =
      new absl::StatusOr<crypto::SslPtr<X509>>(LoadRoot());
  if (!kRoot->ok()) {
    return kRoot->status();
  }
  return (*kRoot)->get();
}

absl::StatusOr<PckExtensions> ParsePckExtensionsDer(ByteView der) {
  if (der.size() > kMaxSgxExtensionSize) {
    return ExtErr("size",
                  absl::StrCat("want at most ", kMaxSgxExtensionSize, " bytes, got ", der.size()));
  }
  DerReader outer(der);
  CONCORD_ASSIGN_OR_RETURN(Tlv top, outer.Next(kTagSequence, "outer SEQUENCE"));
  if (!outer.done()) {
    return ExtErr("outer SEQUENCE", "trailing data");
  }
  PckExtensions out;
  uint32_t seen = 0;
  DerReader r(top.value);
  while (!r.done()) {
    CONCORD_ASSIGN_OR_RETURN(Tlv entry, r.Next(kTagSequence, "entry"));
    DerReader e(entry.value);
    CONCORD_ASSIGN_OR_RETURN(Tlv oid, e.Next(kTagOid, "entry OID"));
    std::optional<std::vector<uint8_t>> arc = SubArc(oid.value);
    if (!arc.has_value() || arc->size() != 1) {
      return ExtErr("entry OID", "not under 1.2.840.113741.1.13.1");
    }
    const uint8_t n = (*arc)[0];
    if (n >= 1 && n <= 31) {
      if (seen & (1u << n)) {
        return ExtErr("entry", absl::StrCat("duplicate 1.2.840.113741.1.13.1.", n));
      }
      seen |= 1u << n;
    }
    switch (n) {
      case 1: {
        CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagOctetString, "PPID"));
        CONCORD_RETURN_IF_ERROR(FixedOctets(v.value, out.ppid, "PPID"));
        break;
      }
      case 2: {
        CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagSequence, "TCB"));
        CONCORD_RETURN_IF_ERROR(ParseTcb(v.value, out));
        break;
      }
      case 3: {
        CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagOctetString, "PCE-ID"));
        CONCORD_RETURN_IF_ERROR(FixedOctets(v.value, out.pceid, "PCE-ID"));
        break;
      }
      case 4: {
        CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagOctetString, "FMSPC"));
        CONCORD_RETURN_IF_ERROR(FixedOctets(v.value, out.fmspc, "FMSPC"));
        break;
      }
      case 5: {
        CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagEnumerated, "SGX type"));
        CONCORD_ASSIGN_OR_RETURN(uint32_t type, SmallUnsigned(v.value, 2, "SGX type"));
        out.sgx_type = static_cast<uint8_t>(type);
        break;
      }
      case 6: {
        CONCORD_ASSIGN_OR_RETURN(Tlv v, e.Next(kTagOctetString, "PlatformInstanceID"));
        std::array<uint8_t, 16> piid{};
        CONCORD_RETURN_IF_ERROR(FixedOctets(v.value, piid, "PlatformInstanceID"));
        out.piid = piid;
        break;
      }
      default:
        // Configuration (7) and later additions carry nothing we evaluate.
        break;
    }
    if (n <= 6 && !e.done()) {
      return ExtErr("entry", absl::StrCat("trailing data in 1.2.840.113741.1.13.1.", n));
    }
  }
  for (uint8_t required : {1, 2, 3, 4, 5}) {
    if ((seen & (1u << required)) == 0) {
      static constexpr absl::string_view kNames[] = {"",       "PPID",  "TCB",
                                                     "PCE-ID", "FMSPC", "SGX type"};
      return ExtErr(kNames[required], "missing");
    }
  }
  return out;
}

absl::StatusOr<PckExtensions> ParsePckExtensions(X509* cert) {
  const int count = X509_get_ext_count(cert);
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    const ASN1_OBJECT* obj = X509_EXTENSION_get_object(ext);
    const size_t len = OBJ_length(obj);
    const unsigned char* data = OBJ_get0_data(obj);
    if (data == nullptr || len != sizeof(kSgxExtOid) ||
        !std::equal(std::begin(kSgxExtOid), std::end(kSgxExtOid), data)) {
      continue;
    }
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
    return ParsePckExtensionsDer(
        ByteView(ASN1_STRING_get0_data(value), static_cast<size_t>(ASN1_STRING_length(value))));
  }
  return ExtErr("extension 1.2.840.113741.1.13.1", "missing");
}

namespace {

// VerifyIntelChain, with revocation checked only when `check_revocation`.
absl::Status VerifyChainToRoot(X509* leaf, const std::vector<X509*>& intermediates,
                               X509* embedded_root, const std::vector<X509_CRL*>& crls,
                               bool check_revocation, absl::Time at, absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(X509 * root, GetIntelSgxRootCa());
  if (embedded_root != nullptr && X509_cmp(embedded_root, root) != 0) {
    return absl::UnauthenticatedError(
        absl::StrCat("tdx: ", what, " chain: the root is not the Intel SGX Root CA"));
  }
  CONCORD_ASSIGN_OR_RETURN(
      int path,
      crypto::VerifyCertChain(leaf, intermediates, root, crls,
                              check_revocation ? X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                                                     X509_V_FLAG_X509_STRICT
                                               : X509_V_FLAG_X509_STRICT,
                              at, "tdx", absl::StrCat("tdx: ", what, " chain")));
  const int want = static_cast<int>(intermediates.size()) + 2;
  if (path != want) {
    return absl::UnauthenticatedError(absl::StrCat("tdx: ", what, " chain: want a path of ", want,
                                                   " certificates to the root, got ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyIntelChain(X509* leaf, const std::vector<X509*>& intermediates,
                              X509* embedded_root, const std::vector<X509_CRL*>& crls,
                              absl::Time at, absl::string_view what) {
  return VerifyChainToRoot(leaf, intermediates, embedded_root, crls, /*check_revocation=*/true, at,
                           what);
}

absl::Status VerifyIntelChainIgnoringRevocation(X509* leaf, const std::vector<X509*>& intermediates,
                                                X509* embedded_root, absl::Time at,
                                                absl::string_view what) {
  return VerifyChainToRoot(leaf, intermediates, embedded_root, {}, /*check_revocation=*/false, at,
                           what);
}

}  // namespace concord::attest
