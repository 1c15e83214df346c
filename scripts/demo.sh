#!/usr/bin/env bash
# Installs dependencies, builds Concord and runs an offline demo of the core:
# a simulated SEV-SNP host, owner and seed-share keys, a manifest, simulated
# evidence verified against it (and a tampered copy refused), and a genuine
# AMD SEV-SNP report verified against the compiled-in AMD roots.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
concord=$PWD/build/bin/concord
work=${CONCORD_DEMO_DIR:-$(mktemp -d /tmp/concord-demo-XXXXXX)}
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
  --reference-values reference-values.json --host-data "$web_hash" | jq '{verdict, platform, measurement: .claims.measurement, host_data: .claims.host_data}'

step "The same report with one flipped bit is refused"
cp web-report.bin tampered.bin
byte=$(od -An -tu1 -j $((0x90)) -N1 tampered.bin | tr -d ' ')
printf "\\x$(printf '%02x' $((byte ^ 1)))" | dd of=tampered.bin bs=1 seek=$((0x90)) conv=notrunc status=none
if $concord evidence verify --platform simulated --report tampered.bin --cert web-certs.pem \
     --reference-values reference-values.json > tampered.json; then
  echo "tampered report accepted: demo failed" >&2
  exit 1
fi
jq '{verdict, error}' tampered.json

step "A genuine AMD SEV-SNP report (Milan, from virtee/sev) against the compiled-in AMD roots"
vec="$OLDPWD/testdata/attestation/snp/milan-v2-virtee"
$concord evidence verify --platform snp --report "$vec/report.bin" --cert "$vec/vcek.der" \
  --at 2025-06-01T00:00:00Z | jq '{verdict, product: .claims.product, tcb: .claims.snp.reported_tcb}'

step "Done. Files are in $work"
