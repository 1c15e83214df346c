# Shared helpers of the service end-to-end tests, sourced by each scenario:
#   source lib.sh; e2e_begin BIN_DIR WORK_DIR
# Real processes on loopback only. Every wait is a polling loop on a
# condition with a deadline; every process started here is killed by the
# EXIT trap.
set -euo pipefail

e2e_begin() {
  BIN=$(cd "$1" && pwd)
  WORK=$2
  CONCORD=$BIN/concord
  CONCORDD=$BIN/concordd
  INIT=$BIN/concord-init
  for b in "$CONCORD" "$CONCORDD" "$INIT"; do
    [ -x "$b" ] || { echo "missing binary $b" >&2; exit 1; }
  done
  rm -rf "$WORK"
  mkdir -p "$WORK"
  cd "$WORK"
  E2E_PIDS=()
  trap e2e_cleanup EXIT
}

e2e_cleanup() {
  local rc=$?
  local p
  for p in "${E2E_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${E2E_PIDS[@]}"; do
    local deadline=$((SECONDS + 10))
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    echo "---- logs (last lines) ----" >&2
    for f in "$WORK"/*.log; do
      [ -f "$f" ] || continue
      echo "== $f" >&2
      tail -n 15 "$f" >&2
    done
  fi
  exit $rc
}

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local timeout=$1 desc=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      fail "timed out after ${timeout}s waiting for: $desc"
    fi
    sleep 0.1
  done
}

# wait_exit SECONDS PID: waits for a child to exit, sets WAIT_RC.
wait_exit() {
  local timeout=$1 pid=$2
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      fail "process $pid still running after ${timeout}s"
    fi
    sleep 0.1
  done
  WAIT_RC=0
  wait "$pid" || WAIT_RC=$?
}

# expect_fail DESCRIPTION PATTERN COMMAND...: COMMAND must exit non-zero and
# print PATTERN (extended regex) on stdout or stderr.
expect_fail() {
  local desc=$1 pattern=$2
  shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [ $rc -eq 0 ]; then
    echo "$out" >&2
    fail "$desc: succeeded, want a refusal"
  fi
  if ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "$out" >&2
    fail "$desc: exit $rc, but the message does not match /$pattern/"
  fi
  echo "refused as expected ($desc): $(grep -E -m1 -- "$pattern" <<<"$out" | cut -c1-200)"
}

# Checksum listing of a store directory, to prove a refusal changed nothing.
store_sum() {
  (cd "$1" && find . -type f ! -name lock -print0 | sort -z | xargs -0 sha256sum)
}
expect_store_unchanged() {
  local dir=$1 before=$2 desc=$3
  if [ "$(store_sum "$dir")" != "$before" ]; then
    diff <(echo "$before") <(store_sum "$dir") >&2 || true
    fail "$desc: the store changed"
  fi
}

http_code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
ready() { [ "$(http_code "http://$1:9102/readyz")" = 200 ]; }
not_ready() { [ "$(http_code "http://$1:9102/readyz")" = 503 ]; }
state_is() {
  [ "$(curl -sk "https://$1:1313/v1/status" | jq -r .state)" = "$2" ]
}

# The deployment: a simulated host, the coordinator policy, workload
# policies "web" (with a workload secret) and "db", owner and seed-share
# keys, and the manifest allowing them (manifest.json; policies/).
setup_deployment() {
  step "deployment: simulated host, policies, keys, manifest"
  "$CONCORD" sim init --dir simhost >simhost.json
  RV=$(jq -c .reference_values simhost.json)
  mkdir -p policies
  # The coordinator's launch config: its platform and the reference values a
  # peer replica's evidence must match (this host's ARK and measurement).
  jq -cn --argjson rv "$RV" \
    '{Version: 1, Kind: "coordinator", Platforms: ["simulated"], ReferenceValues: $rv}' \
    >policies/coordinator.json
  COORD_HASH=$("$CONCORD" policy hash policies/coordinator.json)
  workload_policy web >policies/web.json
  workload_policy db >policies/db.json
  WEB_HASH=$("$CONCORD" policy hash policies/web.json)
  DB_HASH=$("$CONCORD" policy hash policies/db.json)
  OWNER=$("$CONCORD" keygen owner --out owner.key --force)
  SHARE=$("$CONCORD" keygen seedshare --out seedshare.key --force)
  write_manifest manifest.json '"db.e2e.svc"'
}

# workload_policy NAME [ROOT_PIN]: a workload policy document on stdout.
workload_policy() {
  jq -cn --arg n "$1" --arg c "$COORD_HASH" --argjson rv "$RV" --arg pin "${2:-}" \
    '{Version: 1, Kind: "workload", Name: $n,
      Coordinator: ({PolicyHashes: [$c], ReferenceValues: $rv}
                    + (if $pin == "" then {} else {RootCaSpkiSha256: $pin} end))}'
}

# write_manifest FILE DB_SANS_JSON
write_manifest() {
  jq -n --arg coord "$COORD_HASH" --arg web "$WEB_HASH" --arg db "$DB_HASH" \
    --arg owner "$OWNER" --arg share "$SHARE" --argjson rv "$RV" --argjson dbsans "[$2]" '{
      Version: 1,
      Policies: {
        ($coord): {Name: "coordinator", Role: "coordinator", SANs: ["coordinator.e2e.svc"]},
        ($web): {Name: "web", SANs: ["web.e2e.svc", "127.0.0.1"], WorkloadSecretID: "web"},
        ($db): {Name: "db", SANs: $dbsans}
      },
      ReferenceValues: $rv,
      WorkloadOwnerKeys: [$owner],
      SeedshareOwnerKeys: [$share]
    }' >"$1"
}

# start_concordd NAME IP STORE_DIR [FLAGS...]: starts a coordinator on
# IP:1313/7777/9102 and waits for /healthz. Sets CONCORDD_PID.
start_concordd() {
  local name=$1 ip=$2 store=$3
  shift 3
  "$CONCORDD" --store "file://$store" --policy "$WORK/policies/coordinator.json" \
    --platform simulated --sim-host "$WORK/simhost" --user-addr "$ip:1313" \
    --mesh-addr "$ip:7777" --http-addr "$ip:9102" --replica "$name" \
    --shutdown-grace 0s --drain-timeout 2s "$@" >>"$WORK/$name.log" 2>&1 &
  CONCORDD_PID=$!
  E2E_PIDS+=("$CONCORDD_PID")
  wait_for 30 "$name /healthz" curl -sf "http://$ip:9102/healthz"
}

# stop_concordd PID: SIGTERM, and the coordinator must exit 0 promptly.
stop_concordd() {
  kill -TERM "$1"
  wait_exit 30 "$1"
  [ "$WAIT_RC" -eq 0 ] || fail "concordd exited $WAIT_RC after SIGTERM, want 0"
}

# run_init NAME POLICY OUT_DIR IP [FLAGS...]: concord-init in oneshot mode.
run_init() {
  local name=$1 policy=$2 out=$3 ip=$4
  shift 4
  "$INIT" --coordinator "$ip:7777" --policy "$policy" --platform simulated \
    --sim-host "$WORK/simhost" --out "$out" "$@" >>"$WORK/init-$name.log" 2>&1
}

# split_chain DIR: DIR/leaf.pem and DIR/intermediate.pem from cert-chain.pem.
split_chain() {
  awk -v dir="$1" '/BEGIN CERTIFICATE/ { n++ } { print > (dir "/" (n == 1 ? "leaf" : "intermediate") ".pem") }' \
    "$1/cert-chain.pem"
}

random_hex32() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# post_signed_manifest IP MANIFEST PREVIOUS_HEX OWNER_KEY OWNER_SPKI_HEX: a raw
# POST /v1/manifest authorized by an owner (P-384) over PREVIOUS_HEX, built
# with stock OpenSSL as docs/protocol.md ("Authorization") specifies. Prints
# the body and the HTTP status on the last line.
post_signed_manifest() {
  local ip=$1 manifest=$2 previous=$3 key=$4 owner=$5
  local mhash
  mhash=$(sha256sum "$manifest" | cut -c1-64)
  { printf 'concord-history-authorization-v1\0\001'; xxd -r -p <<<"$mhash$previous"; } >auth.bin
  openssl pkeyutl -sign -inkey "$key" -rawin -digest sha384 -in auth.bin -out auth.sig
  jq -cn --arg m "$(base64 -w0 "$manifest")" --arg p "$previous" --arg k "$owner" \
    --arg s "$(xxd -p auth.sig | tr -d '\n')" \
    '{manifest: $m, expected_previous: $p, authorization: {owner_key: $k, signature: $s}}' \
    >request.json
  curl -sk -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary @request.json "https://$ip:1313/v1/manifest"
}
