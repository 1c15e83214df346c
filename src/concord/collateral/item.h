// Vendor collateral items (AMD KDS VCEKs, ASK/ARK chains and CRLs; Intel PCS
// TCB info, QE identity, PCK and Root CA CRLs) as Concord stores and ships
// them: the item record (kind, key, the body exactly as the vendor served it,
// and the issuer chain Intel sends in a header), its content hash, the store
// layout of the content-addressed objects and the per-item index (DESIGN.md
// §6), and the canonical keys. Used by the cache, the vendor clients, offline
// bundles and the verifier adapters. Plain data and pure functions;
// thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/attest/reference_values.h"
#include "concord/common/bytes.h"

namespace concord::collateral {

enum class CollateralKind {
  kSnpVcek,        // key "<product>/<hwid hex>/<reported TCB, 16 hex>"
  kSnpCertChain,   // key "<product>": ASK + ARK (PEM) as KDS cert_chain serves them
  kSnpCrl,         // key "<product>": the ARK's CRL
  kTdxTcbInfo,     // key "<fmspc, 12 hex>"
  kTdxQeIdentity,  // key "td_qe"
  kTdxPckCrl,      // key "platform" | "processor"
  kTdxRootCaCrl,   // key "root"
};

// Largest item body and issuer chain accepted anywhere (fetch, store, bundle).
inline constexpr size_t kMaxBodySize = 256 * 1024;
inline constexpr size_t kMaxIssuerChainSize = 16 * 1024;
// Largest encoded item record (base64 body plus JSON framing).
inline constexpr size_t kMaxRecordSize = 400 * 1024;

// "snp-vcek", "snp-cert-chain", "snp-crl", "tdx-tcb-info", "tdx-qe-identity",
// "tdx-pck-crl", "tdx-root-ca-crl".
absl::string_view KindName(CollateralKind kind);
// Inverse of KindName. InvalidArgument for any other string.
absl::StatusOr<CollateralKind> ParseKind(absl::string_view name);

struct CollateralItem {
  CollateralKind kind = CollateralKind::kSnpVcek;
  std::string key;
  // Exactly as served: DER VCEK, PEM chain, DER/PEM CRL, PCS JSON document.
  Bytes body;
  // Intel only: the PEM issuer chain from the response header (signing
  // certificate first, optionally followed by the root). Empty for AMD.
  std::string issuer_chain_pem;
};

// Checks `key` against the syntax of `kind` (see CollateralKind).
// InvalidArgument "collateral: <kind> key: ..." naming the problem.
absl::Status ValidateItemKey(CollateralKind kind, absl::string_view key);

// Canonical keys.
// Milan/Genoa: the 64-byte CHIP_ID; Turin: its first 8 bytes (the rest must be
// zero). InvalidArgument for a wrong size or non-zero Turin padding.
absl::StatusOr<std::string> SnpVcekKey(attest::SnpProduct product, ByteView chip_id,
                                       uint64_t reported_tcb);
std::string SnpProductKey(attest::SnpProduct product);         // "milan", "genoa", "turin"
std::string TdxFmspcKey(const std::array<uint8_t, 6>& fmspc);  // lowercase hex
inline constexpr absl::string_view kTdxQeIdentityKey = "td_qe";
inline constexpr absl::string_view kTdxRootCaCrlKey = "root";

// The parts of a VCEK key. InvalidArgument as ValidateItemKey.
struct SnpVcekKeyParts {
  attest::SnpProduct product = attest::SnpProduct::kMilan;
  Bytes hwid;  // 64 bytes (8 on Turin)
  uint64_t reported_tcb = 0;
};
absl::StatusOr<SnpVcekKeyParts> ParseSnpVcekKey(absl::string_view key);
absl::StatusOr<attest::SnpProduct> ParseSnpProductKey(absl::string_view key);

// The stored record: JSON {"version":1,"kind":..,"key":..,"body":"<base64>",
// "issuerChain":".."}, keys in that order. DecodeItem accepts exactly this
// shape (no unknown or duplicate fields) and checks sizes and the key;
// InvalidArgument "collateral record: <field>: ..." otherwise.
Bytes EncodeItem(const CollateralItem& item);
absl::StatusOr<CollateralItem> DecodeItem(ByteView record);

// Lowercase hex SHA-256 of EncodeItem(item): the object's content address.
std::string ContentHash(const CollateralItem& item);

// Store layout.
//   collateral/objects/<hash>                         -> EncodeItem bytes
//   collateral/index/<kind>/<key digest>/<date>-<hash> -> index record
// <key digest> is the first 32 hex of SHA-256(key) (VCEK keys are too long
// for a store key); <date> is the issue date as "yyyymmddthhmmssz", so a
// bytewise-sorted List() ends with the newest item, and every replica writes
// its own entry: no compare-and-swap is needed and an older item written
// concurrently never becomes the newest.
inline constexpr absl::string_view kObjectPrefix = "collateral/objects/";
inline constexpr absl::string_view kIndexPrefix = "collateral/index/";
std::string ObjectKey(absl::string_view hash);
// The directory (ending in '/') holding the index entries of one item.
std::string IndexDir(CollateralKind kind, absl::string_view key);
std::string IndexEntryKey(CollateralKind kind, absl::string_view key, absl::Time issue_date,
                          absl::string_view hash);

// A parsed index entry name ("<date>-<hash>", without the directory).
struct IndexEntryName {
  absl::Time issue_date;
  std::string hash;
};
// InvalidArgument "collateral index entry: ..." for any other shape.
absl::StatusOr<IndexEntryName> ParseIndexEntryName(absl::string_view name);

// The index record: JSON {"version":1,"kind":..,"key":..,"hash":..,
// "issueDate":"<RFC 3339>","nextUpdate":"<RFC 3339>"}. Informational for
// operators; readers trust only the object it names, re-validated.
struct IndexRecord {
  CollateralKind kind = CollateralKind::kSnpVcek;
  std::string key;
  std::string hash;
  absl::Time issue_date;
  absl::Time next_update;
};
Bytes EncodeIndexRecord(const IndexRecord& record);
// InvalidArgument "collateral index record: <field>: ..." (at most 4 KiB).
absl::StatusOr<IndexRecord> DecodeIndexRecord(ByteView data);

}  // namespace concord::collateral
