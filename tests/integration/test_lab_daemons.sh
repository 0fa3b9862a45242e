#!/bin/bash
# The lab's PostgreSQL 15 and BIND 9 start, answer, and are cleaned up:
# PostgreSQL runs as postgres and accepts queries; named accepts a
# TSIG-signed RFC 2136 update, refuses an unsigned one and rejects a wrong
# secret (BADSIG).
. "$(dirname "$0")/lib.sh"
lab_init
need nsupdate dig

start_postgres a
v=$(runuser -u postgres -- psql -XAtc "select current_setting('server_version_num')::int / 10000" postgres) ||
	fail "psql failed"
[ "$v" = 15 ] || fail "expected PostgreSQL 15, got $v"
owner=$(stat -c %U "$PGDATA_a")
[ "$owner" = postgres ] || fail "data directory owned by $owner"
log "PostgreSQL 15 answers"

start_named
upd() {
	nsupdate "$@" <<EOF
server 127.0.0.1 $NAMED_PORT
zone example.test
update add www.example.test 60 A 192.0.2.2
send
EOF
}
upd -k "$TSIG_KEY_FILE" || fail "signed update refused"
got=$(dig +short -p "$NAMED_PORT" @127.0.0.1 www.example.test A | sort | tr '\n' ' ')
[ "$got" = "192.0.2.1 192.0.2.2 " ] || fail "RRset after update: $got"
log "signed update applied: $got"

out=$(upd 2>&1) && fail "unsigned update accepted"
echo "$out" | grep -q REFUSED || fail "unsigned update: $out"
log "unsigned update REFUSED"

sed 's|secret ".*"|secret "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="|' "$TSIG_KEY_FILE" >"$LAB_DIR/bad.key"
out=$(upd -k "$LAB_DIR/bad.key" 2>&1) && fail "wrong secret accepted"
echo "$out" | grep -qi "BADSIG\|tsig verify failure" || fail "wrong secret: $out"
log "wrong TSIG secret rejected"
log "PASS"
