#!/bin/bash
# The OCF core in a real single-node Pacemaker: the test agent is configured
# with `crm configure primitive`, starts, is monitored, and stops.
. "$(dirname "$0")/lib.sh"
lab_init
need crm
lab_add_test_agent
cluster_up 1

node_exec 1 crm configure primitive lab-dummy ocf:understudy:usdummy \
	params delay=0 op monitor interval=2s timeout=20s >"$LAB_DIR/crm.out" 2>&1 ||
	fail "crm configure primitive: $(cat "$LAB_DIR/crm.out")"
wait_for 30 "lab-dummy started" runs_on 1 lab-dummy node1
log "lab-dummy runs on node1"

# The agent's state file lives in the node's /run (its own tmpfs).
node_exec 1 test -f /run/resource-agents/usdummy-lab-dummy.state ||
	fail "agent state file missing"

# The agent published a node attribute through attrd_updater.
attr_set() { node_exec 1 attrd_updater -Q -n usdummy-lab-dummy | grep -q 'value="started"'; }
wait_for 10 "node attribute usdummy-lab-dummy" attr_set
log "node attribute published"

# Pacemaker's own validation path reaches our validate-all.
out=$(node_exec 1 crm_resource --validate --class ocf --provider understudy --agent usdummy \
	--option delay=soon 2>&1)
echo "$out" | grep -q 'delay="soon": is not an integer' || fail "validate: $out"

# A bad parameter value makes the resource fail with our exit reason.
node_exec 1 crm resource param lab-dummy set delay bogus >/dev/null 2>&1
reason_shown() {
	node_exec 1 crm_mon -1 --output-as=xml |
		grep -q 'exitreason="parameter delay=[^"]*bogus[^"]*: is not an integer" exitcode="6"'
}
wait_for 30 "exit reason shown" reason_shown
log "failure reported with the agent's exit reason"
node_exec 1 crm resource param lab-dummy set delay 0 >/dev/null 2>&1
node_exec 1 crm_resource --cleanup -r lab-dummy >/dev/null 2>&1
wait_for 30 "lab-dummy recovered" runs_on 1 lab-dummy node1

node_exec 1 crm resource stop lab-dummy >/dev/null 2>&1
wait_for 30 "lab-dummy stopped" runs_on 1 lab-dummy ""
node_exec 1 test ! -f /run/resource-agents/usdummy-lab-dummy.state || fail "state not removed"
log "PASS"
