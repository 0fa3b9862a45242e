#!/bin/bash
# lib/ssh against a real OpenSSH sshd on loopback: the good key works (exec,
# SFTP put/get, no overwrite); wrong host key, unknown host, wrong client key
# and a dead port each fail cleanly with a clear error.
. "$(dirname "$0")/lib.sh"
lab_init
start_sshd

USSH=$TOP_BUILDDIR/tests/tools/ussh
d=$LAB_DIR/t
mkdir -p "$d"
ussh() { "$USSH" -H 127.0.0.1 -p "$SSHD_PORT" -u "$SSH_USER" -t 5000 "$@"; }
# expect_fail CODE PATTERN ussh-args...: fails with 100+CODE and says PATTERN
expect_fail() {
	local code=$1 pat=$2 out rc
	shift 2
	out=$(ussh "$@" 2>&1); rc=$?
	[ "$rc" -eq "$code" ] || fail "expected exit $code, got $rc: $out"
	echo "$out" | grep -q -- "$pat" || fail "expected \"$pat\" in: $out"
	log "refused as expected: $out"
}

# Good key, exec: argv words arrive intact, stdout/stderr/status separate.
out=$(ussh -i "$SSH_KEY" -k "$KNOWN_HOSTS" exec printf '%s|' 'a b' "it's" '$(id)' ';') ||
	fail "exec failed"
[ "$out" = "a b|it's|\$(id)|;|" ] || fail "argv mangled: $out"
ussh -i "$SSH_KEY" -k "$KNOWN_HOSTS" exec sh -c 'exit 7'
[ $? -eq 7 ] || fail "remote exit status lost"
log "exec ok"

# SFTP put/get of 20 MiB, atomically; an existing target is never overwritten.
head -c 20971520 /dev/urandom >"$d/src"
ussh -i "$SSH_KEY" -k "$KNOWN_HOSTS" put "$d/src" "$d/dst" || fail "put failed"
cmp "$d/src" "$d/dst" || fail "put corrupted data"
ls -a "$d" | grep -q us-tmp && fail "temporary file left behind"
ussh -i "$SSH_KEY" -k "$KNOWN_HOSTS" get "$d/dst" "$d/back" || fail "get failed"
cmp "$d/src" "$d/back" || fail "get corrupted data"
echo other >"$d/other"
expect_fail 107 "exists; not overwritten" -i "$SSH_KEY" -k "$KNOWN_HOSTS" put "$d/other" "$d/dst"
cmp "$d/src" "$d/dst" || fail "existing file was modified"
ls -a "$d" | grep -q us-tmp && fail "temporary file left behind after refusal"
log "sftp ok"

# Wrong host key: known_hosts holds another key for this host:port.
ssh-keygen -q -t ed25519 -N '' -f "$d/other_host" -C other
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$d/other_host.pub")" >"$d/kh_wrong"
fpr=$(ssh-keygen -l -E sha256 -f "$SSHD_HOSTKEY.pub" | awk '{print $2}')
expect_fail 103 "HOST KEY MISMATCH.*$fpr" -i "$SSH_KEY" -k "$d/kh_wrong" exec true
expect_fail 103 "127.0.0.1:$SSHD_PORT: HOST KEY" -i "$SSH_KEY" -k "$d/kh_wrong" exec true

# Unknown host: known_hosts knows only another port.
echo "[127.0.0.1]:1 $(cut -d' ' -f1,2 "$SSHD_HOSTKEY.pub")" >"$d/kh_other"
expect_fail 102 "is not in.*$fpr" -i "$SSH_KEY" -k "$d/kh_other" exec true
: >"$d/kh_empty"
expect_fail 102 "is not in" -i "$SSH_KEY" -k "$d/kh_empty" exec true

# Wrong client key.
ssh-keygen -q -t ed25519 -N '' -f "$d/stranger" -C stranger
expect_fail 104 "refused for user $SSH_USER" -i "$d/stranger" -k "$KNOWN_HOSTS" exec true
expect_fail 105 "key file" -i "$d/no-such-key" -k "$KNOWN_HOSTS" exec true

# Dead port: refused at once, not after a timeout.
dead=$(free_port)
start=$(date +%s%N)
out=$("$USSH" -H 127.0.0.1 -p "$dead" -u root -i "$SSH_KEY" -k "$KNOWN_HOSTS" -t 5000 exec true 2>&1)
rc=$?
[ "$rc" -eq 101 ] || fail "dead port: exit $rc: $out"
echo "$out" | grep -q "Connection refused" || fail "dead port: $out"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ] || fail "dead port took too long"
log "dead port refused: $out"

# A server that accepts TCP but never speaks SSH: the connect timeout ends it.
mute=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(60)' "$mute" &
lab_on_exit kill $!
wait_for 5 "mute listener" port_open 127.0.0.1 "$mute"
start=$(date +%s%N)
out=$("$USSH" -H 127.0.0.1 -p "$mute" -u root -i "$SSH_KEY" -k "$KNOWN_HOSTS" -t 1000 exec true 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 108 ] || fail "mute server: exit $rc: $out"
[ "$ms" -lt 3000 ] || fail "mute server: gave up only after $ms ms"
log "mute server: gave up after $ms ms: $out"

# A broken session is noticed and re-established by ssh_ensure().
ussh -i "$SSH_KEY" -k "$KNOWN_HOSTS" repeat 3 sh -c 'echo $PPID' >"$d/ppids" 2>"$d/repeat.err" &
rp=$!
wait_for 5 "first run" test -s "$d/ppids"
pkill -KILL -f "sshd: $SSH_USER@notty" || fail "no session process to kill"
wait "$rp" || fail "repeat after a broken session: $(cat "$d/repeat.err")"
[ "$(sort -u "$d/ppids" | wc -l)" -ge 2 ] || fail "same session served all runs: $(cat "$d/ppids")"
log "session re-established after kill: $(tr '\n' ' ' <"$d/ppids")"

# Only the good-key runs logged in: every refusal happened before auth.
[ "$(grep -c 'Accepted publickey' "$LAB_DIR/sshd/sshd.log")" -eq 7 ] ||
	fail "unexpected number of accepted logins: $(grep -c 'Accepted publickey' "$LAB_DIR/sshd/sshd.log")"
log "PASS"
