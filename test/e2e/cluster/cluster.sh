#!/usr/bin/env bash
# The Kubernetes topology of deploy/ as processes on one host (DESIGN.md §8):
# replicas coordinator-0..N-1 on 127.0.0.11, .12, ... all on the same ports
# (1313 user, 7777 mesh, 9102 HTTP), like pod IPs; HAProxy in `mode tcp` as
# the two services: `coordinator` on 127.0.0.10 (every live replica, checked
# on /healthz) and `coordinator-ready` on 127.0.0.20 (checked on /readyz),
# both for the user and mesh ports, with `send-proxy-v2` when concordd has
# --proxy-protocol; and a test-owned TCP fault proxy (fault_proxy.py)
# between each replica and its peers (and a networked store), so a test can
# cut a replica off without touching the host firewall.
#
# As a library (after lib.sh's e2e_begin and setup_deployment):
#   source cluster.sh
#   cluster_up N [MAX]     fault proxy + HAProxy for MAX replicas, then starts
#                          replicas 0..N-1 in StatefulSet order
#   cluster_scale N        starts replicas up to N-1, in order
#   cluster_down           stops replicas (reverse order), HAProxy, the proxy
#   kill_replica I         kill -9
#   stop_replica I         SIGTERM, must exit 0
#   start_replica I        starts it again (same address, same store)
#   rolling_restart        stop/start N-1..0, each after the previous is back
#   cut_off I / heal I     blackhole / restore I's peer and store links
#   haproxy_server_status BACKEND I    UP, DOWN, ... as HAProxy sees it
# Ordering: with CLUSTER_ORDERED_READY=1 (the default when concordd has
# --peers, i.e. replicas recover from each other) a replica starts only after
# the previous one's /readyz is 200, like podManagementPolicy OrderedReady;
# otherwise after its /healthz answers. Every wait polls with a deadline.
#
# As a command (stays up until Ctrl-C, then stops everything):
#   cluster.sh up N BIN_DIR WORK_DIR
#
# CLUSTER_EXTRA_FLAGS (an array) is appended to every replica's flags.
# Features follow `concordd --help`; CLUSTER_NO_PEERS=1 and
# CLUSTER_NO_PROXY_PROTOCOL=1 turn --peers / --proxy-protocol off.
#
# Store: CLUSTER_STORE (default file://$WORK/store, shared like one etcd).
# For etcd://h:p[,h:p]/prefix or redis://h:p/prefix each replica reaches
# every endpoint through its own fault-proxy route.

CLUSTER_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER_VIP=${CLUSTER_VIP:-127.0.0.10}
CLUSTER_READY_VIP=${CLUSTER_READY_VIP:-127.0.0.20}
CLUSTER_STATS_PORT=${CLUSTER_STATS_PORT:-8404}
CLUSTER_SHUTDOWN_GRACE=${CLUSTER_SHUTDOWN_GRACE:-1s}
CLUSTER_DRAIN_TIMEOUT=${CLUSTER_DRAIN_TIMEOUT:-2s}
CLUSTER_WAIT=${CLUSTER_WAIT:-60}
CLUSTER_MAX_REPLICAS=9

replica_ip() { echo "127.0.0.$((11 + $1))"; }
replica_name() { echo "coordinator-$1"; }
# The fault-proxy address through which replica I reaches replica J.
peer_link_ip() { echo "127.0.$((101 + $1)).$((11 + $2))"; }
# ... and through which replica I reaches store endpoint K.
store_link_ip() { echo "127.0.$((101 + $1)).$((2 + $2))"; }

concordd_has_flag() {
  local help
  help=$("$CONCORDD" --help 2>&1) || true
  grep -q -- "$1" <<<"$help"
}

cluster_fault() {
  python3 "$CLUSTER_LIB_DIR/fault_proxy.py" ctl "$CLUSTER_WORK/fault.sock" "$@"
}

# Splits CLUSTER_STORE into scheme, endpoints (array) and path.
cluster_parse_store() {
  CLUSTER_STORE=${CLUSTER_STORE:-file://$WORK/store}
  STORE_SCHEME=${CLUSTER_STORE%%://*}
  STORE_ENDPOINTS=()
  STORE_PATH=""
  case "$STORE_SCHEME" in
    file | memory) ;;
    etcd | redis)
      local rest=${CLUSTER_STORE#*://}
      local hosts=${rest%%/*}
      [ "$hosts" != "$rest" ] && STORE_PATH=/${rest#*/}
      IFS=, read -r -a STORE_ENDPOINTS <<<"$hosts"
      ;;
    *) fail "CLUSTER_STORE: unknown scheme in $CLUSTER_STORE" ;;
  esac
}

# The store URL replica I uses: networked endpoints through its own routes.
replica_store_url() {
  if [ ${#STORE_ENDPOINTS[@]} -eq 0 ]; then
    echo "$CLUSTER_STORE"
    return
  fi
  local k hosts=()
  for k in "${!STORE_ENDPOINTS[@]}"; do
    hosts+=("$(store_link_ip "$1" "$k"):${STORE_ENDPOINTS[$k]##*:}")
  done
  local IFS=,
  echo "$STORE_SCHEME://${hosts[*]}$STORE_PATH"
}

cluster_start_fault_proxy() {
  local routes=() i j k peer_option=""
  # Peers dial each other directly (pod IP to pod IP); with --proxy-protocol
  # the mesh listener expects a header on every connection, so the link
  # sends one, as a load balancer would.
  [ "$CLUSTER_PROXY_PROTOCOL" = 1 ] && peer_option="=proxy-v2"
  for ((i = 0; i < CLUSTER_MAX; i++)); do
    for ((j = 0; j < CLUSTER_MAX; j++)); do
      [ "$i" -eq "$j" ] && continue
      routes+=(--route "peer-$i-$j=$(peer_link_ip "$i" "$j"):7777=$(replica_ip "$j"):7777$peer_option")
    done
    for k in "${!STORE_ENDPOINTS[@]}"; do
      local ep=${STORE_ENDPOINTS[$k]}
      routes+=(--route "store-$i-$k=$(store_link_ip "$i" "$k"):${ep##*:}=$ep")
    done
  done
  if [ ${#routes[@]} -eq 0 ]; then
    return
  fi
  python3 "$CLUSTER_LIB_DIR/fault_proxy.py" serve --control "$CLUSTER_WORK/fault.sock" \
    "${routes[@]}" >>"$WORK/fault-proxy.log" 2>&1 &
  CLUSTER_FAULT_PID=$!
  E2E_PIDS+=("$CLUSTER_FAULT_PID")
  wait_for 20 "fault proxy control socket" cluster_fault ping
}

cluster_write_haproxy_cfg() {
  local send_proxy=""
  [ "$CLUSTER_PROXY_PROTOCOL" = 1 ] && send_proxy=" send-proxy-v2"
  {
    printf 'global\n  maxconn 2000\n  stats socket %s mode 600 level admin\n' \
      "$CLUSTER_WORK/haproxy.sock"
    printf 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 120s\n'
    printf '  timeout server 120s\n  timeout check 1s\n'
    printf '  default-server inter 250ms fastinter 250ms downinter 250ms fall 2 rise 1\n'
    printf 'listen stats\n  mode http\n  bind %s:%s\n  stats enable\n  stats uri /stats\n' \
      "$CLUSTER_VIP" "$CLUSTER_STATS_PORT"
    local svc vip check port i
    for svc in coordinator coordinator-ready; do
      if [ "$svc" = coordinator ]; then
        vip=$CLUSTER_VIP check=/healthz
      else
        vip=$CLUSTER_READY_VIP check=/readyz
      fi
      for port in 1313 7777; do
        printf 'frontend %s-%s\n  bind %s:%s\n  default_backend %s-%s\n' \
          "$svc" "$port" "$vip" "$port" "$svc" "$port"
        printf 'backend %s-%s\n  balance roundrobin\n' "$svc" "$port"
        printf '  option httpchk GET %s\n  http-check expect status 200\n' "$check"
        for ((i = 0; i < CLUSTER_MAX; i++)); do
          printf '  server %s %s:%s check port 9102%s\n' "$(replica_name "$i")" \
            "$(replica_ip "$i")" "$port" "$send_proxy"
        done
      done
    done
  } >"$CLUSTER_WORK/haproxy.cfg"
}

cluster_start_haproxy() {
  cluster_write_haproxy_cfg
  haproxy -c -q -f "$CLUSTER_WORK/haproxy.cfg" || fail "haproxy rejects the generated config"
  haproxy -db -f "$CLUSTER_WORK/haproxy.cfg" >>"$WORK/haproxy.log" 2>&1 &
  CLUSTER_HAPROXY_PID=$!
  E2E_PIDS+=("$CLUSTER_HAPROXY_PID")
  wait_for 20 "HAProxy stats" curl -sf "http://$CLUSTER_VIP:$CLUSTER_STATS_PORT/stats;csv"
}

# haproxy_server_status BACKEND I: the status column of HAProxy's CSV stats
# (UP, DOWN, "UP 1/2", MAINT, ...) for replica I in BACKEND.
haproxy_server_status() {
  local csv
  csv=$(curl -sf "http://$CLUSTER_VIP:$CLUSTER_STATS_PORT/stats;csv") || return 1
  awk -F, -v b="$1" -v s="$(replica_name "$2")" '$1 == b && $2 == s { print $18 }' <<<"$csv"
}
haproxy_is() { [ "$(haproxy_server_status "$1" "$2")" = "$3" ]; }
# wait_haproxy BACKEND I STATUS
wait_haproxy() {
  wait_for "$CLUSTER_WAIT" "HAProxy $1 marks $(replica_name "$2") $3" haproxy_is "$1" "$2" "$3"
}

start_replica() {
  local i=$1 ip name
  ip=$(replica_ip "$i")
  name=$(replica_name "$i")
  local flags=(--store "$(replica_store_url "$i")" --policy "$WORK/policies/coordinator.json"
    --platform simulated --sim-host "$WORK/simhost" --user-addr "$ip:1313"
    --mesh-addr "$ip:7777" --http-addr "$ip:9102" --replica "$name"
    --shutdown-grace "$CLUSTER_SHUTDOWN_GRACE" --drain-timeout "$CLUSTER_DRAIN_TIMEOUT")
  if [ "$CLUSTER_PROXY_PROTOCOL" = 1 ]; then
    flags+=(--proxy-protocol)
  fi
  if [ -n "${CLUSTER_EXTRA_FLAGS+x}" ]; then
    flags+=("${CLUSTER_EXTRA_FLAGS[@]}")
  fi
  if [ "$CLUSTER_PEERS" = 1 ]; then
    local j peers=()
    for ((j = 0; j < CLUSTER_MAX; j++)); do
      [ "$j" -ne "$i" ] && peers+=("$(peer_link_ip "$i" "$j"):7777")
    done
    local IFS=,
    flags+=(--peers "static:${peers[*]}")
    unset IFS
  fi
  "$CONCORDD" "${flags[@]}" >>"$WORK/$name.log" 2>&1 &
  CLUSTER_PID[$i]=$!
  E2E_PIDS+=("${CLUSTER_PID[$i]}")
  echo "${CLUSTER_PID[$i]}" >"$CLUSTER_WORK/$name.pid"
  local deadline=$((SECONDS + CLUSTER_WAIT))
  until curl -sf -o /dev/null "http://$ip:9102/healthz"; do
    kill -0 "${CLUSTER_PID[$i]}" 2>/dev/null ||
      fail "$name exited before /healthz answered (see $WORK/$name.log)"
    [ $SECONDS -lt $deadline ] || fail "timed out after ${CLUSTER_WAIT}s waiting for $name /healthz"
    sleep 0.1
  done
}

# Waits as OrderedReady would before starting the replica after I.
cluster_wait_started() {
  if [ "$CLUSTER_ORDERED_READY" = 1 ]; then
    wait_for "$CLUSTER_WAIT" "$(replica_name "$1") /readyz 200" ready "$(replica_ip "$1")"
  else
    wait_for "$CLUSTER_WAIT" "$(replica_name "$1") /healthz" \
      curl -sf "http://$(replica_ip "$1"):9102/healthz"
  fi
}

# replica_state_is I STATE: from /metrics on the plain HTTP port (the user
# port may expect a PROXY header, so it is reached through HAProxy only).
replica_state_is() {
  local metrics
  metrics=$(curl -sf "http://$(replica_ip "$1"):9102/metrics") || return 1
  grep -q "^concord_state{state=\"$2\"} 1" <<<"$metrics"
}

replica_running() { [ -n "${CLUSTER_PID[$1]:-}" ] && kill -0 "${CLUSTER_PID[$1]}" 2>/dev/null; }

kill_replica() {
  replica_running "$1" || fail "$(replica_name "$1") is not running"
  kill -KILL "${CLUSTER_PID[$1]}"
  wait_exit 20 "${CLUSTER_PID[$1]}"
  CLUSTER_PID[$1]=""
}

stop_replica() {
  replica_running "$1" || fail "$(replica_name "$1") is not running"
  kill -TERM "${CLUSTER_PID[$1]}"
  wait_exit 60 "${CLUSTER_PID[$1]}"
  [ "$WAIT_RC" -eq 0 ] || fail "$(replica_name "$1") exited $WAIT_RC after SIGTERM, want 0"
  CLUSTER_PID[$1]=""
}

cluster_up() {
  local n=$1
  CLUSTER_MAX=${2:-$1}
  [ "$CLUSTER_MAX" -ge 1 ] && [ "$CLUSTER_MAX" -le "$CLUSTER_MAX_REPLICAS" ] ||
    fail "cluster_up: 1..$CLUSTER_MAX_REPLICAS replicas"
  [ "$n" -le "$CLUSTER_MAX" ] || fail "cluster_up: $n replicas over the maximum $CLUSTER_MAX"
  CLUSTER_WORK=$WORK/cluster
  mkdir -p "$CLUSTER_WORK"
  CLUSTER_PID=()
  CLUSTER_SIZE=0
  CLUSTER_PEERS=0
  CLUSTER_PROXY_PROTOCOL=0
  if [ "${CLUSTER_NO_PEERS:-0}" != 1 ] && concordd_has_flag --peers; then
    CLUSTER_PEERS=1
  fi
  if [ "${CLUSTER_NO_PROXY_PROTOCOL:-0}" != 1 ] && concordd_has_flag --proxy-protocol; then
    CLUSTER_PROXY_PROTOCOL=1
  fi
  CLUSTER_ORDERED_READY=${CLUSTER_ORDERED_READY:-$CLUSTER_PEERS}
  cluster_parse_store
  if [ "$STORE_SCHEME" = file ]; then
    mkdir -p "${CLUSTER_STORE#file://}"
  fi
  echo "cluster: $CLUSTER_MAX slots, store $CLUSTER_STORE, peers=$CLUSTER_PEERS," \
    "proxy-protocol=$CLUSTER_PROXY_PROTOCOL, ordered-ready=$CLUSTER_ORDERED_READY"
  cluster_start_fault_proxy
  cluster_start_haproxy
  cluster_scale "$n"
}

cluster_scale() {
  local n=$1 i
  [ "$n" -le "$CLUSTER_MAX" ] || fail "cluster_scale: $n over the maximum $CLUSTER_MAX"
  for ((i = CLUSTER_SIZE; i < n; i++)); do
    if [ "$i" -gt 0 ]; then
      cluster_wait_started $((i - 1))
    fi
    start_replica "$i"
  done
  if [ "$n" -gt "$CLUSTER_SIZE" ]; then
    CLUSTER_SIZE=$n
  fi
}

# Like `kubectl rollout restart`: highest ordinal first, each one back (ready
# or healthy, see CLUSTER_ORDERED_READY) before the next goes.
rolling_restart() {
  local i
  for ((i = CLUSTER_SIZE - 1; i >= 0; i--)); do
    if replica_running "$i"; then
      stop_replica "$i"
    fi
    start_replica "$i"
    cluster_wait_started "$i"
  done
}

cut_off() {
  cluster_fault set "peer-$1-*" blackhole >/dev/null
  cluster_fault set "peer-*-$1" blackhole >/dev/null
  if [ ${#STORE_ENDPOINTS[@]} -gt 0 ]; then
    cluster_fault set "store-$1-*" blackhole >/dev/null
  fi
}

heal() {
  cluster_fault set "peer-$1-*" forward >/dev/null
  cluster_fault set "peer-*-$1" forward >/dev/null
  if [ ${#STORE_ENDPOINTS[@]} -gt 0 ]; then
    cluster_fault set "store-$1-*" forward >/dev/null
  fi
}

cluster_down() {
  local i
  for ((i = CLUSTER_SIZE - 1; i >= 0; i--)); do
    if replica_running "$i"; then
      stop_replica "$i"
    fi
  done
  local p
  for p in ${CLUSTER_HAPROXY_PID:-} ${CLUSTER_FAULT_PID:-}; do
    kill -TERM "$p" 2>/dev/null || true
    wait_exit 20 "$p"
  done
  CLUSTER_HAPROXY_PID=""
  CLUSTER_FAULT_PID=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Command mode: cluster.sh up N BIN_DIR WORK_DIR
  [ "${1:-}" = up ] && [ $# -eq 4 ] || {
    echo "usage: cluster.sh up N BIN_DIR WORK_DIR" >&2
    exit 2
  }
  source "$CLUSTER_LIB_DIR/../lib.sh"
  n=$2
  e2e_begin "$3" "$4"
  setup_deployment
  cluster_up 1 "$n"
  step "first set through coordinator ($CLUSTER_VIP:1313)"
  "$CONCORD" set -c "$CLUSTER_VIP:1313" -m manifest.json --policies policies \
    --owner-key owner.key --workspace ws
  cluster_scale "$n"
  step "cluster up: coordinator $CLUSTER_VIP, coordinator-ready $CLUSTER_READY_VIP," \
    "stats http://$CLUSTER_VIP:$CLUSTER_STATS_PORT/stats, work dir $WORK; Ctrl-C stops it"
  while true; do
    sleep 3600 &
    wait $! || true
  done
fi
