#include "concord/attest/tdx/collateral.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/common/time_format.h"
#include "nlohmann/json.hpp"

namespace concord::attest {
namespace {

using nlohmann::json;

constexpr size_t kMaxTcbLevels = 256;
constexpr size_t kMaxAdvisories = 256;
// Intel's TCB info and QE identity nest 7 levels.
constexpr size_t kMaxNesting = 16;

absl::Status JsonErr(absl::string_view what, absl::string_view field, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("tdx: ", what, ": ", field, ": ", detail));
}

absl::StatusOr<const json*> Field(const json& obj, const char* name, json::value_t type,
                                  absl::string_view what) {
  auto it = obj.find(name);
  if (it == obj.end()) {
    return JsonErr(what, name, "missing");
  }
  const bool ok = type == json::value_t::number_unsigned
                      ? it->is_number_unsigned()
                      : (type == json::value_t::string
                             ? it->is_string()
                             : (type == json::value_t::array ? it->is_array() : it->is_object()));
  if (!ok) {
    absl::string_view want = type == json::value_t::number_unsigned ? "a non-negative integer"
                             : type == json::value_t::string        ? "a string"
                             : type == json::value_t::array         ? "an array"
                                                                    : "an object";
    return JsonErr(what, name, absl::StrCat("want ", want));
  }
  return &*it;
}

absl::StatusOr<uint64_t> UintField(const json& obj, const char* name, uint64_t max,
                                   absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Field(obj, name, json::value_t::number_unsigned, what));
  uint64_t n = v->get<uint64_t>();
  if (n > max) {
    return JsonErr(what, name, absl::StrCat("want at most ", max, ", got ", n));
  }
  return n;
}

absl::StatusOr<std::string> StringField(const json& obj, const char* name, absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Field(obj, name, json::value_t::string, what));
  return v->get<std::string>();
}

template <size_t N>
absl::Status HexField(const json& obj, const char* name, absl::string_view what,
                      std::array<uint8_t, N>& out) {
  CONCORD_ASSIGN_OR_RETURN(std::string s, StringField(obj, name, what));
  CONCORD_ASSIGN_OR_RETURN(Bytes b, HexDecodeExact(s, N, absl::StrCat("tdx: ", what, ": ", name)));
  std::copy(b.begin(), b.end(), out.begin());
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> HexU32Field(const json& obj, const char* name, absl::string_view what) {
  std::array<uint8_t, 4> b{};
  CONCORD_RETURN_IF_ERROR(HexField(obj, name, what, b));
  return static_cast<uint32_t>(b[0]) << 24 | static_cast<uint32_t>(b[1]) << 16 |
         static_cast<uint32_t>(b[2]) << 8 | b[3];
}

absl::StatusOr<absl::Time> TimeField(const json& obj, const char* name, absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(std::string s, StringField(obj, name, what));
  absl::StatusOr<absl::Time> t = ParseRfc3339(s, absl::StrCat("tdx: ", what, ": ", name));
  if (!t.ok()) {
    return absl::InvalidArgumentError(t.status().message());
  }
  return *t;
}

absl::StatusOr<TdxTcbStatus> StatusField(const json& obj, absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(std::string s, StringField(obj, "tcbStatus", what));
  absl::StatusOr<TdxTcbStatus> st = ParseTdxTcbStatus(s);
  if (!st.ok()) {
    return JsonErr(what, "tcbStatus", st.status().message());
  }
  return *st;
}

absl::StatusOr<std::vector<std::string>> Advisories(const json& obj, absl::string_view what) {
  std::vector<std::string> out;
  auto it = obj.find("advisoryIDs");
  if (it == obj.end()) {
    return out;
  }
  if (!it->is_array() || it->size() > kMaxAdvisories) {
    return JsonErr(what, "advisoryIDs", "want an array of at most 256 strings");
  }
  for (const json& a : *it) {
    if (!a.is_string()) {
      return JsonErr(what, "advisoryIDs", "want strings");
    }
    out.push_back(a.get<std::string>());
  }
  return out;
}

// Strict JSON (no duplicate keys, nothing after the value) of at most
// kTdxMaxCollateralJsonSize bytes; messages start "tdx: <what>: " as
// JsonErr()'s do.
absl::StatusOr<json> ParseJson(absl::string_view text, absl::string_view what) {
  const std::string document = absl::StrCat("tdx: ", what);
  CONCORD_ASSIGN_OR_RETURN(
      json j, concord::json::ParseStrict<json>(text, {.document = document,
                                                      .max_size = kTdxMaxCollateralJsonSize,
                                                      .max_depth = kMaxNesting}));
  if (!j.is_object()) {
    return JsonErr(what, "document", "not a JSON object");
  }
  return j;
}

absl::StatusOr<std::array<uint8_t, 16>> Components(const json& tcb, const char* name,
                                                   absl::string_view what) {
  CONCORD_ASSIGN_OR_RETURN(const json* arr, Field(tcb, name, json::value_t::array, what));
  if (arr->size() != 16) {
    return JsonErr(what, name, absl::StrCat("want 16 components, got ", arr->size()));
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 16; ++i) {
    if (!(*arr)[i].is_object()) {
      return JsonErr(what, name, "want objects");
    }
    CONCORD_ASSIGN_OR_RETURN(uint64_t svn, UintField((*arr)[i], "svn", 255, what));
    out[i] = static_cast<uint8_t>(svn);
  }
  return out;
}

// Reads the "tcbLevels" array of `obj`: 1 to kMaxTcbLevels objects, each
// with a "tcb" object; `parse(level, tcb)` reads one of them.
template <typename Level, typename Parse>
absl::StatusOr<std::vector<Level>> TcbLevels(const json& obj, absl::string_view what,
                                             const Parse& parse) {
  CONCORD_ASSIGN_OR_RETURN(const json* levels, Field(obj, "tcbLevels", json::value_t::array, what));
  if (levels->empty() || levels->size() > kMaxTcbLevels) {
    return JsonErr(what, "tcbLevels", "want 1 to 256 levels");
  }
  std::vector<Level> out;
  for (const json& l : *levels) {
    if (!l.is_object()) {
      return JsonErr(what, "tcbLevels", "want objects");
    }
    CONCORD_ASSIGN_OR_RETURN(const json* tcb, Field(l, "tcb", json::value_t::object, what));
    CONCORD_ASSIGN_OR_RETURN(Level level, parse(l, *tcb));
    out.push_back(std::move(level));
  }
  return out;
}

// The levels of a TDX module identity or the QE identity: each "tcb" holds
// an "isvsvn" that fits the Level's; a Level with advisory_ids reads
// "advisoryIDs" too.
template <typename Level>
absl::StatusOr<std::vector<Level>> IsvsvnLevels(const json& obj, absl::string_view what) {
  return TcbLevels<Level>(obj, what, [&](const json& l, const json& tcb) -> absl::StatusOr<Level> {
    Level level;
    using Svn = decltype(level.isvsvn);
    CONCORD_ASSIGN_OR_RETURN(uint64_t isvsvn,
                             UintField(tcb, "isvsvn", std::numeric_limits<Svn>::max(), what));
    level.isvsvn = static_cast<Svn>(isvsvn);
    CONCORD_ASSIGN_OR_RETURN(level.status, StatusField(l, what));
    if constexpr (requires { level.advisory_ids; }) {
      CONCORD_ASSIGN_OR_RETURN(level.advisory_ids, Advisories(l, what));
    }
    return level;
  });
}

// Parses the TCB info or QE identity `body` and reads the head they share:
// "id" must be `want_id` and "version" `want_version`; then "issueDate" and
// "nextUpdate". Returns the document for the rest.
template <typename Doc>
absl::StatusOr<json> ParseHead(absl::string_view body, absl::string_view what,
                               absl::string_view want_id, uint64_t want_version, Doc& out) {
  CONCORD_ASSIGN_OR_RETURN(json j, ParseJson(body, what));
  CONCORD_ASSIGN_OR_RETURN(std::string id, StringField(j, "id", what));
  if (id != want_id) {
    return JsonErr(what, "id", absl::StrCat("want \"", want_id, "\", got \"", id, "\""));
  }
  CONCORD_ASSIGN_OR_RETURN(uint64_t version, UintField(j, "version", 1000, what));
  if (version != want_version) {
    return JsonErr(what, "version", absl::StrCat("want ", want_version, ", got ", version));
  }
  out.version = static_cast<uint32_t>(version);
  CONCORD_ASSIGN_OR_RETURN(out.issue_date, TimeField(j, "issueDate", what));
  CONCORD_ASSIGN_OR_RETURN(out.next_update, TimeField(j, "nextUpdate", what));
  return j;
}

absl::StatusOr<TdxModuleIdentity> ParseModule(const json& m, bool with_levels,
                                              absl::string_view what) {
  TdxModuleIdentity out;
  if (with_levels) {
    CONCORD_ASSIGN_OR_RETURN(out.id, StringField(m, "id", what));
  }
  CONCORD_RETURN_IF_ERROR(HexField(m, "mrsigner", what, out.mrsigner));
  CONCORD_RETURN_IF_ERROR(HexField(m, "attributes", what, out.attributes));
  CONCORD_RETURN_IF_ERROR(HexField(m, "attributesMask", what, out.attributes_mask));
  if (!with_levels) {
    return out;
  }
  CONCORD_ASSIGN_OR_RETURN(out.levels, IsvsvnLevels<TdxModuleLevel>(m, what));
  return out;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max, bool required,
                                          bool& found) {
  found = false;
  absl::StatusOr<Bytes> data = posix::ReadFileBounded(path, max);
  if (absl::IsInvalidArgument(data.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat("tdx collateral: ", path, ": larger than ", max, " bytes"));
  }
  if (!data.ok()) {
    if (!required) {
      return std::string();  // an optional file that is absent or unreadable
    }
    return absl::NotFoundError(absl::StrCat("tdx collateral: ", data.status().message()));
  }
  found = true;
  return ToString(*data);
}

// Skips one JSON value starting at `pos` (after whitespace); returns the end.
absl::StatusOr<size_t> SkipValue(absl::string_view s, size_t pos, absl::string_view what) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = pos; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) {
          return i + 1;
        }
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) {
        return i;  // End of a scalar before the enclosing close.
      }
      if (--depth == 0) {
        return i + 1;
      }
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
      return i;
    }
  }
  return JsonErr(what, "document", "truncated");
}

size_t SkipWs(absl::string_view s, size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\n' || s[pos] == '\r' || s[pos] == '\t')) {
    ++pos;
  }
  return pos;
}

}  // namespace

absl::StatusOr<TdxTcbStatus> ParseTdxTcbStatus(absl::string_view name) {
  static constexpr std::pair<absl::string_view, TdxTcbStatus> kNames[] = {
      {"UpToDate", TdxTcbStatus::kUpToDate},
      {"SWHardeningNeeded", TdxTcbStatus::kSwHardeningNeeded},
      {"ConfigurationNeeded", TdxTcbStatus::kConfigurationNeeded},
      {"ConfigurationAndSWHardeningNeeded", TdxTcbStatus::kConfigurationAndSwHardeningNeeded},
      {"OutOfDate", TdxTcbStatus::kOutOfDate},
      {"OutOfDateConfigurationNeeded", TdxTcbStatus::kOutOfDateConfigurationNeeded},
      {"Revoked", TdxTcbStatus::kRevoked},
  };
  for (const auto& [n, s] : kNames) {
    if (n == name) {
      return s;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown TCB status \"", name, "\""));
}

absl::string_view TdxTcbStatusName(TdxTcbStatus status) {
  switch (status) {
    case TdxTcbStatus::kUpToDate:
      return "UpToDate";
    case TdxTcbStatus::kSwHardeningNeeded:
      return "SWHardeningNeeded";
    case TdxTcbStatus::kConfigurationNeeded:
      return "ConfigurationNeeded";
    case TdxTcbStatus::kConfigurationAndSwHardeningNeeded:
      return "ConfigurationAndSWHardeningNeeded";
    case TdxTcbStatus::kOutOfDate:
      return "OutOfDate";
    case TdxTcbStatus::kOutOfDateConfigurationNeeded:
      return "OutOfDateConfigurationNeeded";
    case TdxTcbStatus::kRevoked:
      return "Revoked";
  }
  return "Unknown";
}

absl::StatusOr<SignedJson> SplitSignedJson(absl::string_view s, absl::string_view key,
                                           absl::string_view what) {
  // Validate the whole document (and its size) first; the scanner below then only walks
  // well-formed JSON.
  CONCORD_ASSIGN_OR_RETURN(json doc, ParseJson(s, what));
  size_t pos = SkipWs(s, 0);
  if (pos >= s.size() || s[pos] != '{') {
    return JsonErr(what, "document", "not a JSON object");
  }
  ++pos;
  std::optional<absl::string_view> body;
  std::optional<std::string> signature_hex;
  std::set<std::string> keys;
  while (true) {
    pos = SkipWs(s, pos);
    if (pos < s.size() && s[pos] == '}') {
      break;
    }
    CONCORD_ASSIGN_OR_RETURN(size_t key_end, SkipValue(s, pos, what));
    json k = json::parse(s.substr(pos, key_end - pos).begin(), s.substr(pos, key_end - pos).end(),
                         nullptr, false);
    if (k.is_discarded() || !k.is_string()) {
      return JsonErr(what, "document", "bad key");
    }
    const std::string name = k.get<std::string>();
    if (!keys.insert(name).second) {
      return JsonErr(what, name, "duplicate key");
    }
    pos = SkipWs(s, key_end);
    if (pos >= s.size() || s[pos] != ':') {
      return JsonErr(what, "document", "want ':'");
    }
    pos = SkipWs(s, pos + 1);
    CONCORD_ASSIGN_OR_RETURN(size_t value_end, SkipValue(s, pos, what));
    absl::string_view value = s.substr(pos, value_end - pos);
    if (name == key) {
      body = value;
    } else if (name == "signature") {
      json v = json::parse(value.begin(), value.end(), nullptr, false);
      if (v.is_discarded() || !v.is_string()) {
        return JsonErr(what, "signature", "want a hex string");
      }
      signature_hex = v.get<std::string>();
    } else {
      return JsonErr(what, name,
                     absl::StrCat("unexpected key (want \"", key, "\" and \"signature\")"));
    }
    pos = SkipWs(s, value_end);
    if (pos < s.size() && s[pos] == ',') {
      ++pos;
    }
  }
  if (!body.has_value() || body->empty() || (*body)[0] != '{') {
    return JsonErr(what, key, "missing or not an object");
  }
  if (!signature_hex.has_value()) {
    return JsonErr(what, "signature", "missing");
  }
  SignedJson out;
  out.body = std::string(*body);
  CONCORD_ASSIGN_OR_RETURN(
      Bytes sig, HexDecodeExact(*signature_hex, 64, absl::StrCat("tdx: ", what, ": signature")));
  std::copy(sig.begin(), sig.end(), out.signature.begin());
  static_cast<void>(doc);
  return out;
}

absl::StatusOr<TdxTcbInfo> ParseTcbInfo(absl::string_view body) {
  constexpr absl::string_view kWhat = "TCB info";
  TdxTcbInfo out;
  CONCORD_ASSIGN_OR_RETURN(json j, ParseHead(body, kWhat, "TDX", 3, out));
  CONCORD_RETURN_IF_ERROR(HexField(j, "fmspc", kWhat, out.fmspc));
  CONCORD_RETURN_IF_ERROR(HexField(j, "pceId", kWhat, out.pceid));
  CONCORD_ASSIGN_OR_RETURN(uint64_t tcb_type, UintField(j, "tcbType", 1000, kWhat));
  if (tcb_type != 0) {
    return JsonErr(kWhat, "tcbType", absl::StrCat("want 0, got ", tcb_type));
  }
  CONCORD_ASSIGN_OR_RETURN(uint64_t eval,
                           UintField(j, "tcbEvaluationDataNumber", 0xffffffff, kWhat));
  out.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  CONCORD_ASSIGN_OR_RETURN(const json* module, Field(j, "tdxModule", json::value_t::object, kWhat));
  CONCORD_ASSIGN_OR_RETURN(out.tdx_module, ParseModule(*module, false, "TCB info tdxModule"));
  if (auto it = j.find("tdxModuleIdentities"); it != j.end()) {
    if (!it->is_array() || it->size() > kMaxTcbLevels) {
      return JsonErr(kWhat, "tdxModuleIdentities", "want an array of at most 256 objects");
    }
    for (const json& m : *it) {
      if (!m.is_object()) {
        return JsonErr(kWhat, "tdxModuleIdentities", "want objects");
      }
      CONCORD_ASSIGN_OR_RETURN(TdxModuleIdentity ident,
                               ParseModule(m, true, "TCB info tdxModuleIdentities"));
      out.tdx_module_identities.push_back(std::move(ident));
    }
  }
  CONCORD_ASSIGN_OR_RETURN(
      out.levels, TcbLevels<TdxTcbLevel>(
                      j, kWhat, [&](const json& l, const json& tcb) -> absl::StatusOr<TdxTcbLevel> {
                        TdxTcbLevel level;
                        CONCORD_ASSIGN_OR_RETURN(level.sgx_components,
                                                 Components(tcb, "sgxtcbcomponents", kWhat));
                        CONCORD_ASSIGN_OR_RETURN(uint64_t pcesvn,
                                                 UintField(tcb, "pcesvn", 65535, kWhat));
                        level.pcesvn = static_cast<uint16_t>(pcesvn);
                        CONCORD_ASSIGN_OR_RETURN(level.tdx_components,
                                                 Components(tcb, "tdxtcbcomponents", kWhat));
                        CONCORD_ASSIGN_OR_RETURN(level.status, StatusField(l, kWhat));
                        CONCORD_ASSIGN_OR_RETURN(level.advisory_ids, Advisories(l, kWhat));
                        return level;
                      }));
  return out;
}

absl::StatusOr<TdxQeIdentity> ParseQeIdentity(absl::string_view body) {
  constexpr absl::string_view kWhat = "QE identity";
  TdxQeIdentity out;
  CONCORD_ASSIGN_OR_RETURN(json j, ParseHead(body, kWhat, "TD_QE", 2, out));
  CONCORD_ASSIGN_OR_RETURN(uint64_t eval,
                           UintField(j, "tcbEvaluationDataNumber", 0xffffffff, kWhat));
  out.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  CONCORD_ASSIGN_OR_RETURN(out.miscselect, HexU32Field(j, "miscselect", kWhat));
  CONCORD_ASSIGN_OR_RETURN(out.miscselect_mask, HexU32Field(j, "miscselectMask", kWhat));
  CONCORD_RETURN_IF_ERROR(HexField(j, "attributes", kWhat, out.attributes));
  CONCORD_RETURN_IF_ERROR(HexField(j, "attributesMask", kWhat, out.attributes_mask));
  CONCORD_RETURN_IF_ERROR(HexField(j, "mrsigner", kWhat, out.mrsigner));
  CONCORD_ASSIGN_OR_RETURN(uint64_t prodid, UintField(j, "isvprodid", 65535, kWhat));
  out.isvprodid = static_cast<uint16_t>(prodid);
  CONCORD_ASSIGN_OR_RETURN(out.levels, IsvsvnLevels<TdxQeIdentityLevel>(j, kWhat));
  return out;
}

absl::StatusOr<TdxCollateral> TdxCollateral::FromQuoteCollateralV3Json(absl::string_view text) {
  constexpr absl::string_view kWhat = "collateral.json";
  CONCORD_ASSIGN_OR_RETURN(json j, ParseJson(text, kWhat));
  TdxCollateral out;
  CONCORD_ASSIGN_OR_RETURN(std::string tcb_info, StringField(j, "tcb_info", kWhat));
  CONCORD_ASSIGN_OR_RETURN(std::string tcb_sig, StringField(j, "tcb_info_signature", kWhat));
  CONCORD_ASSIGN_OR_RETURN(std::string qe_identity, StringField(j, "qe_identity", kWhat));
  CONCORD_ASSIGN_OR_RETURN(std::string qe_sig, StringField(j, "qe_identity_signature", kWhat));
  // Both signatures are plain hex; anything else is rejected before it could
  // change the document's structure.
  for (const std::string* sig : {&tcb_sig, &qe_sig}) {
    CONCORD_RETURN_IF_ERROR(HexDecodeExact(*sig, 64, "tdx: collateral.json: signature").status());
  }
  out.tcb_info_json = absl::StrCat("{\"tcbInfo\":", tcb_info, ",\"signature\":\"", tcb_sig, "\"}");
  out.qe_identity_json =
      absl::StrCat("{\"enclaveIdentity\":", qe_identity, ",\"signature\":\"", qe_sig, "\"}");
  CONCORD_ASSIGN_OR_RETURN(out.tcb_signing_chain_pem,
                           StringField(j, "tcb_info_issuer_chain", kWhat));
  CONCORD_ASSIGN_OR_RETURN(std::string qe_chain, StringField(j, "qe_identity_issuer_chain", kWhat));
  if (qe_chain != out.tcb_signing_chain_pem) {
    return JsonErr(kWhat, "qe_identity_issuer_chain",
                   "differs from tcb_info_issuer_chain (both must be the TCB Signing chain)");
  }
  CONCORD_ASSIGN_OR_RETURN(std::string pck_crl, StringField(j, "pck_crl", kWhat));
  CONCORD_ASSIGN_OR_RETURN(out.pck_crl, HexDecode(pck_crl, "tdx: collateral.json: pck_crl"));
  CONCORD_ASSIGN_OR_RETURN(std::string root_crl, StringField(j, "root_ca_crl", kWhat));
  CONCORD_ASSIGN_OR_RETURN(out.root_ca_crl,
                           HexDecode(root_crl, "tdx: collateral.json: root_ca_crl"));
  return out;
}

absl::StatusOr<TdxCollateral> TdxCollateral::LoadDir(absl::string_view dir,
                                                     absl::string_view tcb_signing_chain_file) {
  const std::string base(dir);
  bool found = false;
  TdxCollateral out;
  CONCORD_ASSIGN_OR_RETURN(std::string qvl, ReadSmallFile(base + "/collateral.json",
                                                          kTdxMaxCollateralJsonSize, false, found));
  if (found) {
    absl::StatusOr<TdxCollateral> parsed = FromQuoteCollateralV3Json(qvl);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(base, "/collateral.json: ", parsed.status().message()));
    }
    out = *std::move(parsed);
  } else {
    CONCORD_ASSIGN_OR_RETURN(
        out.tcb_info_json,
        ReadSmallFile(base + "/tcb_info.json", kTdxMaxCollateralJsonSize, true, found));
    CONCORD_ASSIGN_OR_RETURN(
        out.qe_identity_json,
        ReadSmallFile(base + "/qe_identity.json", kTdxMaxCollateralJsonSize, true, found));
    CONCORD_ASSIGN_OR_RETURN(std::string pck_crl,
                             ReadSmallFile(base + "/pck_crl.der", kTdxMaxCrlSize, false, found));
    out.pck_crl = ToBytes(pck_crl);
    CONCORD_ASSIGN_OR_RETURN(std::string root_crl, ReadSmallFile(base + "/root_ca_crl.der",
                                                                 kTdxMaxCrlSize, false, found));
    out.root_ca_crl = ToBytes(root_crl);
    CONCORD_ASSIGN_OR_RETURN(
        out.tcb_signing_chain_pem,
        ReadSmallFile(base + "/tcb_signing_chain.pem", kTdxMaxCollateralJsonSize, false, found));
  }
  if (!tcb_signing_chain_file.empty()) {
    CONCORD_ASSIGN_OR_RETURN(
        out.tcb_signing_chain_pem,
        ReadSmallFile(std::string(tcb_signing_chain_file), kTdxMaxCollateralJsonSize, true, found));
  }
  return out;
}

absl::StatusOr<TdxTcbEvaluation> EvaluateTdxTcb(const TdxTcbInfo& info, const TdxQeIdentity& qe,
                                                const PckExtensions& pck, const TdxQuote& quote) {
  const TdxReportBody& body = quote.body;
  const uint8_t module_svn = body.tee_tcb_svn[0];
  const uint8_t module_version = body.tee_tcb_svn[1];
  TdxTcbEvaluation out;

  // Platform level.
  const TdxTcbLevel* match = nullptr;
  const size_t tdx_start = module_version > 0 ? 2 : 0;
  for (const TdxTcbLevel& level : info.levels) {
    bool ok = pck.pcesvn >= level.pcesvn;
    for (size_t i = 0; ok && i < 16; ++i) {
      ok = pck.sgx_tcb_components[i] >= level.sgx_components[i];
    }
    for (size_t i = tdx_start; ok && i < 16; ++i) {
      ok = body.tee_tcb_svn[i] >= level.tdx_components[i];
    }
    if (ok) {
      match = &level;
      break;
    }
  }
  if (match == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "tdx: TCB evaluation: no TCB level of FMSPC ", HexEncode(info.fmspc),
        " matches the platform (PCK SGX components ", HexEncode(pck.sgx_tcb_components),
        ", PCESVN ", pck.pcesvn, ", TEE_TCB_SVN ", HexEncode(body.tee_tcb_svn), ")"));
  }
  out.platform_status = match->status;
  out.advisory_ids = match->advisory_ids;

  // TDX module identity.
  const TdxModuleIdentity* module = &info.tdx_module;
  if (module_version > 0) {
    out.module_identity = absl::StrCat("TDX_", absl::Hex(module_version, absl::kZeroPad2));
    std::string upper = out.module_identity;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    module = nullptr;
    for (const TdxModuleIdentity& m : info.tdx_module_identities) {
      if (m.id == upper || m.id == out.module_identity) {
        module = &m;
        break;
      }
    }
    out.module_identity = upper;
    if (module == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat("tdx: TCB evaluation: the TCB info has no TDX module identity ", upper));
    }
  }
  const absl::string_view module_name =
      out.module_identity.empty() ? absl::string_view("tdxModule") : out.module_identity;
  if (module->mrsigner != body.mrsignerseam) {
    return absl::PermissionDeniedError(absl::StrCat(
        "tdx: TCB evaluation: MRSIGNERSEAM does not match the TCB info's ", module_name));
  }
  for (size_t i = 0; i < 8; ++i) {
    if ((body.seam_attributes[i] & module->attributes_mask[i]) !=
        (module->attributes[i] & module->attributes_mask[i])) {
      return absl::PermissionDeniedError(absl::StrCat(
          "tdx: TCB evaluation: SEAM attributes do not match the TCB info's ", module_name));
    }
  }
  out.module_status = TdxTcbStatus::kUpToDate;
  if (module_version > 0) {
    const TdxModuleLevel* mlevel = nullptr;
    for (const TdxModuleLevel& l : module->levels) {
      if (module_svn >= l.isvsvn) {
        mlevel = &l;
        break;
      }
    }
    if (mlevel == nullptr) {
      return absl::PermissionDeniedError(absl::StrCat("tdx: TCB evaluation: TDX module SVN ",
                                                      module_svn, " is below every level of ",
                                                      module_name));
    }
    out.module_status = mlevel->status;
    out.advisory_ids.insert(out.advisory_ids.end(), mlevel->advisory_ids.begin(),
                            mlevel->advisory_ids.end());
  }

  // QE level.
  out.qe_status = TdxTcbStatus::kOutOfDate;
  for (const TdxQeIdentityLevel& l : qe.levels) {
    if (quote.qe_report.isvsvn >= l.isvsvn) {
      out.qe_status = l.status;
      break;
    }
  }

  // Converge: module, then QE (Intel QVL).
  auto converge = [](TdxTcbStatus platform, TdxTcbStatus other) {
    if (other == TdxTcbStatus::kRevoked) {
      return TdxTcbStatus::kRevoked;
    }
    if (other == TdxTcbStatus::kOutOfDate || other == TdxTcbStatus::kOutOfDateConfigurationNeeded) {
      if (platform == TdxTcbStatus::kUpToDate || platform == TdxTcbStatus::kSwHardeningNeeded) {
        return TdxTcbStatus::kOutOfDate;
      }
      if (platform == TdxTcbStatus::kConfigurationNeeded ||
          platform == TdxTcbStatus::kConfigurationAndSwHardeningNeeded) {
        return TdxTcbStatus::kOutOfDateConfigurationNeeded;
      }
    }
    return platform;
  };
  out.status = converge(converge(out.platform_status, out.module_status), out.qe_status);
  return out;
}

}  // namespace concord::attest
