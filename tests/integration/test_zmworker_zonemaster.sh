#!/bin/bash
# zmworkerd with the real zonemaster-cli, offline: corosync and zmworkerd
# live in the lab's private DNS world (a fake root, TLD and example.test),
# sharing one mount namespace that sees the world's resolv.conf. A request
# in the seed's format gets a result with every field the seed names.
# zonemaster-cli runs as the unprivileged user (zmworkerd's default), so
# it must read the world's hints as that user.
. "$(dirname "$0")/lib.sh"
lab_init
need zonemaster-cli corosync jq
ZMUSER=$("$(dirname "$0")/../tools/zm-user") || fail "cannot create the test user"
start_dns_world
runuser -u "$ZMUSER" -- test -r "$DNS_HINTS" || fail "$ZMUSER cannot read $DNS_HINTS"
d=$LAB_DIR/zmnode
mkdir -p "$d/corosync"
cat >"$d/corosync.conf" <<EOF
totem {
	version: 2
	cluster_name: zm
	transport: knet
	crypto_cipher: none
	crypto_hash: none
	token: 1000
}
system {
	state_dir: $d/corosync
}
logging {
	to_logfile: yes
	logfile: $d/corosync.log
	to_syslog: no
	to_stderr: no
}
quorum {
	provider: corosync_votequorum
}
nodelist {
	node {
		name: zm1
		nodeid: 1
		ring0_addr: 127.0.0.1
	}
}
EOF
ip netns exec "$DNS_NS" unshare --mount --propagation private sh -c \
	'mount -t tmpfs tmpfs /run && mount --bind "$0" /etc/resolv.conf && exec corosync -f -c "$1"' \
	"$LAB_DIR/dns/resolv.conf" "$d/corosync.conf" >"$d/corosync.out" 2>&1 &
CPID=$!
lab_on_exit kill -9 "$CPID"
zx() { nsenter -t "$CPID" -m -n "$@"; }
wait_for 10 "corosync in the DNS world" zx corosync-cmapctl -g totem.cluster_name
zx "$TOP_BUILDDIR/helpers/zmworker/zmworkerd" --state-dir "$d/zm" --nodename zm1 --max-parallel 2 \
	--test-timeout 120 --hints "$DNS_HINTS" >"$d/zmd.log" 2>&1 &
lab_on_exit kill -9 $!
zm() { zx "$TOP_BUILDDIR/helpers/zmworker/zmctl" "$@"; }
wait_for 10 "zmworkerd synced" sh -c "nsenter -t $CPID -m -n '$TOP_BUILDDIR/helpers/zmworker/zmctl' status | jq -e '.synced and .quorate' >/dev/null"

# The seed's minimal request, an undelegated one with NS and DS records,
# and an IDN name (its test fails: no such zone; its labels are the point).
id1=$(echo '{"name": "example.test", "request": {"ipv6": false}}' | zm submit - | jq -r .id)
id2=$(zm submit - <<'EOF' | jq -r .id
{"name": "example.test", "request": {
  "ds": [{"keytag": 4711, "algorithm": 13, "type": 2,
          "digest": "40079DDF8D09E7F10BB248A69B6630478A28EF969DDE399F95BC3B39F8CBACD7"}],
  "ns": {"ns1.example.test.": ["127.0.0.3"], "ns2.example.test.": ["127.0.0.4"]},
  "ipv4": true, "ipv6": false}}
EOF
)
id3=$(echo '{"name": "räksmörgås.test", "request": {"ipv6": false}}' | zm submit - | jq -r .id)
[ -n "$id1" ] && [ -n "$id2" ] && [ -n "$id3" ] || fail "submit did not return ids"
t0=$(date +%s%N)
zm wait -t 120 "$id1" >"$d/r1.json" || fail "wait $id1"
zm wait -t 120 "$id2" >"$d/r2.json" || fail "wait $id2"
zm wait -t 120 "$id3" >"$d/r3.json" || fail "wait $id3"
log "three tests done in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
jq -e '.status == "done" and (.results | length == 1) and (.results[0] |
	.alabel == "example.test" and .ulabel == "example.test" and .nodename == "zm1" and
	.end_time > .start_time and (.messages | length > 10) and
	all(.messages[]; has("args") and has("level") and has("module") and has("tag") and has("timestamp")) and
	any(.messages[]; .module == "DELEGATION"))' "$d/r1.json" >/dev/null ||
	fail "result 1: $(head -c 1500 "$d/r1.json")"
jq -e '.results[0] | .alabel == "xn--rksmrgs-5wao1o.test" and .ulabel == "räksmörgås.test"' \
	"$d/r3.json" >/dev/null || fail "result 3 labels: $(jq -c '.results[0] | [.alabel, .ulabel]' "$d/r3.json")"
jq -e '[.results[0].messages[] | select(.tag == "TEST_FAILED" or .tag == "UNPARSED_OUTPUT")] | length == 0' \
	"$d/r1.json" >/dev/null || fail "zonemaster-cli failed: $(jq -c '.results[0].messages[-1]' "$d/r1.json")"
n1=$(jq '.results[0].messages | length' "$d/r1.json")
n2=$(jq '.results[0].messages | length' "$d/r2.json")
jq -e 'any(.results[0].messages[]; .module == "DNSSEC")' "$d/r2.json" >/dev/null ||
	fail "no DNSSEC messages for the request with a DS record"
# The document on disk is the seed's format (and the runner fsynced it).
jq -e 'has("_id") and has("name") and has("request") and (.results[0] | has("end_time"))' \
	"$d/zm/docs/$id1.json" >/dev/null || fail "stored document: $(head -c 300 "$d/zm/docs/$id1.json")"
# Seen while one runs: the test's process belongs to $ZMUSER.
id4=$(echo '{"name": "example.test", "request": {"ipv6": false}}' | zm submit - | jq -r .id)
wait_for 20 "a zonemaster-cli run by $ZMUSER" pgrep -u "$ZMUSER" -f zonemaster-cli
zm wait -t 120 "$id4" >/dev/null || fail "wait $id4"
log "example.test: $n1 messages; undelegated with NS and DS: $n2 messages; IDN labels right; run as $ZMUSER"
log "PASS"
