#include "concord/concordd/platform_stack.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/collateral/item.h"
#include "concord/collateral/verifiers.h"
#include "concord/collateral/web_fetcher.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/hash.h"

namespace concord::concordd {
namespace {

// The label of the report data PrepareOwnCollateral attests over (verified
// locally only, so it need not be fresh).
constexpr absl::string_view kOwnCollateralLabel = "concord/v1/own-collateral-check";

// Vendor access switched off: every fetch says so; the refresher's Reload of
// the store still adopts items imported by an operator or another replica.
class OfflineSource final : public collateral::CollateralSource {
 public:
  absl::StatusOr<collateral::CollateralItem> Fetch(collateral::CollateralKind kind,
                                                   absl::string_view key) override {
    return absl::UnavailableError(
        absl::StrCat("collateral: ", collateral::KindName(kind), " ", key,
                     ": vendor fetching is off (--offline-collateral); import a bundle with "
                     "`concord collateral import`"));
  }
};

// SNP evidence the kernel returned without certificates (no host-provided
// certificate table) gets the cached VCEK attached, so that every client can
// verify it with the AMD roots alone. Anything else passes through.
class VcekAttachingAttester final : public attest::Attester {
 public:
  VcekAttachingAttester(std::unique_ptr<attest::Attester> inner, collateral::CollateralCache& cache)
      : inner_(std::move(inner)), cache_(cache) {}

  attest::Platform platform() const override { return inner_->platform(); }

  absl::StatusOr<attest::Evidence> Attest(
      const std::array<uint8_t, 64>& report_data) const override {
    CONCORD_ASSIGN_OR_RETURN(attest::Evidence evidence, inner_->Attest(report_data));
    if (evidence.platform != attest::Platform::kSnp || !evidence.certs.empty()) {
      return evidence;
    }
    CONCORD_ASSIGN_OR_RETURN(std::vector<collateral::CollateralRef> needed,
                             collateral::RequiredCollateral(evidence));
    for (const collateral::CollateralRef& ref : needed) {
      if (ref.kind != collateral::CollateralKind::kSnpVcek) {
        continue;
      }
      absl::StatusOr<std::shared_ptr<const collateral::ValidatedItem>> vcek =
          cache_.Lookup(ref.kind, ref.key);
      if (vcek.ok()) {
        evidence.certs.push_back((*vcek)->item.body);
        break;
      }
    }
    // Without a cached VCEK the evidence goes out as the kernel made it:
    // verifiers with collateral of their own can still check it.
    return evidence;
  }

 private:
  const std::unique_ptr<attest::Attester> inner_;
  collateral::CollateralCache& cache_;
};

absl::StatusOr<std::unique_ptr<collateral::HttpFetcher>> MakeFetcher(absl::string_view flag,
                                                                     const std::string& url,
                                                                     const std::string& ca_file) {
  net::WebClientOptions options;
  options.base_url = url;
  options.ca_file = ca_file;
  absl::StatusOr<std::unique_ptr<collateral::WebClientFetcher>> fetcher =
      collateral::WebClientFetcher::Create(std::move(options));
  if (!fetcher.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", fetcher.status().message()));
  }
  return std::unique_ptr<collateral::HttpFetcher>(*std::move(fetcher));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PlatformStack>> PlatformStack::Create(PlatformStackOptions options,
                                                                     PlatformStackDeps deps) {
  if (options.platform == attest::Platform::kSimulated && !options.allow_simulated) {
    return absl::FailedPreconditionError(
        "--platform simulated: the launch config's Platforms does not allow simulated");
  }
  std::unique_ptr<PlatformStack> stack(new PlatformStack(std::move(options), deps));
  PlatformStack& s = *stack;
  CONCORD_ASSIGN_OR_RETURN(
      s.cache_, collateral::CollateralCache::Create({.store = &deps.store, .clock = &deps.clock}));

  // Vendors.
  if (s.options_.fetch_collateral) {
    collateral::HttpFetcher* kds_fetcher = deps.kds_fetcher;
    collateral::HttpFetcher* pcs_fetcher = deps.pcs_fetcher;
    if (kds_fetcher == nullptr) {
      CONCORD_ASSIGN_OR_RETURN(s.owned_kds_fetcher_, MakeFetcher("--kds-url", s.options_.kds_url,
                                                                 s.options_.vendor_ca_file));
      kds_fetcher = s.owned_kds_fetcher_.get();
    }
    if (pcs_fetcher == nullptr) {
      CONCORD_ASSIGN_OR_RETURN(s.owned_pcs_fetcher_, MakeFetcher("--pcs-url", s.options_.pcs_url,
                                                                 s.options_.vendor_ca_file));
      pcs_fetcher = s.owned_pcs_fetcher_.get();
    }
    s.kds_ = std::make_unique<collateral::KdsClient>(*kds_fetcher, deps.clock);
    s.pcs_ = std::make_unique<collateral::PcsClient>(*pcs_fetcher, deps.clock);
    s.source_ = std::make_unique<collateral::VendorSource>(s.kds_.get(), s.pcs_.get());
  } else {
    s.source_ = std::make_unique<OfflineSource>();
  }
  collateral::CollateralRefresher::Options refresh;
  refresh.interval = s.options_.refresh_interval;
  // A missed item should not wait a minute for its first retry: the
  // replica's own evidence and new workloads depend on it.
  refresh.min_backoff = absl::Seconds(5);
  s.refresher_ =
      std::make_unique<collateral::CollateralRefresher>(*s.cache_, *s.source_, deps.clock, refresh);

  // Verifiers.
  CONCORD_ASSIGN_OR_RETURN(
      std::unique_ptr<attest::SnpVerifier> snp,
      attest::SnpVerifier::Create({.allow_simulated = s.options_.allow_simulated}));
  s.snp_verifier_ = std::move(snp);
  collateral::CollateralRefresher* const refresher = s.refresher_.get();
  Logger* const log = &deps.log;
  // Misses come from evidence that has only passed the checks needing no
  // collateral (collateral::CollateralToWant): keys nothing vouches for go to
  // the refresher's bounded, expiring unverified pool, quietly (anyone can
  // send them); a full vouched set is logged once, not once per refused
  // handshake (the flag is shared because the callback is a copyable
  // std::function).
  auto full_logged = std::make_shared<std::atomic<bool>>(false);
  s.verifier_ = std::make_unique<collateral::PlatformVerifier>(
      *s.snp_verifier_, *s.cache_,
      [refresher, log, full_logged](const std::vector<collateral::CollateralRef>& needed) {
        bool kick = false;
        for (const collateral::CollateralRef& ref : needed) {
          const bool known = refresher->IsWanted(ref.kind, ref.key);
          absl::Status wanted = ref.vouched ? refresher->Want(ref.kind, ref.key)
                                            : refresher->WantUnverified(ref.kind, ref.key);
          if (absl::IsNotFound(wanted)) {
            continue;  // the vendor said it has none (counted in the refresher's stats)
          }
          if (!wanted.ok()) {
            if (!absl::IsResourceExhausted(wanted) || !full_logged->exchange(true)) {
              log->Warning("collateral not wanted", {{"error", std::string(wanted.message())}});
            }
            continue;
          }
          // A repeated miss kicks too: the refresher tries the most recently
          // requested unverified items first.
          kick = true;
          if (!known && ref.vouched) {
            log->Info("collateral missing: fetching in the background",
                      {{"kind", std::string(collateral::KindName(ref.kind))}, {"key", ref.key}});
          }
        }
        if (kick) {
          refresher->Kick();
        }
      });

  // Attester.
  if (s.options_.platform == attest::Platform::kSimulated) {
    absl::StatusOr<std::unique_ptr<attest::SimulatedHost>> host =
        attest::SimulatedHost::Load(s.options_.sim_host_dir);
    if (!host.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--sim-host ", s.options_.sim_host_dir, ": ", host.status().message()));
    }
    s.attester_ = std::make_unique<attest::SimulatedAttester>(
        std::shared_ptr<const attest::SimulatedHost>(*std::move(host)), s.options_.policy_hash);
  } else {
    CONCORD_ASSIGN_OR_RETURN(
        std::unique_ptr<attest::Attester> hardware,
        attester::CreateHardwareAttester(s.options_.platform, s.options_.issuer));
    s.attester_ = std::make_unique<VcekAttachingAttester>(std::move(hardware), *s.cache_);
  }
  return stack;
}

PlatformStack::~PlatformStack() {
  if (refresher_ != nullptr) {
    refresher_->Stop();
  }
}

absl::Status PlatformStack::PrepareOwnCollateral() {
  return PrepareOwnCollateral(crypto::Sha512(AsBytes(kOwnCollateralLabel)));
}

absl::Status PlatformStack::PrepareOwnCollateral(const std::array<uint8_t, 64>& report_data) {
  if (options_.platform == attest::Platform::kSimulated) {
    return absl::OkStatus();
  }
  absl::StatusOr<attest::Evidence> evidence = attester_->Attest(report_data);
  if (!evidence.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("own evidence: ", evidence.status().message()));
  }
  // The kernel's own certificates (if any) are not a reason to skip the
  // collateral: peers and workloads of this platform need it too.
  attest::Evidence bare = *evidence;
  bare.certs.clear();
  absl::StatusOr<std::vector<collateral::CollateralRef>> needed =
      collateral::RequiredCollateral(bare);
  if (!needed.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("own evidence: ", needed.status().message()));
  }
  for (const collateral::CollateralRef& ref : *needed) {
    CONCORD_RETURN_IF_ERROR(refresher_->Want(ref.kind, ref.key));
  }
  attest::VerifyOptions verify;
  verify.report_data = report_data;
  verify.check_reference_values = false;
  const absl::Time deadline = deps_.clock.Now() + options_.own_collateral_timeout;
  absl::Duration pause = absl::Milliseconds(500);
  while (true) {
    collateral::CollateralRefresher::Result pass = refresher_->RunOnce();
    // One attestation serves every round (a TDX quote can take a second):
    // SNP evidence without its VCEK takes it from the cache in the verifier.
    verify.at = deps_.clock.Now();
    absl::StatusOr<attest::Claims> claims = verifier_->Verify(*evidence, verify);
    if (claims.ok()) {
      deps_.log.Info("own evidence verifies with cached collateral",
                     {{"platform", std::string(attest::PlatformName(options_.platform))},
                      {"fetched", absl::StrCat(pass.fetched)}});
      return absl::OkStatus();
    }
    std::string errors;
    for (const collateral::CollateralRef& ref : *needed) {
      absl::Status last = refresher_->LastError(ref.kind, ref.key);
      if (!last.ok()) {
        absl::StrAppend(&errors, "; ", last.message());
      }
    }
    const std::string message = absl::StrCat("own evidence: ", claims.status().message(), errors);
    if (deps_.clock.Now() + pause > deadline) {
      return absl::FailedPreconditionError(message);
    }
    deps_.log.Warning("waiting for collateral", {{"error", message}});
    if (deps_.sleep != nullptr) {
      deps_.sleep(pause);
    } else {
      absl::SleepFor(pause);
    }
    pause = std::min(pause * 2, absl::Seconds(8));
  }
}

void PlatformStack::StartRefresh() { refresher_->Start(); }

}  // namespace concord::concordd
