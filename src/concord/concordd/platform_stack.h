// PlatformStack: the evidence side of one concordd replica, composed from
// --platform: the attester (the simulated host, or the kernel's configfs-tsm /
// /dev/sev-guest on SEV-SNP and TDX), one verifier for every platform
// (vendor collateral from the shared, content-addressed cache in the store)
// and the background refresher that fetches missing or expiring collateral
// from AMD KDS / Intel PCS, off the verification hot path. Used by concordd
// only (the composition root); tests drive it with fake vendors and the
// kernel double. Thread-safe once created.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/attester/hardware_attester.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/refresher.h"
#include "concord/collateral/vendor_client.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/manifest/manifest.h"
#include "concord/store/store.h"

namespace concord::concordd {

struct PlatformStackOptions {
  // This replica's evidence platform (--platform).
  attest::Platform platform = attest::Platform::kSimulated;
  // Whether simulated evidence is accepted from workloads and peers: the
  // measured launch config's Platforms.simulated, never a flag.
  bool allow_simulated = false;
  // Simulated: the host directory and the HOST_DATA to report (the policy
  // document's hash). On hardware the host chose HOST_DATA / MRCONFIGID.
  std::string sim_host_dir;
  manifest::PolicyHash policy_hash{};
  // Hardware: where the kernel interfaces are.
  attester::HardwareAttesterOptions issuer;
  // Vendor access. false: collateral only from the store (air-gapped sites
  // import bundles with `concord collateral import`); the refresher still
  // re-reads the store for items other replicas or operators put there.
  bool fetch_collateral = true;
  std::string kds_url = std::string(collateral::kDefaultKdsBaseUrl);
  std::string pcs_url = std::string(collateral::kDefaultPcsBaseUrl);
  // PEM CA bundle for the vendors' HTTPS; empty: the system trust store.
  std::string vendor_ca_file;
  // Background pass interval (items also refresh when a verifier misses).
  absl::Duration refresh_interval = absl::Minutes(10);
  // PrepareOwnCollateral gives up after this long.
  absl::Duration own_collateral_timeout = absl::Seconds(60);
};

struct PlatformStackDeps {
  store::Store& store;  // Must outlive the stack.
  const Clock& clock;   // Must outlive the stack.
  Logger& log;          // Must outlive the stack.
  // Test seams. Null: a WebClientFetcher for kds_url / pcs_url.
  collateral::HttpFetcher* kds_fetcher = nullptr;
  collateral::HttpFetcher* pcs_fetcher = nullptr;
  // Waits between PrepareOwnCollateral rounds. Null: absl::SleepFor.
  std::function<void(absl::Duration)> sleep = nullptr;
};

class PlatformStack final {
 public:
  // InvalidArgument for a bad option (vendor URL, CA file, the simulated
  // host directory); FailedPrecondition when the platform's kernel interface
  // is missing (attester::CreateHardwareAttester) or simulated is asked for
  // without the launch config allowing it.
  static absl::StatusOr<std::unique_ptr<PlatformStack>> Create(PlatformStackOptions options,
                                                               PlatformStackDeps deps);
  ~PlatformStack();
  PlatformStack(const PlatformStack&) = delete;
  PlatformStack& operator=(const PlatformStack&) = delete;

  // This replica's evidence. On SNP, a report the kernel returned without
  // certificates gets the cached VCEK attached, so clients verify it without
  // asking AMD.
  const attest::Attester& attester() const { return *attester_; }
  // Verifies evidence of every platform (simulated only when allowed) with
  // cached collateral; a miss asks the refresher for the items and fails
  // with FailedPrecondition (the caller retries).
  const attest::EvidenceVerifier& verifier() const { return *verifier_; }
  collateral::CollateralCache& cache() { return *cache_; }
  collateral::CollateralRefresher& refresher() { return *refresher_; }

  // Before the coordinator starts (it verifies its own evidence): attests
  // once, keeps the collateral that evidence needs wanted, fetches what is
  // missing and checks that the evidence verifies, retrying with back-off
  // for up to `own_collateral_timeout`. OK at once for simulated.
  // FailedPrecondition "own evidence: ..." with the last verification error
  // otherwise; the replica cannot serve without it. The evidence is over a
  // fixed label, or over `report_data` (recorded evidence in tests).
  absl::Status PrepareOwnCollateral();
  absl::Status PrepareOwnCollateral(const std::array<uint8_t, 64>& report_data);

  // Background refresh passes (Start after PrepareOwnCollateral); stopped on
  // destruction.
  void StartRefresh();

 private:
  PlatformStack(PlatformStackOptions options, PlatformStackDeps deps)
      : options_(std::move(options)), deps_(deps) {}

  const PlatformStackOptions options_;
  const PlatformStackDeps deps_;
  std::unique_ptr<collateral::CollateralCache> cache_;
  std::unique_ptr<collateral::HttpFetcher> owned_kds_fetcher_;
  std::unique_ptr<collateral::HttpFetcher> owned_pcs_fetcher_;
  std::unique_ptr<collateral::CollateralSource> kds_;
  std::unique_ptr<collateral::CollateralSource> pcs_;
  std::unique_ptr<collateral::CollateralSource> source_;
  std::unique_ptr<collateral::CollateralRefresher> refresher_;
  std::unique_ptr<attest::EvidenceVerifier> snp_verifier_;
  std::unique_ptr<attest::EvidenceVerifier> verifier_;
  std::unique_ptr<attest::Attester> attester_;
};

}  // namespace concord::concordd
