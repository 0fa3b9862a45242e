#!/bin/bash
# dnsrr-check, in our option form and in the seed's line form, against real
# listeners in a private network namespace (so the seed's well-known port
# http-alt/8080 is ours to use): success, refused, timeout, mismatch.
. "$(dirname "$0")/lib.sh"
lab_init
need python3 ip
CHECK=$TOP_BUILDDIR/helpers/dnsrr/dnsrr-check
ns=us$$-chk
netns_add "$ns"
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

web=$LAB_DIR/web
mkdir -p "$web"
echo "httpd is working" >"$web/robots.txt"
in_ns python3 -m http.server 8080 --bind 127.0.0.1 --directory "$web" >"$LAB_DIR/web.log" 2>&1 &
in_ns python3 -m http.server 8081 --bind ::1 --directory "$web" >"$LAB_DIR/web6.log" 2>&1 &
# A listener that accepts and never answers, and one that answers wrongly.
in_ns python3 -c 'import socket,time
s=socket.socket(); s.bind(("127.0.0.1",2600)); s.listen(8)
c=[]
while True: c.append(s.accept()[0])' &
in_ns python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",2601)); s.listen(8)
while True:
    c=s.accept()[0]; c.recv(100); c.sendall(b"500 go away\r\n"); c.close()' &
wait_for 10 "listeners" in_ns bash -c '(exec 3<>/dev/tcp/127.0.0.1/8080) && (exec 3<>/dev/tcp/127.0.0.1/2600) && (exec 3<>/dev/tcp/127.0.0.1/2601) && (exec 3<>/dev/tcp/::1/8081)'

run_check() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$(in_ns "$CHECK" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] || fail "dnsrr-check $*: exit $rc, expected $want: $out"
	echo "$out" | grep -q -- "$pat" || fail "dnsrr-check $*: expected \"$pat\" in: $out"
	log "$out"
}
run_check 0 "^ok: 127.0.0.1 port 8080: ok" -l '127.0.0.1|www.example.test|http-alt|apache|GET /robots.txt HTTP/1.0|httpd is working'
run_check 0 "^ok:" -s "GET /robots.txt HTTP/1.0" -e "httpd is working" 127.0.0.1 8080
run_check 0 "^ok: ::1 port 8081: ok" -l '::1|www.example.test|8081|apache|GET /robots.txt HTTP/1.0|httpd is working'
run_check 1 "connection refused" ::1 2602
run_check 1 "connection refused" 127.0.0.1 2602
run_check 1 "timeout: no \"220\" within 500 ms" -t 500 -s QUIT -e 220 127.0.0.1 2600
run_check 1 "reply mismatch\|closed by peer" -s QUIT -e 220 127.0.0.1 2601
run_check 1 'got "500 go away\\x0d\\x0a"' -s QUIT -e 220 127.0.0.1 2601
run_check 2 "not in /etc/services" -l '127.0.0.1|www.example.test|no-such-svc|x|y|z'
run_check 2 "expected 6 fields" -l 'garbage'
run_check 2 "usage" 127.0.0.1 99999
log "PASS"
