#!/bin/bash
# zonemaster-cli runs offline against the lab's private DNS world and
# streams JSON messages, one object a line.
. "$(dirname "$0")/lib.sh"
lab_init
need zonemaster-cli dig
start_dns_world

# The namespace reaches nothing but itself.
dns_exec ip -4 route | grep -q default && fail "DNS world has a default route"

dns_exec zonemaster-cli --no-ipv6 --no-progress --json-stream --raw --hints "$DNS_HINTS" \
	example.test >"$LAB_DIR/zm.out" 2>"$LAB_DIR/zm.err" || fail "zonemaster-cli: $(cat "$LAB_DIR/zm.err")"
n=$(grep -c '"tag"' "$LAB_DIR/zm.out")
[ "$n" -gt 10 ] || fail "only $n messages: $(head -c 500 "$LAB_DIR/zm.out")"
grep -q '"module":"DELEGATION"' "$LAB_DIR/zm.out" || fail "no DELEGATION module messages"
grep -q '"level":"CRITICAL"' "$LAB_DIR/zm.out" &&
	grep '"level":"CRITICAL"' "$LAB_DIR/zm.out" | grep -qv 'NO_RESPONSE\|NO_NETWORK' &&
	log "note: CRITICAL findings present (expected for a loopback lab zone)"
log "zonemaster-cli streamed $n messages"
log "PASS"
