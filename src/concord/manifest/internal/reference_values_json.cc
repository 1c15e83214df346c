#include "concord/manifest/internal/reference_values_json.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/manifest/internal/fields.h"

namespace concord::manifest::internal {
namespace {

using attest::SimulatedReferenceValues;
using attest::SnpProduct;
using attest::SnpReferenceValues;
using attest::TdxReferenceValues;
using attest::TdxTcbStatus;

constexpr uint64_t kMaxUint8 = std::numeric_limits<uint8_t>::max();
constexpr uint64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kMaxVmpl = 3;

constexpr std::array<std::pair<SnpProduct, absl::string_view>, 3> kProducts = {{
    {SnpProduct::kMilan, "Milan"},
    {SnpProduct::kGenoa, "Genoa"},
    {SnpProduct::kTurin, "Turin"},
}};

constexpr std::array<std::pair<TdxTcbStatus, absl::string_view>, 7> kTcbStatuses = {{
    {TdxTcbStatus::kUpToDate, "UpToDate"},
    {TdxTcbStatus::kSwHardeningNeeded, "SWHardeningNeeded"},
    {TdxTcbStatus::kConfigurationNeeded, "ConfigurationNeeded"},
    {TdxTcbStatus::kConfigurationAndSwHardeningNeeded, "ConfigurationAndSWHardeningNeeded"},
    {TdxTcbStatus::kOutOfDate, "OutOfDate"},
    {TdxTcbStatus::kOutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"},
    {TdxTcbStatus::kRevoked, "Revoked"},
}};

absl::string_view ProductName(SnpProduct product) {
  for (const auto& [p, name] : kProducts) {
    if (p == product) {
      return name;
    }
  }
  return "unknown";
}

// Reads an optional uint field of at most `max`, keeping `*out` if absent.
template <typename T>
absl::Status ReadOptionalUint(const ObjectReader& obj, absl::string_view key, uint64_t max,
                              T* out) {
  if (const Json* v = obj.Optional(key); v != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(uint64_t value, ReadUint(*v, obj.FieldPath(key), max));
    *out = static_cast<T>(value);
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadRequiredUint(const ObjectReader& obj, absl::string_view key, uint64_t max,
                              T* out) {
  CONCORD_ASSIGN_OR_RETURN(const Json* v, obj.Required(key));
  CONCORD_ASSIGN_OR_RETURN(uint64_t value, ReadUint(*v, obj.FieldPath(key), max));
  *out = static_cast<T>(value);
  return absl::OkStatus();
}

// An optional list of fixed-size hex values without repeats.
template <size_t N>
absl::Status ReadHexList(const ObjectReader& obj, absl::string_view key,
                         std::vector<std::array<uint8_t, N>>* out) {
  const Json* v = obj.Optional(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  const std::string path = obj.FieldPath(key);
  CONCORD_ASSIGN_OR_RETURN(const Json::array_t* items, ReadArray(*v, path));
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string item_path = ElementPath(path, i);
    CONCORD_ASSIGN_OR_RETURN(auto value, ReadHexArray<N>((*items)[i], item_path));
    auto dup = std::find(out->begin(), out->end(), value);
    if (dup != out->end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(item_path, ": duplicate of ", ElementPath(path, dup - out->begin())));
    }
    out->push_back(value);
  }
  return absl::OkStatus();
}

absl::StatusOr<SnpProduct> ReadProduct(const Json& v, const std::string& path) {
  if (v.is_string()) {
    for (const auto& [product, name] : kProducts) {
      if (v.get_ref<const Json::string_t&>() == name) {
        return product;
      }
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": want \"Milan\", \"Genoa\" or \"Turin\", got ", Echo(v)));
}

absl::StatusOr<SnpReferenceValues> ParseSnp(const Json& value, const std::string& path) {
  CONCORD_ASSIGN_OR_RETURN(
      ObjectReader obj, ObjectReader::Create(value, path,
                                             {"Product", "Measurement", "MinimumTCB", "GuestPolicy",
                                              "VMPL", "AllowedChipIDs"}));
  SnpReferenceValues rv;
  CONCORD_ASSIGN_OR_RETURN(const Json* product, obj.Required("Product"));
  CONCORD_ASSIGN_OR_RETURN(rv.product, ReadProduct(*product, obj.FieldPath("Product")));
  CONCORD_ASSIGN_OR_RETURN(const Json* measurement, obj.Required("Measurement"));
  CONCORD_ASSIGN_OR_RETURN(rv.measurement,
                           ReadHexArray<48>(*measurement, obj.FieldPath("Measurement")));

  CONCORD_ASSIGN_OR_RETURN(const Json* tcb_value, obj.Required("MinimumTCB"));
  CONCORD_ASSIGN_OR_RETURN(ObjectReader tcb,
                           ObjectReader::Create(*tcb_value, obj.FieldPath("MinimumTCB"),
                                                {"BootloaderVersion", "TEEVersion", "SNPVersion",
                                                 "MicrocodeVersion", "FMCVersion"}));
  CONCORD_RETURN_IF_ERROR(
      ReadRequiredUint(tcb, "BootloaderVersion", kMaxUint8, &rv.minimum_tcb.bootloader));
  CONCORD_RETURN_IF_ERROR(ReadRequiredUint(tcb, "TEEVersion", kMaxUint8, &rv.minimum_tcb.tee));
  CONCORD_RETURN_IF_ERROR(ReadRequiredUint(tcb, "SNPVersion", kMaxUint8, &rv.minimum_tcb.snp));
  CONCORD_RETURN_IF_ERROR(
      ReadRequiredUint(tcb, "MicrocodeVersion", kMaxUint8, &rv.minimum_tcb.microcode));
  if (rv.product == SnpProduct::kTurin) {
    CONCORD_RETURN_IF_ERROR(ReadRequiredUint(tcb, "FMCVersion", kMaxUint8, &rv.minimum_tcb.fmc));
  } else if (tcb.Optional("FMCVersion") != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(tcb.FieldPath("FMCVersion"),
                                                   ": want no FMCVersion for product ",
                                                   ProductName(rv.product), " (Turin only)"));
  }

  if (const Json* gp_value = obj.Optional("GuestPolicy"); gp_value != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(ObjectReader gp,
                             ObjectReader::Create(*gp_value, obj.FieldPath("GuestPolicy"),
                                                  {"SMT", "MinimumABIMajor", "MinimumABIMinor"}));
    if (const Json* smt = gp.Optional("SMT"); smt != nullptr) {
      CONCORD_ASSIGN_OR_RETURN(rv.allow_smt, ReadBool(*smt, gp.FieldPath("SMT")));
    }
    CONCORD_RETURN_IF_ERROR(
        ReadOptionalUint(gp, "MinimumABIMajor", kMaxUint8, &rv.minimum_abi_major));
    CONCORD_RETURN_IF_ERROR(
        ReadOptionalUint(gp, "MinimumABIMinor", kMaxUint8, &rv.minimum_abi_minor));
  }
  CONCORD_RETURN_IF_ERROR(ReadOptionalUint(obj, "VMPL", kMaxVmpl, &rv.vmpl));
  CONCORD_RETURN_IF_ERROR(ReadHexList<64>(obj, "AllowedChipIDs", &rv.allowed_chip_ids));
  return rv;
}

absl::StatusOr<TdxTcbStatus> ReadTcbStatus(const Json& v, const std::string& path) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const Json::string_t&>();
    if (s == "Revoked") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": want a status other than Revoked (never acceptable)"));
    }
    for (const auto& [status, name] : kTcbStatuses) {
      if (s == name) {
        return status;
      }
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      ": want one of UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
      "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, got ",
      Echo(v)));
}

absl::StatusOr<TdxReferenceValues> ParseTdx(const Json& value, const std::string& path) {
  CONCORD_ASSIGN_OR_RETURN(
      ObjectReader obj, ObjectReader::Create(value, path,
                                             {"MRTD", "RTMR0", "RTMR1", "RTMR2", "RTMR3", "MRSEAM",
                                              "XFAM", "TDAttributes", "MinimumTCBEvaluationNumber",
                                              "AcceptedTCBStatuses", "AllowedPIIDs"}));
  TdxReferenceValues rv;
  CONCORD_ASSIGN_OR_RETURN(const Json* mrtd, obj.Required("MRTD"));
  CONCORD_ASSIGN_OR_RETURN(rv.mrtd, ReadHexArray<48>(*mrtd, obj.FieldPath("MRTD")));
  static constexpr std::array<absl::string_view, 4> kRtmrs = {"RTMR0", "RTMR1", "RTMR2", "RTMR3"};
  for (size_t i = 0; i < kRtmrs.size(); ++i) {
    if (const Json* rtmr = obj.Optional(kRtmrs[i]); rtmr != nullptr) {
      CONCORD_ASSIGN_OR_RETURN(rv.rtmr[i], ReadHexArray<48>(*rtmr, obj.FieldPath(kRtmrs[i])));
    }
  }
  if (const Json* mrseam = obj.Optional("MRSEAM"); mrseam != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(rv.mrseam, ReadHexArray<48>(*mrseam, obj.FieldPath("MRSEAM")));
  }
  CONCORD_ASSIGN_OR_RETURN(const Json* xfam, obj.Required("XFAM"));
  CONCORD_ASSIGN_OR_RETURN(rv.xfam, ReadHexArray<8>(*xfam, obj.FieldPath("XFAM")));
  CONCORD_ASSIGN_OR_RETURN(const Json* attributes, obj.Required("TDAttributes"));
  CONCORD_ASSIGN_OR_RETURN(rv.td_attributes,
                           ReadHexArray<8>(*attributes, obj.FieldPath("TDAttributes")));
  // TDATTRIBUTES is little-endian in the quote; DEBUG is bit 0 of byte 0.
  if ((rv.td_attributes[0] & 0x01) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        obj.FieldPath("TDAttributes"), ": want the DEBUG bit (bit 0 of the first byte) clear, got ",
        HexOf(rv.td_attributes)));
  }
  CONCORD_RETURN_IF_ERROR(ReadOptionalUint(obj, "MinimumTCBEvaluationNumber", kMaxUint32,
                                           &rv.minimum_tcb_evaluation_number));
  if (const Json* statuses = obj.Optional("AcceptedTCBStatuses"); statuses != nullptr) {
    const std::string list_path = obj.FieldPath("AcceptedTCBStatuses");
    CONCORD_ASSIGN_OR_RETURN(const Json::array_t* items, ReadArray(*statuses, list_path));
    if (items->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(list_path, ": want at least one status, got none"));
    }
    rv.accepted_tcb_statuses.clear();
    for (size_t i = 0; i < items->size(); ++i) {
      const std::string item_path = ElementPath(list_path, i);
      CONCORD_ASSIGN_OR_RETURN(TdxTcbStatus status, ReadTcbStatus((*items)[i], item_path));
      auto dup =
          std::find(rv.accepted_tcb_statuses.begin(), rv.accepted_tcb_statuses.end(), status);
      if (dup != rv.accepted_tcb_statuses.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(item_path, ": duplicate of ",
                         ElementPath(list_path, dup - rv.accepted_tcb_statuses.begin())));
      }
      rv.accepted_tcb_statuses.push_back(status);
    }
  }
  CONCORD_RETURN_IF_ERROR(ReadHexList<16>(obj, "AllowedPIIDs", &rv.allowed_piids));
  return rv;
}

absl::StatusOr<SimulatedReferenceValues> ParseSimulated(const Json& value,
                                                        const std::string& path) {
  CONCORD_ASSIGN_OR_RETURN(ObjectReader obj,
                           ObjectReader::Create(value, path, {"ARKHash", "Measurement"}));
  SimulatedReferenceValues rv;
  CONCORD_ASSIGN_OR_RETURN(const Json* ark, obj.Required("ARKHash"));
  CONCORD_ASSIGN_OR_RETURN(rv.ark_spki_sha256, ReadHexArray<32>(*ark, obj.FieldPath("ARKHash")));
  CONCORD_ASSIGN_OR_RETURN(const Json* measurement, obj.Required("Measurement"));
  CONCORD_ASSIGN_OR_RETURN(rv.measurement,
                           ReadHexArray<48>(*measurement, obj.FieldPath("Measurement")));
  return rv;
}

template <typename T, typename ParseFn>
absl::Status ParseList(const ObjectReader& obj, absl::string_view key, ParseFn parse,
                       std::vector<T>* out) {
  const Json* v = obj.Optional(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  const std::string path = obj.FieldPath(key);
  CONCORD_ASSIGN_OR_RETURN(const Json::array_t* items, ReadArray(*v, path));
  for (size_t i = 0; i < items->size(); ++i) {
    CONCORD_ASSIGN_OR_RETURN(T entry, parse((*items)[i], ElementPath(path, i)));
    out->push_back(std::move(entry));
  }
  return absl::OkStatus();
}

// A JSON array of the lower-case hex of each identifier.
template <size_t N>
Json HexList(const std::vector<std::array<uint8_t, N>>& ids) {
  Json list = Json::array();
  for (const auto& id : ids) {
    list.push_back(HexOf(id));
  }
  return list;
}

Json SerializeSnp(const SnpReferenceValues& rv) {
  Json j = Json::object();
  j["Product"] = std::string(ProductName(rv.product));
  j["Measurement"] = HexOf(rv.measurement);
  Json tcb = Json::object();
  tcb["BootloaderVersion"] = rv.minimum_tcb.bootloader;
  tcb["TEEVersion"] = rv.minimum_tcb.tee;
  tcb["SNPVersion"] = rv.minimum_tcb.snp;
  tcb["MicrocodeVersion"] = rv.minimum_tcb.microcode;
  if (rv.product == SnpProduct::kTurin) {
    tcb["FMCVersion"] = rv.minimum_tcb.fmc;
  }
  j["MinimumTCB"] = std::move(tcb);
  Json gp = Json::object();
  if (!rv.allow_smt) {
    gp["SMT"] = false;
  }
  if (rv.minimum_abi_major != 0) {
    gp["MinimumABIMajor"] = rv.minimum_abi_major;
  }
  if (rv.minimum_abi_minor != 0) {
    gp["MinimumABIMinor"] = rv.minimum_abi_minor;
  }
  if (!gp.empty()) {
    j["GuestPolicy"] = std::move(gp);
  }
  if (rv.vmpl != 0) {
    j["VMPL"] = rv.vmpl;
  }
  if (!rv.allowed_chip_ids.empty()) {
    j["AllowedChipIDs"] = HexList(rv.allowed_chip_ids);
  }
  return j;
}

Json SerializeTdx(const TdxReferenceValues& rv) {
  Json j = Json::object();
  j["MRTD"] = HexOf(rv.mrtd);
  for (size_t i = 0; i < rv.rtmr.size(); ++i) {
    if (rv.rtmr[i].has_value()) {
      j[absl::StrCat("RTMR", i)] = HexOf(*rv.rtmr[i]);
    }
  }
  if (rv.mrseam.has_value()) {
    j["MRSEAM"] = HexOf(*rv.mrseam);
  }
  j["XFAM"] = HexOf(rv.xfam);
  j["TDAttributes"] = HexOf(rv.td_attributes);
  if (rv.minimum_tcb_evaluation_number != 0) {
    j["MinimumTCBEvaluationNumber"] = rv.minimum_tcb_evaluation_number;
  }
  if (rv.accepted_tcb_statuses != std::vector<TdxTcbStatus>{TdxTcbStatus::kUpToDate}) {
    Json statuses = Json::array();
    for (TdxTcbStatus s : rv.accepted_tcb_statuses) {
      statuses.push_back(std::string(TdxTcbStatusName(s)));
    }
    j["AcceptedTCBStatuses"] = std::move(statuses);
  }
  if (!rv.allowed_piids.empty()) {
    j["AllowedPIIDs"] = HexList(rv.allowed_piids);
  }
  return j;
}

Json SerializeSimulated(const SimulatedReferenceValues& rv) {
  Json j = Json::object();
  j["ARKHash"] = HexOf(rv.ark_spki_sha256);
  j["Measurement"] = HexOf(rv.measurement);
  return j;
}

}  // namespace

absl::string_view TdxTcbStatusName(TdxTcbStatus status) {
  for (const auto& [s, name] : kTcbStatuses) {
    if (s == status) {
      return name;
    }
  }
  return "unknown";
}

absl::StatusOr<attest::ReferenceValues> ParseReferenceValues(const Json& value,
                                                             const std::string& path) {
  CONCORD_ASSIGN_OR_RETURN(ObjectReader obj,
                           ObjectReader::Create(value, path, {"snp", "tdx", "simulated"}));
  attest::ReferenceValues rv;
  CONCORD_RETURN_IF_ERROR(ParseList(obj, "snp", ParseSnp, &rv.snp));
  CONCORD_RETURN_IF_ERROR(ParseList(obj, "tdx", ParseTdx, &rv.tdx));
  CONCORD_RETURN_IF_ERROR(ParseList(obj, "simulated", ParseSimulated, &rv.simulated));
  return rv;
}

Json SerializeReferenceValues(const attest::ReferenceValues& rv) {
  Json j = Json::object();
  if (!rv.snp.empty()) {
    Json list = Json::array();
    for (const auto& e : rv.snp) {
      list.push_back(SerializeSnp(e));
    }
    j["snp"] = std::move(list);
  }
  if (!rv.tdx.empty()) {
    Json list = Json::array();
    for (const auto& e : rv.tdx) {
      list.push_back(SerializeTdx(e));
    }
    j["tdx"] = std::move(list);
  }
  if (!rv.simulated.empty()) {
    Json list = Json::array();
    for (const auto& e : rv.simulated) {
      list.push_back(SerializeSimulated(e));
    }
    j["simulated"] = std::move(list);
  }
  return j;
}

}  // namespace concord::manifest::internal
