#!/bin/bash
# ocf:understudy:pgwarm in a 2-node corosync+Pacemaker cluster in network
# namespaces, each node with its own PostgreSQL 15, sshd and archive_dir
# (bind-mounted at the same path in each node's mount namespace):
# promotion, rows written on the primary visible on the standby after a
# segment switch, kill -9 of the primary's postmaster -> the standby is
# promoted, the old primary fails back as a standby (pg_rewind), a planned
# switchover loses no committed row, and the kill of a whole node promotes
# the survivor, which the killed node then rejoins as a standby. Times are
# printed as RESULT lines, not asserted. PGWARM_FAILBACK=reseed runs the
# failbacks with pg_basebackup instead of pg_rewind.
. "$(dirname "$0")/lib.sh"
lab_init
. "$(dirname "$0")/pgwarm_lab.sh"
pgw_lab 2
pgw_cold_seed
PGW_META=migration-threshold=1 pgw_configure
wait_for 60 "a promoted pgwarm" has_primary
P=$(promoted_node 1); p=${P#node}; s=$((3 - p))
log "primary on $P"
wait_for 60 "standby on node$s" is_standby "$s"

# Writes on the primary reach the standby after a segment switch.
psql_on "$p" "create table t(id int primary key, at timestamptz default now())" ||
	fail "create table"
psql_on "$p" "insert into t(id) select generate_series(1, 1000)"
psql_on "$p" "select pg_switch_wal()" >/dev/null
wait_for 30 "1000 rows on the standby" rows_on "$s" 1000
log "1000 rows replayed on node$s"
attr=$(node_exec "$p" attrd_updater -Q -n pgwarm-pg-archive-failed 2>/dev/null)
echo "$attr" | grep -q 'value="0"' || fail "archiver attribute missing or failing: $attr"

# kill -9 of the primary's postmaster while a writer commits: the standby
# is promoted. A crash may lose what was not yet archived (at most the
# current segment); that count is printed, not asserted.
: >"$PGW/committed"
writer "$p" 500000 "$PGW/committed" &
wpid=$!
sleep 1
pm=$(node_exec "$p" head -n 1 "$MNT/data/postmaster.pid")
start=$(date +%s%N)
kill -9 "$pm"
wait "$wpid" 2>/dev/null
wait_for 60 "node$s promoted and writable" write_ok "$s" 1001
ms=$(( ($(date +%s%N) - start) / 1000000 ))
crash_lost=$(missing_on "$s" "$PGW/committed" | cut -d" " -f1)
echo "RESULT pgwarm_postmaster_kill_to_write_ms=$ms crash_committed=$(wc -l <"$PGW/committed") crash_lost=$crash_lost (node$p -> node$s)"
log "kill -9 postmaster on node$p: first write on node$s after $ms ms ($crash_lost unarchived rows lost)"
psql_on "$s" "delete from t where id >= 500000" >/dev/null
shown() { [ "$(promoted_node "$s")" = "node$s" ]; }
wait_for 20 "Pacemaker showing node$s promoted" shown

# Failback: the old primary comes back as a standby (rewind) with the new rows.
node_exec "$s" crm resource cleanup pgc >/dev/null 2>&1
back() { [ "$(psql_on "$p" "select pg_is_in_recovery()")" = t ]; }
wait_for 90 "node$p back as standby" back
psql_on "$s" "insert into t(id) select generate_series(1002, 2000)"
psql_on "$s" "select pg_switch_wal()" >/dev/null
wait_for 40 "2000 rows on the failed-back node$p" rows_on "$p" 2000
grep -q "pg_rewind" "$LAB_DIR/node$p/pacemaker.log" ||
	log "note: no pg_rewind line in node$p's pacemaker.log"
log "node$p failed back as a standby and replays node$s's timeline"

# Planned switchover while a writer commits: every committed id survives.
: >"$PGW/committed"
writer "$s" 3000 "$PGW/committed" &
wpid=$!
sleep 1
start=$(date +%s%N)
node_exec "$s" crm_resource --move --promoted -r pgc -N "node$p" >/dev/null 2>&1 ||
	fail "crm_resource --move --promoted"
primary_is() { [ "$(promoted_node "$s")" = "node$1" ] && [ "$(psql_on "$1" "select pg_is_in_recovery()")" = f ]; }
wait_for 90 "node$p promoted by the switchover" primary_is "$p"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
committed=$(wc -l <"$PGW/committed")
[ "$committed" -gt 0 ] || fail "the writer committed nothing"
lost=$(missing_on "$p" "$PGW/committed" | cut -d" " -f1)
echo "RESULT pgwarm_switchover_ms=$ms committed_during=$committed lost=$lost"
[ "$lost" -eq 0 ] || fail "$lost committed rows lost in the switchover"
log "switchover to node$p in $ms ms: $committed rows committed during it, none lost"
node_exec "$s" crm_resource --clear -r pgc >/dev/null 2>&1
back_s() { [ "$(psql_on "$s" "select pg_is_in_recovery()")" = t ]; }
wait_for 60 "node$s standby after the switchover" back_s

# Kill the whole primary node: the survivor is promoted.
total=$(psql_on "$p" "select count(*) from t")
psql_on "$p" "select pg_switch_wal()" >/dev/null
wait_for 30 "standby caught up" rows_on "$s" "$total"
start=$(date +%s%N)
cluster_node_kill "$p"
wait_for 60 "node$s promoted after node$p died" write_ok "$s" 100000
rows_on "$s" $((total + 1)) || fail "rows lost when node$p died"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
fms=$(lab_fence_ms "$p" "$start")
echo "RESULT pgwarm_node_kill_to_write_ms=$ms fenced_ms=$fms rows=$((total + 1))"
log "node$p killed: fenced after $fms ms, node$s primary and writable after $ms ms, no row lost"

# The dead node returns: it fails back as a standby and replays the survivor.
cluster_node_start "$p"
wait_for 60 "node$p back in the cluster" cluster_all_online 2
start=$(date +%s%N)
wait_for 120 "node$p standby again" back
psql_on "$s" "select pg_switch_wal()" >/dev/null
wait_for 40 "node$p has every row" rows_on "$p" $((total + 1))
echo "RESULT pgwarm_rejoin_ms=$(( ($(date +%s%N) - start) / 1000000 )) failback=${PGWARM_FAILBACK:-rewind}"
log "node$p rejoined as a standby with all $((total + 1)) rows"
