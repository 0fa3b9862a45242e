#!/bin/bash
# ocf:understudy:dnsrr against two real BIND 9 servers with TSIG: add on
# both, health-check withdrawal after `fall`, restore after `rise`, repair of
# a server that lost the record, min_records, concurrent withdrawals, a
# wrong key, a server down; ocf-tester.
. "$(dirname "$0")/lib.sh"
lab_init
need python3 nsupdate dig
AGENT=$TOP_BUILDDIR/agents/dnsrr
start_named a
start_named b
PA=$NAMED_PORT_a PB=$NAMED_PORT_b

# The "web service": answers GET /robots.txt with the seed's fragment.
web=$LAB_DIR/web
mkdir -p "$web"
echo "httpd is working" >"$web/robots.txt"
WEBPORT=$(free_port)
start_web() {
	python3 -m http.server "$WEBPORT" --bind 127.0.0.1 --directory "$web" >"$LAB_DIR/web.log" 2>&1 &
	WEBPID=$!
	lab_on_exit kill "$WEBPID"
	wait_for 10 "web service" port_open 127.0.0.1 "$WEBPORT"
}
start_web

mkdir -p "$LAB_DIR/rsctmp"
# agent INSTANCE ADDRESS ACTION [extra env...]: run the agent like Pacemaker.
agent() {
	local inst=$1 addr=$2 act=$3
	shift 3
	env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE="$inst" HA_RSCTMP="$LAB_DIR/rsctmp" \
		OCF_RESKEY_CRM_meta_interval=10000 \
		OCF_RESKEY_name=www.example.test OCF_RESKEY_address="$addr" \
		OCF_RESKEY_servers="127.0.0.1:$PA 127.0.0.1:$PB" \
		OCF_RESKEY_tsig_key_file="$TSIG_KEY_FILE" OCF_RESKEY_check_port="$WEBPORT" \
		OCF_RESKEY_check_host=127.0.0.1 \
		OCF_RESKEY_check_send="GET /robots.txt HTTP/1.0" \
		OCF_RESKEY_check_expect="httpd is working" OCF_RESKEY_check_timeout=1000 \
		"$@" "$AGENT" "$act" 2>>"$LAB_DIR/agent.log"
}
expect_rc() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "$*: exit $rc, expected $want; $(tail -n 3 "$LAB_DIR/agent.log")"
}
both() { [ "$(rrset "$PA" www.example.test)" = "$1" ] && [ "$(rrset "$PB" www.example.test)" = "$1" ]; }
expect_both() { both "$1" || fail "expected \"$1\", servers hold \"$(rrset "$PA" www.example.test)\" and \"$(rrset "$PB" www.example.test)\""; }

expect_rc 7 agent rr1 192.0.2.10 monitor
expect_rc 0 agent rr1 192.0.2.10 validate-all
expect_rc 0 agent rr1 192.0.2.10 start
expect_both "192.0.2.1 192.0.2.10"
expect_rc 0 agent rr1 192.0.2.10 monitor
log "start: record on both servers"

# Service dies: the first failed check keeps the record (fall=2), the second
# withdraws it from both servers and reports the step that failed.
kill "$WEBPID"; wait "$WEBPID" 2>/dev/null
expect_rc 0 agent rr1 192.0.2.10 monitor
expect_both "192.0.2.1 192.0.2.10"
expect_rc 1 agent rr1 192.0.2.10 monitor
expect_both "192.0.2.1"
grep -q "ocf-exit-reason:service check failed 2 time(s): connection refused" "$LAB_DIR/agent.log" ||
	fail "exit reason: $(tail -n 2 "$LAB_DIR/agent.log")"
log "withdrawn after fall=2 failed checks"

# Service back: the record returns after rise=2 good checks.
start_web
expect_rc 0 agent rr1 192.0.2.10 monitor
expect_both "192.0.2.1"
expect_rc 0 agent rr1 192.0.2.10 monitor
expect_both "192.0.2.1 192.0.2.10"
log "restored after rise=2 good checks"

# A server that lost the record is repaired by monitor.
nsupdate -k "$TSIG_KEY_FILE" <<EOF
server 127.0.0.1 $PB
zone example.test
update delete www.example.test A 192.0.2.10
send
EOF
[ "$(rrset "$PB" www.example.test)" = "192.0.2.1" ] || fail "manual delete failed"
expect_rc 0 agent rr1 192.0.2.10 monitor
expect_both "192.0.2.1 192.0.2.10"
log "monitor repaired server b"

# min_records: with 2 required, the service failing cannot empty the name.
kill "$WEBPID"; wait "$WEBPID" 2>/dev/null
expect_rc 0 agent rr1 192.0.2.10 monitor OCF_RESKEY_min_records=3
expect_rc 1 agent rr1 192.0.2.10 monitor OCF_RESKEY_min_records=3
expect_both "192.0.2.1 192.0.2.10"
grep -q "fewer than min_records=3" "$LAB_DIR/agent.log" || fail "min_records not reported"
log "min_records kept the record"
start_web
expect_rc 0 agent rr1 192.0.2.10 stop
expect_both "192.0.2.1"
expect_rc 0 agent rr1 192.0.2.10 stop
expect_rc 7 agent rr1 192.0.2.10 monitor
log "stop withdrew the record; stop again succeeds; monitor says not running"

# Concurrent withdrawals: three records, min_records=2, two nodes stopping
# at the same moment: at least two records remain on every server.
expect_rc 0 agent rr2 192.0.2.20 start
expect_rc 0 agent rr3 192.0.2.30 start
expect_both "192.0.2.1 192.0.2.20 192.0.2.30"
for i in 1 2 3 4 5; do
	agent rr2 192.0.2.20 stop OCF_RESKEY_min_records=2 &
	p2=$!
	agent rr3 192.0.2.30 stop OCF_RESKEY_min_records=2 &
	p3=$!
	wait "$p2" "$p3"
	for p in $PA $PB; do
		n=$(rrset "$p" www.example.test | wc -w)
		[ "$n" -ge 2 ] || fail "concurrent withdrawals left $n record(s) on port $p"
	done
	[ "$(rrset "$PA" www.example.test | wc -w)" -eq 2 ] || fail "round $i: not exactly one withdrawal"
	agent rr2 192.0.2.20 start; agent rr3 192.0.2.30 start
done
agent rr2 192.0.2.20 stop; agent rr3 192.0.2.30 stop OCF_RESKEY_min_records=0
expect_both "192.0.2.1"
log "concurrent withdrawals never went below min_records (5 rounds)"

# AAAA works the same way.
expect_rc 0 agent rr6 2001:db8::6 start
[ "$(dig +short -p "$PA" @127.0.0.1 www.example.test AAAA)" = "2001:db8::6" ] || fail "AAAA not added"
expect_rc 0 agent rr6 2001:db8::6 stop OCF_RESKEY_min_records=0
[ -z "$(dig +short -p "$PA" @127.0.0.1 www.example.test AAAA)" ] || fail "AAAA not removed"
log "AAAA added and removed"

# A wrong secret: ERR_CONFIGURED, and the reason names server, key and BADSIG.
sed 's|secret ".*"|secret "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="|' "$TSIG_KEY_FILE" >"$LAB_DIR/bad.key"
expect_rc 6 agent rr4 192.0.2.40 start OCF_RESKEY_tsig_key_file="$LAB_DIR/bad.key"
grep -q "ocf-exit-reason:no server took the record: server 127.0.0.1:[0-9]* refused key lab-key.: BADSIG" \
	"$LAB_DIR/agent.log" || fail "bad key: $(tail -n 2 "$LAB_DIR/agent.log")"
expect_both "192.0.2.1"
log "wrong key refused: $(grep -o 'refused key.*' "$LAB_DIR/agent.log" | tail -n 1)"

# A missing key file is ERR_INSTALLED; a garbled one ERR_CONFIGURED.
expect_rc 5 agent rr4 192.0.2.40 start OCF_RESKEY_tsig_key_file=/nonexistent/key
echo 'key "x" { algorithm hmac-sha256; secret "not base64!"; };' >"$LAB_DIR/garbled.key"
expect_rc 6 agent rr4 192.0.2.40 validate-all OCF_RESKEY_tsig_key_file="$LAB_DIR/garbled.key"
expect_rc 6 agent rr4 not-an-ip validate-all
expect_rc 6 agent rr4 192.0.2.40 validate-all OCF_RESKEY_servers="127.0.0.1:0"

# One server down: start still publishes on the other, monitor says which
# server lacks it; the secret never shows in the log.
kill "$NAMED_PID_b"
wait_for 10 "named b gone" sh -c "! dig +time=1 +tries=1 -p $PB @127.0.0.1 example.test SOA +short"
expect_rc 0 agent rr5 192.0.2.50 start
[ "$(rrset "$PA" www.example.test)" = "192.0.2.1 192.0.2.50" ] || fail "server a not updated"
expect_rc 0 agent rr5 192.0.2.50 stop
secret=$(sed -n 's/.*secret "\(.*\)".*/\1/p' "$TSIG_KEY_FILE")
grep -qF "$secret" "$LAB_DIR/agent.log" && fail "the TSIG secret leaked into the log"
log "one server down: the other was updated"

# ocf-tester, with the health check off (it runs the agent as nobody too:
# from the lab, not from a checkout in a 0700 /root).
cp "$AGENT" "$LAB_DIR/dnsrr-agent"
out=$(ocf-tester -n rrt -o name=www.example.test -o address=192.0.2.60 \
	-o servers="127.0.0.1:$PA" -o tsig_key_file="$TSIG_KEY_FILE" "$LAB_DIR/dnsrr-agent" 2>&1) ||
	fail "ocf-tester: $out"
log "ocf-tester: passed"

# Heartbeat v1 ("dnsrr::NAME" in haresources): the settings from dnsrr.conf,
# the record's name as the argument.
cat >"$LAB_DIR/dnsrr.conf" <<EOF
address = 192.0.2.70
servers = 127.0.0.1:$PA
tsig_key_file = $TSIG_KEY_FILE
EOF
hb() { env -i PATH="$PATH" UNDERSTUDY_CONF="$LAB_DIR/dnsrr.conf" HA_RSCTMP="$LAB_DIR/rsctmp" \
	"$AGENT" www.example.test "$@"; }
hb start >>"$LAB_DIR/agent.log" 2>&1 || fail "heartbeat start: $(tail -n 3 "$LAB_DIR/agent.log")"
rrset "$PA" www.example.test | grep -qw 192.0.2.70 || fail "heartbeat start: no record"
[ "$(hb status 2>/dev/null)" = running ] || fail "heartbeat status: $(hb status 2>&1)"
hb stop >>"$LAB_DIR/agent.log" 2>&1 || fail "heartbeat stop"
rrset "$PA" www.example.test | grep -qw 192.0.2.70 && fail "heartbeat stop left the record"
[ "$(hb status 2>/dev/null)" = stopped ] || fail "heartbeat status after stop: $(hb status 2>&1)"
log "Heartbeat v1: dnsrr::NAME start, status, stop"
log "PASS"
