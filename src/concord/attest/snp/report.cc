#include "concord/attest/snp/report.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"

namespace concord::attest {
namespace {

// Field offsets (SEV-SNP ABI specification, Table "ATTESTATION_REPORT").
constexpr size_t kOffVersion = 0x00;
constexpr size_t kOffGuestSvn = 0x04;
constexpr size_t kOffPolicy = 0x08;
constexpr size_t kOffFamilyId = 0x10;
constexpr size_t kOffImageId = 0x20;
constexpr size_t kOffVmpl = 0x30;
constexpr size_t kOffSignatureAlgo = 0x34;
constexpr size_t kOffCurrentTcb = 0x38;
constexpr size_t kOffPlatformInfo = 0x40;
constexpr size_t kOffFlags = 0x48;
constexpr size_t kOffReportData = 0x50;
constexpr size_t kOffMeasurement = 0x90;
constexpr size_t kOffHostData = 0xC0;
constexpr size_t kOffIdKeyDigest = 0xE0;
constexpr size_t kOffAuthorKeyDigest = 0x110;
constexpr size_t kOffReportId = 0x140;
constexpr size_t kOffReportIdMa = 0x160;
constexpr size_t kOffReportedTcb = 0x180;
constexpr size_t kOffCpuidFamily = 0x188;
constexpr size_t kOffCpuidModel = 0x189;
constexpr size_t kOffCpuidStepping = 0x18A;
constexpr size_t kOffChipId = 0x1A0;
constexpr size_t kOffCommittedTcb = 0x1E0;
constexpr size_t kOffCurrentBuild = 0x1E8;
constexpr size_t kOffCurrentMinor = 0x1E9;
constexpr size_t kOffCurrentMajor = 0x1EA;
constexpr size_t kOffCommittedBuild = 0x1EC;
constexpr size_t kOffCommittedMinor = 0x1ED;
constexpr size_t kOffCommittedMajor = 0x1EE;
constexpr size_t kOffLaunchTcb = 0x1F0;
constexpr size_t kOffLaunchMitVector = 0x1F8;
constexpr size_t kOffCurrentMitVector = 0x200;
constexpr size_t kOffSignatureR = 0x2A0;
constexpr size_t kOffSignatureS = 0x2E8;
constexpr size_t kSignatureComponentSize = 72;
constexpr size_t kP384Size = 48;

static_assert(kOffSignatureR == kSnpSignedSize);

uint64_t ReadLe(ByteView b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v |= static_cast<uint64_t>(b[off + i]) << (8 * i);
  }
  return v;
}

template <size_t N>
void Copy(ByteView b, size_t off, std::array<uint8_t, N>& out) {
  std::memcpy(out.data(), b.data() + off, N);
}

// The report stores r and s as 72-byte little-endian integers of which only
// the low 48 bytes may be non-zero for P-384.
absl::Status ReadSignatureComponent(ByteView b, size_t off, absl::string_view name,
                                    std::array<uint8_t, kP384Size>& out_be) {
  ByteView field = b.subspan(off, kSignatureComponentSize);
  ByteView high = field.subspan(kP384Size);
  if (std::any_of(high.begin(), high.end(), [](uint8_t x) { return x != 0; })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snp report: signature ", name, " has non-zero bytes above the 48 used by P-384"));
  }
  std::reverse_copy(field.begin(), field.begin() + kP384Size, out_be.begin());
  return absl::OkStatus();
}

std::string HexNumber(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

}  // namespace

absl::string_view SnpProductName(SnpProduct product) {
  switch (product) {
    case SnpProduct::kMilan:
      return "Milan";
    case SnpProduct::kGenoa:
      return "Genoa";
    case SnpProduct::kTurin:
      return "Turin";
  }
  return "unknown";
}

absl::string_view SnpSigningKeyName(SnpSigningKey key) {
  return key == SnpSigningKey::kVlek ? "VLEK" : "VCEK";
}

SnpTcb DecodeSnpTcb(uint64_t raw, SnpProduct product) {
  auto byte = [raw](int i) { return static_cast<uint8_t>(raw >> (8 * i)); };
  SnpTcb tcb;
  if (product == SnpProduct::kTurin) {
    tcb.fmc = byte(0);
    tcb.bootloader = byte(1);
    tcb.tee = byte(2);
    tcb.snp = byte(3);
    tcb.microcode = byte(7);
  } else {
    tcb.bootloader = byte(0);
    tcb.tee = byte(1);
    tcb.snp = byte(6);
    tcb.microcode = byte(7);
  }
  return tcb;
}

uint64_t EncodeSnpTcb(const SnpTcb& tcb, SnpProduct product) {
  auto at = [](uint8_t v, int i) { return static_cast<uint64_t>(v) << (8 * i); };
  if (product == SnpProduct::kTurin) {
    return at(tcb.fmc, 0) | at(tcb.bootloader, 1) | at(tcb.tee, 2) | at(tcb.snp, 3) |
           at(tcb.microcode, 7);
  }
  return at(tcb.bootloader, 0) | at(tcb.tee, 1) | at(tcb.snp, 6) | at(tcb.microcode, 7);
}

std::string SnpTcbToString(const SnpTcb& tcb, SnpProduct product) {
  std::string s;
  if (product == SnpProduct::kTurin) {
    absl::StrAppend(&s, "fmc=", tcb.fmc, " ");
  }
  absl::StrAppend(&s, "bl=", tcb.bootloader, " tee=", tcb.tee, " snp=", tcb.snp,
                  " ucode=", tcb.microcode);
  return s;
}

nlohmann::json SnpTcbToJson(const SnpTcb& tcb, SnpProduct product) {
  nlohmann::json j = nlohmann::json::object();
  if (product == SnpProduct::kTurin) {
    j["fmc"] = tcb.fmc;
  }
  j["bl"] = tcb.bootloader;
  j["tee"] = tcb.tee;
  j["snp"] = tcb.snp;
  j["ucode"] = tcb.microcode;
  return j;
}

absl::StatusOr<SnpReport> SnpReport::Parse(ByteView b) {
  if (b.size() != kSnpReportSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("snp report: want ", kSnpReportSize, " bytes, got ", b.size()));
  }
  SnpReport r;
  r.version = static_cast<uint32_t>(ReadLe(b, kOffVersion, 4));
  if (r.version != 2 && r.version != 3 && r.version != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("snp report: unsupported version ", r.version, " (want 2, 3 or 5)"));
  }
  r.signature_algo = static_cast<uint32_t>(ReadLe(b, kOffSignatureAlgo, 4));
  if (r.signature_algo != 1) {
    return absl::InvalidArgumentError(absl::StrCat("snp report: unsupported signature algorithm ",
                                                   r.signature_algo,
                                                   " (want 1 = ECDSA P-384 with SHA-384)"));
  }
  r.flags = static_cast<uint32_t>(ReadLe(b, kOffFlags, 4));
  uint32_t signing_key = (r.flags >> 2) & 0x7;
  if (signing_key > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("snp report: SIGNING_KEY is ", signing_key, " (want 0 = VCEK or 1 = VLEK)"));
  }
  r.guest_svn = static_cast<uint32_t>(ReadLe(b, kOffGuestSvn, 4));
  r.policy = ReadLe(b, kOffPolicy, 8);
  Copy(b, kOffFamilyId, r.family_id);
  Copy(b, kOffImageId, r.image_id);
  r.vmpl = static_cast<uint32_t>(ReadLe(b, kOffVmpl, 4));
  r.current_tcb = ReadLe(b, kOffCurrentTcb, 8);
  r.platform_info = ReadLe(b, kOffPlatformInfo, 8);
  Copy(b, kOffReportData, r.report_data);
  Copy(b, kOffMeasurement, r.measurement);
  Copy(b, kOffHostData, r.host_data);
  Copy(b, kOffIdKeyDigest, r.id_key_digest);
  Copy(b, kOffAuthorKeyDigest, r.author_key_digest);
  Copy(b, kOffReportId, r.report_id);
  Copy(b, kOffReportIdMa, r.report_id_ma);
  r.reported_tcb = ReadLe(b, kOffReportedTcb, 8);
  if (r.version >= 3) {
    r.cpuid_family = b[kOffCpuidFamily];
    r.cpuid_model = b[kOffCpuidModel];
    r.cpuid_stepping = b[kOffCpuidStepping];
  }
  Copy(b, kOffChipId, r.chip_id);
  r.committed_tcb = ReadLe(b, kOffCommittedTcb, 8);
  r.current_build = b[kOffCurrentBuild];
  r.current_minor = b[kOffCurrentMinor];
  r.current_major = b[kOffCurrentMajor];
  r.committed_build = b[kOffCommittedBuild];
  r.committed_minor = b[kOffCommittedMinor];
  r.committed_major = b[kOffCommittedMajor];
  r.launch_tcb = ReadLe(b, kOffLaunchTcb, 8);
  if (r.version >= 5) {
    r.launch_mit_vector = ReadLe(b, kOffLaunchMitVector, 8);
    r.current_mit_vector = ReadLe(b, kOffCurrentMitVector, 8);
  }
  // The tail after r and s is reserved and not covered by the signature:
  // requiring zero keeps the evidence non-malleable.
  for (size_t off = kOffSignatureS + kSignatureComponentSize; off < kSnpReportSize; ++off) {
    if (b[off] != 0) {
      return absl::InvalidArgumentError(absl::StrCat("snp report: reserved byte at offset 0x",
                                                     absl::Hex(off),
                                                     " after the signature is not zero"));
    }
  }
  if (absl::Status s = ReadSignatureComponent(b, kOffSignatureR, "r", r.signature_r); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadSignatureComponent(b, kOffSignatureS, "s", r.signature_s); !s.ok()) {
    return s;
  }
  return r;
}

absl::StatusOr<std::optional<SnpProduct>> SnpReport::CpuidProduct() const {
  if (cpuid_family == 0 && cpuid_model == 0 && cpuid_stepping == 0) {
    return std::nullopt;
  }
  if (cpuid_family == 0x19) {
    if (cpuid_model <= 0x0F) {
      return SnpProduct::kMilan;
    }
    if ((cpuid_model >= 0x10 && cpuid_model <= 0x1F) ||
        (cpuid_model >= 0xA0 && cpuid_model <= 0xAF)) {
      return SnpProduct::kGenoa;
    }
  }
  if (cpuid_family == 0x1A && cpuid_model <= 0x1F) {
    return SnpProduct::kTurin;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("snp report: CPUID family 0x", absl::Hex(cpuid_family), " model 0x",
                   absl::Hex(cpuid_model), " is not a supported product (Milan, Genoa, Turin)"));
}

nlohmann::json SnpReportToJson(const SnpReport& r, std::optional<SnpProduct> product) {
  nlohmann::json j = nlohmann::json::object();
  j["version"] = r.version;
  j["guest_svn"] = r.guest_svn;
  j["policy"] = HexNumber(r.policy);
  j["policy_debug"] = r.debug_allowed();
  j["policy_smt"] = r.smt_allowed();
  j["policy_abi"] = absl::StrCat(r.policy_abi_major(), ".", r.policy_abi_minor());
  j["family_id"] = HexEncode(r.family_id);
  j["image_id"] = HexEncode(r.image_id);
  j["vmpl"] = r.vmpl;
  j["signature_algo"] = r.signature_algo;
  j["platform_info"] = HexNumber(r.platform_info);
  j["flags"] = HexNumber(r.flags);
  j["signing_key"] = std::string(SnpSigningKeyName(r.signing_key()));
  j["report_data"] = HexEncode(r.report_data);
  j["measurement"] = HexEncode(r.measurement);
  j["host_data"] = HexEncode(r.host_data);
  j["id_key_digest"] = HexEncode(r.id_key_digest);
  j["author_key_digest"] = HexEncode(r.author_key_digest);
  j["report_id"] = HexEncode(r.report_id);
  j["report_id_ma"] = HexEncode(r.report_id_ma);
  j["chip_id"] = HexEncode(r.chip_id);
  j["cpuid"] = {{"family", HexNumber(r.cpuid_family)},
                {"model", HexNumber(r.cpuid_model)},
                {"stepping", HexNumber(r.cpuid_stepping)}};
  j["current_version"] =
      absl::StrCat(r.current_major, ".", r.current_minor, " build ", r.current_build);
  j["committed_version"] =
      absl::StrCat(r.committed_major, ".", r.committed_minor, " build ", r.committed_build);
  j["reported_tcb_raw"] = HexNumber(r.reported_tcb);
  j["current_tcb_raw"] = HexNumber(r.current_tcb);
  j["committed_tcb_raw"] = HexNumber(r.committed_tcb);
  j["launch_tcb_raw"] = HexNumber(r.launch_tcb);
  if (r.version >= 5) {
    j["launch_mit_vector"] = HexNumber(r.launch_mit_vector);
    j["current_mit_vector"] = HexNumber(r.current_mit_vector);
  }
  if (product.has_value()) {
    j["product"] = std::string(SnpProductName(*product));
    j["reported_tcb"] = SnpTcbToJson(DecodeSnpTcb(r.reported_tcb, *product), *product);
    j["current_tcb"] = SnpTcbToJson(DecodeSnpTcb(r.current_tcb, *product), *product);
    j["committed_tcb"] = SnpTcbToJson(DecodeSnpTcb(r.committed_tcb, *product), *product);
    j["launch_tcb"] = SnpTcbToJson(DecodeSnpTcb(r.launch_tcb, *product), *product);
  }
  return j;
}

}  // namespace concord::attest
