#!/bin/bash
# zmworkerd on three corosync nodes (network namespaces), with a fast
# stand-in for zonemaster-cli that logs every run: 300 requests submitted
# across the nodes run exactly once and never more than max_parallel at a
# time on a node; a partition and its heal keep every document and both
# results of a test run on both sides; a node killed mid-run has its tests
# finished by the others, and when it comes back it has everything.
. "$(dirname "$0")/lib.sh"
lab_init
need corosync jq
ZMD=$TOP_BUILDDIR/helpers/zmworker/zmworkerd
ZMCTL=$TOP_BUILDDIR/helpers/zmworker/zmctl
TOOLS=$(cd "$(dirname "$0")/../tools" && pwd)
"$TOOLS/zm-user" >/dev/null || fail "cannot create the test user"
# Tests run as that user with a clean environment: the fake and its
# settings live in the lab.
mkdir -p "$LAB_DIR/bin"
cp "$TOOLS/zm-fake" "$LAB_DIR/bin/"
FAKE=$LAB_DIR/bin/zm-fake
MAXP=3
ZMFAKE_LOG=$LAB_DIR/runs.log
printf '%s\n' "ZMFAKE_LOG=$ZMFAKE_LOG" ZMFAKE_DELAY=0.1 ZMFAKE_SLOW=4 >"$LAB_DIR/bin/zm-fake.env"
: >"$ZMFAKE_LOG"
chmod 666 "$ZMFAKE_LOG"

zmd_start() {
	node_exec "$1" "$ZMD" --state-dir "$LAB_DIR/node$1/zm" --zonemaster "$FAKE" \
		--max-parallel $MAXP --test-timeout 8 >>"$LAB_DIR/node$1/zmd.log" 2>&1 &
	disown $!
	wait_for 10 "zmworkerd on node$1" zm "$1" status
}
zm() { local i=$1; shift; node_exec "$i" "$ZMCTL" "$@"; }
count() { zm "$1" list "--$2" | jq length; }
synced_all() {
	local i
	for i in "$@"; do
		[ "$(zm "$i" status | jq -r '.synced and .quorate')" = true ] || return 1
	done
}
all_done() { local i; for i in $2; do [ "$(count "$i" done)" -ge "$1" ] || return 1; done; }
members_are() { [ "$(zm "$1" status | jq '.members | length')" = "$2" ]; }
submit() { echo "{\"name\": \"$2\", \"request\": {\"ipv6\": false}}" | zm "$1" submit - | jq -r .id; }

corosync_up 3
for i in 1 2 3; do zmd_start "$i"; done
wait_for 15 "three synced members" synced_all 1 2 3
[ "$(zm 1 status | jq '.members | length')" = 3 ] || fail "status: $(zm 1 status)"

# --- 300 requests, 100 from each node at once.
t0=$(date +%s%N)
for i in 1 2 3; do
	( for j in $(seq 1 100); do submit "$i" "n$i-$j.example.test" >/dev/null || exit 1; done ) &
done
wait
wait_for 120 "300 done on every node" all_done 300 "1 2 3"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$(grep -c '^start n' "$ZMFAKE_LOG")
dups=$(grep '^start n' "$ZMFAKE_LOG" | awk '{print $2}' | sort | uniq -d | wc -l)
[ "$n" = 300 ] && [ "$dups" = 0 ] || fail "$n runs for 300 requests, $dups run twice"
for i in 1 2 3; do
	per=$(grep '^start n' "$ZMFAKE_LOG" | awk -v h="node$i" '$4 == h' | wc -l)
	log "node$i ran $per"
	[ "$per" -gt 30 ] || fail "node$i ran only $per of 300"
done
# Every node holds the same 300 documents, each with one result.
for i in 1 2 3; do
	zm "$i" list | jq -c 'sort_by(._id) | map([._id, .status, .results])' >"$LAB_DIR/list$i"
done
cmp -s "$LAB_DIR/list1" "$LAB_DIR/list2" && cmp -s "$LAB_DIR/list1" "$LAB_DIR/list3" ||
	fail "the nodes disagree"
[ "$(jq '[.[] | select(.[2] != 1)] | length' "$LAB_DIR/list1")" = 0 ] || fail "a document without exactly one result"
id=$(zm 2 list --done | jq -r '.[0]._id')
zm 3 get "$id" | jq -e '.results[0] | .alabel and .ulabel and .nodename and .start_time and .end_time and (.messages | length == 3)' >/dev/null ||
	fail "result fields: $(zm 3 get "$id")"
# max_parallel: replay the start/end log per node.
peak=$(sort -k5 -n "$ZMFAKE_LOG" | awk '{ if ($1 == "start") { c[$4]++; if (c[$4] > m) m = c[$4] } else c[$4]-- } END { print m }')
[ "$peak" -le $MAXP ] || fail "$peak tests at once on a node, max_parallel is $MAXP"
echo "RESULT zmworker_300_ms=$ms (3 nodes, max_parallel $MAXP, 0.1 s stand-in; peak $peak per node)"

# --- test_timeout kills a stuck test; cancel kills a running one.
hang1=$(submit 1 hang1.example.test)
zm 2 wait -t 30 "$hang1" | jq -e '.status == "done" and (.results[0].messages | any(.tag == "TEST_TIMEOUT"))' \
	>/dev/null || fail "no TEST_TIMEOUT: $(zm 2 get "$hang1" | jq -c .results)"
hang2=$(submit 2 hang2.example.test)
wait_for 5 "hang2 running" sh -c "[ \"\$(nsenter -t $NODE_PID_3 -m -u -n '$ZMCTL' get $hang2 | jq -r .status)\" = running ]"
zm 3 cancel "$hang2" | jq -e '.status == "cancelled"' >/dev/null || fail "cancel: $(zm 3 get "$hang2")"
wait_for 10 "the cancelled run ended" sh -c "nsenter -t $NODE_PID_1 -m -u -n '$ZMCTL' get $hang2 | jq -e '.results[0].messages | any(.tag == \"TEST_CANCELLED\")' >/dev/null"
[ "$(grep -c '^start hang' "$ZMFAKE_LOG")" = 2 ] || fail "hang tests started $(grep -c '^start hang' "$ZMFAKE_LOG") times"
log "test_timeout and cancel: both runs killed and recorded"
done0=$(count 1 done)

# --- A partition: node3 is cut off while it runs slow tests.
for j in $(seq 1 9); do submit 1 "slow$j.example.test" >/dev/null; done
wait_for 10 "node3 running slow tests" sh -c "[ \$(grep -c '^start slow.* node3 ' '$ZMFAKE_LOG') -ge 1 ]"
on3=$(grep '^start slow' "$ZMFAKE_LOG" | awk '$4 == "node3" {print $2}' | sort -u)
# Progress: node1 shows the first message of a test that runs on node3.
p3=$(zm 1 list --running | jq -r --arg n "$(echo $on3 | cut -d' ' -f1)" '.[] | select(.name == $n) | ._id')
wait_for 3 "node3's progress on node1" sh -c "nsenter -t $NODE_PID_1 -m -u -n '$ZMCTL' get $p3 | jq -e '.status == \"running\" and (.results[0].messages | length >= 1)' >/dev/null"
node_link 3 down
wait_for 15 "node1 and node2 without node3" members_are 1 2
wait_for 15 "node3 alone" members_are 3 1
side3=$(submit 3 "minority.example.test")
side1=$(submit 1 "majority.example.test")
[ "$(zm 3 status | jq .quorate)" = false ] || fail "node3 alone is quorate"
sleep 6	# node3 finishes what it ran; nodes 1 and 2 run it again
[ "$(zm 3 get "$side3" | jq -r .status)" = pending ] || fail "the minority ran a test without quorum"
node_link 3 up
wait_for 30 "the partition healed" synced_all 1 2 3
[ "$(zm 1 status | jq '.members | length')" = 3 ] || fail "not 3 members after the heal"
wait_for 30 "all done everywhere" all_done $((done0 + 11)) "1 2 3"
for d in $on3; do
	id=$(zm 1 list | jq -r --arg n "$d" '.[] | select(.name == $n) | ._id')
	nres=$(zm 1 get "$id" | jq '[.results[] | select(.end_time)] | length')
	[ "$nres" = 2 ] || fail "$d ran on both sides but has $nres results"
	zm 2 get "$id" | jq -e '[.results[].nodename] | index("node3") != null' >/dev/null ||
		fail "$d: node3's result lost"
done
log "partition: $(echo $on3 | wc -w) test(s) run on both sides kept both results"
for i in 1 2 3; do
	zm "$i" list | jq -c 'sort_by(._id) | map([._id, .status, .results])' >"$LAB_DIR/list$i"
done
cmp -s "$LAB_DIR/list1" "$LAB_DIR/list2" && cmp -s "$LAB_DIR/list1" "$LAB_DIR/list3" ||
	fail "the nodes disagree after the heal"

# --- kill -9 of node1's zmworkerd while it takes requests and finishes
# tests: every id it handed out survives, and is run.
( for j in $(seq 1 60); do submit 1 "k$j.example.test" || break; done ) >"$LAB_DIR/accepted" 2>/dev/null &
subs=$!
sleep 1.5
kill -9 "$(cat "$LAB_DIR/node1/zm/zmworkerd.pid")"
wait $subs
grep -c . "$LAB_DIR/accepted" >/dev/null || fail "no request was accepted before the kill"
nacc=$(grep -c . "$LAB_DIR/accepted")
zmd_start 1
wait_for 20 "node1 back in the group" synced_all 1 2 3
wait_for 30 "the accepted requests done" all_done $((done0 + 11 + nacc)) "1 2 3"
while read -r id; do
	for i in 1 2 3; do
		[ "$(zm "$i" get "$id" | jq -r .status)" = done ] || fail "$id lost or not done on node$i"
	done
done <"$LAB_DIR/accepted"
log "kill -9 of zmworkerd: all $nacc accepted requests kept and run"
done0=$((done0 + nacc))

# --- node2 dies (corosync, zmworkerd, its tests: kill -9) mid-run.
: >"$ZMFAKE_LOG"
for j in $(seq 1 9); do submit 1 "slowk$j.example.test" >/dev/null; done
wait_for 10 "node2 running slow tests" sh -c "grep -q '^start slowk.* node2 ' '$ZMFAKE_LOG'"
on2=$(grep '^start slowk' "$ZMFAKE_LOG" | awk '$4 == "node2" {print $2}' | sort -u)
cluster_node_kill 2
wait_for 40 "every slowk test done on node1" all_done $((done0 + 20)) 1
for d in $on2; do
	id=$(zm 1 list | jq -r --arg n "$d" '.[] | select(.name == $n) | ._id')
	zm 1 get "$id" | jq -e '[.results[] | select(.end_time) | .nodename] | (index("node1") != null or index("node3") != null)' >/dev/null ||
		fail "$d: not finished by a surviving node: $(zm 1 get "$id" | jq -c '.results | map(.nodename)')"
done
log "node kill: $(echo $on2 | wc -w) test(s) of node2 finished on node1/node3"
# node2 comes back and receives what it missed.
cluster_node_start 2
wait_for 20 "3 corosync members again" corosync_members_are 3
zmd_start 2
wait_for 20 "node2 synced" synced_all 1 2 3
wait_for 20 "node2 has all done" all_done $((done0 + 20)) 2
log "PASS"
