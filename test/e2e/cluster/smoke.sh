#!/usr/bin/env bash
# The local cluster, first scenario: 3 replicas on one file store behind
# HAProxy (cluster.sh). The manifest is set through `coordinator`, workloads
# get mesh certificates through `coordinator-ready` with concord-init, a
# verifier uses `coordinator-ready`, HAProxy's checks mark replicas up, and
# after kill -9 of a replica HAProxy marks it down while issuance goes on
# through the others; the replica comes back and is marked up again.
#
# With automatic peer recovery (concordd --peers) every replica becomes
# ready and the scenario also kills a ready replica and rolls the cluster.
# Without it (the replica that took the first set is the only ready one; the
# others stay in recovery) those steps are skipped, and said so.
#   smoke.sh BIN_DIR WORK_DIR
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/cluster.sh"
e2e_begin "$@"
# Name the command when one fails outside a condition (set -e exits quietly).
set -E
trap 'echo "error: exit $? at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND" >&2' ERR
setup_deployment

step "coordinator-0 of 3 slots behind HAProxy (file store)"
cluster_up 1 3
wait_haproxy coordinator-1313 0 UP
wait_haproxy coordinator-1313 1 DOWN
wait_haproxy coordinator-1313 2 DOWN
wait_haproxy coordinator-ready-7777 0 DOWN
replica_state_is 0 uninitialized || fail "coordinator-0 should start uninitialized"

step "concord set through the coordinator service ($CLUSTER_VIP:1313)"
"$CONCORD" set -c "$CLUSTER_VIP:1313" -m manifest.json --policies policies --owner-key owner.key \
  --workspace ws
wait_for 20 "coordinator-0 ready" ready "$(replica_ip 0)"
wait_haproxy coordinator-ready-7777 0 UP
wait_haproxy coordinator-ready-1313 0 UP

step "scale to 3 (StatefulSet order)"
cluster_scale 3
for i in 1 2; do
  wait_haproxy coordinator-1313 "$i" UP
  wait_haproxy coordinator-7777 "$i" UP
done
ready_replicas=(0)
if [ "$CLUSTER_PEERS" = 1 ]; then
  for i in 1 2; do
    wait_for "$CLUSTER_WAIT" "$(replica_name "$i") ready by peer recovery" ready "$(replica_ip "$i")"
    wait_haproxy coordinator-ready-7777 "$i" UP
  done
  ready_replicas=(0 1 2)
else
  for i in 1 2; do
    wait_for 20 "$(replica_name "$i") in recovery" replica_state_is "$i" recovery
    wait_haproxy coordinator-ready-7777 "$i" DOWN
  done
  echo "note: this concordd has no --peers: coordinator-1 and -2 stay in recovery (not ready)"
fi
echo "HAProxy: coordinator $(for i in 0 1 2; do printf '%s ' "$(haproxy_server_status coordinator-1313 "$i")"; done)"
echo "HAProxy: coordinator-ready $(for i in 0 1 2; do printf '%s ' "$(haproxy_server_status coordinator-ready-7777 "$i")"; done)"

if [ "$CLUSTER_PROXY_PROTOCOL" = 1 ]; then
  step "PROXY protocol: HAProxy's connections are served, a direct one is closed"
  curl -sk --max-time 10 "https://$CLUSTER_VIP:1313/v1/status" | jq -e .state >/dev/null ||
    fail "no answer through HAProxy (send-proxy-v2)"
  if curl -sk --max-time 10 "https://$(replica_ip 0):1313/v1/status" >/dev/null 2>&1; then
    fail "coordinator-0 answered a connection without a PROXY header"
  fi
  echo "direct connection without a PROXY header refused"
fi

step "workloads get certificates through coordinator-ready ($CLUSTER_READY_VIP:7777)"
for n in 1 2 3; do
  run_init "web$n" policies/web.json "w-web$n" "$CLUSTER_READY_VIP" ||
    fail "concord-init through coordinator-ready failed (round $n)"
  openssl verify -CAfile "w-web$n/mesh-ca.pem" -untrusted "w-web$n/cert-chain.pem" \
    "w-web$n/cert-chain.pem" >/dev/null || fail "w-web$n: chain does not verify to the mesh CA"
done
cmp -s w-web1/mesh-ca.pem w-web3/mesh-ca.pem || fail "replicas serve different mesh CAs"
"$CONCORD" verify -c "$CLUSTER_READY_VIP:1313" -m manifest.json --workspace ws

step "kill -9 a replica: HAProxy marks it down, issuance goes on"
if [ "$CLUSTER_PEERS" = 1 ]; then
  victim=0 # a ready replica: the others keep issuing
else
  victim=2 # the ready replica is the only issuer without peer recovery
fi
kill_replica "$victim"
wait_haproxy coordinator-1313 "$victim" DOWN
wait_haproxy coordinator-7777 "$victim" DOWN
wait_haproxy coordinator-ready-7777 "$victim" DOWN
for n in 1 2 3; do
  run_init "after-kill$n" policies/db.json "w-db$n" "$CLUSTER_READY_VIP" ||
    fail "concord-init after kill -9 of $(replica_name "$victim") failed (round $n)"
done
curl -sk "https://$CLUSTER_VIP:1313/v1/status" | jq -e '.state' >/dev/null ||
  fail "the coordinator service does not answer after the kill"
echo "3 certificates issued with $(replica_name "$victim") down"

step "the replica comes back and is marked up again"
start_replica "$victim"
wait_haproxy coordinator-1313 "$victim" UP
if [ "$CLUSTER_PEERS" = 1 ]; then
  wait_for "$CLUSTER_WAIT" "$(replica_name "$victim") ready again" ready "$(replica_ip "$victim")"
  wait_haproxy coordinator-ready-7777 "$victim" UP

  step "rolling restart; issuance through coordinator-ready afterwards"
  rolling_restart
  run_init after-roll policies/web.json w-roll "$CLUSTER_READY_VIP" ||
    fail "concord-init after the rolling restart failed"
else
  echo "note: skipped (needs --peers): ready after restart, rolling restart"
fi

step "cluster down (reverse order, SIGTERM, exit 0)"
cluster_down
echo "cluster smoke: all steps passed"
