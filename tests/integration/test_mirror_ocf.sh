#!/bin/bash
# mirror outside a cluster, against a real sshd on loopback (SRC=DEST so
# that one machine can be both ends): valid meta-data, ocf-tester, its ocft
# configuration, the final sync done by stop (a file written just before
# stop is on the peer after it), a source path with spaces, and hostile
# parameters with the exit code the OCF guide asks for.
. "$(dirname "$0")/lib.sh"
lab_init
need ocf-tester ocft xmllint
start_sshd root
agent=$TOP_BUILDDIR/agents/mirror
meta_data_valid "$agent"
H=$TOP_BUILDDIR/helpers/mirror
me=$(uname -n)
mkdir -p "$LAB_DIR/root" "$LAB_DIR/src" "$LAB_DIR/dst"
cp "$agent" "$LAB_DIR/root/"
agent=$LAB_DIR/root/$(basename "$agent")	# ocf-tester runs it as nobody too: not from a 0700 /root
echo one >"$LAB_DIR/src/one"

out=$(ocf-tester -n mir -o paths="$LAB_DIR/src/=$LAB_DIR/dst" \
	-o nodes="$me=127.0.0.1,peer=127.0.0.1:$SSHD_PORT" -o ssh_key="$SSH_KEY" \
	-o known_hosts="$KNOWN_HOSTS" -o state_dir="$LAB_DIR/state-t" -o helpers="$H" \
	-o interval=3600 "$agent" 2>&1) || fail "ocf-tester: $out"
echo "$out" | grep -q "passed all tests" || fail "ocf-tester: $out"
[ -f "$LAB_DIR/dst/one" ] || fail "nothing was synced during ocf-tester"
log "ocf-tester: passed all tests"

ocft_run "$(dirname "$0")/../ocft/mirror" -e "s|@AGENT_ROOT@|$LAB_DIR/root|" \
	-e "s|@NODES@|$me=127.0.0.1,peer=127.0.0.1:$SSHD_PORT|" -e "s|@SRC@|$LAB_DIR/src|" \
	-e "s|@DST@|$LAB_DIR/dst|" -e "s|@STATE@|$LAB_DIR/state-o|" -e "s|@KEY@|$SSH_KEY|" \
	-e "s|@HOSTS@|$KNOWN_HOSTS|" -e "s|@HELPERS@|$H|"

# The final sync on stop, from a source whose path holds spaces.
S="$LAB_DIR/web root"
mkdir -p "$S"
echo first >"$S/first"
run_agent() {
	env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=web OCF_RESKEY_paths="${S// /\\ }/=$LAB_DIR/dst2" \
		OCF_RESKEY_nodes="$me=127.0.0.1 peer=127.0.0.1:$SSHD_PORT" OCF_RESKEY_ssh_key="$SSH_KEY" \
		OCF_RESKEY_known_hosts="$KNOWN_HOSTS" OCF_RESKEY_state_dir="$LAB_DIR/state w" \
		OCF_RESKEY_helpers="$H" OCF_RESKEY_interval=3600 OCF_RESKEY_CRM_meta_timeout=60000 \
		"$agent" "$@"
}
run_agent start >"$LAB_DIR/start.out" 2>&1 || fail "start: $(cat "$LAB_DIR/start.out")"
wait_for 10 "the first sync" test -f "$LAB_DIR/dst2/first"
echo last >"$S/written-just-before-stop"
run_agent monitor >/dev/null 2>&1 || fail "monitor while running"
run_agent stop >"$LAB_DIR/stop.out" 2>&1 || fail "stop: $(cat "$LAB_DIR/stop.out")"
[ "$(cat "$LAB_DIR/dst2/written-just-before-stop" 2>/dev/null)" = last ] ||
	fail "the final sync on stop did not carry the last file: $(cat "$LAB_DIR/stop.out")"
run_agent monitor >/dev/null 2>&1; rc=$?
[ $rc -eq 7 ] || fail "monitor after stop: $rc, want 7"
log "stop's final sync carried a file written just before it (path with a space)"

# A daemon that dies is a failure, not "stopped".
run_agent start >/dev/null 2>&1 || fail "restart"
pid=$(cat "$LAB_DIR/state w/mirror-sync.pid")
kill -9 "$pid"
wait_for 5 "the daemon to be gone" test ! -e "/proc/$pid"
run_agent monitor >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "monitor after the daemon died: $rc, want 1 (ERR_GENERIC)"
run_agent stop >/dev/null 2>&1 || fail "stop after the daemon died"
log "a dead daemon: monitor says ERR_GENERIC, stop succeeds"

# Heartbeat v1 (a resource.d line "mirror::SRC=DEST"): the settings from a
# mirror.conf, the path as the argument; start, status, stop's final sync.
cat >"$LAB_DIR/mirror.conf" <<EOF
nodes = $me=127.0.0.1 peer=127.0.0.1:$SSHD_PORT
ssh_key = $SSH_KEY
known_hosts = $KNOWN_HOSTS
state_dir = $LAB_DIR/state-hb
helpers = $H
interval = 3600
EOF
mkdir -p "$LAB_DIR/hb-src"
echo hb >"$LAB_DIR/hb-src/file"
hb() { env -i PATH="$PATH" UNDERSTUDY_CONF="$LAB_DIR/mirror.conf" HA_RSCTMP="$LAB_DIR" \
	"$agent" "$LAB_DIR/hb-src/=$LAB_DIR/hb-dst" "$@"; }
hb start >"$LAB_DIR/hb.out" 2>&1 || fail "heartbeat start: $(cat "$LAB_DIR/hb.out")"
[ "$(hb status 2>/dev/null)" = running ] || fail "heartbeat status: $(hb status 2>&1)"
wait_for 10 "the heartbeat-started sync" test -f "$LAB_DIR/hb-dst/file"
echo late >"$LAB_DIR/hb-src/late"
hb stop >"$LAB_DIR/hb.out" 2>&1 || fail "heartbeat stop: $(cat "$LAB_DIR/hb.out")"
[ "$(cat "$LAB_DIR/hb-dst/late" 2>/dev/null)" = late ] || fail "no final sync on heartbeat stop"
out=$(hb status 2>/dev/null); rc=$?
[ "$out" = stopped ] && [ $rc = 3 ] || fail "heartbeat status after stop: $out ($rc)"
log "Heartbeat v1: mirror::PATHS start, status, stop with its final sync"
exit 0
