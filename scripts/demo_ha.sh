#!/usr/bin/env bash
# The high-availability demo: three concordd replicas on 127.0.0.11-.13 (like
# pod IPs, same ports) on one shared file store, behind HAProxy serving the
# two services `coordinator` (127.0.0.10) and `coordinator-ready`
# (127.0.0.20), as on Kubernetes (docs/ha.md, docs/kubernetes.md). It sets the
# manifest through `coordinator`, scales 1 -> 3 (the new replicas recover the
# secrets from a ready peer by themselves), issues workload certificates
# through `coordinator-ready`, kills a replica with SIGKILL while issuance
# goes on, brings it back and rolls a restart of all three. The same script
# is the `e2e_cluster_smoke` test.
#   demo_ha.sh BIN_DIR WORK_DIR
set -euo pipefail
exec "$(dirname "$0")/../test/e2e/cluster/smoke.sh" "$@"
