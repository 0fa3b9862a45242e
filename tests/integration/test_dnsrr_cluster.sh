#!/bin/bash
# dnsrr as a clone beside a web service on a 2-node Pacemaker cluster in
# network namespaces, with two DNS servers on the cluster network. Killing
# the web service on one node takes its record out of both servers; after
# Pacemaker restarts the service the record comes back. The other node's
# record stays throughout. Then a network cut between the nodes (fencing
# on): only the fenced node's record is withdrawn, once.
. "$(dirname "$0")/lib.sh"
lab_init
need crm python3
cp "$TOP_BUILDDIR/agents/dnsrr" "$LAB_DIR/ocf/dnsrr"
cluster_up 2
BR=${CLUSTER_NS_PREFIX}br
ip -n "$BR" addr add 10.99.0.253/24 dev br0
ip -n "$BR" addr add 10.99.0.254/24 dev br0
NAMED_NETNS=$BR NAMED_LISTEN_PORT=53 NAMED_ADDR=10.99.0.253 start_named a
NAMED_NETNS=$BR NAMED_LISTEN_PORT=53 NAMED_ADDR=10.99.0.254 start_named b
holds() {	# holds SERVER: the sorted www records on it
	ip netns exec "$BR" dig +short +time=1 +tries=1 @"$1" web.example.test A | sort | tr '\n' ' ' | sed 's/ $//'
}
on_both() { [ "$(holds 10.99.0.253)" = "$1" ] && [ "$(holds 10.99.0.254)" = "$1" ]; }

mkdir -p "$LAB_DIR/www"
echo "httpd is working" >"$LAB_DIR/www/robots.txt"
node_exec 1 crm configure primitive web ocf:heartbeat:anything \
	params binfile=/usr/bin/python3 \
	cmdline_options="-m http.server 8080 --directory $LAB_DIR/www" \
	op monitor interval=10s timeout=20s >/dev/null || fail "crm web"
node_exec 1 crm configure primitive rr ocf:understudy:dnsrr \
	params name=web.example.test address="node1=10.99.0.1 node2=10.99.0.2" \
	servers="10.99.0.253 10.99.0.254" tsig_key_file="$TSIG_KEY_FILE" check_port=8080 \
	check_send="GET /robots.txt HTTP/1.0" check_expect="httpd is working" \
	rise=2 fall=2 op monitor interval=1s timeout=20s >/dev/null || fail "crm rr"
node_exec 1 crm configure clone web-clone web >/dev/null
node_exec 1 crm configure clone rr-clone rr >/dev/null
node_exec 1 crm configure colocation rr-with-web inf: rr-clone web-clone >/dev/null
node_exec 1 crm configure order web-then-rr Mandatory: web-clone rr-clone >/dev/null

wait_for 60 "both records on both servers" on_both "10.99.0.1 10.99.0.2"
log "both nodes' records on both DNS servers"

# The web service on node1 dies.
start=$(date +%s%N)
# (pkill would see every node's processes: they share the PID namespace)
victim=""
for p in $(node_pids 1); do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "http.server 8080" && victim="$victim $p"
done
[ -n "$victim" ] || fail "no web process on node1"
kill -9 $victim
wait_for 30 "node1's record withdrawn" on_both "10.99.0.2"
out_ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "node1's record gone from both servers ${out_ms} ms after the kill"
back() { on_both "10.99.0.1 10.99.0.2"; }
wait_for 90 "node1's record back" back
back_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "RESULT dnsrr_withdraw_ms=$out_ms dnsrr_restore_ms=$back_ms (service killed on node1; monitor interval 1s, fall 2, rise 2)"
log "record back ${back_ms} ms after the kill (Pacemaker restarted web)"
node_exec 1 crm_mon -1 | sed -n '/Active Resources/,$p' >&2

# A network cut between the two nodes while both still reach the DNS
# servers: both halves of a 2-node cluster stay quorate and each sees the
# other gone. Fencing decides (the lab's device waits 8 s before fencing
# node1 and 3 s before fencing node2, as a real power switch takes
# seconds: node1 fences node2 first, and node2 lives on for those 3 s
# with its monitor running): node1's record never leaves either
# server, node2's is withdrawn by node1 once node2 is fenced, and only
# once; after the heal node2 is powered on and its record returns.
node_exec 1 crm_resource -r fence-lab -p pcmk_delay_base -v "node1:8s;node2:3s" >/dev/null 2>&1 ||
	fail "pcmk_delay_base on fence-lab"
node_exec 1 crm_resource --wait --timeout=30 >/dev/null 2>&1	# the fencer has the new delays
(
	while :; do
		for s in 10.99.0.253 10.99.0.254; do
			case " $(holds $s) " in
			*" 10.99.0.1 "*) ;;
			*";;"*) ;;	# no answer (dig timed out): not a finding
			*) echo "$(date +%T.%N) node1's record missing on $s" >>"$LAB_DIR/survivor-missing" ;;
			esac
		done
		sleep 0.2
	done
) &
sampler=$!
lab_on_exit kill "$sampler"
node_split() {	# node_split add|del: nodes 1 and 2 cannot reach each other
	ip -n "${CLUSTER_NS_PREFIX}n1" route "$1" blackhole 10.99.0.2/32
	ip -n "${CLUSTER_NS_PREFIX}n2" route "$1" blackhole 10.99.0.1/32
}
start=$(date +%s%N)
node_split add
log "nodes 1 and 2 cut from each other, both still reach the DNS servers"
node2_fenced() { [ "$(lab_fenced)" = node2 ]; }
wait_for 60 "node2 fenced" node2_fenced
fence_ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait_for 30 "node2's record withdrawn after its fencing" on_both "10.99.0.1"
out_ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 3
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
[ -s "$LAB_DIR/survivor-missing" ] && fail "the survivor's record was withdrawn: $(head -n 3 "$LAB_DIR/survivor-missing")"
withdrawals=$(grep -c 'node node2 is out of the cluster: its record 10.99.0.2 withdrawn' "$LAB_DIR/node1/pacemaker.log")
[ "$withdrawals" -eq 1 ] || fail "node2's record withdrawn $withdrawals times by node1"
node_split del
cluster_node_start 2
wait_for 60 "node2 back in the cluster" cluster_all_online 2
wait_for 90 "node2's record back after the heal" back
echo "RESULT dnsrr_cut fenced=node2 fence_ms=$fence_ms withdrawn_ms=$out_ms withdrawals=$withdrawals survivor_record_missing_samples=0"
log "cut: node2 fenced after $fence_ms ms, its record withdrawn once after $out_ms ms; node1's never left; back after the heal"
log "PASS"
