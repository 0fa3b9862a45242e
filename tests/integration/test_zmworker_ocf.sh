#!/bin/bash
# ocf:understudy:zmworker on a one-node corosync (its own namespaces), with
# the fast stand-in for zonemaster-cli: valid meta-data, ocf-tester, its
# ocft configuration, hostile parameters with the OCF exit codes, stop
# letting a running test finish and, past the stop budget, handing it back;
# the spool directory; the legacy Heartbeat face (start|status|stop).
. "$(dirname "$0")/lib.sh"
lab_init
need ocf-tester ocft xmllint corosync jq
agent=$TOP_BUILDDIR/agents/zmworker
H=$TOP_BUILDDIR/helpers/zmworker
FAKE=$(cd "$(dirname "$0")/../tools" && pwd)/zm-fake
meta_data_valid "$agent"
mkdir -p "$LAB_DIR/root"
cp "$agent" "$LAB_DIR/root/"
corosync_up 1
zm() { node_exec 1 "$H/zmctl" "$@"; }

out=$(node_exec 1 ocf-tester -n zmw -o state_dir="$LAB_DIR/state-t" -o helpers="$H" \
	-o zonemaster_cli="$FAKE" "$agent" 2>&1) || fail "ocf-tester: $out"
echo "$out" | grep -q "passed all tests" || fail "ocf-tester: $out"
log "ocf-tester: passed all tests"

OCFT_EXEC="node_exec 1" ocft_run "$(dirname "$0")/../ocft/zmworker" \
	-e "s|@AGENT_ROOT@|$LAB_DIR/root|" -e "s|@STATE@|$LAB_DIR/state-o|" \
	-e "s|@HELPERS@|$H|" -e "s|@FAKE@|$FAKE|"

# Hostile parameters: the code and a reason.
ra() {
	node_exec 1 env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=zm OCF_RESKEY_state_dir="$LAB_DIR/st" \
		OCF_RESKEY_helpers="$H" OCF_RESKEY_zonemaster_cli="$FAKE" "$@"
}
expect() {
	local want=$1 rc
	shift
	ra "$@" 2>"$LAB_DIR/ra.err" >/dev/null
	rc=$?
	[ "$rc" = "$want" ] || fail "$* -> $rc, want $want: $(cat "$LAB_DIR/ra.err")"
	if [ "$want" != 0 ] && [ "$want" != 7 ]; then
		grep -q "ocf-exit-reason:" "$LAB_DIR/ra.err" || fail "$*: no exit reason"
	fi
}
expect 6 OCF_RESKEY_max_parallel=0 "$agent" validate-all
expect 6 OCF_RESKEY_max_parallel=1x "$agent" start
expect 6 OCF_RESKEY_test_timeout=99999999 "$agent" validate-all
expect 6 OCF_RESKEY_group="a b" "$agent" validate-all
expect 6 OCF_RESKEY_zonemaster_args='--level\' "$agent" validate-all
expect 6 OCF_RESKEY_spool_dir=spool "$agent" validate-all
expect 5 OCF_RESKEY_zonemaster_cli=/nonexistent "$agent" start
expect 5 OCF_RESKEY_helpers=/nonexistent "$agent" start
expect 5 OCF_RESKEY_profile=/nonexistent/profile.json "$agent" validate-all
expect 7 "$agent" monitor
expect 0 "$agent" stop
log "hostile parameters: the OCF codes with reasons"

# Spool, then stop lets a running test finish.
export ZMFAKE_SLOW=3
expect 0 OCF_RESKEY_test_timeout=60 "$agent" start
expect 0 "$agent" monitor
echo '{"name": "spooled.example.test", "request": {}}' >"$LAB_DIR/st/spool/a.json"
echo '{"name": "bad..name", "request": {}}' >"$LAB_DIR/st/spool/b.json"
wait_for 10 "the spool submitted a.json" sh -c "[ ! -e '$LAB_DIR/st/spool/a.json' ]"
wait_for 10 "b.json rejected" test -f "$LAB_DIR/st/spool/rejected/b.json.why"
grep -q "name: empty label" "$LAB_DIR/st/spool/rejected/b.json.why" || fail "reject reason: $(cat "$LAB_DIR/st/spool/rejected/b.json.why")"
id=$(echo '{"name": "slow1.example.test"}' | zm submit - | jq -r .id)
wait_for 5 "slow1 running" sh -c "[ \"\$(nsenter -t $NODE_PID_1 -m -u -n '$H/zmctl' get $id | jq -r .status)\" = running ]"
expect 0 OCF_RESKEY_CRM_meta_timeout=30000 "$agent" stop
[ "$(jq -r '.results | map(select(.end_time)) | length' "$LAB_DIR/st/docs/$id.json")" = 1 ] ||
	fail "stop did not let the running test finish: $(cat "$LAB_DIR/st/docs/$id.json")"
log "stop let the running test finish"

# Past the stop budget the test is handed back: no result, pending again.
export ZMFAKE_SLOW=60
expect 0 "$agent" start
id=$(echo '{"name": "slow2.example.test"}' | zm submit - | jq -r .id)
wait_for 5 "slow2 running" sh -c "[ \"\$(nsenter -t $NODE_PID_1 -m -u -n '$H/zmctl' get $id | jq -r .status)\" = running ]"
t0=$(date +%s)
expect 0 OCF_RESKEY_CRM_meta_timeout=12000 "$agent" stop
[ $(( $(date +%s) - t0 )) -le 12 ] || fail "stop overran its timeout"
[ "$(jq '.results | length' "$LAB_DIR/st/docs/$id.json")" = 0 ] || fail "a handed-back test has a result"
expect 0 "$agent" start
[ "$(zm get "$id" | jq -r .status)" = running ] || fail "the handed-back test did not run again"
expect 0 OCF_RESKEY_CRM_meta_timeout=8000 "$agent" stop
log "stop past its budget handed the test back; it ran again on the next start"

# Heartbeat v1 face: /etc/understudy/zmworker.conf and start|status|stop.
cat >"$LAB_DIR/zmworker.conf" <<EOF
state_dir = $LAB_DIR/st-hb
helpers = $H
zonemaster_cli = $FAKE
group = hb
EOF
hb() { node_exec 1 env -i PATH="$PATH" UNDERSTUDY_CONF="$LAB_DIR/zmworker.conf" "$agent" "$@"; }
hb start || fail "heartbeat start"
[ "$(hb status)" = running ] || fail "heartbeat status: $(hb status)"
node_exec 1 "$H/zmctl" -g hb status | jq -e .joined >/dev/null || fail "no daemon for group hb"
hb stop || fail "heartbeat stop"
[ "$(hb status)" = stopped ] || fail "heartbeat status after stop: $(hb status)"
log "Heartbeat v1: start, status, stop"
log "PASS"
