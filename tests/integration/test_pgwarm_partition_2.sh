#!/bin/bash
# timeout: 900
# pgwarm on 2 nodes (two_node: both halves of a cut stay quorate).
#  1. Fencing on, the primary's link cut (pgwarm_partition.sh): the side
#     with the primary fences the other first (the clone's priority and
#     priority-fencing-delay), never two primaries, nothing the survivor
#     acknowledged is lost, the fenced node rejoins as a standby.
#  2. Fencing fails (the power switch does not answer) and the primary's
#     node dies: nothing is promoted, crm_mon shows the failed fencing;
#     once the switch answers again the standby is promoted.
#  3. Fencing off (stonith-enabled=false, an admin's choice): the primary's
#     node dies and the standby refuses to promote, with an exit reason
#     that says what to configure; unfenced_promote=true lets it.
. "$(dirname "$0")/lib.sh"
lab_init
. "$(dirname "$0")/pgwarm_lab.sh"
. "$(dirname "$0")/pgwarm_partition.sh"
PART_N=2
pgw_lab 2
pgw_admin_seed "$((RANDOM % 2 + 1))" 2
pgw_configure 2
wait_for 90 "a promoted pgwarm" has_primary
wait_for 90 "the standby" all_up

part_cut "cut"

# 2. A fence device that fails.
p=$(pnum) s=$((3 - $(pnum)))
psql_on "$p" "insert into t select generate_series(50000000, 50000099)" >/dev/null
psql_on "$p" "select pg_switch_wal()" >/dev/null
wait_for 60 "node$s replayed the last rows" has_row "$s" 50000099
: >"$LAB_DIR/pdu/broken"
cluster_node_kill "$p"
log "fencing broken, node$p (primary) killed"
failed_fencing() {
	node_exec "$s" crm_mon -1 --output-as=xml 2>/dev/null | grep -q '<fence_event .*status="failed"'
}
wait_for 60 "crm_mon shows the failed fencing of node$p" failed_fencing
t_end=$(( $(date +%s) + 15 ))
while [ "$(date +%s)" -lt "$t_end" ]; do
	is_primary "$s" && fail "node$s promoted while node$p could not be fenced"
	sleep 0.5
done
node_exec "$s" crm_mon -1 2>/dev/null | grep -i -A2 'failed fencing' | head -n 3 >&2
rm -f "$LAB_DIR/pdu/broken"
wait_for 120 "node$s promoted once node$p is fenced" is_primary "$s"
[ "$(lab_fenced)" = "node$p" ] || fail "fenced: $(lab_fenced), expected node$p"
echo "RESULT pgwarm_fencing_failure promoted_while_unfenced=0 failed_fencing_in_crm_mon=yes"
log "fencing failed: nothing promoted for 15 s, shown in crm_mon; promoted once node$p was fenced"
node_exec "$s" crm_attribute -t crm_config -n stonith-enabled -v false >/dev/null ||
	fail "stonith-enabled=false"
cluster_node_start "$p"
wait_for 120 "node$p back as a standby" all_up

# 3. Fencing off: the peer vanishes, the standby refuses.
p=$(pnum) s=$((3 - $(pnum)))
psql_on "$p" "insert into t select generate_series(60000000, 60000099)" >/dev/null
psql_on "$p" "select pg_switch_wal()" >/dev/null
wait_for 60 "node$s replayed the last rows" has_row "$s" 60000099
cluster_node_kill "$p"
log "fencing off, node$p (primary) killed"
refused() {
	node_exec "$s" crm_mon -1 --output-as=xml 2>/dev/null | grep -q 'exitreason="[^"]*stonith-enabled=false'
}
# Whichever comes first, crm_mon shows why: a promote refused (its exit
# reason) or a monitor that withholds the score (the node attribute
# pgwarm-pg-not-promotable).
held_attr() {
	node_exec "$s" crm_mon -1 -A --output-as=xml 2>/dev/null |
		grep -o 'name="pgwarm-pg-not-promotable" value="[^"]*stonith-enabled=false[^"]*"'
}
withheld() { refused || [ -n "$(held_attr)" ]; }
wait_for 60 "node$s says in crm_mon why it does not promote" withheld
sleep 5
is_primary "$s" && fail "node$s promoted without fencing, its peer gone"
reason=$(node_exec "$s" crm_mon -1 --output-as=xml 2>/dev/null | grep -o 'exitreason="[^"]*"' | head -n 1)
log "node$s not promoted; crm_mon shows: ${reason:-$(held_attr)}"
node_exec "$s" crm resource param pg set unfenced_promote true >/dev/null ||
	fail "setting unfenced_promote"
wait_for 90 "node$s promoted with unfenced_promote=true" is_primary "$s"
gone_attr() {
	! node_exec "$s" crm_mon -1 -A --output-as=xml 2>/dev/null | grep -q 'name="pgwarm-pg-not-promotable"'
}
wait_for 30 "pgwarm-pg-not-promotable gone once promoted" gone_attr
echo "RESULT pgwarm_unfenced refused_without_fencing=yes promoted_with_unfenced_promote=yes"
log "PASS"
