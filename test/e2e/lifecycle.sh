#!/usr/bin/env bash
# End to end, the happy path of a deployment: coordinator up, first set, two
# workloads get certificates and talk mutual TLS with stock OpenSSL (and a
# certificate from another CA is refused), `concord verify`, an owner's
# update (a non-owner and a stale workspace refused), restart into recovery
# (mesh API and /readyz 503 while concord-init keeps retrying, /v1/attest
# answers), `concord recover`, and the root CA unchanged with a new mesh CA.
#   lifecycle.sh BIN_DIR WORK_DIR
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"
IP=127.0.0.31
setup_deployment
mkdir -p store

step "concordd starts uninitialized"
start_concordd coord "$IP" "$WORK/store"
PID=$CONCORDD_PID
not_ready "$IP" || fail "/readyz should be 503 before the first set"
state_is "$IP" uninitialized || fail "state should be uninitialized"

step "concord set: the first manifest"
"$CONCORD" set -c "$IP:1313" -m manifest.json --policies policies --owner-key owner.key \
  --workspace ws
[ -s ws/seed-shares.json ] || fail "concord set wrote no seed-shares.json"
wait_for 10 "/readyz 200" ready "$IP"
cp -r ws ws-stale

step "two workloads get their certificates"
run_init web policies/web.json w-web "$IP" &
web_pid=$!
run_init db policies/db.json w-db "$IP" &
db_pid=$!
wait "$web_pid" || fail "concord-init (web) failed"
wait "$db_pid" || fail "concord-init (db) failed"
for w in w-web w-db; do
  for f in key.pem cert-chain.pem mesh-ca.pem root-ca.pem; do
    [ -s "$w/$f" ] || fail "$w/$f missing"
  done
  [ "$(stat -c %a "$w/key.pem")" = 600 ] || fail "$w/key.pem is not mode 0600"
  split_chain "$w"
done
[ "$(stat -c %a w-web/workload-secret)" = 600 ] || fail "workload-secret is not mode 0600"
grep -Eq '^[0-9a-f]{64}$' w-web/workload-secret || fail "workload-secret is not 64 hex"
[ ! -e w-db/workload-secret ] || fail "db has no WorkloadSecretID but got a secret"
openssl x509 -in w-web/leaf.pem -noout -ext subjectAltName | grep -q 'DNS:web.e2e.svc' ||
  fail "web certificate lacks its SAN"

step "the chains verify against the mesh CA and the root with stock OpenSSL"
for w in w-web w-db; do
  openssl verify -CAfile "$w/mesh-ca.pem" "$w/leaf.pem"
  openssl verify -CAfile "$w/root-ca.pem" -untrusted "$w/intermediate.pem" "$w/leaf.pem"
done

step "the coordinator's certificate names the workloads' root CA (stock OpenSSL)"
# The bound root (decision 0028): a subjectAltName URI with the root CA's
# SPKI SHA-256, which the coordinator's evidence covers.
root_hash=$(openssl x509 -in w-web/root-ca.pem -noout -pubkey | openssl pkey -pubin -outform DER |
  sha256sum | cut -d' ' -f1)
coord_san=$(openssl s_client -connect "$IP:1313" </dev/null 2>/dev/null |
  openssl x509 -noout -ext subjectAltName)
grep -q "URI:urn:concord:root-ca-spki-sha256:$root_hash" <<<"$coord_san" ||
  fail "the coordinator certificate does not name root $root_hash: $coord_san"

step "web serves mutual TLS; db connects with its certificate"
openssl s_server -accept "$IP:8443" -www -Verify 1 -verify_return_error \
  -CAfile w-web/mesh-ca.pem -cert w-web/leaf.pem -cert_chain w-web/intermediate.pem \
  -key w-web/key.pem >s_server.log 2>&1 &
E2E_PIDS+=($!)
wait_for 10 "openssl s_server" bash -c "exec 3<>/dev/tcp/$IP/8443"
s_client() {
  printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "$IP:8443" -ign_eof \
    -verify_return_error -CAfile "$@" 2>&1
}
out=$(s_client w-db/root-ca.pem -cert w-db/leaf.pem -key w-db/key.pem) ||
  { echo "$out"; fail "db -> web mutual TLS failed"; }
grep -q 'Verify return code: 0 (ok)' <<<"$out" || fail "db did not verify web's chain to the root"
grep -q 'HTTP/1.0 200 ok' <<<"$out" || fail "web did not answer db"
echo "db -> web: handshake verified both ways, HTTP 200"

step "a certificate from another CA is refused"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=intruder \
  -days 1 -keyout intruder-tls.key -out intruder-tls.pem 2>/dev/null
out=$(s_client w-db/root-ca.pem -cert intruder-tls.pem -key intruder-tls.key) || true
if grep -q 'HTTP/1.0 200 ok' <<<"$out"; then
  fail "web accepted a client certificate from another CA"
fi
echo "client certificate from another CA refused: $(grep -Eo 'alert [a-z ]+' <<<"$out" | head -1)"
expect_fail "server certificate from another CA" 'verify error|certificate verify failed' \
  openssl s_client -connect "$IP:8443" -verify_return_error -CAfile intruder-tls.pem \
  -cert w-db/leaf.pem -key w-db/key.pem </dev/null

step "concord verify"
"$CONCORD" verify -c "$IP:1313" -m manifest.json --workspace ws

step "manifest update: a non-owner is refused, the owner succeeds, a stale workspace gets 409"
write_manifest manifest2.json '"db.e2e.svc", "db2.e2e.svc"'
"$CONCORD" keygen owner --out intruder.key --force >/dev/null
cp -r ws ws-intruder
expect_fail "update signed by a non-owner" '403|PERMISSION_DENIED|not a WorkloadOwnerKeys entry' \
  "$CONCORD" set -c "$IP:1313" -m manifest2.json --policies policies --owner-key intruder.key \
  --workspace ws-intruder
"$CONCORD" set -c "$IP:1313" -m manifest2.json --policies policies --owner-key owner.key \
  --workspace ws
write_manifest manifest3.json '"db3.e2e.svc"'
# Signed by the owner, but over generation 1's transition: no longer the head.
stale=$(jq -r .transition ws-stale/head.json)
resp=$(post_signed_manifest "$IP" manifest3.json "$stale" owner.key "$OWNER")
code=$(tail -n1 <<<"$resp")
[ "$code" = 409 ] || { echo "$resp"; fail "update over a stale expected previous: HTTP $code, want 409"; }
echo "update over a stale expected previous: HTTP 409 $(head -n1 <<<"$resp" | jq -c '{code,message}')"
"$CONCORD" verify -c "$IP:1313" -m manifest2.json --workspace ws
run_init db2 policies/db.json w-db2 "$IP" || fail "concord-init after the update failed"
split_chain w-db2
openssl x509 -in w-db2/leaf.pem -noout -ext subjectAltName | grep -q 'db2.e2e.svc' ||
  fail "the certificate after the update lacks the new SAN"
cp w-db2/root-ca.pem root-before.pem
cp w-db2/mesh-ca.pem mesh-before.pem

step "restart: the coordinator comes back in recovery"
stop_concordd "$PID"
start_concordd coord "$IP" "$WORK/store"
PID=$CONCORDD_PID
wait_for 10 "state recovery" state_is "$IP" recovery
not_ready "$IP" || fail "/readyz should be 503 in recovery"
nonce=$(random_hex32)
attest=$(curl -sk -X POST -H 'Content-Type: application/json' -d "{\"nonce\":\"$nonce\"}" \
  "https://$IP:1313/v1/attest")
[ "$(jq -r .state <<<"$attest")" = recovery ] || fail "/v1/attest did not answer in recovery"
jq -e '.evidence.platform == "simulated"' <<<"$attest" >/dev/null || fail "no evidence"
echo "/v1/attest answers in recovery (generation $(jq -r .generation <<<"$attest"))"
# docs/api.md: the mesh API answers 503 outside ready, so concord-init keeps
# retrying. A violation is recorded and reported at the end, so the rest of
# the recovery is still exercised.
run_init waiting policies/web.json w-wait "$IP" --timeout 120s &
wait_pid=$!
E2E_PIDS+=("$wait_pid")
contract_violations=()
retrying() { [ "$(grep -c 'retrying' "$WORK/init-waiting.log")" -ge 2 ]; }
wait_for 30 "concord-init retrying or exiting" \
  bash -c "[ \$(grep -c 'retrying' '$WORK/init-waiting.log') -ge 2 ] || ! kill -0 $wait_pid"
if retrying && kill -0 "$wait_pid" 2>/dev/null; then
  grep -m1 'retrying' init-waiting.log
else
  contract_violations+=("in recovery, concord-init was refused instead of retrying: $(grep -m1 'no certificate' init-waiting.log)")
  wait_pid=""
fi

step "concord recover"
"$CONCORD" recover -c "$IP:1313" --seedshare-key seedshare.key \
  --seed-shares ws/seed-shares.json --workspace ws
wait_for 10 "/readyz 200 after recovery" ready "$IP"
if [ -n "$wait_pid" ]; then
  wait_exit 60 "$wait_pid"
  [ "$WAIT_RC" -eq 0 ] || fail "the waiting concord-init exited $WAIT_RC after recovery"
else
  run_init waiting policies/web.json w-wait "$IP" || fail "concord-init after recovery failed"
fi
cmp -s w-wait/root-ca.pem root-before.pem || fail "the root CA changed across recovery"
if cmp -s w-wait/mesh-ca.pem mesh-before.pem; then
  fail "the mesh CA did not change across manual recovery"
fi
echo "root CA unchanged, mesh CA new"
"$CONCORD" verify -c "$IP:1313" -m manifest2.json --workspace ws

step "SIGTERM stops concordd cleanly"
stop_concordd "$PID"
if [ ${#contract_violations[@]} -gt 0 ]; then
  printf 'contract violation: %s\n' "${contract_violations[@]}" >&2
  fail "the service broke its documented contract (above)"
fi
echo "lifecycle: all steps passed"
