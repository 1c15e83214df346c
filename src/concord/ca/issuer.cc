#include "concord/ca/issuer.h"

#include <arpa/inet.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/ca/internal/cert_util.h"
#include "concord/ca/internal/leaf_der.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

namespace concord::ca {
namespace {

using crypto::SslPtr;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string Quote(absl::string_view s) {
  // SANs are public, but keep messages bounded and printable.
  std::string out;
  for (char c : s.substr(0, 64)) {
    out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  }
  return absl::StrCat("\"", out, s.size() > 64 ? "...\"" : "\"");
}

// Returns "" if valid, else why not.
std::string DnsProblem(absl::string_view name) {
  if (name.empty() || name.size() > kMaxDnsNameSize) {
    return absl::StrCat("want 1 to ", kMaxDnsNameSize, " characters, got ", name.size());
  }
  if (name.size() >= 2 && name.substr(0, 2) == "*.") {
    name.remove_prefix(2);
    if (name.empty()) {
      return "wildcard without a domain";
    }
  }
  size_t start = 0;
  while (true) {
    size_t end = name.find('.', start);
    absl::string_view label =
        name.substr(start, end == absl::string_view::npos ? absl::string_view::npos : end - start);
    if (label.empty()) {
      return "empty label";
    }
    if (label.size() > 63) {
      return "label longer than 63 characters";
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') {
        return "label characters must be [A-Za-z0-9-]";
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return "label starts or ends with '-'";
    }
    if (end == absl::string_view::npos) {
      // RFC 3696 §2: a top-level label is never all-numeric, which also
      // keeps malformed IPv4 addresses from passing as names.
      if (std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return "last label is all digits";
      }
      return "";
    }
    start = end + 1;
  }
}

// Parses an IP; returns 4 or 16 bytes, or empty if it is not one.
Bytes ParseIp(absl::string_view text) {
  if (text.empty() || text.size() > 45) {  // INET6_ADDRSTRLEN - 1
    return {};
  }
  const std::string s(text);
  Bytes v4(4);
  if (inet_pton(AF_INET, s.c_str(), v4.data()) == 1) {
    return v4;
  }
  Bytes v6(16);
  if (inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) {
    return v6;
  }
  return {};
}

std::string UriProblem(absl::string_view uri) {
  if (uri.empty() || uri.size() > kMaxUriSize) {
    return absl::StrCat("want 1 to ", kMaxUriSize, " characters, got ", uri.size());
  }
  for (char c : uri) {
    if (c < 0x21 || c > 0x7e) {
      return "want printable ASCII without spaces";
    }
  }
  const size_t colon = uri.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return "want a scheme followed by ':'";
  }
  if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z'))) {
    return "scheme must start with a letter";
  }
  for (char c : uri.substr(0, colon)) {
    if (!IsAlnum(c) && c != '+' && c != '-' && c != '.') {
      return "scheme characters must be [A-Za-z0-9+.-]";
    }
  }
  if (colon + 1 == uri.size()) {
    return "nothing after the scheme";
  }
  return "";
}

// SubjectAltName DER: dNSName [2], uniformResourceIdentifier [6], iPAddress [7].
Bytes SanDer(const Sans& sans) {
  Bytes content;
  for (const std::string& dns : sans.dns) {
    internal::AppendDer(content, 0x82, AsBytes(dns));
  }
  for (const std::string& ip : sans.ips) {
    internal::AppendDer(content, 0x87, ParseIp(ip));
  }
  for (const std::string& uri : sans.uris) {
    internal::AppendDer(content, 0x86, AsBytes(uri));
  }
  return internal::Der(0x30, content);
}

std::string LeafCommonName(const Sans& sans) {
  for (const auto* list : {&sans.dns, &sans.uris, &sans.ips}) {
    for (const std::string& s : *list) {
      if (s.size() <= 64) {
        return s;
      }
    }
  }
  return std::string(kFallbackLeafCommonName);
}

}  // namespace

absl::Status ValidateSans(const Sans& sans) {
  const size_t total = sans.dns.size() + sans.ips.size() + sans.uris.size();
  if (total == 0 || total > kMaxSans) {
    return absl::InvalidArgumentError(
        absl::StrCat("SANs: want 1 to ", kMaxSans, " entries, got ", total));
  }
  for (size_t i = 0; i < sans.dns.size(); ++i) {
    if (std::string problem = DnsProblem(sans.dns[i]); !problem.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("SANs: dns[", i, "] ", Quote(sans.dns[i]), ": ", problem));
    }
  }
  for (size_t i = 0; i < sans.ips.size(); ++i) {
    if (ParseIp(sans.ips[i]).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("SANs: ips[", i, "] ", Quote(sans.ips[i]),
                                                     ": want an IPv4 or IPv6 address"));
    }
  }
  for (size_t i = 0; i < sans.uris.size(); ++i) {
    if (std::string problem = UriProblem(sans.uris[i]); !problem.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("SANs: uris[", i, "] ", Quote(sans.uris[i]), ": ", problem));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Sans> ClassifySans(absl::Span<const std::string> entries) {
  if (entries.size() > kMaxSans) {
    return absl::InvalidArgumentError(
        absl::StrCat("SANs: want 1 to ", kMaxSans, " entries, got ", entries.size()));
  }
  Sans sans;
  for (const std::string& entry : entries) {
    if (!ParseIp(entry).empty()) {
      sans.ips.push_back(entry);
    } else if (entry.find(':') != std::string::npos) {
      sans.uris.push_back(entry);
    } else {
      sans.dns.push_back(entry);
    }
  }
  CONCORD_RETURN_IF_ERROR(ValidateSans(sans));
  return sans;
}

absl::StatusOr<std::unique_ptr<Issuer>> Issuer::Create(crypto::PrivateKey mesh_key, CaBundle bundle,
                                                       Deps deps) {
  if (mesh_key.public_key().spki_der() != bundle.mesh_ca_public_key().spki_der()) {
    return absl::InvalidArgumentError("issuer: key is not the mesh CA's key");
  }
  CONCORD_ASSIGN_OR_RETURN(SslPtr<X509> mesh_ca, crypto::ParseCertDer(bundle.mesh_ca_der()));
  CONCORD_ASSIGN_OR_RETURN(Bytes mesh_key_id, internal::SubjectKeyIdOf(mesh_ca.get()));
  CONCORD_ASSIGN_OR_RETURN(Bytes issuer_name,
                           internal::NameToDer(X509_get_subject_name(mesh_ca.get())));

  std::unique_ptr<Issuer> issuer(new Issuer(std::move(mesh_key), std::move(bundle), deps));
  issuer->issuer_name_der_ = std::move(issuer_name);
  issuer->extensions_ec_ = internal::LeafFixedExtensionsDer(false, mesh_key_id);
  issuer->extensions_rsa_ = internal::LeafFixedExtensionsDer(true, mesh_key_id);
  // A signing context initialised once and copied per certificate: a fresh
  // EVP_DigestSignInit_ex fetches the algorithms again on every call.
  issuer->sign_template_.reset(EVP_MD_CTX_new());
  if (issuer->sign_template_ == nullptr ||
      EVP_DigestSignInit_ex(issuer->sign_template_.get(), nullptr, "SHA256", nullptr, nullptr,
                            issuer->mesh_key_.RawEvpForSigning(), nullptr) != 1) {
    return crypto::OpenSslInternal("issuer: signing context");
  }
  return issuer;
}

absl::StatusOr<IssuedCertificate> Issuer::Issue(const crypto::PublicKey& subject_key,
                                                const Sans& sans, absl::Duration lifetime) const {
  CONCORD_RETURN_IF_ERROR(ValidateSans(sans));
  if (lifetime <= absl::ZeroDuration() || lifetime > kMaxLeafLifetime) {
    return absl::InvalidArgumentError(absl::StrCat(
        "issue certificate: lifetime must be positive and at most ",
        absl::FormatDuration(kMaxLeafLifetime), ", got ", absl::FormatDuration(lifetime)));
  }
  // Certificates carry whole seconds.
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(deps_.clock.Now()));
  const absl::Time ca_not_after = bundle_.mesh_ca_not_after();
  if (now >= ca_not_after) {
    return absl::FailedPreconditionError("issue certificate: the mesh CA has expired");
  }
  IssuedCertificate issued;
  issued.not_before = now - kLeafBackdate;
  issued.not_after = std::min(now + absl::Seconds(absl::ToInt64Seconds(lifetime)), ca_not_after);
  if (issued.not_after <= now) {
    return absl::InvalidArgumentError("issue certificate: lifetime is below one second");
  }
  uint8_t serial[internal::kSerialSize];
  CONCORD_RETURN_IF_ERROR(deps_.random.Fill(serial));
  internal::FixSerialBits(serial);

  // The TBSCertificate is assembled as DER directly. Building it through an
  // X509 object (names and extensions duplicated, the key set, the structure
  // re-encoded) measured 85 us per certificate here, most of it in ASN.1
  // (re)encoding; this path measured ~40 us, of which the ECDSA P-256
  // signature is ~30 us (bench/ca_bench.cc). issuer_test cross-checks every
  // field against OpenSSL's parse of the result and runs `openssl verify`.
  internal::LeafTbsFields fields;
  fields.serial = serial;
  fields.issuer_name_der = issuer_name_der_;
  fields.not_before = issued.not_before;
  fields.not_after = issued.not_after;
  fields.subject_common_name = LeafCommonName(sans);
  fields.subject_spki_der = subject_key.spki_der();
  fields.fixed_extensions_der =
      subject_key.type() == crypto::KeyType::kRsa ? extensions_rsa_ : extensions_ec_;
  const Bytes san = SanDer(sans);
  fields.san_der = san;
  const Bytes tbs = internal::LeafTbsDer(fields);

  SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_MD_CTX_copy_ex(ctx.get(), sign_template_.get()) != 1) {
    return crypto::OpenSslInternal("issue certificate: signing context");
  }
  // An ECDSA P-256 DER signature is at most 72 bytes.
  uint8_t signature[80];
  size_t signature_len = sizeof(signature);
  if (EVP_DigestSign(ctx.get(), signature, &signature_len, tbs.data(), tbs.size()) != 1) {
    return crypto::OpenSslInternal("issue certificate: sign");
  }
  issued.der = internal::CertificateDer(tbs, ByteView(signature, signature_len));
  issued.pem = internal::DerToPem(issued.der);
  return issued;
}

}  // namespace concord::ca
