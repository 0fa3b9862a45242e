#!/bin/bash
# lib/ssh against a real OpenSSH sshd on loopback: the good key works (exec,
# SFTP put/get, no overwrite); wrong host key, unknown host, wrong client key
# and a dead port each fail cleanly with a clear error; key files and
# known_hosts that others can write are refused; peer output is capped.
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

# Files others can write are refused before use, as OpenSSH does (the lab
# lives under /tmp: sticky and root's, so its own files pass).
cp -p "$SSH_KEY" "$d/gw_key"
chmod 0620 "$d/gw_key"
expect_fail 105 "key file refused: $d/gw_key: bad ownership or modes (owner uid 0, mode 0620)" \
	-i "$d/gw_key" -k "$KNOWN_HOSTS" exec true
cp "$KNOWN_HOSTS" "$d/ww_kh"
chmod 0666 "$d/ww_kh"
expect_fail 105 "known_hosts refused: $d/ww_kh: bad ownership or modes" \
	-i "$SSH_KEY" -k "$d/ww_kh" exec true
chmod 0644 "$d/ww_kh"
chown nobody "$d/ww_kh"
expect_fail 105 "known_hosts refused: $d/ww_kh: bad ownership or modes (owner uid $(id -u nobody)" \
	-i "$SSH_KEY" -k "$d/ww_kh" exec true
chown root "$d/ww_kh"
# A safe file below a directory others can write (or own, sticky or not).
mkdir -p "$d/open/deep"
cp -p "$SSH_KEY" "$d/open/deep/key"
chmod 0777 "$d/open"
expect_fail 105 "bad ownership or modes for directory $d/open (owner uid 0, mode 0777)" \
	-i "$d/open/deep/key" -k "$KNOWN_HOSTS" exec true
chmod 1777 "$d/open"
chown nobody "$d/open"
expect_fail 105 "bad ownership or modes for directory $d/open (owner uid $(id -u nobody), mode 1777)" \
	-i "$d/open/deep/key" -k "$KNOWN_HOSTS" exec true
# The same files with safe modes work; a root-owned sticky directory is fine.
chown root "$d/open"
chmod 0600 "$d/gw_key"
ussh -i "$d/open/deep/key" -k "$d/ww_kh" exec true || fail "sticky root-owned directory refused"
ussh -i "$d/gw_key" -k "$d/ww_kh" exec true || fail "mode 0600 key and 0644 known_hosts refused"
# The agents' validation applies the same rule: this node's file is wrong,
# not the configuration (OCF_ERR_INSTALLED, 5).
chmod 0620 "$d/gw_key"
out=$(env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=t OCF_RESKEY_paths="$d/=$d/dst-m" \
	OCF_RESKEY_nodes="a=127.0.0.1 b=127.0.0.2" OCF_RESKEY_ssh_key="$d/gw_key" \
	OCF_RESKEY_known_hosts="$KNOWN_HOSTS" OCF_RESKEY_state_dir="$d/state-m" \
	"$TOP_BUILDDIR/agents/mirror" validate-all 2>&1)
rc=$?
[ "$rc" -eq 5 ] || fail "validate-all with a group-writable key: rc=$rc $out"
echo "$out" | grep -q "^ocf-exit-reason:.*ssh_key.*bad ownership or modes" ||
	fail "validate-all gave no reason: $out"
log "unsafe files refused, safe ones used; validate-all: $(echo "$out" | grep exit-reason)"

# Peer output is bounded: 100 MiB on stdout is refused, not buffered.
out=$(ussh -i "$SSH_KEY" -k "$KNOWN_HOSTS" -t 30000 exec head -c 104857600 /dev/zero 2>&1 >/dev/null |
	tr -d '\0' | tail -n 1)
echo "$out" | grep -q "output exceeds 4194304 bytes; 100663296 more discarded" ||
	fail "100 MiB of output not capped: $out"
log "capped: $out"

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
[ "$(grep -c 'Accepted publickey' "$LAB_DIR/sshd/sshd.log")" -eq 10 ] ||
	fail "unexpected number of accepted logins: $(grep -c 'Accepted publickey' "$LAB_DIR/sshd/sshd.log")"
log "PASS"
