#!/bin/bash
# pgwarm's helpers against a real PostgreSQL 15 and a real sshd on loopback:
# archive/restore round trip through PostgreSQL's own archiver, identical
# re-archive, refusal of different content (both checksums named), kill -9
# of either side mid-transfer never leaves a partial file under its final
# name, an unreachable peer and a wrong host key fail with exit 1 and
# PostgreSQL retries until nothing is lost, cleanup, and pgwarm-standby
# running the seed's pg_standby line on PostgreSQL 15 (trigger smart/fast);
# an impostor of another user on the shipper's socket name is never believed.
. "$(dirname "$0")/lib.sh"
lab_init
start_sshd postgres

B=$(lab_bin "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-archive "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-restore \
	"$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-standby)
ARCHIVE=$LAB_DIR/walfiles
W=$LAB_DIR/w	# the postgres user's scratch space
mkdir -p "$ARCHIVE" "$W"
chown postgres: "$ARCHIVE" "$W" "$SSH_KEY" "$KNOWN_HOSTS"
as_pg() { runuser -u postgres -- "$@"; }

# ship_conf FILE PEERSPEC: what the agent writes for the helpers.
ship_conf() {
	cat >"$1" <<EOF
self = a
nodes = a=192.0.2.99 $2
archive_dir = $ARCHIVE
ssh_user = postgres
ssh_key = $SSH_KEY
known_hosts = $KNOWN_HOSTS
archive_require = all
connect_timeout_ms = 2000
io_timeout_ms = 10000
remote_program = $B/pgwarm-archive
EOF
	chown postgres: "$1"
}

# The archive stores segments as LZ4 frames (NAME.lz4); same_as SRC NAME
# compares what it holds for NAME with SRC.
same_as() {
	if [ -f "$ARCHIVE/$2.lz4" ]; then
		lz4 -dc "$ARCHIVE/$2.lz4" | cmp -s - "$1"
	else
		cmp -s "$1" "$ARCHIVE/$2"
	fi
}
stored() { [ -f "$ARCHIVE/$1.lz4" ] || [ -f "$ARCHIVE/$1" ]; }

start_postgres A
PGA=$PGDATA_A
ship_conf "$PGA/pgwarm-archive.conf" "b=127.0.0.1:$SSHD_PORT"
cat >>"$PGA/postgresql.conf" <<EOF
archive_mode = on
archive_command = '$B/pgwarm-archive -c pgwarm-archive.conf %p %f'
EOF
as_pg "$PGBIN/pg_ctl" -D "$PGA" -w -m fast restart -l "$LAB_DIR/pg-A/postgres.log" >/dev/null ||
	fail "restart with archiving failed"
psql_a() { as_pg "$PGBIN/psql" -h "$LAB_DIR/pg-A" -p "$PGPORT" -XAtq -d postgres -c "$1"; }

# --- Through PostgreSQL's archiver: segments land complete and verified.
psql_a "create table t(i int); insert into t select generate_series(1, 1000)"
seg=$(psql_a "select pg_walfile_name(pg_current_wal_lsn())")
psql_a "select pg_switch_wal()" >/dev/null
archived() { stored "$seg"; }
wait_for 20 "segment $seg in the archive" archived
same_as "$PGA/pg_wal/$seg" "$seg" || fail "archived $seg differs from pg_wal"
[ "$(stat -c %U "$ARCHIVE/$seg.lz4")" = postgres ] || fail "archived file not owned by postgres"
[ "$(psql_a "select failed_count from pg_stat_archiver")" = 0 ] || fail "archiver failures"
pgrep -u postgres -f 'pgwarm-archive.*--daemon' >/dev/null || fail "no shipper daemon running"
log "archived $seg through PostgreSQL"

# --- An impostor on the shipper's socket name (a local user who bound the
# abstract name first): its "OK" is never believed, and the log names it.
F=$(realpath "$W")/fake	# a data directory the shipper would serve
mkdir -p "$F/pg_wal"
head -n 1 "$PGA/postmaster.pid" >"$F/postmaster.pid"	# a live postmaster
imp_seg=0000000100000003000000A1
head -c 16777216 /dev/urandom >"$F/pg_wal/$imp_seg"
chown -R postgres: "$F"
sockname=$(/usr/bin/python3 -c 'import sys
h = 1469598103934665603
for c in sys.argv[1].encode():
    h = ((h ^ c) * 1099511628211) % 2**64
print("understudy-pgwarm-%016x" % h)' "$F")
# impostor MODE: as nobody, binds the name; "answer" also listens and says OK.
impostor() {
	runuser -u nobody -- /usr/bin/python3 -c 'import os, signal, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind("\0" + sys.argv[1])
print(os.getpid(), flush=True)
if sys.argv[2] != "answer":
    signal.pause()
s.listen(8)
while True:
    c, _ = s.accept()
    try:
        c.recv(256)
        c.sendall(b"OK\n")
    except OSError:
        pass
    c.close()' "$sockname" "$1" >"$LAB_DIR/impostor.pid" 2>/dev/null &
	imp_runuser=$!
	lab_on_exit kill "$imp_runuser"
	bound() { grep -q "@$sockname\$" /proc/net/unix && [ -s "$LAB_DIR/impostor.pid" ]; }
	wait_for 10 "impostor bound to @$sockname" bound
	imp_pid=$(cat "$LAB_DIR/impostor.pid")
}
ship_conf "$F/pgwarm-archive.conf" "b=127.0.0.1:$(free_port)"	# nobody to reach
impostor answer
out=$(cd "$F" && as_pg "$B/pgwarm-archive" -c pgwarm-archive.conf "pg_wal/$imp_seg" "$imp_seg" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "impostor's OK believed: rc $rc: $out"
echo "$out" | grep -q "held by uid $(id -u nobody) (nobody) pid $imp_pid" ||
	fail "impostor not named (uid, pid $imp_pid): $out"
! stored "$imp_seg" || fail "$imp_seg in the archive"
! pgrep -u postgres -f 'pgwarm-archive -c pgwarm-archive.conf --daemon' >/dev/null ||
	fail "a shipper started for the fake data directory"
log "answering impostor refused: $out"
kill "$imp_runuser"; wait "$imp_runuser" 2>/dev/null
gone() { ! grep -q "@$sockname\$" /proc/net/unix; }
wait_for 10 "impostor gone" gone
# A squatter that only binds: the shipper cannot start and says so in the
# server log (its stderr); archive_command ships the file itself, trusting
# no socket, so the segment really is on the peer.
: >"$LAB_DIR/impostor.pid"
impostor squat
ship_conf "$F/pgwarm-archive.conf" "b=127.0.0.1:$SSHD_PORT"
out=$(cd "$F" && as_pg "$B/pgwarm-archive" -c pgwarm-archive.conf "pg_wal/$imp_seg" "$imp_seg" 2>&1)
rc=$?
echo "$out" | grep -q "shipper.*socket name @$sockname is held by .*not by this server's user" ||
	fail "the shipper vanished silently with its name taken: $out"
[ $rc -eq 0 ] && same_as "$F/pg_wal/$imp_seg" "$imp_seg" || fail "direct fallback: rc $rc: $out"
kill "$imp_runuser"; wait "$imp_runuser" 2>/dev/null
rm -rf "$F" "$ARCHIVE/$imp_seg.lz4"
log "squatter: the shipper said so in the server log, archive_command shipped itself"

# --- Restore round trip; an absent file exits 1 at once; a corrupt one is refused.
as_pg "$B/pgwarm-restore" -d "$ARCHIVE" "$seg" "$W/restored" || fail "restore failed"
cmp -s "$PGA/pg_wal/$seg" "$W/restored" || fail "restored copy differs"
as_pg "$B/pgwarm-restore" -d "$ARCHIVE" 0000000100000000000000FE "$W/x" 2>/dev/null
[ $? -eq 1 ] || fail "absent file: want exit 1"
head -c 16777216 /dev/zero >"$ARCHIVE/0000000100000000000000FD"
out=$(as_pg "$B/pgwarm-restore" -d "$ARCHIVE" 0000000100000000000000FD "$W/x" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "no WAL segment header" || fail "zero-filled file restored: $out"
rm -f "$ARCHIVE/0000000100000000000000FD"
log "restore ok, absent and corrupt refused"

# --- Re-archive of identical content is success; different content is refused.
ship_conf "$W/ship.conf" "b=127.0.0.1:$SSHD_PORT"
cp "$PGA/pg_wal/$seg" "$W/same"
chown postgres: "$W/same"
as_pg "$B/pgwarm-archive" -c "$W/ship.conf" "$W/same" "$seg" || fail "identical re-archive failed"
printf 'X' | dd of="$W/same" bs=1 seek=100000 conv=notrunc 2>/dev/null
out=$(as_pg "$B/pgwarm-archive" -c "$W/ship.conf" "$W/same" "$seg" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "different content: want exit 1, got $rc: $out"
[ "$(echo "$out" | grep -o 'sha256:[0-9a-f]\{64\}' | sort -u | wc -l)" = 2 ] ||
	fail "both checksums not named: $out"
same_as "$PGA/pg_wal/$seg" "$seg" || fail "archived file was overwritten"
log "refused: $out"

# --- kill -9 of the sender, then of the receiver, at random points.
for i in $(seq 1 8); do
	name=$(printf '0000000100000001000000%02X' "$i")
	head -c 16777216 /dev/urandom >"$W/$name"
	chown postgres: "$W/$name"
	as_pg "$B/pgwarm-archive" -c "$W/ship.conf" "$W/$name" "$name" 2>/dev/null &
	pid=$!
	sleep "0.$((RANDOM % 30))"
	if [ $((i % 2)) = 0 ]; then
		pkill -9 -u postgres -f 'pgwarm-archive --receive' || true
	else
		pkill -9 -P "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null
		pkill -9 -f "pgwarm-archive -c $W/ship.conf $W/$name" || true
	fi
	wait "$pid" 2>/dev/null
	if stored "$name"; then
		same_as "$W/$name" "$name" || fail "partial $name under its final name"
	fi
done
for i in $(seq 1 8); do
	name=$(printf '0000000100000001000000%02X' "$i")
	as_pg "$B/pgwarm-archive" -c "$W/ship.conf" "$W/$name" "$name" ||
		fail "re-archive after kill failed"
	same_as "$W/$name" "$name" || fail "$name differs after re-archive"
done
sleep 0.5
leftover=$(find "$ARCHIVE" -name '.pgwarm.*' | wc -l)
[ "$leftover" = 0 ] || fail "$leftover temporary files left behind"
log "kill -9 on either side: only complete files under final names"

# --- Unreachable peer and wrong host key: exit 1 (never above 125), clear reason.
dead=$(free_port)
ship_conf "$W/dead.conf" "b=127.0.0.1:$dead"
out=$(as_pg "$B/pgwarm-archive" -c "$W/dead.conf" "$W/same" "$seg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "b=127.0.0.1" || fail "dead peer: rc $rc: $out"
log "dead peer: $out"
ssh-keygen -q -t ed25519 -N '' -f "$W/other" -C other
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$W/other.pub")" >"$W/kh-wrong"
chown postgres: "$W/kh-wrong"
sed "s|^known_hosts = .*|known_hosts = $W/kh-wrong|" "$W/ship.conf" >"$W/wrong.conf"
chown postgres: "$W/wrong.conf"
out=$(as_pg "$B/pgwarm-archive" -c "$W/wrong.conf" "$W/same" "$seg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "SHA256:" || fail "wrong host key: rc $rc: $out"
log "wrong host key: $out"

# --- Peer down while PostgreSQL archives: it retries, and nothing is lost.
# The peer goes down whole: its sessions (the shipper's open one too: the
# children of this test's sshd) with the listener, as with a machine that
# dies, not only the listener.
sshd_pid=$(cat "$LAB_DIR/sshd/sshd.pid")
pkill -P "$sshd_pid" || true
kill "$sshd_pid"
pkill -u postgres -f 'pgwarm-archive.*--receive' || true
sshd_down() { ! port_open 127.0.0.1 "$SSHD_PORT"; }
wait_for 10 "sshd down" sshd_down
psql_a "insert into t select generate_series(1001, 2000)"
seg2=$(psql_a "select pg_walfile_name(pg_current_wal_lsn())")
psql_a "select pg_switch_wal()" >/dev/null
failing() { [ "$(psql_a "select failed_count from pg_stat_archiver")" -gt 0 ]; }
# An attempt in flight may take archive_command's own bound to fail
# (connect_timeout_ms + 2 * io_timeout_ms = 22 s here).
wait_for 60 "archiver reporting failures" failing
[ -f "$PGA/pg_wal/archive_status/$seg2.ready" ] || fail "$seg2 no longer waiting"
/usr/sbin/sshd -f "$LAB_DIR/sshd/sshd_config" -E "$LAB_DIR/sshd/sshd.log" || fail "sshd restart"
seg=$seg2
wait_for 90 "segment $seg2 archived after the peer returned" archived
same_as "$PGA/pg_wal/$seg2" "$seg2" || fail "$seg2 differs"
log "peer down: PostgreSQL retried, $seg2 arrived once the peer was back"

# --- Cleanup, as archive_cleanup_command %r.
as_pg "$B/pgwarm-restore" -d "$ARCHIVE" --cleanup 000000010000000100000005 || fail "cleanup"
! stored 000000010000000100000004 && stored 000000010000000100000005 ||
	fail "cleanup removed the wrong files"
rm -f "$ARCHIVE"/00000001000000010000000*

# --- pgwarm-standby with the seed's restore_command line, on PostgreSQL 15.
trig=$W/pgsql.trigger.5432
SB=$LAB_DIR/pg-S
mkdir -p "$SB"; chown postgres: "$SB"
as_pg "$PGBIN/pg_basebackup" -h "$LAB_DIR/pg-A" -p "$PGPORT" -D "$SB/data" -X none ||
	fail "pg_basebackup"
sbport=$(free_port)
cat >>"$SB/data/postgresql.conf" <<EOF
port = $sbport
unix_socket_directories = '$SB'
archive_mode = off
recovery_prefetch = off
restore_command = '$B/pgwarm-standby -l -d -s 1 -t $trig $ARCHIVE %f %p %r'
EOF
touch "$SB/data/recovery.signal"
chown postgres: "$SB/data/recovery.signal"
# No -w: it becomes consistent only once the primary's next segment arrives.
as_pg "$PGBIN/pg_ctl" -D "$SB/data" -l "$SB/postgres.log" -W start >/dev/null || fail "standby start"
lab_on_exit runuser -u postgres -- "$PGBIN/pg_ctl" -D "$SB/data" -m immediate -w stop
psql_s() { as_pg "$PGBIN/psql" -h "$SB" -p "$sbport" -XAtq -d postgres -c "$1" 2>/dev/null; }
sb_rows() { [ "$(psql_s "select count(*) from t")" = "$1" ]; }
psql_a "insert into t select generate_series(2001, 3000)"
seg=$(psql_a "select pg_walfile_name(pg_current_wal_lsn())")
psql_a "select pg_switch_wal()" >/dev/null
wait_for 20 "segment in archive" archived
wait_for 20 "standby at 3000 rows" sb_rows 3000
[ "$(psql_s "select pg_is_in_recovery()")" = t ] || fail "standby not in recovery"
echo smart >"$trig"
promoted() { [ "$(psql_s "select pg_is_in_recovery()")" = f ]; }
wait_for 30 "smart failover" promoted
sb_rows 3000 || fail "rows lost in smart failover"
[ ! -e "$trig" ] || fail "trigger file not removed"
grep -q "smart failover" "$SB/postgres.log" || fail "no smart failover in the log"
log "pgwarm-standby: seed's line replays on 15, smart trigger promotes with 3000 rows"

# fast: exits 1 at once even with the next segment waiting, and leaves the
# trigger truncated (a smart one, as pg_standby): the server's next request
# after the end of recovery is answered at once, then the trigger goes.
echo fast >"$trig"
cp "$PGA/pg_wal/$seg" "$ARCHIVE/000000010000000000000099" 2>/dev/null
"$B/pgwarm-standby" -t "$trig" "$ARCHIVE" 0000000100000000000000AA "$W/x"; rc=$?
[ $rc -eq 1 ] && [ -f "$trig" ] && [ ! -s "$trig" ] || fail "fast trigger: rc $rc, not truncated"
t0=$(date +%s%N)
"$B/pgwarm-standby" -s 5 -t "$trig" "$ARCHIVE" 0000000100000000000000AB "$W/x"; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc -eq 1 ] && [ $ms -lt 2000 ] && [ ! -e "$trig" ] ||
	fail "request after a fast failover: rc $rc after $ms ms"
log "fast trigger truncated to smart; the next request answered in $ms ms"

# Trigger files that anyone could have made are ignored (logged once), and
# recovery goes on: one of nobody in /tmp, a symlink to root's, a FIFO.
held=$ARCHIVE/$seg.lz4
mv "$held" "$W/held.lz4"
bad_trig=$(mktemp -u /tmp/pgsql.trigger.XXXXXX)
runuser -u nobody -- sh -c "echo fast >$bad_trig"
lab_on_exit rm -f "$bad_trig"
as_pg "$B/pgwarm-standby" -s 1 -t "$bad_trig" "$ARCHIVE" "$seg" "$W/got" 2>"$W/standby.err" &
sbpid=$!
sleep 2.5
kill -0 "$sbpid" 2>/dev/null || fail "a trigger file of nobody ended recovery"
mv "$W/held.lz4" "$held"
wait "$sbpid"; rc=$?
[ $rc -eq 0 ] && cmp -s "$W/got" "$PGA/pg_wal/$seg" || fail "recovery did not go on: rc $rc"
grep -q "trigger file $bad_trig ignored: owned by uid $(id -u nobody)" "$W/standby.err" ||
	fail "ignored trigger not logged: $(cat "$W/standby.err")"
[ "$(grep -c ignored "$W/standby.err")" = 1 ] || fail "ignored trigger logged more than once"
rm -f "$bad_trig"
echo fast >"$W/root.trigger"
ln -s "$W/root.trigger" "$W/link.trigger"
mkfifo "$W/fifo.trigger"; chown postgres: "$W/fifo.trigger"
for t in link fifo; do
	out=$(timeout 10 runuser -u postgres -- "$B/pgwarm-standby" -s 1 -w 1 -t "$W/$t.trigger" \
	    "$ARCHIVE" 0000000100000000000000AC "$W/x" 2>&1); rc=$?
	[ $rc -eq 1 ] && echo "$out" | grep -q "trigger file $W/$t.trigger ignored" &&
		echo "$out" | grep -q "not there after 1 s" || fail "$t trigger: rc $rc: $out"
done
[ -s "$W/root.trigger" ] || fail "the symlink's target was truncated"
log "trigger of nobody, symlink and FIFO ignored; recovery went on"

# As pg_standby: --help/-? and --version/-V exit 0.
for a in --help -?; do
	out=$("$B/pgwarm-standby" "$a") && echo "$out" | grep -q "^Usage:" &&
		echo "$out" | grep -q "pgwarm-standby \[OPTION\]" || fail "$a: $out"
done
for a in --version -V; do
	out=$("$B/pgwarm-standby" "$a") && echo "$out" | grep -q "^pgwarm-standby (understudy) " ||
		fail "$a: $out"
done
"$B/pgwarm-standby" -w 1 -s 1 "$ARCHIVE" 0000000100000000000000AA "$W/x"; rc=$?
[ $rc -eq 1 ] || fail "-w: rc $rc"
log "fast trigger and -w end recovery"
