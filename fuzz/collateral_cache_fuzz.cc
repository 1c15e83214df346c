// Fuzzes the collateral record, index and bundle parsers (concord/collateral):
// the first byte picks the parser, the rest is its input. Decoded records are
// re-encoded and must decode to the same item; a record that decodes is also
// run through validation and a bundle import into a memory store.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/collateral/bundle.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/item.h"
#include "concord/collateral/validate.h"
#include "concord/collateral/vendor_client.h"
#include "concord/common/clock.h"
#include "concord/store/memory/memory_store.h"

namespace {

class FixedClock final : public concord::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1750809600); }  // 2025-06-25
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace concord::collateral;  // NOLINT: fuzz driver
  if (size == 0) {
    return 0;
  }
  const uint8_t selector = data[0] % 5;
  concord::ByteView input(data + 1, size - 1);
  const absl::string_view text = concord::AsStringView(input);
  switch (selector) {
    case 0: {
      absl::StatusOr<CollateralItem> item = DecodeItem(input);
      if (item.ok()) {
        absl::StatusOr<CollateralItem> again = DecodeItem(EncodeItem(*item));
        if (!again.ok() || again->body != item->body || again->key != item->key ||
            again->kind != item->kind || again->issuer_chain_pem != item->issuer_chain_pem) {
          std::abort();
        }
        static_cast<void>(ValidateItem(*item, FixedClock().Now()));
        auto store = concord::store::MemoryStore::Create();
        FixedClock clock;
        auto cache = CollateralCache::Create({store.get(), &clock});
        std::vector<BundleRecord> bundle = {
            {"fuzz.json", concord::Bytes(input.begin(), input.end())}};
        static_cast<void>(ImportBundle(**cache, bundle));
      }
      break;
    }
    case 1:
      static_cast<void>(DecodeIndexRecord(input));
      break;
    case 2:
      static_cast<void>(ParseIndexEntryName(text));
      break;
    case 3:
      for (CollateralKind kind : {CollateralKind::kSnpVcek, CollateralKind::kSnpCertChain,
                                  CollateralKind::kTdxTcbInfo, CollateralKind::kTdxPckCrl}) {
        static_cast<void>(ValidateItemKey(kind, text));
      }
      static_cast<void>(KdsClient::Target(CollateralKind::kSnpVcek, text));
      break;
    case 4:
      static_cast<void>(PercentDecode(text));
      break;
  }
  return 0;
}
