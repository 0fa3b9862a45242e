#!/bin/bash
# ocf:understudy:zmworker on a one-node corosync (its own namespaces), with
# the fast stand-in for zonemaster-cli: valid meta-data, ocf-tester, its
# ocft configuration, hostile parameters with the OCF exit codes, stop
# letting a running test finish and, past the stop budget, handing it back;
# the spool directory; the legacy Heartbeat face (start|status|stop).
# Trust boundaries: tests run as the unprivileged user with only their
# pipes open; the spool never follows a symlink (nor opens a fifo or a
# hard link); an impostor on zmworkerd's IPC name is refused by zmctl and
# fails the start with a reason.
. "$(dirname "$0")/lib.sh"
lab_init
need ocf-tester ocft xmllint corosync jq
agent=$(lab_bin "$TOP_BUILDDIR/agents/zmworker")/zmworker	# ocf-tester runs it as nobody too
H=$TOP_BUILDDIR/helpers/zmworker
TOOLS=$(cd "$(dirname "$0")/../tools" && pwd)
ZMUSER=$("$TOOLS/zm-user") || fail "cannot create the test user"
# The fake runs as $ZMUSER with a clean environment: it lives in the lab,
# where that user may enter, and takes its settings from zm-fake.env.
mkdir -p "$LAB_DIR/bin"
cp "$TOOLS/zm-fake" "$TOP_BUILDDIR/tests/tools/zm-impostor" "$LAB_DIR/bin/"
FAKE=$LAB_DIR/bin/zm-fake
fake_env() { printf '%s\n' "$@" >"$LAB_DIR/bin/zm-fake.env"; }
PROBE=$LAB_DIR/probe.log
: >"$PROBE"
chmod 666 "$PROBE"
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
expect 5 OCF_RESKEY_user=no-such-user-zm "$agent" validate-all
grep -q 'parameter user="no-such-user-zm": no such user' "$LAB_DIR/ra.err" ||
	fail "missing user: $(cat "$LAB_DIR/ra.err")"
echo '{}' >"$LAB_DIR/private-profile.json"
chmod 600 "$LAB_DIR/private-profile.json"
expect 4 OCF_RESKEY_profile="$LAB_DIR/private-profile.json" "$agent" validate-all
grep -q "parameter profile=.*: not readable by user $ZMUSER: Permission denied" "$LAB_DIR/ra.err" ||
	fail "unreadable profile: $(cat "$LAB_DIR/ra.err")"
expect 7 "$agent" monitor
expect 0 "$agent" stop
log "hostile parameters: the OCF codes with reasons"

# A local user binds zmworkerd's IPC name first (CVE-2018-16877's class):
# zmctl refuses to talk to it, and the start fails naming the impostor.
node_exec 1 sh -c 'echo $$ >"$1"; exec "$2" understudy-zm-zmworker nobody' sh "$LAB_DIR/imp.pid" \
	"$LAB_DIR/bin/zm-impostor" >"$LAB_DIR/imp.out" 2>&1 &
wait_for 5 "the impostor serves understudy-zm-zmworker" grep -q ready "$LAB_DIR/imp.out"
IMP=$(cat "$LAB_DIR/imp.pid")
lab_on_exit kill -9 "$IMP"
out=$(zm status 2>&1)
rc=$?
[ "$rc" = 5 ] || fail "zmctl talked to the impostor (exit $rc): $out"
echo "$out" | grep -q "served by uid $(id -u nobody) (nobody) pid $IMP, not by root: not zmworkerd" ||
	fail "zmctl's refusal: $out"
expect 1 "$agent" start
grep -q "not zmworkerd" "$LAB_DIR/ra.err" || fail "start's reason: $(cat "$LAB_DIR/ra.err")"
grep -q "IPC service understudy-zm-zmworker is taken by uid $(id -u nobody) (nobody) pid $IMP" \
	"$LAB_DIR/st/zmworkerd.log" || fail "zmworkerd's log: $(tail -3 "$LAB_DIR/st/zmworkerd.log")"
expect 7 "$agent" monitor
kill -9 "$IMP"
wait
log "an impostor on the IPC name: zmctl exit 5, start failed with the reason"

# Spool, then stop lets a running test finish.
fake_env ZMFAKE_SLOW=3 "ZMFAKE_PROBE=$PROBE"
expect 0 OCF_RESKEY_test_timeout=60 "$agent" start
expect 0 "$agent" monitor
echo '{"name": "spooled.example.test", "request": {}}' >"$LAB_DIR/st/spool/a.json"
echo '{"name": "bad..name", "request": {}}' >"$LAB_DIR/st/spool/b.json"
wait_for 10 "the spool submitted a.json" sh -c "[ ! -e '$LAB_DIR/st/spool/a.json' ]"
wait_for 10 "b.json rejected" test -f "$LAB_DIR/st/spool/rejected/b.json.why"
grep -q "name: empty label" "$LAB_DIR/st/spool/rejected/b.json.why" || fail "reject reason: $(cat "$LAB_DIR/st/spool/rejected/b.json.why")"

# zonemaster-cli's confinement, seen from inside: its user, only 0-2 open
# (255 is bash's own handle on the script), in /, nothing of our environment.
wait_for 10 "the spooled test started" grep -q "^spooled.example.test " "$PROBE"
p=$(grep "^spooled.example.test " "$PROBE")
echo "$p" | grep -q " uid=$(id -u "$ZMUSER") gid=$(id -g "$ZMUSER") " || fail "not run as $ZMUSER: $p"
echo "$p" | grep -q " cwd=/ " || fail "cwd: $p"
echo "$p" | grep -q " fds=0,1,2,255$" || fail "fds other than its pipes: $p"
extra=$(echo "$p" | sed 's/.* env=\([^ ]*\).*/\1/' | tr , '\n' |
	grep -Ev '^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_.*|TZ|PWD|SHLVL|_)$' || true)
[ -z "$extra" ] || fail "environment leaked into the test: $extra"
log "the test ran as $ZMUSER, fds 0,1,2 (+bash's 255), in /, clean environment"

# Hostile spool entries, as a user who may write the spool would plant
# them (zmworkerd is root): a symlink to /etc/shadow, a fifo, a hard link.
sp=$LAB_DIR/st/spool
shadow_before=$(stat -c '%i %h %s %Y %a %U:%G' /etc/shadow; sha256sum </etc/shadow)
ln -s /etc/shadow "$sp/shadow.json"
mkfifo "$sp/fifo.json"
echo '{"name": "linked.example.test"}' >"$LAB_DIR/linked.json"
ln "$LAB_DIR/linked.json" "$sp/hard.json"
for f in shadow fifo hard; do
	wait_for 10 "$f.json rejected" test -f "$sp/rejected/$f.json.why"
done
grep -q "a symbolic link: refused" "$sp/rejected/shadow.json.why" ||
	fail "symlink reason: $(cat "$sp/rejected/shadow.json.why")"
[ -L "$sp/rejected/shadow.json" ] || fail "the symlink itself was not moved to rejected/"
grep -q "not a regular file: refused" "$sp/rejected/fifo.json.why" || fail "fifo: $(cat "$sp/rejected/fifo.json.why")"
grep -q "a file with 2 links: refused" "$sp/rejected/hard.json.why" || fail "hard link: $(cat "$sp/rejected/hard.json.why")"
[ "$(stat -c '%i %h %s %Y %a %U:%G' /etc/shadow; sha256sum </etc/shadow)" = "$shadow_before" ] ||
	fail "/etc/shadow changed"
! grep -q "root" "$sp/rejected/shadow.json.why" || fail "the reason quotes the target"
expect 0 "$agent" monitor
log "spool: a symlink to /etc/shadow, a fifo and a hard link refused; /etc/shadow untouched"
id=$(echo '{"name": "slow1.example.test"}' | zm submit - | jq -r .id)
wait_for 5 "slow1 running" sh -c "[ \"\$(nsenter -t $NODE_PID_1 -m -u -n '$H/zmctl' get $id | jq -r .status)\" = running ]"
expect 0 OCF_RESKEY_CRM_meta_timeout=30000 "$agent" stop
[ "$(jq -r '.results | map(select(.end_time)) | length' "$LAB_DIR/st/docs/$id.json")" = 1 ] ||
	fail "stop did not let the running test finish: $(cat "$LAB_DIR/st/docs/$id.json")"
log "stop let the running test finish"

# Past the stop budget the test is handed back: no result, pending again.
fake_env ZMFAKE_SLOW=60
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
