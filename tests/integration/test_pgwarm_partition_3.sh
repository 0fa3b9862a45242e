#!/bin/bash
# timeout: 900
# pgwarm on 3 nodes, fencing on: the primary's link is cut (see
# pgwarm_partition.sh). The cut node is a minority: it demotes
# (no-quorum-policy=demote) while the majority fences it and promotes the
# most advanced standby; after the heal it is powered on and fails back.
# PGWARM_PARTITION_ROUNDS (default 2) repeats the cut, each time on the
# primary of the moment, with a random seeding node.
. "$(dirname "$0")/lib.sh"
lab_init
. "$(dirname "$0")/pgwarm_lab.sh"
. "$(dirname "$0")/pgwarm_partition.sh"
PART_N=3
pgw_lab 3
pgw_admin_seed "$((RANDOM % 3 + 1))" 3
pgw_configure 3
wait_for 90 "a promoted pgwarm" has_primary
wait_for 90 "the standbys" all_up
for r in $(seq 1 "${PGWARM_PARTITION_ROUNDS:-2}"); do
	part_cut "cut $r"
done
log "PASS"
