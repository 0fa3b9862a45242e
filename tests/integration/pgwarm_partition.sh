# A network cut of the primary's node, fencing on (sourced by
# test_pgwarm_partition_N.sh with PART_N nodes, after lib.sh and
# pgwarm_lab.sh). The cluster is seeded the admin's way; a writer runs on
# each side of the cut (the cut node's primary, and whichever node the
# others promote), and a sampler polls every node every 100 ms. Checks:
#   - never two writable primaries, at any sample;
#   - the cut node (3 nodes), or one of the two (2 nodes: the side holding
#     the primary fences first, priority-fencing-delay), is fenced;
#   - a writable primary on the surviving side; after the heal the fenced
#     node is powered on and rejoins as a standby;
#   - every row the surviving side acknowledged is there (and it
#     acknowledged some); what the fenced side acknowledged after the cut
#     is counted and printed.

part_sampler() {	# every 100 ms: which nodes accept writes
	local p
	while :; do
		p=$(primaries)
		echo "$(date +%s%N) ${p:--}" >>"$PGW/samples"
		[ "$(echo "$p" | wc -w)" -le 1 ] || echo "$(date +%T.%N) two primaries: $p" >>"$PGW/split"
		sleep 0.1
	done
}

# side_writer NODES FIRST FILE: writes to whichever of NODES accepts
# writes, one row at a time, each acknowledged id logged to FILE.
side_writer() {
	local nodes=$1 id=$2 f=$3 n
	while :; do
		for n in $nodes; do
			while psql_on "$n" "insert into t(id) values ($id)" >/dev/null; do
				echo "$id" >>"$f"
				id=$((id + 1))
			done
		done
		sleep 0.05
	done
}

# part_cut LABEL: the scenario, once (each round writes its own ids).
PART_ROUND=0
part_cut() {
	local label=$1 p others i f survivor t0 ms cut_acked before lost first shape base
	PART_ROUND=$((PART_ROUND + 1))
	base=$((PART_ROUND * 1000000))
	p=$(pnum)
	[ -n "$p" ] || fail "$label: no primary"
	others=$(for i in $(seq 1 "$PART_N"); do [ "$i" = "$p" ] || printf '%s ' "$i"; done)
	: >"$PGW/ack.cut" && : >"$PGW/ack.survivor" && : >"$PGW/samples"
	side_writer "$p" "$base" "$PGW/ack.cut" &
	local w1=$!
	side_writer "$others" $((base + 500000)) "$PGW/ack.survivor" &
	local w2=$!
	part_sampler &
	local sp=$!
	lab_on_exit kill "$w1" "$w2" "$sp"
	sleep 1
	before=$(tail -n 1 "$PGW/ack.cut")
	t0=$(date +%s%N)
	node_link "$p" down
	log "$label: node$p's link cut (primary; ${before:-no} row acknowledged before the cut)"
	someone_fenced() { [ -n "$(lab_fenced)" ]; }
	wait_for 60 "$label: a node fenced" someone_fenced
	f=$(lab_fenced)
	[ "$(echo "$f" | wc -w)" -eq 1 ] || fail "$label: fenced: $f"
	[ "$PART_N" -eq 2 ] || [ "$f" = "node$p" ] || fail "$label: $f fenced, not the cut node$p"
	survivor_writable() {
		local i
		for i in $(seq 1 "$PART_N"); do
			[ "node$i" = "$f" ] && continue
			is_primary "$i" && return 0
		done
		return 1
	}
	wait_for 90 "$label: a writable primary after $f was fenced" survivor_writable
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	sleep 2	# the survivor's writer goes on a little
	kill "$w1" "$w2" "$sp" 2>/dev/null
	wait "$w1" "$w2" "$sp" 2>/dev/null
	[ -s "$PGW/split" ] && fail "$label: two writable primaries: $(head -n 3 "$PGW/split")"
	log "$label: $f fenced, a writable primary after $ms ms; never two primaries in $(wc -l <"$PGW/samples") samples"

	node_link "$p" up
	cluster_node_start "${f#node}"
	wait_for 120 "$label: $f back in the cluster" cluster_all_online "$PART_N"
	wait_for 120 "$label: one primary, every other node a standby" all_up
	survivor=$(pnum)
	# The side that was not fenced survived: in 2 nodes it is the cut
	# primary's when it won the fence race, and its writer is the one
	# that wrote on p.
	local won=ack.survivor lost_side=ack.cut
	[ "$f" = "node$p" ] || { won=ack.cut; lost_side=ack.survivor; }
	read -r lost first shape < <(missing_on "$survivor" "$PGW/$won")
	[ "$lost" -eq 0 ] || fail "$label: $lost rows the surviving side acknowledged are gone (first $first)"
	[ "$(awk -v b="${before:-0}" '$1 > b' "$PGW/$won" | wc -l)" -gt 0 ] ||
		fail "$label: the surviving side acknowledged no row after the cut"
	cut_acked=$(awk -v b="${before:-0}" '$1 > b' "$PGW/$lost_side" | wc -l)
	awk -v b="${before:-0}" '$1 > b' "$PGW/$lost_side" >"$PGW/ack.cut.after"
	read -r lost first shape < <(missing_on "$survivor" "$PGW/ack.cut.after")
	echo "RESULT pgwarm_partition nodes=$PART_N scenario=$label cut=node$p fenced=$f primary=node$survivor ms=$ms survivor_acked=$(wc -l <"$PGW/$won") survivor_lost=0 fenced_side_acked_after_cut=$cut_acked fenced_side_lost=$lost samples=$(wc -l <"$PGW/samples")"
	log "$label: healed; node$survivor primary, $f a standby again; the fenced side acknowledged $cut_acked rows after the cut, $lost of them lost"
}
