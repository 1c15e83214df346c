#include "concord/collateral/item.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "concord/attest/snp/report.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"
#include "nlohmann/json.hpp"

namespace concord::collateral {
namespace {

using attest::SnpProduct;
using Json = nlohmann::ordered_json;

constexpr size_t kMaxIndexRecordSize = 4096;
constexpr absl::string_view kDateFormat = "%Y%m%dt%H%M%Sz";

struct KindEntry {
  CollateralKind kind;
  absl::string_view name;
};
constexpr KindEntry kKinds[] = {
    {CollateralKind::kSnpVcek, "snp-vcek"},
    {CollateralKind::kSnpCertChain, "snp-cert-chain"},
    {CollateralKind::kSnpCrl, "snp-crl"},
    {CollateralKind::kTdxTcbInfo, "tdx-tcb-info"},
    {CollateralKind::kTdxQeIdentity, "tdx-qe-identity"},
    {CollateralKind::kTdxPckCrl, "tdx-pck-crl"},
    {CollateralKind::kTdxRootCaCrl, "tdx-root-ca-crl"},
};

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

absl::Status KeyError(CollateralKind kind, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("collateral: ", KindName(kind), " key: ", detail));
}

// Parses a flat JSON object (members are strings and numbers) of at most
// `max_size` bytes, strictly: no duplicate keys, nothing after the value.
absl::StatusOr<Json> ParseFlatObject(absl::string_view text, absl::string_view what,
                                     size_t max_size) {
  CONCORD_ASSIGN_OR_RETURN(
      Json doc, json::ParseStrict<Json>(
                    text, {.document = what,
                           .max_size = max_size,
                           .max_depth = 1,
                           .messages = {.too_deep = "{document}: {where}: want a string or a "
                                                    "number"}}));
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": want a JSON object"));
  }
  return doc;
}

absl::StatusOr<std::string> StringField(const Json& doc, absl::string_view what,
                                        absl::string_view field, size_t max_size) {
  auto it = doc.find(std::string(field));
  if (it == doc.end()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", field, ": missing"));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", field, ": want a string"));
  }
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", field, ": longer than ", max_size, " characters"));
  }
  return s;
}

absl::Status CheckFields(const Json& doc, absl::string_view what,
                         std::initializer_list<absl::string_view> allowed) {
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    bool ok = false;
    for (absl::string_view a : allowed) {
      ok = ok || it.key() == a;
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": unknown field \"", absl::CHexEscape(it.key().substr(0, 40)), "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckVersion(const Json& doc, absl::string_view what) {
  auto it = doc.find("version");
  if (it == doc.end()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": version: missing"));
  }
  if (!it->is_number_unsigned() || it->get<uint64_t>() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": version: want 1"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view KindName(CollateralKind kind) {
  for (const KindEntry& e : kKinds) {
    if (e.kind == kind) {
      return e.name;
    }
  }
  return "unknown";
}

absl::StatusOr<CollateralKind> ParseKind(absl::string_view name) {
  for (const KindEntry& e : kKinds) {
    if (e.name == name) {
      return e.kind;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("collateral kind: want one of snp-vcek, snp-cert-chain, snp-crl, tdx-tcb-info, "
                   "tdx-qe-identity, tdx-pck-crl, tdx-root-ca-crl, got \"",
                   absl::CHexEscape(name.substr(0, 40)), "\""));
}

std::string SnpProductKey(SnpProduct product) {
  return absl::AsciiStrToLower(attest::SnpProductName(product));
}

absl::StatusOr<SnpProduct> ParseSnpProductKey(absl::string_view key) {
  for (SnpProduct p : {SnpProduct::kMilan, SnpProduct::kGenoa, SnpProduct::kTurin}) {
    if (key == SnpProductKey(p)) {
      return p;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("collateral: product: want milan, genoa or turin, got \"",
                   absl::CHexEscape(key.substr(0, 40)), "\""));
}

std::string TdxFmspcKey(const std::array<uint8_t, 6>& fmspc) { return HexEncode(fmspc); }

absl::StatusOr<std::string> SnpVcekKey(SnpProduct product, ByteView chip_id,
                                       uint64_t reported_tcb) {
  if (chip_id.size() != 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("collateral: chip ID: want 64 bytes, got ", chip_id.size()));
  }
  ByteView hwid = chip_id;
  if (product == SnpProduct::kTurin) {
    for (size_t i = 8; i < chip_id.size(); ++i) {
      if (chip_id[i] != 0) {
        return absl::InvalidArgumentError(
            "collateral: chip ID: a Turin chip ID has 8 bytes followed by zeros");
      }
    }
    hwid = chip_id.first(8);
  }
  Bytes tcb;
  AppendBigEndian(tcb, reported_tcb, 8);
  return absl::StrCat(SnpProductKey(product), "/", HexEncode(hwid), "/", HexEncode(tcb));
}

absl::StatusOr<SnpVcekKeyParts> ParseSnpVcekKey(absl::string_view key) {
  const CollateralKind kind = CollateralKind::kSnpVcek;
  std::vector<absl::string_view> parts = absl::StrSplit(key, '/');
  if (parts.size() != 3) {
    return KeyError(kind, "want <product>/<hwid hex>/<reported TCB, 16 hex>");
  }
  absl::StatusOr<SnpProduct> product = ParseSnpProductKey(parts[0]);
  if (!product.ok()) {
    return KeyError(kind, product.status().message());
  }
  SnpVcekKeyParts out;
  out.product = *product;
  const size_t hwid_size = *product == SnpProduct::kTurin ? 8 : 64;
  if (!IsLowerHex(parts[1]) || !IsLowerHex(parts[2])) {
    return KeyError(kind, "want lowercase hex");
  }
  absl::StatusOr<Bytes> hwid = HexDecodeExact(parts[1], hwid_size, "hwid");
  if (!hwid.ok()) {
    return KeyError(kind, hwid.status().message());
  }
  absl::StatusOr<Bytes> tcb = HexDecodeExact(parts[2], 8, "reported TCB");
  if (!tcb.ok()) {
    return KeyError(kind, tcb.status().message());
  }
  out.hwid = *std::move(hwid);
  for (uint8_t b : *tcb) {
    out.reported_tcb = (out.reported_tcb << 8) | b;
  }
  return out;
}

absl::Status ValidateItemKey(CollateralKind kind, absl::string_view key) {
  switch (kind) {
    case CollateralKind::kSnpVcek:
      return ParseSnpVcekKey(key).status();
    case CollateralKind::kSnpCertChain:
    case CollateralKind::kSnpCrl: {
      absl::Status s = ParseSnpProductKey(key).status();
      return s.ok() ? s : KeyError(kind, s.message());
    }
    case CollateralKind::kTdxTcbInfo:
      if (key.size() != 12 || !IsLowerHex(key)) {
        return KeyError(kind, "want the FMSPC as 12 lowercase hex characters");
      }
      return absl::OkStatus();
    case CollateralKind::kTdxQeIdentity:
      if (key != kTdxQeIdentityKey) {
        return KeyError(kind, "want \"td_qe\"");
      }
      return absl::OkStatus();
    case CollateralKind::kTdxPckCrl:
      if (key != "platform" && key != "processor") {
        return KeyError(kind, "want \"platform\" or \"processor\"");
      }
      return absl::OkStatus();
    case CollateralKind::kTdxRootCaCrl:
      if (key != kTdxRootCaCrlKey) {
        return KeyError(kind, "want \"root\"");
      }
      return absl::OkStatus();
  }
  return KeyError(kind, "unknown kind");
}

Bytes EncodeItem(const CollateralItem& item) {
  Json doc;
  doc["version"] = 1;
  doc["kind"] = std::string(KindName(item.kind));
  doc["key"] = item.key;
  doc["body"] = absl::Base64Escape(AsStringView(item.body));
  doc["issuerChain"] = item.issuer_chain_pem;
  return ToBytes(doc.dump());
}

absl::StatusOr<CollateralItem> DecodeItem(ByteView record) {
  constexpr absl::string_view kWhat = "collateral record";
  CONCORD_ASSIGN_OR_RETURN(Json doc, ParseFlatObject(AsStringView(record), kWhat, kMaxRecordSize));
  CONCORD_RETURN_IF_ERROR(
      CheckFields(doc, kWhat, {"version", "kind", "key", "body", "issuerChain"}));
  CONCORD_RETURN_IF_ERROR(CheckVersion(doc, kWhat));
  CONCORD_ASSIGN_OR_RETURN(std::string kind_name, StringField(doc, kWhat, "kind", 64));
  absl::StatusOr<CollateralKind> kind = ParseKind(kind_name);
  if (!kind.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", kind.status().message()));
  }
  CollateralItem item;
  item.kind = *kind;
  CONCORD_ASSIGN_OR_RETURN(item.key, StringField(doc, kWhat, "key", 200));
  absl::Status key_ok = ValidateItemKey(item.kind, item.key);
  if (!key_ok.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", key_ok.message()));
  }
  CONCORD_ASSIGN_OR_RETURN(std::string body64,
                           StringField(doc, kWhat, "body", (kMaxBodySize + 2) / 3 * 4));
  std::string body;
  if (!absl::Base64Unescape(body64, &body)) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": body: want base64"));
  }
  if (body.empty() || body.size() > kMaxBodySize) {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, ": body: want 1 to ", kMaxBodySize, " bytes"));
  }
  item.body = ToBytes(body);
  CONCORD_ASSIGN_OR_RETURN(item.issuer_chain_pem,
                           StringField(doc, kWhat, "issuerChain", kMaxIssuerChainSize));
  return item;
}

std::string ContentHash(const CollateralItem& item) {
  return HexEncode(crypto::Sha256(EncodeItem(item)));
}

std::string ObjectKey(absl::string_view hash) { return absl::StrCat(kObjectPrefix, hash); }

std::string IndexDir(CollateralKind kind, absl::string_view key) {
  std::string digest = HexEncode(crypto::Sha256(AsBytes(key)));
  return absl::StrCat(kIndexPrefix, KindName(kind), "/", digest.substr(0, 32), "/");
}

std::string IndexEntryKey(CollateralKind kind, absl::string_view key, absl::Time issue_date,
                          absl::string_view hash) {
  return absl::StrCat(IndexDir(kind, key),
                      absl::FormatTime(kDateFormat, issue_date, absl::UTCTimeZone()), "-", hash);
}

absl::StatusOr<IndexEntryName> ParseIndexEntryName(absl::string_view name) {
  constexpr absl::string_view kWhat = "collateral index entry: ";
  if (name.size() != 16 + 1 + 64 || name[16] != '-') {
    return absl::InvalidArgumentError(
        absl::StrCat(kWhat, "want <yyyymmddthhmmssz>-<64 hex>, got ", name.size(), " characters"));
  }
  // Fixed-width fields (absl::ParseTime's %Y would consume every digit).
  absl::string_view date = name.substr(0, 16);
  IndexEntryName out;
  int fields[6] = {0};
  const std::pair<size_t, size_t> spans[6] = {{0, 4}, {4, 2}, {6, 2}, {9, 2}, {11, 2}, {13, 2}};
  bool ok = date[8] == 't' && date[15] == 'z';
  for (int i = 0; i < 6 && ok; ++i) {
    absl::string_view digits = date.substr(spans[i].first, spans[i].second);
    ok = IsLowerHex(digits) && digits.find_first_not_of("0123456789") == absl::string_view::npos &&
         absl::SimpleAtoi(digits, &fields[i]);
  }
  if (ok) {
    absl::CivilSecond cs(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
    ok = cs.year() == fields[0] && cs.month() == fields[1] && cs.day() == fields[2] &&
         cs.hour() == fields[3] && cs.minute() == fields[4] && cs.second() == fields[5];
    out.issue_date = absl::FromCivil(cs, absl::UTCTimeZone());
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, "date: want yyyymmddthhmmssz"));
  }
  out.hash = std::string(name.substr(17));
  if (!IsLowerHex(out.hash)) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, "hash: want 64 lowercase hex"));
  }
  return out;
}

Bytes EncodeIndexRecord(const IndexRecord& record) {
  Json doc;
  doc["version"] = 1;
  doc["kind"] = std::string(KindName(record.kind));
  doc["key"] = record.key;
  doc["hash"] = record.hash;
  doc["issueDate"] = FormatRfc3339(record.issue_date);
  doc["nextUpdate"] = FormatRfc3339(record.next_update);
  return ToBytes(doc.dump());
}

absl::StatusOr<IndexRecord> DecodeIndexRecord(ByteView data) {
  constexpr absl::string_view kWhat = "collateral index record";
  CONCORD_ASSIGN_OR_RETURN(Json doc,
                           ParseFlatObject(AsStringView(data), kWhat, kMaxIndexRecordSize));
  CONCORD_RETURN_IF_ERROR(
      CheckFields(doc, kWhat, {"version", "kind", "key", "hash", "issueDate", "nextUpdate"}));
  CONCORD_RETURN_IF_ERROR(CheckVersion(doc, kWhat));
  IndexRecord out;
  CONCORD_ASSIGN_OR_RETURN(std::string kind_name, StringField(doc, kWhat, "kind", 64));
  absl::StatusOr<CollateralKind> kind = ParseKind(kind_name);
  if (!kind.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", kind.status().message()));
  }
  out.kind = *kind;
  CONCORD_ASSIGN_OR_RETURN(out.key, StringField(doc, kWhat, "key", 200));
  absl::Status key_ok = ValidateItemKey(out.kind, out.key);
  if (!key_ok.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", key_ok.message()));
  }
  CONCORD_ASSIGN_OR_RETURN(out.hash, StringField(doc, kWhat, "hash", 64));
  if (out.hash.size() != 64 || !IsLowerHex(out.hash)) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": hash: want 64 lowercase hex"));
  }
  for (auto [field, target] :
       {std::pair<absl::string_view, absl::Time*>{"issueDate", &out.issue_date},
        {"nextUpdate", &out.next_update}}) {
    CONCORD_ASSIGN_OR_RETURN(std::string text, StringField(doc, kWhat, field, 64));
    absl::StatusOr<absl::Time> t = ParseRfc3339(text, field);
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", t.status().message()));
    }
    *target = *t;
  }
  return out;
}

}  // namespace concord::collateral
