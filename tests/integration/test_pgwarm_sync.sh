#!/bin/bash
# timeout: 1800
# pgwarm with stream=on sync=on (DESIGN.md §4b) on a 3-node cluster whose
# clone runs on node1 and node2 (node3 keeps the quorum), seeded the
# admin's way (pg_basebackup from a running primary):
#   - crash rounds: a writer commits one row per transaction, the primary's
#     node is killed at a random point; every row PostgreSQL acknowledged
#     is on the new primary (0 lost, asserted), over PGWARM_SYNC_ROUNDS
#     kills (default 4); the promotion's own time is printed;
#   - degrade and restore: the standby's node dies, commits wait until
#     sync_timeout, then the primary drops to asynchronous
#     (pgwarm-pg-sync=degraded) and the waiting commit returns; the node
#     returns and sync is on again;
#   - sync=off: a crash loses at most what was not streamed yet (printed).
. "$(dirname "$0")/lib.sh"
lab_init
. "$(dirname "$0")/pgwarm_lab.sh"
rounds=${PGWARM_SYNC_ROUNDS:-4}
lab_random_seed PGWARM_SYNC_SEED
pgw_lab 3
pgw_admin_seed "$((RANDOM % 2 + 1))" 2
PGW_PARAMS="stream=on sync=on sync_timeout=4" pgw_configure 2
PGW_N=2	# all_up and friends look at the clone's two nodes
wait_for 90 "a promoted pgwarm" has_primary
wait_for 120 "the standby" all_up

sync_attr() {
	node_exec "$1" attrd_updater -Q -n pgwarm-pg-sync -N "node$1" 2>/dev/null |
		sed -n 's/.*value="\([^"]*\)".*/\1/p'
}
sync_is() { [ "$(sync_attr "$1")" = "$2" ]; }
setting_on() { psql_on "$1" "show synchronous_standby_names"; }
streaming_to() { [ "$(psql_on "$1" "select count(*) from pg_stat_replication where application_name = 'node$2' and state = 'streaming'")" = 1 ]; }
writable() { local n; n=$(pnum); [ -n "$n" ] && [ "$(primaries)" = "node$n" ] && write_ok "$n" "-$1"; }
node_back() {
	is_standby "$1" && [ "$(node_exec 3 crm_mon -1 --output-as=xml 2>/dev/null |
		grep -c 'resource id="pg" .*role="Unpromoted".*active="true".*failed="false"')" -ge 1 ]
}

p=$(pnum)
wait_for 30 "node$((3 - p))'s receiver streaming" streaming_to "$p" $((3 - p))
wait_for 30 "sync on" sync_is "$p" on
case "$(setting_on "$p")" in *node$((3 - p))*) ;; *) fail "synchronous_standby_names: $(setting_on "$p")" ;; esac
log "node$p primary, synchronous_standby_names = $(setting_on "$p")"

# The promote action's own time, as the agent logged it on node I.
promote_ms() {
	sed -n 's/.*promoted at .* in \([0-9]*\) ms.*/\1/p' "$LAB_DIR/node$1/pacemaker.log" 2>/dev/null |
		tail -n 1
}

total_acked=0 total_lost=0
for r in $(seq 1 "$rounds"); do
	p=$(pnum)
	[ -n "$p" ] || fail "round $r: no primary"
	s=$((3 - p))
	wait_for 60 "round $r: sync on" sync_is "$p" on
	writer_round "$p" "$r"
	ack=$ACK wpid=$WPID start=$START
	cluster_node_kill "$p"
	wait "$wpid" 2>/dev/null
	wait_for 90 "round $r: node$s writable" writable "$r"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	read -r lost first shape < <(missing_on "$s" "$ack")
	acked=$(wc -l <"$ack")
	echo "RESULT pgwarm_sync_crash round=$r acked=$acked lost=$lost writable_ms=$ms fenced_ms=$(lab_fence_ms "$p" "$start") promote_ms=$(promote_ms "$s")"
	[ "$lost" -eq 0 ] || fail "round $r: $lost of $acked acknowledged rows lost with sync=on (first $first)"
	# Alone, the new primary does not wait for a standby.
	wait_for 30 "round $r: a lone primary degraded" sync_is "$s" degraded
	write_ok "$s" "-$((r * 10 + 1))" || fail "round $r: the lone primary does not commit"
	cluster_node_start "$p"
	wait_for 60 "round $r: node$p back in the cluster" cluster_all_online 3
	wait_for 180 "round $r: node$p a standby again" node_back "$p"
	wait_for 60 "round $r: sync on again" sync_is "$s" on
	total_acked=$((total_acked + acked))
	log "round $r: node$p killed, node$s writable after $ms ms, $acked acknowledged, 0 lost; node$p rejoined, sync on"
done
echo "RESULT pgwarm_sync_total kills=$rounds acked=$total_acked lost=$total_lost"

# --- Degrade and restore: the standby's node dies.
p=$(pnum)
s=$((3 - p))
wait_for 60 "sync on before the standby dies" sync_is "$p" on
cluster_node_kill "$s"
t0=$(date +%s%N)
write_ok "$p" -900001 || fail "a commit after the standby died did not return at all"
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
wait_for 30 "degraded" sync_is "$p" degraded
[ -z "$(setting_on "$p")" ] || fail "degraded but synchronous_standby_names = $(setting_on "$p")"
echo "RESULT pgwarm_sync_degrade commit_waited_ms=$waited sync_timeout_s=4"
cluster_node_start "$s"
wait_for 60 "node$s back in the cluster" cluster_all_online 3
wait_for 180 "node$s a standby again" node_back "$s"
wait_for 60 "sync restored" sync_is "$p" on
write_ok "$p" -900002 || fail "commit after sync was restored"
log "standby died: a commit waited $waited ms, then sync degraded; it returned and sync is on"

# --- sync=off: the crash loses at most what was not streamed yet.
node_exec 3 crm_resource -r pg -p sync -v off >/dev/null || fail "sync=off"
# A changed parameter restarts the clone: its new primary says off.
primary_sync_off() { local n; n=$(pnum); [ -n "$n" ] && sync_is "$n" off; }
wait_for 120 "restarted with sync=off" primary_sync_off
wait_for 120 "the standby after the restart" all_up
p=$(pnum); s=$((3 - p))
[ -z "$(sync_attr "$s")" ] || fail "the standby node$s still shows pgwarm-pg-sync=$(sync_attr "$s")"
wait_for 30 "node$s's receiver streaming" streaming_to "$p" "$s"
ack=$PGW/ack.async
: >"$ack"
writer "$p" 800000 "$ack" &
wpid=$!
sleep 2
cluster_node_kill "$p"
wait "$wpid" 2>/dev/null
wait_for 90 "async: node$s writable" writable 99
read -r lost first shape < <(missing_on "$s" "$ack")
[ "$shape" = tail ] || fail "async crash: rows lost before kept ones"
echo "RESULT pgwarm_async_crash acked=$(wc -l <"$ack") lost=$lost"
log "sync=off crash: $(wc -l <"$ack") acknowledged, $lost lost (the stream's tail)"
cluster_node_start "$p"
echo "PASS: pgwarm sync"
