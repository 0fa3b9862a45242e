#!/bin/bash
# A 3-node corosync+Pacemaker cluster in network namespaces. The test agent
# runs as a primitive and as a promotable clone (promotion scores through
# crm_attribute, notifications on). kill -9 of the corosync and Pacemaker of
# the primitive's node moves it to another node; the recovery time is
# measured and printed. The killed node then rejoins.
. "$(dirname "$0")/lib.sh"
lab_init
need crm
lab_add_test_agent
cluster_up 3

node_exec 1 crm configure primitive lab-dummy ocf:understudy:usdummy \
	op monitor interval=2s timeout=20s >/dev/null || fail "crm configure primitive"
node_exec 1 crm configure primitive lab-prom ocf:understudy:usdummy \
	op monitor interval=3s timeout=20s op monitor interval=2s role=Promoted timeout=20s \
	>/dev/null || fail "crm configure primitive lab-prom"
node_exec 1 crm configure clone lab-prom-clone lab-prom \
	meta promotable=true promoted-max=1 notify=true >/dev/null || fail "crm configure clone"

where_runs() { [ -n "$(cluster_where 1 lab-dummy)" ]; }
wait_for 30 "lab-dummy started" where_runs
home=$(cluster_where 1 lab-dummy)
log "lab-dummy runs on $home"

promoted_count() {
	node_exec 1 crm_mon -1 --output-as=xml |
		grep -c 'resource id="lab-prom" .*role="Promoted".*active="true"'
}
one_promoted() { [ "$(promoted_count)" -eq 1 ]; }
wait_for 40 "one promoted lab-prom" one_promoted
log "lab-prom: one instance promoted by its score"

# Crash the node that runs lab-dummy: corosync and Pacemaker, kill -9.
i=${home#node}
view=$(( i % 3 + 1 ))
start=$(date +%s%N)
cluster_node_kill "$i"
moved() { local w; w=$(cluster_where "$view" lab-dummy); [ -n "$w" ] && [ "$w" != "$home" ]; }
wait_for 60 "lab-dummy recovered elsewhere" moved
ms=$(( ($(date +%s%N) - start) / 1000000 ))
new=$(cluster_where "$view" lab-dummy)
echo "RESULT recovery_ms=$ms (kill -9 of $home's corosync+pacemaker -> lab-dummy running on $new)"
log "lab-dummy moved from $home to $new in $ms ms"
node_exec "$view" test -f /run/resource-agents/usdummy-lab-dummy.state ||
	fail "no state file on $new"

# The promotable clone still has exactly one promoted instance.
promoted_view() {
	[ "$(node_exec "$view" crm_mon -1 --output-as=xml |
		grep -c 'resource id="lab-prom" .*role="Promoted".*active="true"')" -eq 1 ]
}
wait_for 40 "one promoted lab-prom after the crash" promoted_view

# The crashed node comes back and rejoins.
start=$(date +%s%N)
cluster_node_start "$i"
all3() { [ "$(node_exec "$view" crm_mon -1 --output-as=xml | grep -c 'online="true"')" -eq 3 ]; }
wait_for 60 "$home rejoined" all3
log "$home rejoined in $(( ($(date +%s%N) - start) / 1000000 )) ms"
log "PASS"
