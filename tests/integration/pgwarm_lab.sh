# pgwarm's cluster lab, shared by test_pgwarm_cluster.sh, test_pgwarm_seeding.sh
# and test_pgwarm_faults.sh (sourced after lib.sh): N namespace nodes, each
# with its own PostgreSQL 15 data directory, archive_dir and sshd, all
# bind-mounted at the same path ($MNT) in each node's mount namespace.
MNT=/var/lib/us-pgwarm-lab
PGW=$LAB_DIR/pgw

# pgw_lab N: the cluster of N nodes, the helpers, the keys; no data yet.
pgw_lab() {
	local n=$1 i
	need crm "$PGBIN/pg_ctl" sshd
	PGW_N=$n
	mkdir -p "$PGW/bin"
	cp "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-archive "$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-restore \
		"$TOP_BUILDDIR"/helpers/pgwarm/pgwarm-receive "$PGW/bin/"
	cp "$TOP_BUILDDIR/agents/pgwarm" "$LAB_DIR/ocf/pgwarm"
	node_sshd_setup "$PGW" "$n"
	chown postgres: "$PGW/client_key" "$PGW/known_hosts"
	ssh_user_unlock postgres
	mkdir -p "$MNT"
	lab_on_exit rmdir "$MNT"
	LAB_NODE_BOOT=pgw_node_mounts
	cluster_up "$n"
}

# pgw_node_mounts I: node I's own PostgreSQL directory and its sshd, on
# every boot of node I (LAB_NODE_BOOT).
pgw_node_mounts() {
	local i=$1 d=$LAB_DIR/node$1/pg
	mkdir -p "$d/walfiles" "$d/run"
	chown postgres: "$d" "$d/walfiles" "$d/run"
	node_exec "$i" mount --bind "$d" "$MNT" || fail "bind mount on node$i"
	node_exec "$i" mkdir -p /run/sshd /run/postgresql
	node_exec "$i" /usr/sbin/sshd -f "$PGW/sshd_config" -E "$LAB_DIR/node$i/sshd.log" ||
		fail "sshd on node$i"
}

as_pg() { runuser -u postgres -- "$@"; }

# pgw_conf DATADIR: what the admin adds to a fresh initdb.
pgw_conf() {
	printf '%s\n' "listen_addresses = '*'" "port = 5432" "unix_socket_directories = '$MNT/run'" \
		"wal_level = replica" "wal_log_hints = on" "wal_retrieve_retry_interval = 1s" \
		>>"$1/postgresql.conf"
	echo "host all all 10.99.0.0/24 trust" >>"$1/pg_hba.conf"
	echo "host replication all 10.99.0.0/24 trust" >>"$1/pg_hba.conf"
}

# pgw_cold_seed: initdb once, copied cold to every node (positions equal).
pgw_cold_seed() {
	local i
	mkdir -p "$PGW/seed" && chown postgres: "$PGW/seed"
	as_pg "$PGBIN/initdb" -D "$PGW/seed/data" -A trust --no-sync >"$PGW/initdb.log" 2>&1 ||
		fail "initdb"
	pgw_conf "$PGW/seed/data"
	for i in $(seq 1 "$PGW_N"); do
		cp -a "$PGW/seed/data" "$LAB_DIR/node$i/pg/data"
		chown -R postgres: "$LAB_DIR/node$i/pg/data"
	done
}

# pgw_admin_seed K N: the admin's seeding of nodes 1..N (the seed's way): K
# runs as a plain primary with rows, each other node is copied from it by
# pg_basebackup while it keeps writing between the copies, more rows after
# the last copy, then K is stopped. K is then the most advanced, the copies
# are at different positions. Sets SEED_ROWS.
pgw_admin_seed() {
	local k=$1 n=$2 i j rows=1000
	for i in $(seq 1 "$PGW_N"); do
		rm -rf "$LAB_DIR/node$i/pg/data" "$LAB_DIR/node$i/pg/postgres.log"
		find "$LAB_DIR/node$i/pg/walfiles" -mindepth 1 -delete
	done
	node_exec "$k" runuser -u postgres -- "$PGBIN/initdb" -D "$MNT/data" -A trust --no-sync \
		>"$PGW/initdb.log" 2>&1 || fail "initdb on node$k"
	pgw_conf "$LAB_DIR/node$k/pg/data"
	node_exec "$k" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$MNT/data" -l "$MNT/admin.log" \
		-w start >/dev/null || fail "the admin's primary on node$k"
	psql_on "$k" "create table t(id int primary key)" || fail "create table"
	psql_on "$k" "insert into t select generate_series(1, $rows)"
	for j in $(seq 1 "$n" | shuf); do
		[ "$j" = "$k" ] && continue
		psql_on "$k" "insert into t select generate_series($rows + 1, $rows + 500)"
		rows=$((rows + 500))
		node_exec "$j" runuser -u postgres -- "$PGBIN/pg_basebackup" -h "10.99.0.$k" -p 5432 \
			-D "$MNT/data" -X stream -c fast >"$PGW/basebackup.log" 2>&1 ||
			fail "pg_basebackup to node$j: $(cat "$PGW/basebackup.log")"
	done
	# More WAL after the last copy: K is ahead of every copy.
	psql_on "$k" "insert into t select generate_series($rows + 1, $rows + 700)"
	rows=$((rows + 700))
	node_exec "$k" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$MNT/data" -m fast -w stop \
		>/dev/null || fail "stopping the admin's primary"
	SEED_ROWS=$rows
}

psql_on() {
	node_exec "$1" runuser -u postgres -- "$PGBIN/psql" -h "$MNT/run" -p 5432 -XAtq \
		-d postgres -c "$2" 2>/dev/null
}

# pgw_nodes_param [N]: nodes= for the first N nodes (default all).
pgw_nodes_param() {
	local i out=
	for i in $(seq 1 "${1:-$PGW_N}"); do
		out="$out node$i=10.99.0.$i"
	done
	echo "${out# }"
}

# pgw_configure [N]: the pgwarm promotable clone over the first N nodes
# (the others, if any, are kept off by a location constraint).
pgw_configure() {
	local n=${1:-$PGW_N} i
	# A minority's primary stops taking writes (the majority fences it
	# meanwhile); 2 nodes are both quorate (two_node), fencing decides.
	node_exec 1 crm configure property no-quorum-policy=demote >/dev/null
	node_exec 1 crm configure primitive pg ocf:understudy:pgwarm params \
		pgdata="$MNT/data" pghost="$MNT/run" archive_dir="$MNT/walfiles" \
		nodes="$(pgw_nodes_param "$n")" ssh_key="$PGW/client_key" \
		known_hosts="$PGW/known_hosts" helpers="$PGW/bin" logfile="$MNT/postgres.log" \
		failback="${PGWARM_FAILBACK:-rewind}" ${PGW_PARAMS:-} \
		op monitor interval=2s role=Promoted timeout=30s \
		op monitor interval=3s role=Unpromoted timeout=30s \
		op promote timeout=90s >/dev/null || fail "crm primitive"
	# PGW_META: more clone meta attributes (test_pgwarm_cluster fails over at
	# the first failure: migration-threshold=1; the default recovers in place,
	# which is how a standby that cannot follow gets repaired).
	node_exec 1 crm configure clone pgc pg meta promotable=true promoted-max=1 notify=true \
		priority=10 ${PGW_META:-} >/dev/null || fail "crm clone"
	for i in $(seq $((n + 1)) "$PGW_N"); do
		node_exec 1 crm configure location "pg-not-$i" pgc -inf: "node$i" >/dev/null ||
			fail "location off node$i"
	done
}

pgw_none_running() {
	! node_exec 1 crm_mon -1 --output-as=xml 2>/dev/null |
		grep -q 'resource id="pg" .*active="true"'
}

# pgw_unconfigure: the clone stopped and removed, with the agent's node
# attributes, so the next round starts from an empty cluster.
pgw_unconfigure() {
	local i
	node_exec 1 crm resource stop pgc >/dev/null 2>&1
	wait_for 90 "pgwarm stopped everywhere" pgw_none_running
	node_exec 1 cibadmin --delete-all --force --xpath "//rsc_location[starts-with(@id, 'pg-not-')]" \
		>/dev/null 2>&1
	node_exec 1 cibadmin --delete-all --force --xpath "//clone[@id='pgc']" >/dev/null 2>&1
	node_exec 1 cibadmin --delete-all --force --xpath "//primitive[@id='pg']" >/dev/null 2>&1
	for i in $(seq 1 "$PGW_N"); do
		node_exec 1 crm_attribute -N "node$i" -n pgwarm-pg-position -l forever -D >/dev/null 2>&1
	done
	node_exec 1 crm_resource --cleanup >/dev/null 2>&1
}

promoted_node() {
	node_exec "$1" crm_mon -1 --output-as=xml 2>/dev/null |
		grep -A1 'resource id="pg" .*role="Promoted".*active="true".*failed="false"' |
		grep -o 'node name="[^"]*"' | cut -d'"' -f2 | head -n 1
}
has_primary() { [ -n "$(promoted_node "${1:-1}")" ]; }
# The promoted node's number, as the first node that answers sees it.
pnum() {
	local i p
	for i in $(seq 1 "$PGW_N"); do
		p=$(promoted_node "$i") && [ -n "$p" ] && break
	done
	echo "${p#node}"
}
# all_up: one primary, every other node of the clone a standby, and so for
# Pacemaker too (a server in recovery whose monitor fails is not one yet).
all_up() {
	local i p
	p=$(pnum)
	[ -n "$p" ] || return 1
	for i in $(seq 1 "$PGW_N"); do
		[ "$i" = "$p" ] || is_standby "$i" || return 1
	done
	[ "$(node_exec "$p" crm_mon -1 --output-as=xml 2>/dev/null |
		grep -c 'resource id="pg" .*role="Unpromoted".*active="true".*failed="false"')" -eq \
		$((PGW_N - 1)) ]
}
rows_on() { [ "$(psql_on "$1" "select count(*) from t")" = "$2" ]; }
has_row() { [ "$(psql_on "$1" "select count(*) from t where id = $2")" = 1 ]; }
is_standby() { [ "$(psql_on "$1" "select pg_is_in_recovery()")" = t ]; }
is_primary() { [ "$(psql_on "$1" "select pg_is_in_recovery()")" = f ]; }
write_ok() { psql_on "$1" "insert into t(id) values ($2)" >/dev/null; }

# primaries: the nodes whose server accepts writes now (never more than one).
primaries() {
	local i out=
	for i in $(seq 1 "$PGW_N"); do
		is_primary "$i" && out="$out node$i"
	done
	echo "${out# }"
}

# writer NODE FIRST FILE: commits one row at a time until NODE refuses,
# logging each id PostgreSQL acknowledged to FILE.
writer() {
	local i=$2
	while psql_on "$1" "insert into t(id) values ($i)" >/dev/null; do
		echo "$i" >>"$3"
		i=$((i + 1))
	done
}

# writer_round NODE R: a writer on NODE from id R*100000, every id it got
# acknowledged in ACK ($PGW/ack.R), its pid in WPID; returns after a random
# 1.0-1.9 s of writes, START the time then (where the round's fault begins).
writer_round() {
	ACK=$PGW/ack.$2
	: >"$ACK"
	writer "$1" $(($2 * 100000)) "$ACK" &
	WPID=$!
	sleep "1.$((RANDOM % 10))"
	START=$(date +%s%N)
}

# missing_on NODE FILE: the acknowledged ids of FILE that NODE lacks, as
# "COUNT FIRST tail|HOLES": a crash may lose what was not yet archived (a
# tail), never a row acknowledged before one that was kept.
missing_on() {
	local ids
	ids=$(paste -sd, "$2")
	[ -n "$ids" ] || { echo "0 - tail"; return; }
	psql_on "$1" "with a(id) as (select unnest('{$ids}'::int[])),
		m as (select a.id from a left join t on t.id = a.id where t.id is null)
		select count(*), coalesce(min(id)::text, '-'),
		case when exists (select 1 from a join t on t.id = a.id where a.id > (select min(id) from m))
		then 'HOLES' else 'tail' end from m" | tr '|' ' '
}
