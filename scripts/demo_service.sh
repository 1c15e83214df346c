#!/usr/bin/env bash
# The service demo, on already built binaries:
#   scripts/demo_service.sh BIN_DIR WORKDIR
# A coordinator (concordd) on 127.0.0.41, the first manifest set with
# `concord set`, two workloads that get certificates with concord-init and
# talk mutual TLS with stock OpenSSL, `concord verify`, a restart into
# recovery and `concord recover`. Prints each step; stops every process it
# started, also on failure.
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/test/e2e/lib.sh"
e2e_begin "$1" "$2"
IP=127.0.0.41
setup_deployment
jq '.Policies | map_values(.Name)' manifest.json

step "Start the coordinator (simulated platform, file store)"
mkdir -p store
start_concordd coordinator "$IP" "$WORK/store"
PID=$CONCORDD_PID
curl -sk "https://$IP:1313/v1/status" | jq -c '{state, generation}'

step "concord set: the coordinator's evidence is checked, then the manifest is set"
"$CONCORD" set -c "$IP:1313" -m manifest.json --policies policies --owner-key owner.key \
  --workspace ws
wait_for 10 "/readyz" ready "$IP"
echo "/readyz: $(curl -s "http://$IP:9102/readyz")"

step "Two workloads attest with concord-init and get their certificates"
run_init web policies/web.json web "$IP"
run_init db policies/db.json db "$IP"
for w in web db; do
  split_chain "$w"
  echo "$w: $(ls "$w" | tr '\n' ' ')"
  openssl x509 -in "$w/leaf.pem" -noout -subject -ext subjectAltName | tr '\n' ' '
  echo
done

step "web serves mutual TLS with its certificate; db connects with its own (stock OpenSSL)"
openssl s_server -accept "$IP:8443" -www -Verify 1 -verify_return_error \
  -CAfile web/mesh-ca.pem -cert web/leaf.pem -cert_chain web/intermediate.pem \
  -key web/key.pem >s_server.log 2>&1 &
E2E_PIDS+=($!)
wait_for 10 "openssl s_server" bash -c "exec 3<>/dev/tcp/$IP/8443"
out=$(printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "$IP:8443" -ign_eof \
  -verify_return_error -CAfile db/root-ca.pem -cert db/leaf.pem -key db/key.pem 2>&1)
grep -m1 'Verify return code' <<<"$out"; grep -m1 -o 'HTTP/1.0 200 ok' <<<"$out" || true
grep -q 'HTTP/1.0 200 ok' <<<"$out" || fail "mutual TLS failed"

step "concord verify: the coordinator and the whole manifest history"
"$CONCORD" verify -c "$IP:1313" -m manifest.json --workspace ws

step "Restart: the coordinator comes back in recovery (it keeps no secrets on disk)"
stop_concordd "$PID"
start_concordd coordinator "$IP" "$WORK/store"
PID=$CONCORDD_PID
wait_for 10 "state recovery" state_is "$IP" recovery
echo "/readyz: $(curl -s -w ' (HTTP %{http_code})' "http://$IP:9102/readyz")"

step "concord recover: the seed-share owner restores it"
"$CONCORD" recover -c "$IP:1313" -m manifest.json --seedshare-key seedshare.key \
  --seed-shares ws/seed-shares.json --workspace ws
wait_for 10 "/readyz" ready "$IP"
run_init web-again policies/web.json web-again "$IP"
cmp -s web/root-ca.pem web-again/root-ca.pem && echo "root CA unchanged"
cmp -s web/mesh-ca.pem web-again/mesh-ca.pem || echo "mesh CA new (manual recovery draws a new mesh secret)"

step "Stop the coordinator"
stop_concordd "$PID"
echo "Done. Files are in $WORK"
