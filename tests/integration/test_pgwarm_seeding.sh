#!/bin/bash
# The admin's way to set up pgwarm (the seed's: the primary keeps running
# while the standbys are copied from it, today pg_basebackup), so the nodes
# start at different positions: initdb and rows on node K, pg_basebackup to
# each other node while K runs and keeps writing between the copies, more
# rows on K after the last copy, K stopped; then the cluster is configured
# and the nodes come online one by one in a random order. Every round, on 2
# and on 3 nodes with K drawn at random: the most advanced node (K) is the
# one promoted, never another first, and every other node follows it
# (replays to the new timeline and has every row). Times are printed as
# RESULT lines, not asserted. PGWARM_SEED_ROUNDS (default 6) sets the rounds.
. "$(dirname "$0")/lib.sh"
lab_init
. "$(dirname "$0")/pgwarm_lab.sh"
pgw_lab 3
rounds=${PGWARM_SEED_ROUNDS:-6}

for r in $(seq 1 "$rounds"); do
	n=$(( r % 2 ? 2 : 3 ))
	k=$(shuf -i 1-"$n" -n 1)
	pgw_admin_seed "$k" "$n"
	for i in $(seq 1 "$n"); do
		node_exec 1 crm node standby "node$i" >/dev/null 2>&1 || fail "crm node standby node$i"
	done
	pgw_configure "$n"
	order=$(seq 1 "$n" | shuf | paste -sd' ')
	start=$(date +%s%N)
	for i in $order; do
		node_exec 1 crm node online "node$i" >/dev/null 2>&1 || fail "crm node online node$i"
		sleep "0.$(shuf -i 0-9 -n 1)"
	done
	wait_for 90 "a promoted pgwarm (round $r)" has_primary
	P=$(promoted_node 1)
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$P" = "node$k" ] ||
		fail "round $r ($n nodes, online in order $order): $P was promoted, but node$k is the most advanced"
	[ "$(primaries)" = "node$k" ] || fail "round $r: primaries: $(primaries)"
	rows_on "$k" "$SEED_ROWS" || fail "round $r: node$k lacks rows"
	# The others follow the new timeline with every row.
	psql_on "$k" "insert into t values (0)" || fail "round $r: write on node$k"
	psql_on "$k" "select pg_switch_wal()" >/dev/null
	fstart=$(date +%s%N)
	for i in $(seq 1 "$n"); do
		[ "$i" = "$k" ] && continue
		wait_for 90 "round $r: node$i follows node$k with all $((SEED_ROWS + 1)) rows" \
			rows_on "$i" $((SEED_ROWS + 1))
		is_standby "$i" || fail "round $r: node$i is not a standby"
	done
	fms=$(( ($(date +%s%N) - fstart) / 1000000 ))
	echo "RESULT pgwarm_seeding round=$r nodes=$n advanced=node$k online_order=\"$order\" promoted=$P promote_ms=$ms follow_ms=$fms rows=$((SEED_ROWS + 1))"
	log "round $r: $n nodes, online in order $order: node$k (the most advanced) promoted in $ms ms, the others followed in $fms ms"
	pgw_unconfigure
done
log "$rounds rounds: the most advanced node was promoted every time"

# Divergence (DESIGN.md §4a, 3): node2 has replayed past the point where a
# newer timeline forked off (node3, paused behind it, was promoted by hand
# while the cluster was unmanaged). node2's monitor must fail naming the
# cause; with failback=manual it stays failed with the command to run; with
# failback=rewind its restart rewinds it and it follows node3.
PGW_PARAMS="archive_require=any" 
pgw_admin_seed 1 3
pgw_configure 3
wait_for 90 "a promoted pgwarm" has_primary
[ "$(promoted_node 1)" = node1 ] || fail "divergence: node1 not promoted"
psql_on 1 "insert into t values (-1)"
psql_on 1 "select pg_switch_wal()" >/dev/null
for i in 2 3; do
	wait_for 90 "divergence: node$i follows" rows_on "$i" $((SEED_ROWS + 1))
done
psql_on 3 "select pg_wal_replay_pause()" >/dev/null || fail "pause replay on node3"
ls "$LAB_DIR/node3/pg/walfiles" >"$PGW/node3-had"
psql_on 1 "insert into t select generate_series(900001, 900500)"
psql_on 1 "select pg_switch_wal()" >/dev/null
wait_for 60 "divergence: node2 ahead" rows_on 2 $((SEED_ROWS + 501))
rows_on 3 $((SEED_ROWS + 1)) || fail "divergence: node3 did not stay behind"
# Promotion replays whatever the archive holds first: node3's must not
# hold what node2 replayed (as when a segment reached only node2).
for f in $(ls "$LAB_DIR/node3/pg/walfiles" | grep -vxF -f "$PGW/node3-had"); do
	rm -f "$LAB_DIR/node3/pg/walfiles/$f"
done
node_exec 1 crm configure property maintenance-mode=true >/dev/null
in_maintenance() { node_exec 1 crm_mon -1 --output-as=xml 2>/dev/null | grep -q 'maintenance-mode="true"'; }
wait_for 30 "maintenance mode" in_maintenance
sleep 3	# the recurring monitors are cancelled
node_exec 1 crm_resource -r pg -p failback -v manual >/dev/null 2>&1
kill -9 "$(node_exec 1 head -n 1 "$MNT/data/postmaster.pid")"
psql_on 3 "select pg_promote(true, 30)" | grep -q t || fail "divergence: manual promotion of node3"
psql_on 3 "insert into t values (-3)"
psql_on 3 "select pg_switch_wal()" >/dev/null
has_history() { [ -f "$LAB_DIR/node2/pg/walfiles/00000002.history" ]; }
wait_for 30 "00000002.history shipped to node2" has_history
# Pacemaker is to keep node3 as it found it (promoted), as an admin would
# have it after promoting by hand: its promotion score says so.
node_exec 3 crm_attribute --promotion=pg --lifetime reboot --update 1000 >/dev/null 2>&1
node_exec 1 crm_resource --cleanup >/dev/null 2>&1
node_exec 1 crm configure property maintenance-mode=false >/dev/null
# The monitor (or, when Pacemaker restarted node2 first, the start) says
# why; the start of the recovery (the last failure Pacemaker keeps)
# refuses under failback=manual and says what to run. The parameter change
# restarts every instance when maintenance ends, node3's too: a start of
# node2 that found no primary answering meanwhile stays failed, and the
# admin's cleanup retries it, as below for the rewind.
last_cleanup=$SECONDS
diverged_reported() {
	grep -q 'pg_\(monitor\|start\).*replayed to .* past .* forked off it' \
		"$LAB_DIR/node2/pacemaker.log" &&
	grep -q 'pg_start.*ocf-exit-reason:failback=manual: pg_rewind -D' "$LAB_DIR/node2/pacemaker.log" &&
		return 0
	if [ $((SECONDS - last_cleanup)) -ge 20 ] && is_primary 3; then
		node_exec 1 crm_resource --cleanup -r pgc -N node2 >/dev/null 2>&1
		last_cleanup=$SECONDS
	fi
	return 1
}
wait_for 120 "node2's monitor reports the divergence, its start what to run" diverged_reported
log "node2 diverged: $(grep -o 'ocf-exit-reason:failback=manual[^]]*' "$LAB_DIR/node2/pacemaker.log" | head -n 1)"
is_primary 3 || fail "divergence: node3 is no longer the primary"
node_exec 1 crm_resource -r pg -p failback -v rewind >/dev/null 2>&1
node_exec 1 crm_resource --cleanup -r pgc >/dev/null 2>&1
has_row() { [ "$(psql_on "$1" "select count(*) from t where id = $2")" = 1 ]; }
# The same for a start that found no primary answering.
last_cleanup=$SECONDS
repaired() {
	has_row "$1" -3 && return 0
	if [ $((SECONDS - last_cleanup)) -ge 20 ]; then
		node_exec 3 crm_resource --cleanup -r pgc >/dev/null 2>&1
		last_cleanup=$SECONDS
	fi
	return 1
}
for i in 1 2; do
	wait_for 180 "node$i rewound and following node3" repaired "$i"
	is_standby "$i" || fail "node$i is not a standby"
	[ "$(psql_on "$i" "select count(*) from t where id > 900000")" = 0 ] ||
		fail "node$i kept rows of the abandoned timeline"
done
echo "RESULT pgwarm_divergence detected=monitor manual=refused-with-command rewind=repaired"
log "divergence: detected by monitor, refused under failback=manual, repaired by rewind"
