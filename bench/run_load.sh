#!/usr/bin/env bash
# Starts a coordinator on 127.0.0.51 (file store, simulated platform), sets a
# manifest and runs concord_load against its mesh API:
#   bench/run_load.sh BIN_DIR [CONCURRENCY] [REQUESTS] [DURATION_S]
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/test/e2e/lib.sh"
bin=$(cd "$1" && pwd)
e2e_begin "$bin" "${TMPDIR:-/tmp}/concord-load-$$"
IP=127.0.0.51
setup_deployment >/dev/null
mkdir -p store
start_concordd coordinator "$IP" "$WORK/store"
"$CONCORD" set -c "$IP:1313" -m manifest.json --policies policies --owner-key owner.key \
  --workspace ws >/dev/null 2>&1
wait_for 10 "/readyz" ready "$IP"
"$bin/concord_load" --coordinator "$IP:7777" --manifest manifest.json --policy policies/web.json \
  --sim-host simhost --concurrency "${2:-4}" --requests "${3:-1000}" --duration "${4:-30}" \
  --server-pid "$CONCORDD_PID"
stop_concordd "$CONCORDD_PID"
rm -rf "$WORK"
