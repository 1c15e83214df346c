#!/usr/bin/env bash
# Runs store_backend_bench on a file store and on a local single-node etcd
# (127.0.0.1, random free ports, temp data dir; stopped on exit).
# Usage: bench/run_store_bench.sh [build-dir] [extra benchmark flags...]
set -euo pipefail
build=${1:-build}
shift || true
bin="$build/bench/store_backend_bench"
[[ -x "$bin" ]] || { echo "missing $bin (configure with -DCONCORD_BUILD_BENCH=ON, build store_backend_bench)" >&2; exit 2; }

tmp=$(mktemp -d)
etcd_pid=
cleanup() {
  if [[ -n "$etcd_pid" ]]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
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

mkdir -p "$tmp/file"
export CONCORD_BENCH_STORE_URLS="file://$tmp/file,etcd://127.0.0.1:$client/bench"
"$bin" --benchmark_counters_tabular=true "$@"
