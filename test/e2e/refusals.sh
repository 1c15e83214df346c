#!/usr/bin/env bash
# End to end, bad input: each is refused with a clear error and leaves the
# store directory unchanged (checksum listing before and after): a malformed
# manifest, a workload policy not in the manifest, evidence from a simulated
# host the manifest does not allow; in recovery: seed shares of another
# deployment, a seed-share key that is not the owner's, a minimum head newer
# than the store's, and a forged `latest` or a corrupted transition written
# straight into the store directory. The correct recovery then succeeds.
#   refusals.sh BIN_DIR WORK_DIR
source "$(dirname "$0")/lib.sh"
e2e_begin "$@"
IP=127.0.0.32
IP_B=127.0.0.33
setup_deployment
mkdir -p store store-b

step "deployment A: coordinator up, manifest set"
start_concordd coord "$IP" "$WORK/store"
PID=$CONCORDD_PID
"$CONCORD" set -c "$IP:1313" -m manifest.json --policies policies --owner-key owner.key \
  --workspace ws
wait_for 10 "/readyz 200" ready "$IP"
before=$(store_sum store)

step "malformed manifest"
printf '{"Version": 1, "Policies": ' >bad-manifest.json
expect_fail "concord set with a malformed manifest" 'manifest|JSON|parse' \
  "$CONCORD" set -c "$IP:1313" -m bad-manifest.json --owner-key owner.key --workspace ws
body=$(jq -cn --arg m "$(base64 -w0 bad-manifest.json)" --arg p "$(jq -r .transition ws/head.json)" \
  '{manifest: $m, expected_previous: $p}')
resp=$(curl -sk -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' -d "$body" \
  "https://$IP:1313/v1/manifest")
code=$(tail -n1 <<<"$resp")
[ "$code" = 400 ] || [ "$code" = 401 ] || { echo "$resp"; fail "POST /v1/manifest malformed: HTTP $code"; }
echo "POST /v1/manifest with a malformed manifest: HTTP $code $(head -n1 <<<"$resp" | jq -c '{code,message}')"
expect_store_unchanged store "$before" "malformed manifest"

step "a workload policy that is not in the manifest"
workload_policy rogue >rogue.json
rc=0
run_init rogue rogue.json w-rogue "$IP" --timeout 30s || rc=$?
[ $rc -eq 1 ] || fail "concord-init with an unknown policy: exit $rc, want 1"
grep -q 'not in the manifest' init-rogue.log || fail "concord-init did not say why"
grep -m1 'not in the manifest' init-rogue.log | cut -c1-220
[ ! -e w-rogue/key.pem ] || fail "files written for an unknown policy"
expect_store_unchanged store "$before" "unknown workload policy"

step "evidence from a simulated host the manifest does not allow"
"$CONCORD" sim init --dir otherhost >/dev/null
rc=0
"$INIT" --coordinator "$IP:7777" --policy policies/web.json --platform simulated \
  --sim-host otherhost --out w-other --timeout 30s >init-other.log 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "concord-init on another host: exit $rc, want 1"
grep -m1 'no certificate' init-other.log | cut -c1-220
expect_store_unchanged store "$before" "evidence from another host"

step "deployment B (same seed-share owner) for foreign seed shares"
start_concordd coord-b "$IP_B" "$WORK/store-b"
PID_B=$CONCORDD_PID
"$CONCORD" set -c "$IP_B:1313" -m manifest.json --policies policies --owner-key owner.key \
  --workspace ws-b
stop_concordd "$PID_B"

step "restart A: recovery"
stop_concordd "$PID"
start_concordd coord "$IP" "$WORK/store"
PID=$CONCORDD_PID
wait_for 10 "state recovery" state_is "$IP" recovery
before=$(store_sum store)
recover() {
  "$CONCORD" recover -c "$IP:1313" -m manifest.json "$@"
}

expect_fail "seed shares of another deployment" 'does not verify the stored history' \
  recover --seedshare-key seedshare.key --seed-shares ws-b/seed-shares.json --workspace ws
expect_store_unchanged store "$before" "foreign seed shares"

"$CONCORD" keygen seedshare --out other-share.key --force >/dev/null
expect_fail "a seed-share key that is not the owner's" 'no seed share for this owner key' \
  recover --seedshare-key other-share.key --seed-shares ws/seed-shares.json --workspace ws
expect_store_unchanged store "$before" "wrong seed-share key"

cp -r ws ws-forged
jq --arg t "$(random_hex32)" '.transition = $t | .generation += 1' ws/head.json >ws-forged/head.json
expect_fail "minimum head newer than the store's" 'recover: minimum head [0-9a-f]{64}' \
  recover --seedshare-key seedshare.key --seed-shares ws/seed-shares.json --workspace ws-forged
expect_store_unchanged store "$before" "minimum head newer than the store's"

# The operator recovers the deployment they know: a head whose manifest is not
# the local one needs --accept-head (an older, validly signed head is what a
# rolled-back store or a fresh workspace would otherwise lead to).
write_manifest other-manifest.json '"db-other.e2e.svc"'
expect_fail "a head whose manifest is not the local one" 'pass --accept-head [0-9a-f]{64}' \
  "$CONCORD" recover -c "$IP:1313" -m other-manifest.json --seedshare-key seedshare.key \
  --seed-shares ws/seed-shares.json --workspace ws
expect_store_unchanged store "$before" "head whose manifest is not the local one"

step "a forged latest written straight into the store"
stop_concordd "$PID"
cp store/objects/latest latest.orig
cp store-b/objects/latest store/objects/latest
start_concordd coord "$IP" "$WORK/store"
PID=$CONCORDD_PID
forged=$(store_sum store)
expect_fail "recover over a forged latest" 'no head to recover|does not verify|DATA_LOSS' \
  recover --seedshare-key seedshare.key --seed-shares ws/seed-shares.json --workspace ws
expect_store_unchanged store "$forged" "forged latest"
ready "$IP" && fail "ready over a forged latest"
stop_concordd "$PID"
cp latest.orig store/objects/latest

step "a corrupted transition written straight into the store"
t=$(ls store/objects | grep '^transitions%' | head -n1)
[ -n "$t" ] || fail "no transition object in the store"
cp "store/objects/$t" transition.orig
printf 'X' | dd of="store/objects/$t" bs=1 seek=8 conv=notrunc status=none
start_concordd coord "$IP" "$WORK/store"
PID=$CONCORDD_PID
forged=$(store_sum store)
expect_fail "recover over a corrupted transition" 'no head to recover|does not verify|DATA_LOSS' \
  recover --seedshare-key seedshare.key --seed-shares ws/seed-shares.json --workspace ws
expect_store_unchanged store "$forged" "corrupted transition"
stop_concordd "$PID"
cp transition.orig "store/objects/$t"

step "the genuine recovery still succeeds"
start_concordd coord "$IP" "$WORK/store"
PID=$CONCORDD_PID
wait_for 10 "state recovery" state_is "$IP" recovery
recover --seedshare-key seedshare.key --seed-shares ws/seed-shares.json --workspace ws
wait_for 10 "/readyz 200" ready "$IP"
run_init web policies/web.json w-web "$IP" || fail "concord-init after recovery failed"
stop_concordd "$PID"
echo "refusals: all steps passed"
