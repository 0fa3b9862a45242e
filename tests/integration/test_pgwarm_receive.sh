#!/bin/bash
# pgwarm-receive against real PostgreSQL 15 servers on loopback (DESIGN.md
# §4b): segments land under their names identical to the primary's pg_wal,
# across segment boundaries; a synchronous commit waits for the receiver's
# fsync (stopped receiver: the commit waits, resumed: it returns); kill -9
# mid-segment leaves a partial that holds, byte for byte, everything the
# primary had been told was flushed, and the next receiver goes on from it;
# a primary restart and a timeline switch (the primary's standby promoted)
# are followed; a primary of another cluster is refused, the reason naming
# both system identifiers; a full archive disk is an error, never an
# acknowledgement, and the primary keeps serving.
. "$(dirname "$0")/lib.sh"
lab_init
need lz4

B=$(lab_bin "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-receive)
as_pg() { runuser -u postgres -- "$@"; }
ARCHIVE=$LAB_DIR/walfiles
mkdir -p "$ARCHIVE" "$LAB_DIR/run"
chown postgres: "$ARCHIVE"

start_postgres A
PGA=$PGDATA_A
PORTA=$PGPORT
cat >>"$PGA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
wal_keep_size = '2GB'
EOF
as_pg "$PGBIN/pg_ctl" -D "$PGA" -w -m fast restart -l "$LAB_DIR/pg-A/postgres.log" >/dev/null ||
	fail "restart of A"
psql_a() { as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PORTA" -XAtq -d postgres -c "$1"; }

# The standby's data directory: the receiver checks its system identifier.
S=$LAB_DIR/standby
mkdir -p "$S" && chown postgres: "$S"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PORTA" -D "$S/data" -c fast >/dev/null 2>&1 ||
	fail "pg_basebackup"

# recv_conf DIR ARCHIVE NODES PORT: pgwarm-archive.conf as the agent writes it.
recv_conf() {
	cat >"$1/pgwarm-archive.conf" <<EOF
self = "s"
nodes = "$3"
archive_dir = "$2"
ssh_user = "postgres"
ssh_key = "/dev/null"
known_hosts = "/dev/null"
archive_require = all
remote_program = "/bin/false"
pgport = $4
EOF
	chown postgres: "$1/pgwarm-archive.conf"
}
recv_conf "$S/data" "$ARCHIVE" "s=192.0.2.99 a=127.0.0.1" "$PORTA"

# start_recv TAG DATADIR: the receiver as the agent starts it (root, then postgres).
start_recv() {
	"$B/pgwarm-receive" -c "$2/pgwarm-archive.conf" -u postgres -p "$LAB_DIR/run/$1.pid" \
		-s "$LAB_DIR/run/$1.status" >>"$LAB_DIR/$1.log" 2>&1 &
	eval "RECV_$1=\$!"
	lab_on_exit kill -9 "$!"
}
status_of() { sed -n "s/^$2 //p" "$LAB_DIR/run/$1.status" 2>/dev/null; }
streaming() { [ "$(status_of "$1" state)" = streaming ]; }
# flushed TAG: the LSN of the receiver's status, as hex without the slash
lsn_hex() { local h=${1#*/} l=${1%/*}; printf '%08X%08X' "0x$l" "0x$h"; }
flushed_num() { local f; f=$(status_of "$1" flushed); echo $((16#${f#*/})); }
lsn_num() { local h=${1#*/} l=${1%/*}; echo $(( (16#$l << 32) + 16#$h )); }
primary_lsn() { lsn_num "$(psql_a "select pg_current_wal_flush_lsn()")"; }
caught_up() { [ "$(flushed_num "$1")" -ge "$(primary_lsn)" ]; }
fill() { psql_a "insert into t select g, repeat('x', 500) from generate_series($1, $2) g" >/dev/null; }

psql_a "create table t(id int primary key, pad text)"
start_recv r1 "$S/data"
wait_for 20 "receiver streaming" streaming r1
[ "$(psql_a "select application_name || ' ' || state from pg_stat_replication")" = "s streaming" ] ||
	fail "pg_stat_replication: $(psql_a "select application_name, state from pg_stat_replication")"
log "receiver streams from A as application_name s"

# --- Segment boundaries: three segments and more; each complete one lands
# under its name identical to the primary's; the current one is a partial.
first=$(psql_a "select pg_walfile_name(pg_current_wal_lsn())")
fill 1 120000
wait_for 30 "receiver caught up" caught_up r1
last=$(psql_a "select pg_walfile_name(pg_current_wal_lsn())")
[ "$first" != "$last" ] || fail "no segment boundary crossed"
n=0
for f in $(cd "$PGA/pg_wal" && ls | grep -E '^[0-9A-F]{24}$' | sort); do
	[[ "$f" < "$first" ]] && continue
	if [ "$f" = "$last" ]; then
		[ -f "$ARCHIVE/$f.partial" ] || fail "no partial for the current segment $f"
		[ ! -e "$ARCHIVE/$f" ] || fail "the current segment $f landed complete"
		break
	fi
	cmp -s "$ARCHIVE/$f" "$PGA/pg_wal/$f" || fail "$f differs from the primary's"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n complete segments"
sz=$(stat -c %s "$ARCHIVE/$last.partial")
[ "$sz" = 16777216 ] || fail "partial of $sz bytes, not a whole segment"
log "$n segments landed identical, $last streaming as a partial"

# A partial holds the primary's bytes up to what it reported flushed.
# prefix_same PARTIAL PGFILE UPTO_BYTES
prefix_same() { cmp -s -n "$3" "$1" "$2"; }
off=$(( $(flushed_num r1) % 16777216 ))
prefix_same "$ARCHIVE/$last.partial" "$PGA/pg_wal/$last" "$off" ||
	fail "the partial differs from the primary within its flushed $off bytes"

# --- Synchronous commit waits for the receiver's fsync.
psql_a "alter system set synchronous_standby_names = 's'" >/dev/null
psql_a "select pg_reload_conf()" >/dev/null
sync_state() { [ "$(psql_a "select sync_state from pg_stat_replication")" = sync ]; }
wait_for 10 "receiver listed as synchronous" sync_state
psql_a "insert into t values (-1, 'sync')" >/dev/null || fail "a synchronous commit failed"
kill -STOP "$RECV_r1"
timeout 3 runuser -u postgres -- "$PGBIN/psql" -h 127.0.0.1 -p "$PORTA" -XAtq -d postgres \
	-c "insert into t values (-2, 'waits')" >/dev/null 2>&1 &
waiter=$!
sleep 2
kill -0 "$waiter" 2>/dev/null || fail "a synchronous commit returned while the receiver was stopped"
kill -CONT "$RECV_r1"
wait "$waiter" || fail "the synchronous commit did not return once the receiver resumed"
psql_a "alter system reset synchronous_standby_names" >/dev/null
psql_a "select pg_reload_conf()" >/dev/null
log "a synchronous commit waited for the receiver and returned after it"

# --- kill -9 mid-segment, at random points: the partial holds everything
# the primary was told was flushed; a new receiver goes on from there.
id=200000
for round in 1 2 3; do
	fill "$id" $((id + RANDOM % 20000 + 1000))
	id=$((id + 30000))
	sleep "0.$((RANDOM % 9))"
	ack=$(psql_a "select flush_lsn from pg_stat_replication")
	kill -9 "$RECV_r1"
	wait "$RECV_r1" 2>/dev/null
	seg=$(psql_a "select pg_walfile_name('$ack')")
	off=$(( $(lsn_num "$ack") % 16777216 ))
	if [ -f "$ARCHIVE/$seg.partial" ]; then
		prefix_same "$ARCHIVE/$seg.partial" "$PGA/pg_wal/$seg" "$off" ||
			fail "round $round: the partial $seg lacks what was acknowledged ($ack)"
	else
		[ "$off" = 0 ] || cmp -s "$ARCHIVE/$seg" "$PGA/pg_wal/$seg" ||
			fail "round $round: neither a partial nor the segment $seg holds $ack"
	fi
	start_recv r1 "$S/data"
	wait_for 20 "receiver streaming again" streaming r1
	fill "$id" $((id + 5000))
	id=$((id + 10000))
	wait_for 30 "receiver caught up after kill -9" caught_up r1
	log "round $round: kill -9 at $ack, the partial held it, the next receiver caught up"
done
for f in $(cd "$ARCHIVE" && ls | grep -E '^[0-9A-F]{24}$'); do
	cmp -s "$ARCHIVE/$f" "$PGA/pg_wal/$f" || fail "after the kills, $f differs from the primary's"
done

# --- Primary restart: the receiver reconnects and continues.
as_pg "$PGBIN/pg_ctl" -D "$PGA" -w -m fast restart -l "$LAB_DIR/pg-A/postgres.log" >/dev/null ||
	fail "restart of A"
wait_for 30 "receiver streaming after the primary's restart" streaming r1
fill 400000 420000
wait_for 30 "receiver caught up after the restart" caught_up r1
log "primary restarted: the receiver followed"

# --- Timeline switch: B, A's streaming standby, is promoted.
start_b() {
	PB=$LAB_DIR/pg-B
	mkdir -p "$PB" && chown postgres: "$PB"
	PORTB=$(free_port)
	as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PORTA" -D "$PB/data" -R -c fast >/dev/null 2>&1 ||
		fail "pg_basebackup of B"
	cat >>"$PB/data/postgresql.conf" <<EOF
port = $PORTB
unix_socket_directories = '$PB'
EOF
	as_pg "$PGBIN/pg_ctl" -D "$PB/data" -l "$PB/postgres.log" -w start >/dev/null || fail "B start"
	lab_on_exit runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PB/data" -m immediate -w stop
}
start_b
psql_b() { as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PORTB" -XAtq -d postgres -c "$1"; }
kill -TERM "$RECV_r1"
wait "$RECV_r1"
[ "$(status_of r1 state)" = stopped ] || fail "SIGTERM: state $(status_of r1 state)"
start_recv r1 "$S/data"
wait_for 20 "receiver streaming before the switch" streaming r1
fill 500000 510000
b_caught() { [ "$(lsn_num "$(psql_b "select pg_last_wal_replay_lsn()")")" -ge "$(primary_lsn)" ]; }
wait_for 30 "B caught up" b_caught
as_pg "$PGBIN/pg_ctl" -D "$PGA" -w -m fast stop >/dev/null || fail "stopping A"
psql_b "select pg_promote()" >/dev/null || fail "promoting B"
# The receiver tries A's port only; B takes A's port over as a new primary would
# take the address: restart B on A's port.
as_pg "$PGBIN/pg_ctl" -D "$PB/data" -w -m fast stop >/dev/null
sed -i "s/^port = $PORTB/port = $PORTA/" "$PB/data/postgresql.conf"
echo "listen_addresses = '127.0.0.1'" >>"$PB/data/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$PB/data" -l "$PB/postgres.log" -w start >/dev/null || fail "B on A's port"
PORTB=$PORTA
[ "$(psql_b "select timeline_id from pg_control_checkpoint()")" = 2 ] || fail "B is not on timeline 2"
wait_for 30 "receiver streaming from the new timeline" streaming r1
psql_b "insert into t select g, 'tl2' from generate_series(600000, 640000) g" >/dev/null
tl2_seen() { ls "$ARCHIVE" | grep -qE '^00000002[0-9A-F]{16}(\.partial)?$'; }
wait_for 30 "timeline 2 WAL in the archive" tl2_seen
[ -f "$ARCHIVE/00000002.history" ] || fail "no 00000002.history in the archive"
cmp -s "$ARCHIVE/00000002.history" "$PB/data/pg_wal/00000002.history" || fail "history differs"
b_flushed() { [ "$(flushed_num r1)" -ge "$(lsn_num "$(psql_b "select pg_current_wal_flush_lsn()")")" ]; }
wait_for 30 "receiver caught up on timeline 2" b_flushed
[ "$(status_of r1 flushed | cut -d/ -f1)" = 00000002 ] || fail "flushed not on timeline 2: $(status_of r1 flushed)"
for f in $(cd "$ARCHIVE" && ls | grep -E '^00000002[0-9A-F]{16}$'); do
	cmp -s "$ARCHIVE/$f" "$PB/data/pg_wal/$f" || fail "timeline 2: $f differs from B's"
done
log "timeline switch followed: history landed, timeline 2 segments identical to B's"

# --- Another cluster's primary is refused; both identifiers named.
O=$LAB_DIR/other
mkdir -p "$O" && chown postgres: "$O"
as_pg "$PGBIN/initdb" -D "$O/data" --no-sync >/dev/null 2>&1 || fail "initdb other"
mkdir -p "$LAB_DIR/walfiles-o" && chown postgres: "$LAB_DIR/walfiles-o"
recv_conf "$O/data" "$LAB_DIR/walfiles-o" "s=192.0.2.99 b=127.0.0.1" "$PORTB"
start_recv r2 "$O/data"
refused() { [ "$(status_of r2 state)" = refused ]; }
wait_for 20 "a foreign primary refused" refused
ours=$("$PGBIN/pg_controldata" "$O/data" | sed -n 's/^Database system identifier: *//p')
theirs=$("$PGBIN/pg_controldata" "$PB/data" | sed -n 's/^Database system identifier: *//p')
reason=$(status_of r2 reason)
case "$reason" in *"$ours"*) ;; *) fail "reason lacks ours ($ours): $reason" ;; esac
case "$reason" in *"$theirs"*) ;; *) fail "reason lacks theirs ($theirs): $reason" ;; esac
grep -q "$theirs" "$LAB_DIR/r2.log" || fail "the refusal is not logged"
[ -z "$(ls "$LAB_DIR/walfiles-o")" ] || fail "a refused primary's WAL was written"
kill -TERM "$RECV_r2"
log "foreign primary refused: $reason"

# --- A full archive disk: an error, never an acknowledgement past it.
FULL=$LAB_DIR/full
mkdir -p "$FULL"
mount -t tmpfs -o size=40m tmpfs "$FULL" || fail "tmpfs"
lab_on_exit umount -l "$FULL"
chown postgres: "$FULL"
recv_conf "$S/data" "$FULL" "s=192.0.2.99 b=127.0.0.1" "$PORTB"
kill -TERM "$RECV_r1"
wait "$RECV_r1"
start_recv r3 "$S/data"
wait_for 20 "receiver on the small disk" streaming r3
psql_b "insert into t select g, repeat('y', 500) from generate_series(700000, 900000) g" >/dev/null ||
	fail "the primary stopped serving while the receiver's disk is full"
full_error() { status_of r3 reason | grep -q 'No space left'; }
wait_for 30 "the full disk reported" full_error
grep -q 'No space left' "$LAB_DIR/r3.log" || fail "the full disk is not logged"
ackb=$(psql_b "select coalesce(max(flush_lsn)::text, '0/0') from pg_stat_replication")
for f in $(cd "$FULL" && ls | grep -E '^[0-9A-F]{24}$'); do
	cmp -s "$FULL/$f" "$PB/data/pg_wal/$f" || fail "full disk: $f landed with other content"
done
if [ "$ackb" != 0/0 ]; then
	seg=$(psql_b "select pg_walfile_name('$ackb')")
	off=$(( $(lsn_num "$ackb") % 16777216 ))
	[ "$off" = 0 ] || prefix_same "$FULL/$seg.partial" "$PB/data/pg_wal/$seg" "$off" ||
		fail "full disk: acknowledged $ackb is not in the partial"
fi
psql_b "insert into t values (-3, 'still serving')" >/dev/null || fail "primary refuses writes"
log "full disk: error reported and logged, nothing acknowledged past the disk, primary serving"
kill -TERM "$RECV_r3"
echo "PASS: pgwarm-receive"
