// Wiping the plain-text copies of secrets a JSON document holds (request and
// response bodies that carry a seed, a salt, a mesh or workload secret). The
// DOM's destructor frees its strings without overwriting them. Used only by
// concord/api.
#pragma once

#include "concord/crypto/secret_bytes.h"
#include "nlohmann/json.hpp"

namespace concord::api::internal {

// Overwrites every string value (and key) in `value`, recursively.
template <typename JsonT>
void WipeJsonStrings(JsonT& value) {
  if (value.is_string()) {
    crypto::WipeString(value.template get_ref<typename JsonT::string_t&>());
    return;
  }
  if (value.is_object() || value.is_array()) {
    for (auto& child : value) {
      WipeJsonStrings(child);
    }
  }
}

}  // namespace concord::api::internal
