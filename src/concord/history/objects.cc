#include "concord/history/objects.h"

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"

namespace concord::history {

absl::string_view ObjectPrefix(ObjectType type) {
  switch (type) {
    case ObjectType::kManifest:
      return "manifests/";
    case ObjectType::kPolicy:
      return "policies/";
    case ObjectType::kCaBundle:
      return "certs/";
    case ObjectType::kTransition:
      return "transitions/";
  }
  return "unknown/";
}

std::string ObjectKey(ObjectType type, const crypto::Sha256Digest& hash) {
  return absl::StrCat(ObjectPrefix(type), HexEncode(hash));
}

absl::StatusOr<Bytes> ReadObject(store::Store& store, ObjectType type,
                                 const crypto::Sha256Digest& hash) {
  const std::string key = ObjectKey(type, hash);
  absl::StatusOr<Bytes> data = store.Get(key);
  if (absl::IsNotFound(data.status())) {
    return absl::NotFoundError(absl::StrCat(key, ": missing"));
  }
  if (!data.ok()) {
    return data.status();
  }
  if (crypto::Sha256(*data) != hash) {
    return absl::DataLossError(absl::StrCat(key, ": hash mismatch"));
  }
  return data;
}

}  // namespace concord::history
