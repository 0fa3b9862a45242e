#!/bin/bash
# pgwarm outside a cluster, against a real PostgreSQL 15 and sshd: its
# meta-data is valid, it passes ocf-tester as a promotable agent with a data
# directory whose path holds spaces and a quote (archiving works through
# that path), its ocft configuration passes, and hostile parameters get
# the exit code the OCF guide asks for, with a reason.
. "$(dirname "$0")/lib.sh"
lab_init
need ocf-tester ocft xmllint "$PGBIN/initdb"
start_sshd postgres
agent=$TOP_BUILDDIR/agents/pgwarm
meta_data_valid "$agent"

H=$LAB_DIR/helpers
mkdir -p "$H" "$LAB_DIR/root"
cp "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-archive "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-restore \
	"$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-receive "$H/"
# Shipping only: stream=on must say pgwarm-receive is missing.
mkdir -p "$LAB_DIR/helpers-norecv"
cp "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-archive "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-restore \
	"$LAB_DIR/helpers-norecv/"
cp "$agent" "$LAB_DIR/root/"
agent=$LAB_DIR/root/$(basename "$agent")	# ocf-tester runs it as nobody too: not from a 0700 /root
chown postgres: "$SSH_KEY" "$KNOWN_HOSTS"
me=$(uname -n)

# pgwarm_db DIR: an initdb'ed data directory with its own port and socket.
pgwarm_db() {
	local d=$1
	mkdir -p "$d/run" "$d/archive"
	chown -R postgres: "$d"
	runuser -u postgres -- "$PGBIN/initdb" -D "$d/data" -A trust --no-sync >/dev/null 2>&1 ||
		fail "initdb in $d"
	PORT=$(free_port)
	cat >>"$d/data/postgresql.conf" <<EOC
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '${d//\'/\'\'}/run'
wal_level = replica
EOC
	lab_on_exit runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" -m immediate -w stop
}

# ocf-tester, promotable (it cannot pass values with spaces).
T=$LAB_DIR/db
pgwarm_db "$T"
out=$(ocf-tester -n pgw -o pgdata="$T/data" -o pghost="$T/run" -o pgport="$PORT" \
	-o archive_dir="$T/archive" -o nodes="$me=127.0.0.1,peer=127.0.0.1:$SSHD_PORT" \
	-o ssh_key="$SSH_KEY" -o known_hosts="$KNOWN_HOSTS" -o helpers="$H" \
	-o logfile="$T/postgres.log" -o CRM_meta_clone=0 -o CRM_meta_promotable=true \
	"$agent" 2>&1) || fail "ocf-tester: $out"
echo "$out" | grep -q "passed all tests" || fail "ocf-tester: $out"
log "ocf-tester (promotable): passed all tests"

# A data directory whose path holds spaces and a quote, through every action.
D="$LAB_DIR/it's a db"
pgwarm_db "$D"
run_agent() {
	env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_pgdata="$D/data" OCF_RESKEY_pghost="$D/run" \
		OCF_RESKEY_pgport="$PORT" OCF_RESKEY_archive_dir="$D/archive" \
		OCF_RESKEY_nodes="$me=127.0.0.1 peer=127.0.0.1:$SSHD_PORT" OCF_RESKEY_ssh_key="$SSH_KEY" \
		OCF_RESKEY_known_hosts="$KNOWN_HOSTS" OCF_RESKEY_helpers="$H" \
		OCF_RESKEY_logfile="$D/postgres.log" OCF_RESKEY_CRM_meta_interval=3000 "$agent" "$@"
}
for a in start monitor promote; do
	run_agent "$a" >"$LAB_DIR/$a.out" 2>&1 || [ "$a" = monitor ] ||
		fail "$a in the hostile path: $(cat "$LAB_DIR/$a.out")"
done
run_agent monitor >/dev/null 2>&1; [ $? -eq 8 ] || fail "monitor after promote: want 8"
runuser -u postgres -- "$PGBIN/psql" -h "$D/run" -p "$PORT" -XAtq -d postgres \
	-c "create table t(i int); insert into t values (1); select pg_switch_wal()" >/dev/null ||
	fail "write"
run_agent demote >"$LAB_DIR/demote.out" 2>&1 || fail "demote: $(cat "$LAB_DIR/demote.out")"
run_agent stop >/dev/null 2>&1 || fail "stop"
ls "$D/archive" | grep -q '^[0-9A-F]\{24\}\(\.lz4\)\?$' || fail "nothing archived through the hostile path"
log "path with spaces and a quote: start/promote/demote/stop, archived $(ls "$D/archive" | tr '\n' ' ')"

# Hostile parameters, each with the OCF exit code and a reason.
expect_rc() {
	local rc=$1 pat=$2 out got
	shift 2
	out=$(env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_pgdata="$D/data" OCF_RESKEY_archive_dir="$D/archive" \
		OCF_RESKEY_nodes="$me=127.0.0.1 peer=127.0.0.1:$SSHD_PORT" OCF_RESKEY_ssh_key="$SSH_KEY" \
		OCF_RESKEY_known_hosts="$KNOWN_HOSTS" OCF_RESKEY_helpers="$H" "$@" "$agent" \
		"${ACTION:-validate-all}" 2>&1)
	got=$?
	[ "$got" -eq "$rc" ] || fail "want rc $rc, got $got: $out"
	echo "$out" | grep -q "ocf-exit-reason:.*$pat" || fail "no reason matching '$pat': $out"
}
expect_rc 5 "bindir.*not found\|bindir.*No such" OCF_RESKEY_bindir=/nonexistent/bin
expect_rc 5 "no executable pg_ctl" OCF_RESKEY_bindir=/tmp
expect_rc 5 "no such user" OCF_RESKEY_system_user=no-such-user-pgw
expect_rc 6 "failback.*must be one of" OCF_RESKEY_failback=sometimes
expect_rc 5 "not in the list" OCF_RESKEY_nodes="a=192.0.2.1 b=192.0.2.2"
# A node kept off by a location constraint is still probed and stopped.
out=$(env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_pgdata="$D/data" OCF_RESKEY_archive_dir="$D/archive" \
	OCF_RESKEY_nodes="a=192.0.2.1 b=192.0.2.2" OCF_RESKEY_ssh_key="$SSH_KEY" \
	OCF_RESKEY_known_hosts="$KNOWN_HOSTS" OCF_RESKEY_helpers="$H" "$agent" stop 2>&1) ||
	fail "stop on a node outside nodes: $out"
env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_pgdata="$D/data" OCF_RESKEY_archive_dir="$D/archive" \
	OCF_RESKEY_nodes="a=192.0.2.1 b=192.0.2.2" OCF_RESKEY_ssh_key="$SSH_KEY" \
	OCF_RESKEY_known_hosts="$KNOWN_HOSTS" OCF_RESKEY_helpers="$H" OCF_RESKEY_CRM_meta_interval=0 \
	"$agent" monitor >/dev/null 2>&1
[ $? -eq 7 ] || fail "a probe on a node outside nodes is not NOT_RUNNING"
expect_rc 6 "at least two" OCF_RESKEY_nodes="$me=127.0.0.1"
mkdir -p "$LAB_DIR/rootowned/data"
expect_rc 6 "not owned by system_user" OCF_RESKEY_pgdata="$LAB_DIR/rootowned/data"
log "hostile parameters: clear errors with the right exit codes"

# Heartbeat v1 ("pgwarm::PGDATA" in haresources): the settings from a
# pgwarm.conf, the data directory as the argument. The node that takes the
# resource gets the primary (start, then promote); stop demotes and stops;
# status says running only for the primary.
cat >"$LAB_DIR/pgwarm.conf" <<EOF
pghost = "$D/run"
pgport = $PORT
archive_dir = "$D/archive"
nodes = $me=127.0.0.1 peer=127.0.0.1:$SSHD_PORT
ssh_key = $SSH_KEY
known_hosts = $KNOWN_HOSTS
helpers = $H
logfile = "$D/postgres.log"
EOF
hb() { env -i PATH="$PATH" UNDERSTUDY_CONF="$LAB_DIR/pgwarm.conf" HA_RSCTMP="$LAB_DIR" \
	"$agent" "$D/data" "$@"; }
out=$(hb status 2>/dev/null); rc=$?
[ "$out" = stopped ] && [ $rc = 3 ] || fail "heartbeat status before start: $out ($rc)"
hb start >"$LAB_DIR/hb.out" 2>&1 || fail "heartbeat start: $(cat "$LAB_DIR/hb.out")"
[ "$(hb status 2>/dev/null)" = running ] || fail "heartbeat status: $(hb status 2>&1)"
runuser -u postgres -- "$PGBIN/psql" -h "$D/run" -p "$PORT" -XAtq -d postgres \
	-c "insert into t values (2)" >/dev/null || fail "the heartbeat-started server is not a primary"
hb stop >"$LAB_DIR/hb.out" 2>&1 || fail "heartbeat stop: $(cat "$LAB_DIR/hb.out")"
out=$(hb status 2>/dev/null); rc=$?
[ "$out" = stopped ] && [ $rc = 3 ] || fail "heartbeat status after stop: $out ($rc)"
log "Heartbeat v1: pgwarm::PGDATA start (as primary), status, stop"

# ocft, on a second data directory.
O=$LAB_DIR/ocft
pgwarm_db "$O"
ocft_run "$(dirname "$0")/../ocft/pgwarm" -e "s|@AGENT_ROOT@|$LAB_DIR/root|" \
	-e "s|@PGDATA@|$O/data|" -e "s|@PGHOST@|$O/run|" -e "s|@PGPORT@|$PORT|" \
	-e "s|@ARCHIVE@|$O/archive|" -e "s|@NODES@|$me=127.0.0.1 peer=127.0.0.1:$SSHD_PORT|" \
	-e "s|@KEY@|$SSH_KEY|" -e "s|@KNOWN_HOSTS@|$KNOWN_HOSTS|" -e "s|@HELPERS@|$H|" \
	-e "s|@LOGFILE@|$O/postgres.log|" -e "s|@HELPERS_NORECV@|$LAB_DIR/helpers-norecv|"
log "PASS"
