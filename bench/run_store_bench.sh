#!/usr/bin/env bash
# Runs store_backend_bench, then coordinator_bench (a replica's manifest
# update, in process), on a file store, a local single-node etcd and a local
# durable Redis (appendonly yes, appendfsync always) (127.0.0.1, random free
# ports, temp data dirs; stopped on exit).
# Usage: bench/run_store_bench.sh [build-dir] [extra benchmark flags...]
set -euo pipefail
build=${1:-build}
shift || true
bin="$build/bench/store_backend_bench"
[[ -x "$bin" ]] || { echo "missing $bin (configure with -DCONCORD_BUILD_BENCH=ON, build store_backend_bench)" >&2; exit 2; }

tmp=$(mktemp -d)
etcd_pid=
redis_pid=
cleanup() {
  if [[ -n "$etcd_pid" ]]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
client=$(free_port)
peer=$(free_port)
/usr/bin/etcd --name bench --data-dir "$tmp/etcd" \
  --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "bench=http://127.0.0.1:$peer" --log-level error --logger zap >"$tmp/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 200); do
  if curl -fsS "http://127.0.0.1:$client/health" 2>/dev/null | grep -q '"true"'; then break; fi
  sleep 0.05
done
curl -fsS "http://127.0.0.1:$client/health" | grep -q '"true"' || { cat "$tmp/etcd.log" >&2; exit 1; }

redis_port=$(free_port)
mkdir -p "$tmp/redis"
/usr/bin/redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp/redis" --appendonly yes \
  --appendfsync always --save '' --daemonize no --logfile "$tmp/redis.log" &
redis_pid=$!
for _ in $(seq 1 200); do
  if redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG; then break; fi
  sleep 0.05
done
redis-cli -p "$redis_port" ping | grep -q PONG || { cat "$tmp/redis.log" >&2; exit 1; }

mkdir -p "$tmp/file"
export CONCORD_BENCH_STORE_URLS="file://$tmp/file,etcd://127.0.0.1:$client/bench,redis://127.0.0.1:$redis_port/bench"
"$bin" --benchmark_counters_tabular=true "$@"
if [[ -x "$build/bench/coordinator_bench" ]]; then
  "$build/bench/coordinator_bench" --benchmark_counters_tabular=true "$@"
fi
