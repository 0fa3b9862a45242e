#!/bin/bash
# timeout: 1800
# Randomised faults on a 3-node pgwarm cluster seeded the admin's way (see
# test_pgwarm_seeding.sh) with a writer that records every id PostgreSQL
# acknowledged. Each round draws one event: kill a whole node (the
# primary's, or a standby's), kill -9 the primary's postmaster, a planned
# switchover to a random standby, or stop and start the whole clone. After
# each round:
#   - never two primaries (sampled every second through the whole test);
#   - switchover and restart: 0 acknowledged rows missing; a crash: at most
#     the unarchived tail (the count and the first id lost are printed),
#     never a row acknowledged before one that was kept;
#   - nothing kept by an earlier round is ever lost later;
#   - every running standby follows the primary's timeline: a row written
#     after the round reaches each of them (the time is printed).
# PGWARM_FAULT_ROUNDS (default 20) sets the rounds, PGWARM_FAULT_SEED the
# random seed (printed, to replay a run).
. "$(dirname "$0")/lib.sh"
lab_init
. "$(dirname "$0")/pgwarm_lab.sh"
rounds=${PGWARM_FAULT_ROUNDS:-20}
lab_random_seed PGWARM_FAULT_SEED
pgw_lab 3
pgw_admin_seed "$((RANDOM % 3 + 1))" 3
pgw_configure 3
wait_for 90 "a promoted pgwarm" has_primary
: >"$PGW/kept"

# Never two primaries: a sampler for the whole test.
(
	while :; do
		p=$(primaries)
		[ "$(echo "$p" | wc -w)" -le 1 ] || echo "$(date +%T.%N) two primaries: $p" >>"$PGW/split"
		sleep 1
	done
) &
sampler=$!
lab_on_exit kill "$sampler"

primary_writable() {
	local n
	n=$(pnum)
	[ -n "$n" ] && [ "$(primaries)" = "node$n" ] && write_ok "$n" "-$1"
}
node_back() {	# node I is in the cluster again, its pgwarm a standby
	is_standby "$1" && [ "$(node_exec 1 crm_mon -1 --output-as=xml 2>/dev/null |
		grep -c 'resource id="pg" .*role="Unpromoted".*active="true".*failed="false"')" -ge 2 ]
}
wait_for 90 "the standbys" all_up

declare -A k_rounds k_acked k_lost
for r in $(seq 1 "$rounds"); do
	p=$(pnum)
	[ -n "$p" ] || fail "round $r: no primary"
	events=(kill_node kill_postmaster switchover restart)
	ev=${events[$((RANDOM % 4))]}
	writer_round "$p" "$r"
	ack=$ACK wpid=$WPID start=$START
	detail=
	case $ev in
	kill_node)
		if [ $((RANDOM % 3)) -eq 0 ]; then	# a standby's node
			v=$(( (p + RANDOM % 2) % 3 + 1 ))
		else
			v=$p
		fi
		detail="node$v$([ "$v" = "$p" ] && echo " (primary)")"
		cluster_node_kill "$v"
		[ "$v" = "$p" ] && wait "$wpid" 2>/dev/null
		wait_for 90 "round $r: a writable primary after node$v died" primary_writable "$r"
		cluster_node_start "$v"
		wait_for 60 "round $r: node$v back in the cluster" cluster_all_online 3
		wait_for 120 "round $r: node$v a standby again" node_back "$v"
		;;
	kill_postmaster)
		detail="on node$p"
		pm=$(node_exec "$p" head -n 1 "$MNT/data/postmaster.pid")
		kill -9 "$pm"
		wait "$wpid" 2>/dev/null
		# Recovered in place (the most advanced is promoted again) or
		# elsewhere: either way one writable primary, node p back in.
		wait_for 90 "round $r: a writable primary after the postmaster died" primary_writable "$r"
		node_exec 1 crm resource cleanup pgc >/dev/null 2>&1
		;;
	switchover)
		t=$(( (p + RANDOM % 2) % 3 + 1 ))
		detail="node$p -> node$t"
		node_exec 1 crm_resource --move --promoted -r pgc -N "node$t" >/dev/null 2>&1 ||
			fail "round $r: crm_resource --move --promoted"
		# A target still behind is not promotable yet: Pacemaker may
		# promote the most advanced standby first, then move the role on
		# to the target once it caught up. Either way nothing is lost.
		target_writable() { [ "$(pnum)" = "$t" ] && primary_writable "$r"; }
		wait_for 120 "round $r: node$t promoted" target_writable
		node_exec 1 crm_resource --clear -r pgc >/dev/null 2>&1
		wait_for 120 "round $r: node$p a standby again" node_back "$p"
		;;
	restart)
		node_exec 1 crm resource stop pgc >/dev/null 2>&1
		wait_for 120 "round $r: the clone stopped" pgw_none_running
		node_exec 1 crm resource start pgc >/dev/null 2>&1
		wait_for 120 "round $r: a writable primary after the restart" primary_writable "$r"
		;;
	esac
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	wait_for 120 "round $r: every node up" all_up
	np=$(pnum)
	read -r lost first shape < <(missing_on "$np" "$ack")
	acked=$(wc -l <"$ack")
	case $ev in
	switchover|restart)
		[ "$lost" -eq 0 ] || fail "round $r ($ev): $lost acknowledged rows lost (first $first)" ;;
	*)	[ "$shape" = tail ] || fail "round $r ($ev): rows lost that were acknowledged before kept ones" ;;
	esac
	read -r earlier efirst _ < <(missing_on "$np" "$PGW/kept")
	[ "$earlier" -eq 0 ] || fail "round $r ($ev): $earlier rows kept by earlier rounds are gone (first $efirst)"
	psql_on "$np" "select id from t where id >= $((r * 100000)) and id < $(((r + 1) * 100000))" >>"$PGW/kept"
	# Every standby follows: a row written now reaches each.
	psql_on "$np" "insert into t values ($((r * 100000 + 99999)))" || fail "round $r: write on node$np"
	echo $((r * 100000 + 99999)) >>"$PGW/kept"
	psql_on "$np" "select pg_switch_wal()" >/dev/null
	fstart=$(date +%s%N)
	for i in 1 2 3; do
		[ "$i" = "$np" ] && continue
		wait_for 90 "round $r: node$i follows node$np" has_row "$i" $((r * 100000 + 99999))
	done
	fms=$(( ($(date +%s%N) - fstart) / 1000000 ))
	seg=$(node_exec "$np" attrd_updater -Q -n pgwarm-pg-last-archived 2>/dev/null | sed -n 's/.*value="\([^"]*\)".*/\1/p' | head -n 1)
	echo "RESULT pgwarm_fault round=$r event=$ev $detail ms=$ms acked=$acked lost=$lost first_lost=$first primary=node$np follow_ms=$fms last_archived=${seg:-?}"
	log "round $r: $ev $detail: node$np primary after $ms ms; $acked acknowledged, $lost lost${first:+ (from id $first)}; standbys followed in $fms ms"
	k_rounds[$ev]=$(( ${k_rounds[$ev]:-0} + 1 ))
	k_acked[$ev]=$(( ${k_acked[$ev]:-0} + acked ))
	k_lost[$ev]=$(( ${k_lost[$ev]:-0} + lost ))
	[ -s "$PGW/split" ] && fail "two primaries at once: $(head -n 3 "$PGW/split")"
done
for ev in "${!k_rounds[@]}"; do
	echo "RESULT pgwarm_faults_total event=$ev rounds=${k_rounds[$ev]} acked=${k_acked[$ev]} lost=${k_lost[$ev]}"
done
log "$rounds rounds (seed $LAB_SEED): never two primaries, nothing lost on switchovers and restarts"
