#!/usr/bin/env bash
# What one unauthenticated source can do to a coordinator (docs/performance.md,
# "Floods from one source"). For each scenario a fresh concordd on 127.0.0.52
# (simulated platform, file store, started as the e2e tests do) is flooded
# from 127.0.0.53 by concord_flood while it asks /healthz from 127.0.0.54
# every 100 ms and reads concordd's VmHWM/VmRSS from /proc:
#   idle    4096 idle TCP connections to :9102, held 8 s
#   bodies  150 aTLS connections to :1313, each an unfinished 2 MiB
#           POST /v1/attest body, held 8 s
#   depth   150 aTLS connections at once, each POST /v1/attest with a body
#           of 40,000 '[' (the JSON depth bomb)
#   bench/flood.sh BIN_DIR [SCENARIO...]
# FLOOD_CONCORDD=/path/to/concordd measures another concordd build (one from
# before the admission limits, say) with this build's concord_flood.
# Loopback only; every scenario is bounded (concord_flood: at most 60 s of
# hold and 10,000 connections; here 15 s to a few minutes each, killed at 5 min).
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/test/e2e/lib.sh"
bin=$(cd "$1" && pwd)
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(idle bodies depth)
[ -x "$bin/concord_flood" ] || { echo "missing $bin/concord_flood" >&2; exit 1; }
e2e_begin "$bin" "${TMPDIR:-/tmp}/concord-flood-$$"
CONCORDD=${FLOOD_CONCORDD:-$CONCORDD}
IP=127.0.0.52
setup_deployment >/dev/null
echo "concordd: $CONCORDD"
echo "machine: $(nproc) vCPU, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in "${scenarios[@]}"; do
  case $scenario in
    idle) flood=(--mode idle --connections 4096 --hold 8) ;;
    bodies) flood=(--mode bodies --connections 150 --body-bytes 2097152 --hold 8) ;;
    depth) flood=(--mode depth --connections 150 --depth 40000 --rounds 1 --hold 0) ;;
    *) fail "unknown scenario $scenario (idle, bodies, depth)" ;;
  esac
  step "$scenario"
  rm -rf store && mkdir -p store
  start_concordd "flood-$scenario" "$IP" "$WORK/store"
  timeout 300 "$bin/concord_flood" --target "$IP" --flood-source 127.0.0.53 \
    --probe-source 127.0.0.54 --pid "$CONCORDD_PID" "${flood[@]}" ||
    echo "concord_flood exited $?"
  if kill -0 "$CONCORDD_PID" 2>/dev/null; then
    stop_concordd "$CONCORDD_PID"
  else
    wait "$CONCORDD_PID" && rc=0 || rc=$?
    echo "concordd died during the flood (exit $rc); last log lines:"
    tail -n 5 "$WORK/flood-$scenario.log"
  fi
done
rm -rf "$WORK"
