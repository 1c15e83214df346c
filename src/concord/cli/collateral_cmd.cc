// `concord collateral export|import|list|fetch`: vendor collateral in a
// coordinator's store (DESIGN.md §6, docs/collateral.md). export writes the
// newest item of every kind and key as one record file each into a
// directory; import re-validates every record and writes nothing unless all
// are accepted; fetch gets one item from AMD KDS / Intel PCS into the store.
// Exit codes per docs/decisions/0003: 0 done, 1 refused (an invalid, older or
// expired item; store or vendor unreachable), 2 usage or unreadable input.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/cli/commands.h"
#include "concord/collateral/bundle.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/item.h"
#include "concord/collateral/vendor_client.h"
#include "concord/collateral/web_fetcher.h"
#include "concord/common/clock.h"
#include "concord/common/posix/files.h"
#include "concord/common/time_format.h"
#include "concord/store/builtin.h"
#include "nlohmann/json.hpp"

namespace concord::cli {
namespace {

struct CollateralArgs {
  std::string store;
  std::string dir;
  std::string at;
  std::string kind;
  std::string key;
  std::string kds_url = std::string(collateral::kDefaultKdsBaseUrl);
  std::string pcs_url = std::string(collateral::kDefaultPcsBaseUrl);
  std::string ca_file;
};

// A clock fixed at --at, or the system clock.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time t) : t_(t) {}
  absl::Time Now() const override { return t_; }

 private:
  absl::Time t_;
};

struct Opened {
  std::unique_ptr<Clock> clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<collateral::CollateralCache> cache;
};

// Opens the store and a cache over it; null after reporting a failure.
std::unique_ptr<Opened> Open(CommandContext& ctx, const CollateralArgs& args) {
  auto opened = std::make_unique<Opened>();
  absl::Time now = absl::Now();
  if (!args.at.empty()) {
    absl::StatusOr<absl::Time> at = ParseRfc3339(args.at, "--at");
    if (!at.ok()) {
      Fail(ctx, kExitUsage, at.status());
      return nullptr;
    }
    now = *at;
  }
  opened->clock = std::make_unique<FixedClock>(now);
  absl::StatusOr<std::unique_ptr<store::Store>> st = store::OpenStore(args.store, store::Deps());
  if (!st.ok()) {
    Fail(ctx, absl::IsInvalidArgument(st.status()) ? kExitUsage : kExitInvalid, st.status());
    return nullptr;
  }
  opened->store = *std::move(st);
  opened->cache = *collateral::CollateralCache::Create({opened->store.get(), opened->clock.get()});
  return opened;
}

nlohmann::json Describe(const collateral::ValidatedItem& v) {
  return {{"kind", std::string(collateral::KindName(v.item.kind))},
          {"key", v.item.key},
          {"hash", v.hash},
          {"issueDate", FormatRfc3339(v.issue_date)},
          {"nextUpdate", FormatRfc3339(v.next_update)}};
}

void RunExport(CommandContext& ctx, const CollateralArgs& args) {
  std::unique_ptr<Opened> o = Open(ctx, args);
  if (o == nullptr) {
    return;
  }
  absl::StatusOr<std::vector<collateral::BundleRecord>> bundle =
      collateral::ExportBundle(*o->cache);
  if (!bundle.ok()) {
    Fail(ctx, kExitInvalid, bundle.status());
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(args.dir, ec);
  if (ec) {
    Fail(ctx, kExitUsage, absl::InvalidArgumentError(absl::StrCat(args.dir, ": ", ec.message())));
    return;
  }
  nlohmann::json files = nlohmann::json::array();
  for (const collateral::BundleRecord& r : *bundle) {
    const std::string path = absl::StrCat(args.dir, "/", r.name);
    absl::Status written = posix::WriteFileAtomic(path, r.record, 0644);
    if (!written.ok()) {
      Fail(ctx, kExitUsage, written);
      return;
    }
    files.push_back(r.name);
  }
  ctx.out << nlohmann::json({{"exported", bundle->size()}, {"files", files}}).dump(2) << "\n";
}

void RunImport(CommandContext& ctx, const CollateralArgs& args) {
  absl::StatusOr<std::vector<collateral::BundleRecord>> records =
      collateral::ReadBundleDir(args.dir);
  if (!records.ok()) {
    Fail(ctx, kExitUsage, records.status());
    return;
  }
  std::unique_ptr<Opened> o = Open(ctx, args);
  if (o == nullptr) {
    return;
  }
  absl::StatusOr<size_t> imported = collateral::ImportBundle(*o->cache, *records);
  if (!imported.ok()) {
    Fail(ctx, kExitInvalid, imported.status());
    return;
  }
  ctx.out << nlohmann::json({{"imported", *imported}}).dump(2) << "\n";
}

void RunList(CommandContext& ctx, const CollateralArgs& args) {
  std::unique_ptr<Opened> o = Open(ctx, args);
  if (o == nullptr) {
    return;
  }
  absl::StatusOr<std::vector<std::shared_ptr<const collateral::ValidatedItem>>> items =
      o->cache->ListNewest();
  if (!items.ok()) {
    Fail(ctx, kExitInvalid, items.status());
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : *items) {
    out.push_back(Describe(*v));
  }
  ctx.out << out.dump(2) << "\n";
}

void RunFetch(CommandContext& ctx, const CollateralArgs& args) {
  absl::StatusOr<collateral::CollateralKind> kind = collateral::ParseKind(args.kind);
  if (!kind.ok()) {
    Fail(ctx, kExitUsage, kind.status());
    return;
  }
  absl::Status key_ok = collateral::ValidateItemKey(*kind, args.key);
  if (!key_ok.ok()) {
    Fail(ctx, kExitUsage, key_ok);
    return;
  }
  std::unique_ptr<Opened> o = Open(ctx, args);
  if (o == nullptr) {
    return;
  }
  const bool amd = *kind == collateral::CollateralKind::kSnpVcek ||
                   *kind == collateral::CollateralKind::kSnpCertChain ||
                   *kind == collateral::CollateralKind::kSnpCrl;
  net::WebClientOptions options;
  options.base_url = amd ? args.kds_url : args.pcs_url;
  options.ca_file = args.ca_file;
  absl::StatusOr<std::unique_ptr<collateral::WebClientFetcher>> fetcher =
      collateral::WebClientFetcher::Create(options);
  if (!fetcher.ok()) {
    Fail(ctx, kExitUsage, fetcher.status());
    return;
  }
  collateral::KdsClient kds(**fetcher, *o->clock);
  collateral::PcsClient pcs(**fetcher, *o->clock);
  collateral::CollateralSource& source =
      amd ? static_cast<collateral::CollateralSource&>(kds) : pcs;
  absl::StatusOr<collateral::CollateralItem> item = source.Fetch(*kind, args.key);
  if (!item.ok()) {
    Fail(ctx, kExitInvalid, item.status());
    return;
  }
  absl::StatusOr<collateral::ValidatedItem> kept = o->cache->Insert(*std::move(item));
  if (!kept.ok()) {
    Fail(ctx, kExitInvalid, kept.status());
    return;
  }
  ctx.out << Describe(*kept).dump(2) << "\n";
}

}  // namespace

void AddCollateralCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand(
      "collateral", "Vendor collateral in the store: offline bundles and fetching");
  group->require_subcommand(1);
  auto args = std::make_shared<CollateralArgs>();
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--store", args->store, "Store URL (file:///dir, etcd://..., redis://...)")
        ->required();
    cmd->add_option("--at", args->at,
                    "Validation time, RFC 3339 (default: now; for archived bundles)");
  };
  CLI::App* exp = group->add_subcommand("export", "Write the newest items to a directory");
  add_common(exp);
  exp->add_option("--out", args->dir, "Bundle directory (created)")->required();
  exp->callback([&ctx, args] { RunExport(ctx, *args); });

  CLI::App* imp = group->add_subcommand(
      "import", "Re-validate a bundle directory and add it to the store (all or nothing)");
  add_common(imp);
  imp->add_option("--in", args->dir, "Bundle directory")->required();
  imp->callback([&ctx, args] { RunImport(ctx, *args); });

  CLI::App* list = group->add_subcommand("list", "Show the newest item of every kind and key");
  add_common(list);
  list->callback([&ctx, args] { RunList(ctx, *args); });

  CLI::App* fetch = group->add_subcommand(
      "fetch", "Fetch one item from AMD KDS or Intel PCS, validate it and store it");
  add_common(fetch);
  fetch
      ->add_option("--kind", args->kind,
                   "snp-vcek, snp-cert-chain, snp-crl, tdx-tcb-info, "
                   "tdx-qe-identity, tdx-pck-crl, tdx-root-ca-crl")
      ->required();
  fetch
      ->add_option("--key", args->key,
                   "Item key (docs/collateral.md), e.g. milan, b0c06f000000, platform")
      ->required();
  fetch->add_option("--kds-url", args->kds_url, "AMD KDS base URL");
  fetch->add_option("--pcs-url", args->pcs_url, "Intel PCS base URL");
  fetch->add_option("--ca-file", args->ca_file, "PEM CA bundle for HTTPS (default: system)");
  fetch->callback([&ctx, args] { RunFetch(ctx, *args); });
}

}  // namespace concord::cli
