#!/bin/bash
# ocf:understudy:mirror in a 2-node corosync+Pacemaker cluster in network
# namespaces: a group IPaddr2 + mirror + Dummy, as the seed's haresources
# line "nodeA 192.168.85.1 mirror httpd". Each node has its own data
# (bind-mounted at the same path in its mount namespace) and sshd. With a
# long interval, only start and stop sync, so what reaches the other node
# on a switchover was carried by stop's final sync. Then the active node is
# killed: the survivor takes the group, its monitor keeps the resource up
# although its peer is gone; the dead node comes back stale (holding a file
# written after the last sync), and the next push keeps that file in its
# conflict directory instead of deleting it. Last, a network cut of the
# active node (fencing on): never two active nodes, the cut node is
# fenced, and its unsynced file ends up in its conflict directory.
. "$(dirname "$0")/lib.sh"
lab_init
need crm sshd
MNT=/var/lib/us-mirror-lab
MI=$LAB_DIR/mirror
mkdir -p "$MI/bin"
cp "$TOP_BUILDDIR"/helpers/mirror/mirror-sync "$TOP_BUILDDIR"/helpers/mirror/mirror-serve "$MI/bin/"
cp "$TOP_BUILDDIR/agents/mirror" "$LAB_DIR/ocf/mirror"

node_sshd_setup "$MI" 2

mkdir -p "$MNT"
lab_on_exit rmdir "$MNT"
node_mounts() {	# every boot of node I (LAB_NODE_BOOT)
	local i=$1
	mkdir -p "$LAB_DIR/node$i/data/www" "$LAB_DIR/node$i/data/state"
	node_exec "$i" mount --bind "$LAB_DIR/node$i/data" "$MNT" || fail "bind mount on node$i"
	node_exec "$i" mkdir -p /run/sshd
	node_exec "$i" /usr/sbin/sshd -f "$MI/sshd_config" -E "$LAB_DIR/node$i/sshd.log" ||
		fail "sshd on node$i"
}
LAB_NODE_BOOT=node_mounts
cluster_up 2
www() { echo "$LAB_DIR/node$1/data/www"; }
echo "<h1>home</h1>" >"$(www 1)/index.html"
cp "$(www 1)/index.html" "$(www 2)/index.html"

node_exec 1 crm configure primitive vip ocf:heartbeat:IPaddr2 params ip=10.99.0.100 \
	cidr_netmask=24 nic=eth0 op monitor interval=5s >/dev/null || fail "crm vip"
node_exec 1 crm configure primitive files ocf:understudy:mirror params paths="$MNT/www/" \
	nodes="node1=10.99.0.1 node2=10.99.0.2" ssh_key="$MI/client_key" \
	known_hosts="$MI/known_hosts" state_dir="$MNT/state" helpers="$MI/bin" interval=3600 \
	op monitor interval=3s timeout=20s op stop timeout=60s >/dev/null || fail "crm mirror"
node_exec 1 crm configure primitive web ocf:heartbeat:Dummy op monitor interval=5s >/dev/null ||
	fail "crm dummy"
node_exec 1 crm configure group grp vip files web meta migration-threshold=1 \
	resource-stickiness=100 >/dev/null || fail "crm group"

running_on() { runs_on 1 web "$1"; }
placed() { [ -n "$(cluster_where 1 web)" ]; }
wait_for 60 "the group started" placed
H=$(cluster_where 1 web); H=${H#node}; O=$((3 - H))
attr() { node_exec "$1" attrd_updater -Q -n "$2" 2>/dev/null | grep -o 'value="[^"]*"' | cut -d'"' -f2; }
has_attr() { [ -n "$(attr "$H" mirror-last-sync)" ] && [ "$(attr "$H" mirror-last-sync)" != 0 ]; }
wait_for 20 "mirror-last-sync published" has_attr
node_exec "$H" ip -o addr show dev eth0 | grep -q 10.99.0.100 || fail "the address is not on node$H"
log "group on node$H, first sync done, mirror-last-sync=$(attr "$H" mirror-last-sync) mirror-lag=$(attr "$H" mirror-lag)"

# Switchover: a file written just before the move reaches the other node
# through stop's final sync (the interval is an hour).
echo "written before the switchover" >"$(www "$H")/last.html"
start=$(date +%s%N)
node_exec 1 crm resource move grp "node$O" >/dev/null 2>&1 || fail "crm resource move"
wait_for 60 "the group on node$O" running_on "node$O"
echo "RESULT mirror_switchover_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
[ "$(cat "$(www "$O")/last.html" 2>/dev/null)" = "written before the switchover" ] ||
	fail "the final sync on stop did not carry last.html"
grep -q "final sync: ok" "$LAB_DIR/node$H/pacemaker.log" ||
	fail "no 'final sync: ok' in node$H's pacemaker.log"
log "switchover to node$O: last.html carried by the final sync on stop"

# The new active node pushes back (one-shot, as an admin would).
echo "the other node wrote this" >"$(www "$O")/from-other.html"
node_exec "$O" "$MI/bin/mirror-sync" -c "$MNT/state/mirror.conf" >/dev/null 2>&1 ||
	fail "a one-shot sync from node$O"
[ -f "$(www "$H")/from-other.html" ] || fail "node$O's file did not reach node$H"

# Failover: node$O writes a file that never gets synced, then crashes.
echo "written after the last sync" >"$(www "$O")/unsynced.html"
start=$(date +%s%N)
cluster_node_kill "$O"
wait_for 60 "the group back on node$H" runs_on "$H" web "node$H"
echo "RESULT mirror_failover_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
node_exec "$H" crm resource clear grp >/dev/null 2>&1
sleep 4	# a few monitors with the peer gone
runs_on "$H" files "node$H" || fail "mirror failed while its peer is down"
log "node$O killed: group on node$H, mirror keeps running with its peer gone"

# node$H serves new content; node$O comes back stale and receives the push.
echo "again" >"$(www "$H")/after-failover.html"
cluster_node_start "$O"
cluster_wait_online 2 60
node_exec "$H" "$MI/bin/mirror-sync" -c "$MNT/state/mirror.conf" >"$LAB_DIR/push.log" 2>&1 ||
	fail "push to the returning node$O: $(cat "$LAB_DIR/push.log")"
[ -f "$(www "$O")/after-failover.html" ] || fail "node$H's new file did not reach node$O"
[ -e "$(www "$O")/unsynced.html" ] && fail "node$O's unsynced file is still in its tree"
kept=$(find "$LAB_DIR/node$O/data/state/conflicts" -name unsynced.html -type f)
[ -n "$kept" ] && grep -q "after the last sync" "$kept" || fail "node$O's unsynced file was lost"
diff -r -x state "$LAB_DIR/node$H/data" "$LAB_DIR/node$O/data" >/dev/null || fail "trees differ"
node_exec "$H" crm_resource --wait --timeout=30 >/dev/null 2>&1
runs_on "$H" web "node$H" || fail "the group moved when node$O returned: $(cluster_where "$H" web)"
log "stale node$O: unsynced.html kept in its conflict directory; trees identical"

# A network cut of the active node (fencing on; 2 nodes: both halves stay
# quorate). The lab's device waits 5 s before fencing node$O, so node$O
# fences the cut node$H first and takes the group; a sampler checks every
# 100 ms that the service address (and with it the pusher) is on one node
# at most. After the heal node$H is powered on, stale: the file it wrote
# after the last sync is kept in its conflict directory by the next push.
node_exec "$O" crm_resource -r fence-lab -p pcmk_delay_base -v "node$O:5s;node$H:0s" >/dev/null 2>&1 ||
	fail "pcmk_delay_base on fence-lab"
node_exec "$O" crm_resource --wait --timeout=30 >/dev/null 2>&1	# the fencer has the new delays
echo "written on node$H before its link was cut" >"$(www "$H")/cut-unsynced.html"
(
	while :; do
		holders=
		for i in 1 2; do
			node_exec "$i" ip -o addr show dev eth0 2>/dev/null | grep -q 10.99.0.100 &&
				holders="$holders node$i"
		done
		[ "$(echo "$holders" | wc -w)" -le 1 ] ||
			echo "$(date +%T.%N) the address on$holders" >>"$LAB_DIR/two-pushers"
		sleep 0.1
	done
) &
sampler=$!
lab_on_exit kill "$sampler"
start=$(date +%s%N)
node_link "$H" down
log "node$H's link cut (active)"
cut_fenced() { [ "$(lab_fenced)" = "node$H" ]; }
wait_for 60 "node$H fenced" cut_fenced
wait_for 60 "the group on node$O after node$H was fenced" runs_on "$O" web "node$O"
cut_ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 2
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
[ -s "$LAB_DIR/two-pushers" ] && fail "two active nodes: $(head -n 3 "$LAB_DIR/two-pushers")"
node_link "$H" up
cluster_node_start "$H"
cluster_wait_online 2 60
node_exec "$O" "$MI/bin/mirror-sync" -c "$MNT/state/mirror.conf" >"$LAB_DIR/push2.log" 2>&1 ||
	fail "push to the returning node$H: $(cat "$LAB_DIR/push2.log")"
[ -e "$(www "$H")/cut-unsynced.html" ] && fail "node$H's unsynced file is still in its tree"
kept=$(find "$LAB_DIR/node$H/data/state/conflicts" -name cut-unsynced.html -type f)
[ -n "$kept" ] && grep -q "before its link was cut" "$kept" || fail "node$H's unsynced file was lost"
diff -r -x state "$LAB_DIR/node$H/data" "$LAB_DIR/node$O/data" >/dev/null || fail "trees differ after the cut"
echo "RESULT mirror_cut fenced=node$H group_on=node$O cut_to_group_ms=$cut_ms two_active_samples=0 unsynced_kept=yes"
log "cut: node$H fenced, the group on node$O after $cut_ms ms, never two active; node$H's unsynced file kept in its conflict directory"
exit 0
