#!/usr/bin/env bash
# The local cluster on a Redis store with faults from the fault proxy (no
# firewall): 3 replicas with a short freshness lease (3 s).
#  1. one replica loses the store only: its ready peers confirm its head, it
#     stays ready and keeps issuing;
#  2. one replica is cut off from the store and its peers: it leaves
#     coordinator-ready within the lease, issuance goes on through the
#     others; healed, it is ready again;
#  3. every replica loses the store: peers alone cannot keep each other
#     alive, so all stop issuing within two leases; the store back, all
#     ready again.
# Needs automatic peer recovery (concordd --peers); without it the scenario
# says so and passes without running. Replicas are reached directly here, so
# the PROXY protocol is off.
#   partition.sh BIN_DIR WORK_DIR
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cluster.sh"
e2e_begin "$@"
# Name the command when one fails outside a condition (set -e exits quietly).
set -E
trap 'echo "error: exit $? at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND" >&2' ERR
if ! concordd_has_flag --peers; then
  echo "partition: skipped: this concordd has no --peers (automatic peer recovery)"
  exit 0
fi
setup_deployment

step "redis-server on 127.0.0.1 (append-only, fsync always)"
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p redis
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK/redis" --appendonly yes \
  --appendfsync always --save '' --protected-mode yes >>"$WORK/redis.log" 2>&1 &
E2E_PIDS+=($!)
wait_for 20 "redis-server ping" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping

LEASE=3
# Store timeouts well under the lease, so a blackholed store fails a lease
# round fast enough for the peers to confirm it (docs/stores.md).
CLUSTER_STORE="redis://127.0.0.1:$REDIS_PORT/concord?timeout_ms=500&connect_timeout_ms=300"
CLUSTER_NO_PROXY_PROTOCOL=1
CLUSTER_EXTRA_FLAGS=(--freshness-lease "${LEASE}s" --peer-retry 200ms)
cluster_up 1 3
# HAProxy routes to coordinator-0 only after its first passing check.
wait_haproxy coordinator-1313 0 UP
"$CONCORD" set -c "$CLUSTER_VIP:1313" -m manifest.json --policies policies --owner-key owner.key \
  --workspace ws
cluster_scale 3
wait_for "$CLUSTER_WAIT" "coordinator-2 ready" ready "$(replica_ip 2)"

# stays_ready SECONDS I: /readyz of replica I is 200 at every poll for SECONDS.
stays_ready() {
  local until=$((SECONDS + $1))
  while [ $SECONDS -lt $until ]; do
    ready "$(replica_ip "$2")" || fail "$(replica_name "$2") left ready"
    sleep 0.2
  done
}

step "1. coordinator-2 loses the store only: peers confirm its head"
cluster_fault set 'store-2-*' blackhole
stays_ready $((2 * LEASE + 1)) 2
run_init direct2 policies/web.json w-direct2 "$(replica_ip 2)" ||
  fail "coordinator-2 without its store did not issue"
cluster_fault set 'store-2-*' forward
echo "coordinator-2 stayed ready on peer confirmations and issued"

step "2. coordinator-2 cut off from store and peers: leaves coordinator-ready within the lease"
cut_off 2
wait_for $((LEASE + 3)) "coordinator-2 /readyz 503" not_ready "$(replica_ip 2)"
wait_haproxy coordinator-ready-7777 2 DOWN
for n in 1 2; do
  run_init "cut$n" policies/db.json "w-cut$n" "$CLUSTER_READY_VIP" ||
    fail "issuance through coordinator-ready failed with coordinator-2 cut off"
done
heal 2
wait_for $((LEASE + 10)) "coordinator-2 ready again" ready "$(replica_ip 2)"
wait_haproxy coordinator-ready-7777 2 UP

step "3. every replica loses the store: all stop issuing within two leases"
cluster_fault set 'store-*' blackhole
for i in 0 1 2; do
  wait_for $((2 * LEASE + 5)) "$(replica_name "$i") not ready" not_ready "$(replica_ip "$i")"
done
if run_init outage policies/web.json w-outage "$CLUSTER_READY_VIP" --timeout 2s; then
  fail "a certificate was issued with the store unreachable by every replica for two leases"
fi
cluster_fault set 'store-*' forward
for i in 0 1 2; do
  wait_for $((LEASE + 15)) "$(replica_name "$i") ready after the store returns" \
    ready "$(replica_ip "$i")"
done
run_init after-outage policies/web.json w-after "$CLUSTER_READY_VIP" ||
  fail "no issuance after the store came back"

cluster_down
echo "partition: all steps passed"
