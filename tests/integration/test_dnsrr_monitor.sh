#!/bin/bash
# dnsrr-monitor with a failover-monitor.config in the seed's format (its
# obsolete keys included) against two real named servers: a dead service's
# record leaves both servers within interval x fall (+ slack), comes back
# after rise good checks; SIGTERM stops it cleanly.
. "$(dirname "$0")/lib.sh"
lab_init
need python3 dig
MON=$TOP_BUILDDIR/helpers/dnsrr/dnsrr-monitor
start_named a
start_named b
PA=$NAMED_PORT_a PB=$NAMED_PORT_b
P1=$(free_port) P2=$(free_port)
web() {	# web ADDR PORT: a service answering the seed's robots.txt check
	mkdir -p "$LAB_DIR/www"
	echo "httpd is working" >"$LAB_DIR/www/robots.txt"
	python3 -m http.server "$2" --bind "$1" --directory "$LAB_DIR/www" >>"$LAB_DIR/web.log" 2>&1 &
	echo $!
}
W1=$(web 127.0.0.2 "$P1"); lab_on_exit kill "$W1"
W2=$(web 127.0.0.3 "$P2"); lab_on_exit kill "$W2"
wait_for 10 "web services" bash -c "exec 3<>/dev/tcp/127.0.0.2/$P1 && exec 4<>/dev/tcp/127.0.0.3/$P2"

cat >"$LAB_DIR/failover-monitor.config" <<EOF
##Server password to remotetly restart services
password = mypasswd
clusternode_server_port = 2224
email = root@example.test
bind8_dns_server1 = 127.0.0.1:$PA
bind8_dns_server2 = 127.0.0.1:$PB
check_server1 = 127.0.0.2|www.example.test|$P1|apache|GET /robots.txt HTTP/1.0|httpd is working
check_server2 = 127.0.0.3|www.example.test|$P2|apache|GET /robots.txt HTTP/1.0|httpd is working
tsig_key_file = $TSIG_KEY_FILE
interval = 1
fall = 2
rise = 2
check_timeout = 500
EOF
"$MON" -c "$LAB_DIR/failover-monitor.config" >"$LAB_DIR/monitor.log" 2>&1 &
MP=$!
lab_on_exit kill "$MP"
on_both() { [ "$(rrset "$PA" www.example.test)" = "$1" ] && [ "$(rrset "$PB" www.example.test)" = "$1" ]; }
wait_for 10 "healthy records published" on_both "127.0.0.2 127.0.0.3 192.0.2.1"
grep -q "password is obsolete" "$LAB_DIR/monitor.log" || fail "no warning for the seed's password"
log "monitor published both healthy records"

kill "$W2"
start=$(date +%s%N)
gone() { on_both "127.0.0.2 192.0.2.1"; }
wait_for 10 "record of the dead service withdrawn" gone
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "RESULT monitor_detect_to_withdraw_ms=$ms (interval 1s, fall 2; target <= 2100)"
log "withdrawn from both servers ${ms} ms after the kill"

W2=$(web 127.0.0.3 "$P2"); lab_on_exit kill "$W2"
wait_for 10 "record restored" on_both "127.0.0.2 127.0.0.3 192.0.2.1"
log "restored after the service came back"

kill -TERM "$MP"
wait_for 5 "monitor stopped" sh -c "! kill -0 $MP 2>/dev/null"
grep -q "stopping" "$LAB_DIR/monitor.log" || fail "no clean stop"
"$MON" -c "$LAB_DIR/failover-monitor.config" -1 >"$LAB_DIR/once.out" 2>/dev/null ||
	fail "one round: $(cat "$LAB_DIR/once.out")"
grep -c "ok: answered" "$LAB_DIR/once.out" | grep -qx 2 || fail "one round: $(cat "$LAB_DIR/once.out")"

# restart = yes: a failed service is first restarted over SSH (key auth,
# known_hosts checked) by its script; only if that does not help does the
# record go.
SSHD_ADDR=127.0.0.3 start_sshd
mkdir -p "$LAB_DIR/init.d"
cat >"$LAB_DIR/init.d/apache" <<EOF
#!/bin/sh
# a stand-in start/stop script: "restart" brings the web service back
[ "\$1" = restart ] || exit 3
echo restarted >>"$LAB_DIR/restarts"
setsid python3 -m http.server $P2 --bind 127.0.0.3 --directory "$LAB_DIR/www" \
	</dev/null >>"$LAB_DIR/web.log" 2>&1 &
EOF
chmod +x "$LAB_DIR/init.d/apache"
cat >>"$LAB_DIR/failover-monitor.config" <<EOF
restart = yes
scripts_path = $LAB_DIR/init.d
ssh_user = root
ssh_key = $SSH_KEY
known_hosts = $KNOWN_HOSTS
ssh_port = $SSHD_PORT
EOF
lab_on_exit pkill -f "http.server $P2 --bind 127.0.0.3"
"$MON" -c "$LAB_DIR/failover-monitor.config" >"$LAB_DIR/monitor2.log" 2>&1 &
MP=$!
lab_on_exit kill "$MP"
wait_for 10 "records in place" on_both "127.0.0.2 127.0.0.3 192.0.2.1"
kill "$W2"
wait_for 10 "restart over SSH" test -s "$LAB_DIR/restarts"
wait_for 10 "service back" port_open 127.0.0.3 "$P2"
sleep 3
on_both "127.0.0.2 127.0.0.3 192.0.2.1" || fail "record withdrawn although the restart worked"
grep -q "restarted apache on 127.0.0.3" "$LAB_DIR/monitor2.log" || fail "restart not logged"
log "failed service restarted over SSH; the record stayed"
# A restart that does not help: the record goes after the next fall.
chmod -x "$LAB_DIR/init.d/apache"
pkill -f "http.server $P2 --bind 127.0.0.3"
wait_for 15 "withdrawn after a useless restart" on_both "127.0.0.2 192.0.2.1"
grep -q "restart of apache on 127.0.0.3 failed\|restarted apache" "$LAB_DIR/monitor2.log" ||
	fail "second restart not tried"
kill -TERM "$MP"
log "useless restart: record withdrawn"
log "PASS"
