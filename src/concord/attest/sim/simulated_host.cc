#include "concord/attest/sim/simulated_host.h"

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/attest/snp/report.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

namespace concord::attest {
namespace {

constexpr char kHostJson[] = "host.json";
constexpr char kArkPem[] = "ark.pem";
constexpr char kAskPem[] = "ask.pem";
constexpr char kVcekPem[] = "vcek.pem";
constexpr char kVcekKeyPem[] = "vcek_key.pem";
constexpr size_t kMaxFileSize = 256 * 1024;
constexpr int kHostVersion = 1;
// The simulated host presents itself as a Milan part (report layout and
// CPUID family 0x19, model 0x01).
constexpr SnpProduct kSimProduct = SnpProduct::kMilan;

std::string PathIn(const std::string& dir, const char* name) {
  return (std::filesystem::path(dir) / name).string();
}

// The host files are written once, by Init, into an empty directory;
// errors keep Init's contract (Internal, "sim init: ...").
absl::Status WriteHostFile(const std::string& path, absl::string_view data, mode_t mode) {
  absl::Status s = posix::WriteFileAtomic(path, AsBytes(data), mode, posix::IfExists::kRefuse);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("sim init: ", s.message()));
  }
  return absl::OkStatus();
}

// NotFound when absent; DataLoss when unreadable or larger than the limit (a
// damaged host directory).
absl::Status LoadError(const absl::Status& s) {
  return absl::Status(
      absl::IsNotFound(s) ? absl::StatusCode::kNotFound : absl::StatusCode::kDataLoss,
      absl::StrCat("sim load: ", s.message()));
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  absl::StatusOr<Bytes> data = posix::ReadFileBounded(path, kMaxFileSize);
  if (!data.ok()) {
    return LoadError(data.status());
  }
  return ToString(*data);
}

absl::Status AddExtension(X509* cert, const char* oid, ByteView value) {
  crypto::SslPtr<ASN1_OBJECT> obj(OBJ_txt2obj(oid, 1));
  crypto::SslPtr<ASN1_STRING> data(ASN1_OCTET_STRING_new());
  if (obj == nullptr || data == nullptr ||
      ASN1_OCTET_STRING_set(data.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return crypto::OpenSslInternal("sim init: extension value");
  }
  crypto::SslPtr<X509_EXTENSION> ext(
      X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), 0, data.get()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return crypto::OpenSslInternal("sim init: add extension");
  }
  return absl::OkStatus();
}

absl::Status AddStandardExtension(X509* cert, int nid, const char* value) {
  crypto::SslPtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, nullptr, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return crypto::OpenSslInternal("sim init: add standard extension");
  }
  return absl::OkStatus();
}

Bytes DerInteger(uint8_t v) {
  // Non-negative DER INTEGER: a leading zero when the high bit is set.
  if (v & 0x80) {
    return Bytes{0x02, 0x02, 0x00, v};
  }
  return Bytes{0x02, 0x01, v};
}

Bytes DerIa5(absl::string_view s) {
  Bytes out{0x16, static_cast<uint8_t>(s.size())};
  Append(out, AsBytes(s));
  return out;
}

struct CertSpec {
  std::string common_name;
  X509_NAME* issuer = nullptr;  // null: self-signed
  bool ca = false;
  absl::Time not_before;
  absl::Time not_after;
};

// Builds an unsigned certificate; SignCert signs it with the issuer's key.
absl::StatusOr<crypto::SslPtr<X509>> MakeCert(const CertSpec& spec,
                                              const crypto::PublicKey& subject_key,
                                              RandomSource& random) {
  crypto::SslPtr<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return crypto::OpenSslInternal("sim init: new certificate");
  }
  std::array<uint8_t, 16> serial{};
  CONCORD_RETURN_IF_ERROR(random.Fill(serial));
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  crypto::SslPtr<BIGNUM> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return crypto::OpenSslInternal("sim init: serial number");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after)) == nullptr) {
    return crypto::OpenSslInternal("sim init: validity");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  auto add_entry = [subject](const char* field, absl::string_view value) {
    return X509_NAME_add_entry_by_txt(subject, field, MBSTRING_ASC,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!add_entry("O", "Concord simulated SEV-SNP (insecure)") ||
      !add_entry("CN", spec.common_name)) {
    return crypto::OpenSslInternal("sim init: subject name");
  }
  if (X509_set_issuer_name(cert.get(), spec.issuer != nullptr ? spec.issuer : subject) != 1 ||
      X509_set_pubkey(cert.get(), subject_key.evp()) != 1) {
    return crypto::OpenSslInternal("sim init: issuer or key");
  }
  if (spec.ca) {
    CONCORD_RETURN_IF_ERROR(
        AddStandardExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
    CONCORD_RETURN_IF_ERROR(
        AddStandardExtension(cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  }
  return cert;
}

absl::Status SignCert(X509* cert, const crypto::PrivateKey& key) {
  if (X509_sign(cert, key.RawEvpForSigning(), EVP_sha384()) <= 0) {
    return crypto::OpenSslInternal("sim init: sign certificate");
  }
  return absl::OkStatus();
}

nlohmann::json InfoToJson(const SimulatedHostInfo& info) {
  return nlohmann::json{
      {"version", info.version},
      {"product", std::string(SnpProductName(kSimProduct))},
      {"ark_spki_sha256", HexEncode(info.ark_spki_sha256)},
      {"measurement", HexEncode(info.measurement)},
      {"chip_id", HexEncode(info.chip_id)},
      {"tcb", SnpTcbToJson(info.tcb, kSimProduct)},
      {"created", FormatRfc3339(info.created)},
  };
}

template <size_t N>
absl::Status HexField(const nlohmann::json& j, const char* name, std::array<uint8_t, N>& out) {
  if (!j.contains(name) || !j[name].is_string()) {
    return absl::DataLossError(absl::StrCat("sim load: host.json: ", name, " is missing"));
  }
  absl::StatusOr<Bytes> b = HexDecodeExact(j[name].get<std::string>(), N, name);
  if (!b.ok()) {
    return absl::DataLossError(absl::StrCat("sim load: host.json: ", b.status().message()));
  }
  std::copy(b->begin(), b->end(), out.begin());
  return absl::OkStatus();
}

absl::StatusOr<uint8_t> TcbField(const nlohmann::json& tcb, const char* name) {
  if (!tcb.contains(name) || !tcb[name].is_number_unsigned() || tcb[name].get<uint64_t>() > 255) {
    return absl::DataLossError(
        absl::StrCat("sim load: host.json: tcb.", name, ": want an integer 0..255"));
  }
  return static_cast<uint8_t>(tcb[name].get<uint64_t>());
}

absl::StatusOr<SimulatedHostInfo> InfoFromJson(absl::string_view text) {
  // Strict JSON: we wrote it, so anything else is damage. The schema nests
  // two levels (the object and "tcb").
  CONCORD_ASSIGN_OR_RETURN(nlohmann::json j, json::ParseStrict<nlohmann::json>(
                                                 text, {.document = "sim load: host.json",
                                                        .max_size = kMaxFileSize,
                                                        .max_depth = 2,
                                                        .code = absl::StatusCode::kDataLoss}));
  if (!j.is_object()) {
    return absl::DataLossError("sim load: host.json is not a JSON object");
  }
  SimulatedHostInfo info;
  if (!j.contains("version") || !j["version"].is_number_integer() ||
      j["version"].get<int64_t>() != kHostVersion) {
    return absl::DataLossError(absl::StrCat("sim load: host.json: version: want ", kHostVersion));
  }
  CONCORD_RETURN_IF_ERROR(HexField(j, "ark_spki_sha256", info.ark_spki_sha256));
  CONCORD_RETURN_IF_ERROR(HexField(j, "measurement", info.measurement));
  CONCORD_RETURN_IF_ERROR(HexField(j, "chip_id", info.chip_id));
  if (!j.contains("tcb") || !j["tcb"].is_object()) {
    return absl::DataLossError("sim load: host.json: tcb is missing");
  }
  CONCORD_ASSIGN_OR_RETURN(info.tcb.bootloader, TcbField(j["tcb"], "bl"));
  CONCORD_ASSIGN_OR_RETURN(info.tcb.tee, TcbField(j["tcb"], "tee"));
  CONCORD_ASSIGN_OR_RETURN(info.tcb.snp, TcbField(j["tcb"], "snp"));
  CONCORD_ASSIGN_OR_RETURN(info.tcb.microcode, TcbField(j["tcb"], "ucode"));
  if (!j.contains("created") || !j["created"].is_string()) {
    return absl::DataLossError("sim load: host.json: created is missing");
  }
  absl::StatusOr<absl::Time> created = ParseRfc3339(j["created"].get<std::string>(), "created");
  if (!created.ok()) {
    return absl::DataLossError(absl::StrCat("sim load: host.json: ", created.status().message()));
  }
  info.created = *created;
  return info;
}

absl::StatusOr<crypto::SslPtr<X509>> LoadCertPem(const std::string& dir, const char* name) {
  CONCORD_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(PathIn(dir, name)));
  absl::StatusOr<crypto::SslPtr<X509>> cert = crypto::ParseCertDerOrPem(AsBytes(pem));
  if (!cert.ok()) {
    return absl::DataLossError(absl::StrCat("sim load: ", name, ": ", cert.status().message()));
  }
  return cert;
}

void PutLe(Bytes& report, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    report[off + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

template <size_t N>
void PutBytes(Bytes& report, size_t off, const std::array<uint8_t, N>& b) {
  std::copy(b.begin(), b.end(), report.begin() + static_cast<ptrdiff_t>(off));
}

}  // namespace

absl::StatusOr<SimulatedHostInfo> SimulatedHost::Init(const std::string& dir, Deps deps,
                                                      const InitOptions& options) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("sim init: ", dir, " exists and is not a directory"));
    }
    if (!std::filesystem::is_empty(dir, ec) || ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("sim init: directory ", dir, " is not empty"));
    }
  } else if (!std::filesystem::create_directories(dir, ec) || ec) {
    return absl::InternalError(absl::StrCat("sim init: create ", dir, ": ", ec.message()));
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);

  SimulatedHostInfo info;
  info.version = kHostVersion;
  info.tcb = options.tcb;
  info.tcb.fmc = 0;
  info.created = absl::FromUnixSeconds(absl::ToUnixSeconds(deps.clock.Now()));
  CONCORD_RETURN_IF_ERROR(deps.random.Fill(info.measurement));
  CONCORD_RETURN_IF_ERROR(deps.random.Fill(info.chip_id));

  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey ark_key,
                           crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey ask_key,
                           crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384));
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey vcek_key,
                           crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384));
  const absl::Time not_before = info.created - absl::Hours(1);
  const absl::Time not_after = info.created + options.validity;

  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> ark,
                           MakeCert({"SIM-ARK-Milan", nullptr, true, not_before, not_after},
                                    ark_key.public_key(), deps.random));
  CONCORD_RETURN_IF_ERROR(SignCert(ark.get(), ark_key));
  CONCORD_ASSIGN_OR_RETURN(
      crypto::SslPtr<X509> ask,
      MakeCert({"SIM-SEV-Milan", X509_get_subject_name(ark.get()), true, not_before, not_after},
               ask_key.public_key(), deps.random));
  CONCORD_RETURN_IF_ERROR(SignCert(ask.get(), ark_key));
  CONCORD_ASSIGN_OR_RETURN(
      crypto::SslPtr<X509> vcek,
      MakeCert({"SIM-SEV-VCEK", X509_get_subject_name(ask.get()), false, not_before, not_after},
               vcek_key.public_key(), deps.random));
  CONCORD_RETURN_IF_ERROR(AddExtension(vcek.get(), "1.3.6.1.4.1.3704.1.1", DerInteger(0)));
  CONCORD_RETURN_IF_ERROR(
      AddExtension(vcek.get(), "1.3.6.1.4.1.3704.1.2", DerIa5(SnpProductName(kSimProduct))));
  CONCORD_RETURN_IF_ERROR(
      AddExtension(vcek.get(), "1.3.6.1.4.1.3704.1.3.1", DerInteger(info.tcb.bootloader)));
  CONCORD_RETURN_IF_ERROR(
      AddExtension(vcek.get(), "1.3.6.1.4.1.3704.1.3.2", DerInteger(info.tcb.tee)));
  CONCORD_RETURN_IF_ERROR(
      AddExtension(vcek.get(), "1.3.6.1.4.1.3704.1.3.3", DerInteger(info.tcb.snp)));
  CONCORD_RETURN_IF_ERROR(
      AddExtension(vcek.get(), "1.3.6.1.4.1.3704.1.3.8", DerInteger(info.tcb.microcode)));
  CONCORD_RETURN_IF_ERROR(AddExtension(vcek.get(), "1.3.6.1.4.1.3704.1.4", info.chip_id));
  CONCORD_RETURN_IF_ERROR(SignCert(vcek.get(), ask_key));

  crypto::Sha256Digest ark_pin = ark_key.public_key().SpkiSha256();
  std::copy(ark_pin.begin(), ark_pin.end(), info.ark_spki_sha256.begin());

  CONCORD_ASSIGN_OR_RETURN(std::string ark_pem, crypto::CertToPem(ark.get()));
  CONCORD_ASSIGN_OR_RETURN(std::string ask_pem, crypto::CertToPem(ask.get()));
  CONCORD_ASSIGN_OR_RETURN(std::string vcek_pem, crypto::CertToPem(vcek.get()));
  CONCORD_ASSIGN_OR_RETURN(crypto::SecretBytes key_pem, vcek_key.ToPkcs8Pem());
  // The ARK and ASK private keys are discarded: nothing more is ever issued.
  CONCORD_RETURN_IF_ERROR(
      WriteHostFile(PathIn(dir, kVcekKeyPem), AsStringView(key_pem.Reveal()), 0600));
  CONCORD_RETURN_IF_ERROR(WriteHostFile(PathIn(dir, kArkPem), ark_pem, 0644));
  CONCORD_RETURN_IF_ERROR(WriteHostFile(PathIn(dir, kAskPem), ask_pem, 0644));
  CONCORD_RETURN_IF_ERROR(WriteHostFile(PathIn(dir, kVcekPem), vcek_pem, 0644));
  CONCORD_RETURN_IF_ERROR(
      WriteHostFile(PathIn(dir, kHostJson), InfoToJson(info).dump(2) + "\n", 0644));
  return info;
}

absl::StatusOr<std::unique_ptr<SimulatedHost>> SimulatedHost::Load(const std::string& dir) {
  CONCORD_ASSIGN_OR_RETURN(std::string json_text, ReadSmallFile(PathIn(dir, kHostJson)));
  CONCORD_ASSIGN_OR_RETURN(SimulatedHostInfo info, InfoFromJson(json_text));
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> ark, LoadCertPem(dir, kArkPem));
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> ask, LoadCertPem(dir, kAskPem));
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> vcek, LoadCertPem(dir, kVcekPem));
  // Read straight into wiping storage: no copy of the key outlives this.
  crypto::SecretBytes key_buffer(kMaxFileSize);
  absl::StatusOr<size_t> key_size =
      posix::ReadFileBoundedInto(PathIn(dir, kVcekKeyPem), key_buffer.RevealMutable());
  if (!key_size.ok()) {
    return LoadError(key_size.status());
  }
  crypto::SecretBytes key_pem(key_buffer.Reveal().first(*key_size));
  absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(key_pem);
  if (!key.ok() || key->type() != crypto::KeyType::kEcP384) {
    return absl::DataLossError("sim load: vcek_key.pem is not an ECDSA P-384 private key");
  }
  absl::StatusOr<crypto::PublicKey> ark_key =
      crypto::PublicKey::FromEvp(X509_get0_pubkey(ark.get()));
  absl::StatusOr<crypto::PublicKey> vcek_pub =
      crypto::PublicKey::FromEvp(X509_get0_pubkey(vcek.get()));
  if (!ark_key.ok() || !vcek_pub.ok()) {
    return absl::DataLossError("sim load: certificate public key does not parse");
  }
  crypto::Sha256Digest pin = ark_key->SpkiSha256();
  if (!std::equal(pin.begin(), pin.end(), info.ark_spki_sha256.begin())) {
    return absl::DataLossError("sim load: ark.pem does not match host.json's ark_spki_sha256");
  }
  if (vcek_pub->spki_der() != key->public_key().spki_der()) {
    return absl::DataLossError("sim load: vcek_key.pem does not match vcek.pem");
  }
  CONCORD_ASSIGN_OR_RETURN(Bytes vcek_der, crypto::CertToDer(vcek.get()));
  CONCORD_ASSIGN_OR_RETURN(Bytes ask_der, crypto::CertToDer(ask.get()));
  CONCORD_ASSIGN_OR_RETURN(Bytes ark_der, crypto::CertToDer(ark.get()));
  return std::unique_ptr<SimulatedHost>(new SimulatedHost(std::move(info), std::move(key).value(),
                                                          std::move(vcek_der), std::move(ask_der),
                                                          std::move(ark_der)));
}

absl::StatusOr<Evidence> SimulatedHost::MakeReport(const std::array<uint8_t, 64>& report_data,
                                                   const std::array<uint8_t, 32>& host_data) const {
  Bytes report(kSnpReportSize, 0);
  const uint64_t tcb = EncodeSnpTcb(info_.tcb, kSimProduct);
  PutLe(report, 0x00, 3, 4);  // version
  PutLe(report, 0x08, kSnpPolicyReservedOne | kSnpPolicySmt,
        8);                     // policy, no debug
  PutLe(report, 0x30, 0, 4);    // VMPL 0
  PutLe(report, 0x34, 1, 4);    // ECDSA P-384 / SHA-384
  PutLe(report, 0x38, tcb, 8);  // current TCB
  PutLe(report, 0x40, 0x1, 8);  // platform info: SMT enabled
  PutLe(report, 0x48, 0, 4);    // flags: VCEK
  PutBytes(report, 0x50, report_data);
  PutBytes(report, 0x90, info_.measurement);
  PutBytes(report, 0xC0, host_data);
  crypto::Sha256Digest report_id = crypto::Sha256(ByteView(info_.measurement));
  PutBytes(report, 0x140, report_id);
  PutLe(report, 0x180, tcb, 8);  // reported TCB
  report[0x188] = 0x19;          // CPUID family: Milan
  report[0x189] = 0x01;
  report[0x18A] = 0x01;
  PutBytes(report, 0x1A0, info_.chip_id);
  PutLe(report, 0x1E0, tcb, 8);  // committed TCB
  report[0x1E8] = 1;             // firmware 1.55 build 1, current and committed
  report[0x1E9] = 55;
  report[0x1EA] = 1;
  report[0x1EC] = 1;
  report[0x1ED] = 55;
  report[0x1EE] = 1;
  PutLe(report, 0x1F0, tcb, 8);  // launch TCB

  CONCORD_ASSIGN_OR_RETURN(Bytes der, vcek_key_.SignEcdsa(ByteView(report).first(kSnpSignedSize),
                                                          crypto::HashAlg::kSha384));
  CONCORD_ASSIGN_OR_RETURN(Bytes raw, crypto::EcdsaDerToRaw(der, 48));
  // r and s are stored little-endian in 72-byte fields.
  std::reverse_copy(raw.begin(), raw.begin() + 48, report.begin() + 0x2A0);
  std::reverse_copy(raw.begin() + 48, raw.end(), report.begin() + 0x2E8);

  Evidence evidence;
  evidence.platform = Platform::kSimulated;
  evidence.report = std::move(report);
  evidence.certs = {vcek_der_, ask_der_, ark_der_};
  return evidence;
}

}  // namespace concord::attest
