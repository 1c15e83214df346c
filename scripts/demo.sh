#!/usr/bin/env bash
# Installs dependencies, builds Concord and runs the demo (scripts/demo_core.sh):
# a simulated SEV-SNP host, owner and seed-share keys, a manifest, simulated
# evidence verified against it (and a tampered copy refused), and a genuine
# AMD SEV-SNP report verified against the compiled-in AMD roots; then the
# service demo (scripts/demo_service.sh): coordinator up, manifest set, two
# workloads with certificates talking mutual TLS, verify, restart, recover;
# then the HA demo (scripts/demo_ha.sh): three replicas behind HAProxy,
# peer recovery, a replica killed and a rolling restart under issuance.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
work=${CONCORD_DEMO_DIR:-$(mktemp -d /tmp/concord-demo-XXXXXX)}
./scripts/demo_core.sh "$PWD/build/bin/concord" "$work/core"
./scripts/demo_service.sh "$PWD/build/bin" "$work/service"
exec ./scripts/demo_ha.sh "$PWD/build/bin" "$work/ha"
