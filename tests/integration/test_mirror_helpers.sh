#!/bin/bash
# mirror-sync and mirror-serve between two "nodes" on one machine: each node
# is a private mount namespace where $W/data and $W/state are its own
# directories, so both see the same paths, as real nodes do; each runs a
# real sshd. Covered: every file kind and attribute (mode, owner, mtime ns,
# symlinks, hard links, fifos, xattrs, ACLs, empty dirs, unicode, spaces and
# newlines in names, /etc/shadow's mode and owner), a no-change rerun that
# sends nothing, changes incl. a file replaced by a directory and back,
# --dry-run, the delete guards, block-level update of a big file, kill -9 of
# either side mid-transfer, wrong host key and wrong client key, the
# stale node that comes back holding unsynced files, and a forced command
# with --only (setuid refused, no destination through a planted symlink or
# outside the tree, --allow-special).
. "$(dirname "$0")/lib.sh"
lab_init
need unshare setfattr getfattr setfacl getfacl sha256sum

B=$TOP_BUILDDIR/helpers/mirror
W=$LAB_DIR/world
mkdir -p "$W/data" "$W/state" "$LAB_DIR/a/data" "$LAB_DIR/a/state" "$LAB_DIR/b/data" \
	"$LAB_DIR/b/state"

# on NODE CMD...: run CMD with NODE's directories at $W.
on() {
	local n=$1
	shift
	unshare --mount --propagation private sh -c \
		'mount --bind "$1/data" "$2/data" && mount --bind "$1/state" "$2/state" && shift 2 && exec "$@"' \
		on "$LAB_DIR/$n" "$W" "$@"
}

SSHD_NAME=sshd-a SSHD_WRAP="on a" start_sshd root
PORT_A=$SSHD_PORT HOSTS_A=$KNOWN_HOSTS KEY=$SSH_KEY
SSHD_NAME=sshd-b SSHD_WRAP="on b" start_sshd root
PORT_B=$SSHD_PORT
cat "$HOSTS_A" >>"$KNOWN_HOSTS"
# both sshd accept the same client key
cp "$LAB_DIR/sshd-a/authorized_keys" "$LAB_DIR/sshd-b/authorized_keys"
cp "$LAB_DIR/sshd-a/client_key" "$LAB_DIR/sshd-b/client_key"
KEY=$LAB_DIR/sshd-a/client_key

# conf NODE ["key = value"...]: NODE's mirror.conf (the agent writes the
# same), with some settings replaced.
conf() {
	local f=$LAB_DIR/$1.conf l
	[ $# -gt 1 ] && f=$(mktemp "$LAB_DIR/$1.XXXX.conf")
	cat >"$f" <<EOF
self = $1
nodes = a=127.0.0.1:$PORT_A b=127.0.0.1:$PORT_B
paths = $W/data/www/ $W/data/etc/shadow $W/data/etc/passwd
exclude = *.swp cache/
state_dir = $W/state
ssh_user = root
ssh_key = $KEY
known_hosts = $KNOWN_HOSTS
remote_program = $B/mirror-serve
max_delete = 50
xattrs = yes
acls = yes
connect_timeout_ms = 3000
io_timeout_ms = 10000
EOF
	shift
	for l in "$@"; do
		sed -i "/^${l%% *} = /d" "$f"
		echo "$l" >>"$f"
	done
	echo "$f"
}
CA=$(conf a)
CB=$(conf b)
sync_a() { on a "$B/mirror-sync" -c "$CA" "$@"; }
sync_b() { on b "$B/mirror-sync" -c "$CB" "$@"; }

# sig DIR: one line per entry: path, type, mode, owner, size, mtime (ns),
# link target, link count, content hash, extended attributes.
sig() {
	# A directory's size is no part of it: on tmpfs it counts the entries,
	# and the source keeps excluded names the peer never gets.
	(cd "$1" && find . \( -type d -printf '%P|%y|%m|%U:%G|-|%T@|%l|%n\n' \) -o \
		-printf '%P|%y|%m|%U:%G|%s|%T@|%l|%n\n' | LC_ALL=C sort |
	while IFS= read -r l; do
		p=${l%%|*}
		[ -z "$p" ] && p=.
		h=-
		[ -f "$p" ] && [ ! -L "$p" ] && h=$(sha256sum <"$p" | cut -c1-16)
		x=$( [ -L "$p" ] || getfattr -h -d -m - --absolute-names "$p" 2>/dev/null | grep -v '^#' | LC_ALL=C sort | tr '\n' ,)
		# the root's own mtime moves with every rename into it
		[ "$p" = . ] && l=${l%%|*}
		printf '%s|%s|%s\n' "$l" "$h" "$x"
	done)
}
same_trees() {
	local why=$1
	if ! diff <(sig "$LAB_DIR/a/data/www") <(sig "$LAB_DIR/b/data/www") >"$LAB_DIR/diff.log"; then
		cat "$LAB_DIR/diff.log" >&2
		fail "$why: trees differ"
	fi
	for f in etc/shadow etc/passwd; do
		[ "$(sig "$LAB_DIR/a/data/etc" | grep "^${f#etc/}|")" = "$(sig "$LAB_DIR/b/data/etc" | grep "^${f#etc/}|")" ] ||
			fail "$why: $f differs"
	done
}
sent() { sed -n 's/^entries sent: \([0-9]*\).*/\1/p' <(sync_a --status); }

# --- a first sync of every kind of entry
A=$LAB_DIR/a/data
mkdir -p "$A/www/empty" "$A/www/deep/er/est" "$A/www/cache" "$A/etc" "$A/www/acl"
printf 'hello\n' >"$A/www/index.html"
: >"$A/www/zero"
printf 'x%.0s' $(seq 1 5000) >"$A/www/deep/er/est/five-k"
head -c 3000000 /dev/urandom >"$A/www/three-megs.bin"
printf 'unicode\n' >"$A/www/ünï cödé ✓"
printf 'nl\n' >"$A/www/new
line"
printf 'sp\n' >"$A/www/a file with spaces"
ln -s index.html "$A/www/link-rel"
ln -s /etc/hostname "$A/www/link-abs"
ln -s ../../.. "$A/www/deep/escape"
ln "$A/www/index.html" "$A/www/hardlink"
mkfifo "$A/www/fifo"
printf 'suid\n' >"$A/www/suid" && chmod 4755 "$A/www/suid"
printf 'secret\n' >"$A/www/private" && chmod 600 "$A/www/private" && chown nobody:nogroup "$A/www/private"
touch -d '2001-02-03 04:05:06.123456789' "$A/www/index.html"
setfattr -n user.origin -v node-a "$A/www/index.html"
setfacl -m u:nobody:r "$A/www/acl" && setfacl -d -m u:nobody:rx "$A/www/acl"
printf 'junk\n' >"$A/www/editor.swp"
printf 'cached\n' >"$A/www/cache/big"
printf 'root:$6$hash:19000:0:99999:7:::\n' >"$A/etc/shadow"
chown root:shadow "$A/etc/shadow" && chmod 640 "$A/etc/shadow"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$A/etc/passwd"
mkdir -p "$LAB_DIR/b/data/etc"
printf 'old:x:1:1::/:/bin/sh\n' >"$LAB_DIR/b/data/etc/passwd"

sync_a >"$LAB_DIR/sync1.log" 2>&1 || { cat "$LAB_DIR/sync1.log" >&2; fail "first sync failed"; }
# excluded entries stay home
[ -e "$LAB_DIR/b/data/www/editor.swp" ] && fail "an excluded file was copied"
[ -e "$LAB_DIR/b/data/www/cache" ] && fail "an excluded directory was copied"
rm -rf "$A/www/editor.swp" "$A/www/cache"
same_trees "first sync"
[ "$(stat -c '%a %U:%G' "$LAB_DIR/b/data/etc/shadow")" = "640 root:shadow" ] || fail "shadow lost its mode or owner"
[ "$(stat -c %i "$LAB_DIR/b/data/www/index.html")" = "$(stat -c %i "$LAB_DIR/b/data/www/hardlink")" ] ||
	fail "the hard link became a copy"
[ "$(readlink "$LAB_DIR/b/data/www/deep/escape")" = ../../.. ] || fail "symlink target changed"
getfacl -p "$LAB_DIR/b/data/www/acl" 2>/dev/null | grep -q '^default:user:nobody:r-x' || fail "default ACL lost"
log "first sync: every kind of entry identical, excludes kept home"

# --- nothing changed: nothing sent
sync_a || fail "second sync failed"	# the removal of the excluded files above
sync_a || fail "third sync failed"
[ "$(sent)" = 0 ] || fail "a no-change sync sent $(sent) entries"
log "no-change rerun sent 0 entries"

# --- changes, incl. a file replaced by a directory and back
printf 'changed\n' >"$A/www/zero"
chmod 700 "$A/www/private"
rm "$A/www/a file with spaces"
mv "$A/www/deep/er" "$A/www/deep/moved"
rm "$A/www/link-rel" && mkdir "$A/www/link-rel" && printf 'in\n' >"$A/www/link-rel/f"
sync_a || fail "sync of changes failed"
same_trees "changes"
rm -r "$A/www/link-rel" && printf 'file again\n' >"$A/www/link-rel"
sync_a || fail "sync of dir-to-file failed"
same_trees "directory replaced by a file"
log "changes, renames, file <-> directory: identical"

# --- --dry-run lists and changes nothing
printf 'dry\n' >"$A/www/dry-new"
rm "$A/www/zero"
out=$(sync_a --dry-run) || fail "dry run failed"
grep -q "^b send $W/data/www/dry-new$" <<<"$out" || fail "dry run does not list the new file: $out"
grep -q "^b delete $W/data/www/zero$" <<<"$out" || fail "dry run does not list the deletion: $out"
[ -e "$LAB_DIR/b/data/www/dry-new" ] && fail "dry run copied"
[ -e "$LAB_DIR/b/data/www/zero" ] || fail "dry run deleted"
sync_a || fail "sync after dry run failed"
log "--dry-run listed one send and one delete, touched nothing"

# --- delete guards
mkdir "$A/www/many" && for i in $(seq 1 60); do : >"$A/www/many/$i"; done
sync_a || fail "sync of 60 files failed"
rm -r "$A/www/many"
sync_a >"$LAB_DIR/guard.log" 2>&1; rc=$?
[ $rc -eq 3 ] || fail "deleting 61 entries with max_delete=50: exit $rc, want 3"
grep -q "more than max_delete=50" "$LAB_DIR/guard.log" || fail "guard message: $(cat "$LAB_DIR/guard.log")"
[ -e "$LAB_DIR/b/data/www/many/1" ] || fail "the guard let deletions through"
sync_a --force || fail "--force did not pass the guard"
[ -e "$LAB_DIR/b/data/www/many" ] && fail "--force did not delete"
mv "$A/www" "$A/www.away" && mkdir "$A/www"
sync_a >"$LAB_DIR/guard2.log" 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q "is empty" "$LAB_DIR/guard2.log" || fail "empty source root: exit $rc, $(cat "$LAB_DIR/guard2.log")"
rmdir "$A/www"
sync_a >"$LAB_DIR/guard3.log" 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q "is missing" "$LAB_DIR/guard3.log" || fail "missing source root: exit $rc, $(cat "$LAB_DIR/guard3.log")"
mv "$A/www.away" "$A/www"
[ -e "$LAB_DIR/b/data/www/index.html" ] || fail "a guard let the peer's copy go"
# a source whose disk is not mounted: another file system shows through
on a sh -c 'mount -t tmpfs none "$1/data/www" && echo stray >"$1/data/www/stray" && exec "$2" -c "$3"' \
	fs "$W" "$B/mirror-sync" "$CA" >"$LAB_DIR/guard4.log" 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q "another file system" "$LAB_DIR/guard4.log" ||
	fail "source on another file system: exit $rc, $(cat "$LAB_DIR/guard4.log")"
sync_a || fail "sync after the guards failed"
same_trees "after the guards"
log "delete guards: >max_delete, empty root, missing root, another file system refused (exit 3), --force passes"

# delete off: what is gone here stays on the peer
CND=$(conf a "delete = no")
printf 'keep\n' >"$A/www/kept-on-peer"
sync_a || fail "sync before delete=no"
rm "$A/www/kept-on-peer"
on a "$B/mirror-sync" -c "$CND" >/dev/null 2>&1 || fail "sync with delete=no"
[ -f "$LAB_DIR/b/data/www/kept-on-peer" ] || fail "delete=no deleted on the peer"
sync_a || fail "sync with delete back on"
[ -e "$LAB_DIR/b/data/www/kept-on-peer" ] && fail "delete=yes left the file"
log "delete=no keeps what is gone here on the peer; delete=yes removes it"

# --- a big file changes in 1 MiB: only changed blocks move
head -c $((64 << 20)) /dev/urandom >"$A/www/big.img"
sync_a || fail "sync of the big file failed"
dd if=/dev/urandom of="$A/www/big.img" bs=1M seek=20 count=1 conv=notrunc status=none
sync_a || fail "delta sync failed"
bytes=$(sync_a --status | sed -n 's/.*(\([0-9]*\) bytes).*/\1/p')
[ "$bytes" -le $((2 << 20)) ] || fail "1 MiB changed in 64 MiB moved $bytes bytes"
same_trees "block update"
log "1 MiB changed in a 64 MiB file: $bytes bytes sent"

# named_under PID NAME: PID and its descendants called NAME.
named_under() {
	local c
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && echo "$1"
	for c in $(pgrep -P "$1"); do named_under "$c" "$2"; done
}

# --- kill -9 of either side mid-transfer: every file old or new, no temporaries
old=$(sha256sum <"$A/www/big.img")
kills=0
for victim in mirror-sync mirror-serve; do
	for i in 1 2; do
		head -c $((64 << 20)) /dev/urandom >"$A/www/big.img"
		new=$(sha256sum <"$A/www/big.img")
		sync_a --verify >/dev/null 2>&1 &
		job=$!
		sleep "0.$((RANDOM % 4 + 1))"
		# only this test's processes, by pid: the sync's own, or the
		# mirror-serve under b's sshd (others may run on this machine)
		[ "$victim" = mirror-sync ] && top=$job || top=$(cat "$LAB_DIR/sshd-b/sshd.pid")
		for p in $(named_under "$top" "$victim"); do kill -9 "$p" && kills=$((kills + 1)); done
		wait
		now=$(sha256sum <"$LAB_DIR/b/data/www/big.img")
		[ "$now" = "$old" ] || [ "$now" = "$new" ] || fail "kill -9 of $victim left a mixed big.img"
		sync_a >/dev/null 2>&1 || fail "sync after kill -9 of $victim failed"
		old=$new
		ls -a "$LAB_DIR/b/data/www" | grep -q '^\.~mirror\.' && fail "a temporary outlived the next sync"
	done
done
same_trees "after kill -9"
[ "$kills" -ge 2 ] || fail "kill -9 mid-transfer hit $kills processes"
log "kill -9 of mirror-sync and mirror-serve, twice each ($kills killed mid-transfer): old or new, never mixed"

# --- host key and client key are checked
BAD=$LAB_DIR/bad_known_hosts
ssh-keygen -q -t ed25519 -N '' -f "$LAB_DIR/other" -C other
{ echo "[127.0.0.1]:$PORT_B $(cut -d' ' -f1,2 "$LAB_DIR/other.pub")"; } >"$BAD"
printf 'new\n' >"$A/www/after-bad-key"
CBAD=$(conf a "known_hosts = $BAD")
on a "$B/mirror-sync" -c "$CBAD" >"$LAB_DIR/hk.log" 2>&1 && fail "a wrong host key was accepted"
grep -qi "host key" "$LAB_DIR/hk.log" || fail "host key failure not named: $(cat "$LAB_DIR/hk.log")"
CBAD=$(conf a "ssh_key = $LAB_DIR/other")
on a "$B/mirror-sync" -c "$CBAD" >"$LAB_DIR/ck.log" 2>&1 && fail "a wrong client key was accepted"
grep -qiE "auth|refused|denied" "$LAB_DIR/ck.log" || fail "client key failure not named: $(cat "$LAB_DIR/ck.log")"
[ -e "$LAB_DIR/b/data/www/after-bad-key" ] && fail "a file moved over a refused connection"
sync_a || fail "sync after the key tests failed"
log "wrong host key and wrong client key refused, nothing moved"

# --- continuous mode (interval = 0): inotify names the directories that
# changed; only they are read, and what changed reaches the peer
CL=$(conf a "interval = 0")
on a "$B/mirror-sync" -c "$CL" --daemon >"$LAB_DIR/live.log" 2>&1 &
wait_for 5 "the daemon's pid file" test -s "$LAB_DIR/a/state/mirror-sync.pid"
live=$(cat "$LAB_DIR/a/state/mirror-sync.pid")
lab_on_exit kill "$live"
trees_equal() {	# excluded names aside
	diff <(sig "$LAB_DIR/a/data/www" | grep -v '\.swp|') <(sig "$LAB_DIR/b/data/www") >/dev/null
}
wait_for 20 "the daemon's first sync" trees_equal
t0=$(date +%s%N)
printf 'live\n' >"$A/www/live-new"
wait_for 10 "a new file, live" test -f "$LAB_DIR/b/data/www/live-new"
log "continuous: a new file reached the peer in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
mkdir -p "$A/www/newdir/sub" && printf 'x\n' >"$A/www/newdir/sub/f" && printf 'y\n' >"$A/www/newdir/g.swp"
printf 'edited\n' >>"$A/www/deep/moved/est/five-k"
rm "$A/www/zero2" 2>/dev/null; rm -f "$A/www/index.html"
mv "$A/www/deep" "$A/www/deeper"
chmod 751 "$A/www/empty"
wait_for 20 "live changes on the peer" trees_equal
[ -e "$LAB_DIR/b/data/www/newdir/g.swp" ] && fail "continuous mode copied an excluded file"
rm "$A/www/newdir/g.swp"
kill "$live"
wait_for 20 "the daemon's final sync" sh -c "! kill -0 $live 2>/dev/null"
grep -q "stopping: final sync" "$LAB_DIR/live.log" || fail "continuous: no final sync"
grep -qE "sync (failed|partial|refused)|: (error|warning):" "$LAB_DIR/live.log" && fail "continuous: $(grep -E "sync|error|warning" "$LAB_DIR/live.log" | tail -5)"
log "continuous: new tree, edit, delete, directory rename, chmod: identical"

# --- the stale node: a wrote after its last sync, crashed; b took over,
# wrote too, and now pushes to a. Nothing a wrote may be lost.
printf 'written on a after the last sync\n' >"$A/www/only-on-a"
printf 'a changed this too\n' >"$A/www/deeper/moved/est/five-k"
printf 'b took over\n' >"$LAB_DIR/b/data/www/only-on-b"
printf 'b version\n' >"$LAB_DIR/b/data/www/zero2"
sync_b >"$LAB_DIR/stale.log" 2>&1 || { cat "$LAB_DIR/stale.log" >&2; fail "b's push to the stale a failed"; }
[ -e "$A/www/only-on-b" ] || fail "b's new file did not reach a"
[ -e "$A/www/only-on-a" ] && fail "a's unsynced file is still in the tree"
kept=$(find "$LAB_DIR/a/state/conflicts" -name only-on-a -type f)
[ -n "$kept" ] && grep -q 'written on a' "$kept" || fail "a's unsynced file was lost"
kept=$(find "$LAB_DIR/a/state/conflicts" -name five-k -type f)
[ -n "$kept" ] && grep -q 'a changed this' "$kept" || fail "a's unsynced change was lost"
grep -q "conflicts kept by peers: 2" <(sync_b --status) || fail "conflicts not reported: $(sync_b --status)"
same_trees "after the stale node's return"
log "stale node: 2 unsynced files kept in a's conflict directory, trees identical"
# --- a forced command with --only: the key reaches that tree and no
# further. b's authorized_keys runs mirror-serve --only $W/data/jail
# whatever the sender asks; a setuid file is refused (the rest lands), a
# destination through a symlink the stream planted in the tree, or outside
# it, is refused and nothing is written outside; --allow-special lands it.
J=$A/jail
O=$LAB_DIR/outside
mkdir -p "$J" "$O" "$A/evil" && printf 'canary\n' >"$O/canary"
printf 'ok\n' >"$J/plain"
printf 'suid\n' >"$J/suid" && chmod 4755 "$J/suid"
ln -s "$O" "$J/out"
printf 'evil\n' >"$A/evil/payload" && chmod 4755 "$A/evil/payload"
AK=$LAB_DIR/sshd-b/authorized_keys
cp "$AK" "$LAB_DIR/authorized_keys.saved"
forced() {	# forced [OPTION]: b's key runs only mirror-serve --only $W/data/jail
	echo "command=\"$B/mirror-serve --state-dir $W/state/jail --only $W/data/jail $*\",restrict $(cat "$KEY.pub")" >"$AK"
}
outside_intact() {
	[ "$(ls -A "$O")" = canary ] && [ "$(cat "$O/canary")" = canary ] || fail "$1: written outside --only: $(ls -lA "$O")"
}
forced
CJ=$(conf a "paths = $W/data/jail/" "state_dir = $W/state/jail" "xattrs = no" "acls = no")
on a "$B/mirror-sync" -c "$CJ" >"$LAB_DIR/jail1.log" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "a setuid file under --only: exit $rc, want 1: $(cat "$LAB_DIR/jail1.log")"
grep -q "setuid or setgid bit refused by --only" "$LAB_DIR/jail1.log" || fail "refusal not named: $(cat "$LAB_DIR/jail1.log")"
[ -e "$LAB_DIR/b/data/jail/suid" ] && fail "a setuid file landed under --only"
[ -f "$LAB_DIR/b/data/jail/plain" ] && [ -L "$LAB_DIR/b/data/jail/out" ] || fail "the rest of the tree did not land"
# the sender now aims through the link it planted, then outside the tree
CE=$(conf a "paths = $W/data/evil/=$W/data/jail/out" "state_dir = $W/state/jail" "xattrs = no" "acls = no")
on a "$B/mirror-sync" -c "$CE" >"$LAB_DIR/jail2.log" 2>&1 && fail "a destination through a symlink was accepted"
grep -q "reached through a symlink" "$LAB_DIR/jail2.log" || fail "symlinked destination not named: $(cat "$LAB_DIR/jail2.log")"
outside_intact "destination through a planted symlink"
CE=$(conf a "paths = $W/data/evil/=$W/data/etc" "state_dir = $W/state/jail" "xattrs = no" "acls = no")
on a "$B/mirror-sync" -c "$CE" >"$LAB_DIR/jail4.log" 2>&1 && fail "a destination outside --only was accepted"
grep -q "is outside $W/data/jail (--only)" "$LAB_DIR/jail4.log" || fail "outside destination not named: $(cat "$LAB_DIR/jail4.log")"
[ -e "$LAB_DIR/b/data/etc/payload" ] && fail "a file landed outside --only"
outside_intact "destination outside"
forced --allow-special
on a "$B/mirror-sync" -c "$CJ" >"$LAB_DIR/jail5.log" 2>&1 || fail "--allow-special: $(cat "$LAB_DIR/jail5.log")"
[ "$(stat -c %a "$LAB_DIR/b/data/jail/suid")" = 4755 ] || fail "--allow-special did not land the setuid file"
cp "$LAB_DIR/authorized_keys.saved" "$AK"
log "forced command --only: setuid refused and named, destinations through a planted symlink or outside refused, nothing outside; --allow-special lands it"
exit 0
