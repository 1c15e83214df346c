#!/usr/bin/env bash
# End to end, transport limits of the coordinator's listeners: a silent
# client (TCP connection, nothing sent) is closed after the handshake
# timeout, a slow client (TLS up, headers never finished) after the header
# timeout, an oversized request gets 413, the mesh API refuses a client
# without an attested certificate, and one address over its connection
# limit is refused while another is served (and /metrics counts it).
#   limits.sh BIN_DIR WORK_DIR
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"
IP=127.0.0.34
setup_deployment
mkdir -p store
start_concordd coord "$IP" "$WORK/store" --max-connections-per-source 8
PID=$CONCORDD_PID

step "silent and slow clients (in parallel)"
# Silent: a TCP connection that never sends; `cat` returns once the server
# closes it.
start=$SECONDS
timeout 40 bash -c "exec 3<>/dev/tcp/$IP/1313; cat <&3 >/dev/null" &
silent_pid=$!
# Slow: TLS up, then an unfinished request head from a pipe kept open.
mkfifo slow.fifo
openssl s_client -quiet -connect "$IP:1313" <slow.fifo >slow.log 2>&1 &
slow_pid=$!
E2E_PIDS+=("$silent_pid" "$slow_pid")
exec 4>slow.fifo
printf 'POST /v1/attest HTTP/1.1\r\nHost: coordinator\r\nContent-' >&4
wait_exit 35 "$silent_pid"
[ "$WAIT_RC" -eq 0 ] || fail "silent connection not closed by the server (rc $WAIT_RC)"
echo "silent client closed by the server after $((SECONDS - start))s"
wait_exit 35 "$slow_pid"
echo "slow client closed by the server after $((SECONDS - start))s"
exec 4>&-

step "oversized request: 413"
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >big.txt
resp=$(curl -sk -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data-binary @big.txt "https://$IP:1313/v1/manifest")
code=$(tail -n1 <<<"$resp")
[ "$code" = 413 ] || { echo "$resp" | head -c 300; fail "oversized request: HTTP $code, want 413"; }
echo "oversized request: HTTP 413 $(head -n1 <<<"$resp" | jq -c . 2>/dev/null | cut -c1-200)"

step "mesh API without an attested client certificate"
code=$(http_code -k -X POST -d '{}' "https://$IP:7777/v1/mesh/cert" || true)
[ "$code" = 000 ] || [ "$code" = 401 ] || [ "$code" = 403 ] ||
  fail "mesh API without a client certificate: HTTP $code"
echo "mesh API without a client certificate: refused (HTTP $code)"

step "connections over the per-address limit"
# Eight idle connections to 9102 from this script's address (the kernel
# picks $IP itself as the source on loopback) take its share; the ninth,
# accepted after them (the accept queue is in order), is reset at accept,
# well within the 10 s header timeout that would close the eight. Another
# address is served meanwhile.
held=()
for _ in 1 2 3 4 5 6 7 8; do
  exec {fd}<>"/dev/tcp/$IP/9102"
  held+=("$fd")
done
code=$(http_code --max-time 10 "http://$IP:9102/healthz" || true)
[ "$code" = 000 ] || fail "a ninth connection from one address: HTTP $code, want a reset"
code=$(http_code --max-time 10 --interface 127.0.0.35 "http://$IP:9102/healthz" || true)
[ "$code" = 200 ] || fail "/healthz from another address while one is at its limit: HTTP $code"
metrics=$(curl -s --interface 127.0.0.35 "http://$IP:9102/metrics")
grep -q '^concord_server_refused_total{reason="source_connections"} 1$' <<<"$metrics" ||
  fail "per-address refusal not counted: $(grep refused <<<"$metrics")"
echo "ninth connection from one address reset; another address served; counted in /metrics"
for fd in "${held[@]}"; do
  exec {fd}>&-
done
wait_for 20 "/healthz from the first address again" curl -sf "http://$IP:9102/healthz"

step "the coordinator still serves"
curl -sf "http://$IP:9102/healthz" >/dev/null || fail "/healthz failed after the abuse"
state_is "$IP" uninitialized || fail "status failed after the abuse"
stop_concordd "$PID"
echo "limits: all steps passed"
