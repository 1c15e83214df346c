#!/usr/bin/env bash
# The demo itself, on an already built `concord`:
#   scripts/demo_core.sh PATH/TO/concord WORKDIR
# Exits non-zero if any step does not behave as shown (ctest runs it as the
# e2e test `demo_core`).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
concord=$1
work=$2
mkdir -p "$work"
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A simulated SEV-SNP host (development only)"
rm -rf simhost
$concord sim init --dir simhost | tee simhost.json

step "Keys: a workload owner (ECDSA P-384) and a seed-share owner (RSA-4096)"
owner=$($concord keygen owner --out owner.key --force)
share=$($concord keygen seedshare --out seedshare.key --force)
echo "owner SPKI:     ${owner:0:48}..."
echo "seed-share SPKI: ${share:0:48}..."

step "Policy documents and their hashes (what the TEE reports as HOST_DATA)"
printf 'role: coordinator\nimage: concordd\n' > coordinator-policy.yaml
printf 'role: workload\nimage: web-frontend\n' > web-policy.yaml
coord_hash=$($concord policy hash coordinator-policy.yaml)
web_hash=$($concord policy hash web-policy.yaml)
echo "coordinator: $coord_hash"
echo "web:         $web_hash"

step "A manifest"
jq -n --arg coord "$coord_hash" --arg web "$web_hash" --arg owner "$owner" --arg share "$share" \
  --argjson rv "$(jq '.reference_values' simhost.json)" '{
    Version: 1,
    Policies: {
      ($coord): {Name: "coordinator", Role: "coordinator", SANs: ["coordinator.demo.svc"]},
      ($web): {Name: "web", SANs: ["web.demo.svc", "10.0.0.7", "spiffe://demo/web"], WorkloadSecretID: "web"}
    },
    ReferenceValues: $rv,
    WorkloadOwnerKeys: [$owner],
    SeedshareOwnerKeys: [$share]
  }' > manifest.json
$concord manifest check manifest.json
jq '.ReferenceValues' manifest.json > reference-values.json

step "The web workload's evidence, verified against the manifest's reference values"
$concord sim report --dir simhost --policy web-policy.yaml --report-data cafe \
  --out web-report.bin --certs-out web-certs.pem --force
$concord evidence verify --platform simulated --report web-report.bin --cert web-certs.pem \
  --reference-values reference-values.json --host-data "$web_hash" > web-verdict.json
jq '{verdict, platform, measurement: .claims.measurement, host_data: .claims.host_data}' web-verdict.json
jq -e '.verdict == "valid"' web-verdict.json > /dev/null

step "The same report with one flipped bit is refused"
cp web-report.bin tampered.bin
byte=$(od -An -tu1 -j $((0x90)) -N1 tampered.bin | tr -d ' ')
printf "\\x$(printf '%02x' $((byte ^ 1)))" | dd of=tampered.bin bs=1 seek=$((0x90)) conv=notrunc status=none
rc=0
$concord evidence verify --platform simulated --report tampered.bin --cert web-certs.pem \
  --reference-values reference-values.json > tampered.json || rc=$?
if [ "$rc" -ne 1 ]; then
  echo "tampered report: want exit 1 (invalid), got $rc: demo failed" >&2
  exit 1
fi
jq '{verdict, error}' tampered.json

step "A genuine AMD SEV-SNP report (Milan, from virtee/sev) against the compiled-in AMD roots"
vec="$repo/testdata/attestation/snp/milan-v2-virtee"
$concord evidence verify --platform snp --report "$vec/report.bin" --cert "$vec/vcek.der" \
  --at 2025-06-01T00:00:00Z > snp-verdict.json
jq '{verdict, product: .claims.product, tcb: .claims.snp.reported_tcb}' snp-verdict.json
jq -e '.verdict == "valid" and .claims.product == "Milan"' snp-verdict.json > /dev/null

step "Done. Files are in $work"
