# The seed scenarios on a 3-node Pacemaker cluster in network namespaces,
# all four agents at once: sourced (after tests/integration/lib.sh) by the
# demo, the end-to-end test and bench/failover.
#   pgwarm    a promotable clone on every node (PostgreSQL 15 each), the
#             address 10.99.0.100 on the primary
#   mirror    group web = 10.99.0.200 -> mirror (continuous) -> web server
#             on :8080, the seed's "nodeA 192.168.85.1 mirror httpd"; it
#             follows the primary (the site's database and files together)
#   dnsrr     a web service on each node (:8081) and a dnsrr beside it,
#             shop.example.test on two named (10.99.0.253, .254), TSIG
#   zmworker  a clone; tests run by tests/tools/zm-fake, a stand-in for
#             zonemaster-cli (the nodes cannot reach the lab's DNS world)
# Each node's own data lives in $LAB_DIR/nodeI/var, bind-mounted at
# SCN_MNT in its mount namespace; sshd runs on each node (10.99.0.I:22).
SCN_MNT=/var/lib/understudy-demo
SCN_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

scn_prepare() {
	local b=$TOP_BUILDDIR
	need crm "$PGBIN/pg_ctl" sshd named python3 curl jq
	SCN_BIN=$LAB_DIR/bin
	SCN_SSH=$LAB_DIR/ssh
	mkdir -p "$SCN_BIN" "$SCN_SSH" "$SCN_MNT"
	lab_on_exit rmdir "$SCN_MNT"
	cp "$b"/helpers/pgwarm/pgwarm-archive "$b"/helpers/pgwarm/pgwarm-restore "$b"/helpers/pgwarm/pgwarm-receive \
		"$b"/helpers/mirror/mirror-sync "$b"/helpers/mirror/mirror-serve \
		"$b"/helpers/zmworker/zmworkerd "$b"/helpers/zmworker/zmctl "$SCN_BIN/"
	cp "$SCN_TOP/tests/tools/zm-fake" "$SCN_BIN/"
	# zmworker runs its tests as _zmworker (the Debian package creates it).
	"$SCN_TOP/tests/tools/zm-user" >/dev/null || fail "cannot create the zmworker test user"
	cp "$b"/agents/pgwarm "$b"/agents/mirror "$b"/agents/dnsrr "$b"/agents/zmworker "$LAB_DIR/ocf/"
	node_sshd_setup "$SCN_SSH" 3
	# root (mirror) gets its own copies: ssh refuses, as OpenSSH does, a key or
	# known_hosts that another user (postgres) owns.
	cp "$SCN_SSH/client_key" "$SCN_SSH/root_key"
	cp "$SCN_SSH/known_hosts" "$SCN_SSH/root_known_hosts"
	chown postgres: "$SCN_SSH/client_key" "$SCN_SSH/known_hosts"
	ssh_user_unlock postgres
	# one initdb, copied cold to every node
	mkdir -p "$LAB_DIR/pgseed" && chown postgres: "$LAB_DIR/pgseed"
	runuser -u postgres -- "$PGBIN/initdb" -D "$LAB_DIR/pgseed/data" -A trust --no-sync \
		>"$LAB_DIR/initdb.log" 2>&1 || fail "initdb"
	cat >>"$LAB_DIR/pgseed/data/postgresql.conf" <<EOF
listen_addresses = '*'
port = 5432
unix_socket_directories = '$SCN_MNT/pg/run'
wal_level = replica
wal_log_hints = on
wal_retrieve_retry_interval = 1s
EOF
	echo "host all all 10.99.0.0/24 trust" >>"$LAB_DIR/pgseed/data/pg_hba.conf"
	echo "host replication all 10.99.0.0/24 trust" >>"$LAB_DIR/pgseed/data/pg_hba.conf"
	mkdir -p "$LAB_DIR/rrwww"
	echo "httpd is working" >"$LAB_DIR/rrwww/robots.txt"
}

# scn_node_data I: node I's directory, made once.
scn_node_data() {
	local v=$LAB_DIR/node$1/var
	[ -d "$v" ] && return 0
	mkdir -p "$v/pg/walfiles" "$v/pg/run" "$v/www" "$v/mirror" "$v/zm"
	cp -a "$LAB_DIR/pgseed/data" "$v/pg/data"
	chown -R postgres: "$v/pg"
}

# scn_node_up I: node I's mounts and sshd, on every boot of node I
# (LAB_NODE_BOOT: after a crash its mount namespace is new).
scn_node_up() {
	local i=$1
	scn_node_data "$i"
	node_exec "$i" mount --bind "$LAB_DIR/node$i/var" "$SCN_MNT" || fail "bind mount on node$i"
	node_exec "$i" mkdir -p /run/sshd /run/postgresql
	node_exec "$i" /usr/sbin/sshd -f "$SCN_SSH/sshd_config" -E "$LAB_DIR/node$i/sshd.log" ||
		fail "sshd on node$i"
}

scn_dns() {
	local br=${CLUSTER_NS_PREFIX}br
	ip -n "$br" addr add 10.99.0.253/24 dev br0
	ip -n "$br" addr add 10.99.0.254/24 dev br0
	NAMED_NETNS=$br NAMED_LISTEN_PORT=53 NAMED_ADDR=10.99.0.253 start_named a
	NAMED_NETNS=$br NAMED_LISTEN_PORT=53 NAMED_ADDR=10.99.0.254 start_named b
}

scn_configure() {
	local nodes="node1=10.99.0.1 node2=10.99.0.2 node3=10.99.0.3" f=$LAB_DIR/scenarios.crm
	cat >"$f" <<EOF
primitive pg ocf:understudy:pgwarm \\
	params pgdata=$SCN_MNT/pg/data pghost=$SCN_MNT/pg/run archive_dir=$SCN_MNT/pg/walfiles \\
		nodes="$nodes" ssh_key=$SCN_SSH/client_key known_hosts=$SCN_SSH/known_hosts \\
		helpers=$SCN_BIN logfile=$SCN_MNT/pg/postgres.log \\
	op monitor interval=2s role=Promoted timeout=30s \\
	op monitor interval=3s role=Unpromoted timeout=30s
clone pg-clone pg meta promotable=true promoted-max=1 notify=true migration-threshold=1
primitive pg-vip IPaddr2 params ip=10.99.0.100 cidr_netmask=24 nic=eth0 \\
	op monitor interval=2s
colocation vip-on-primary inf: pg-vip pg-clone:Promoted
order primary-then-vip Mandatory: pg-clone:promote pg-vip:start
primitive web-ip IPaddr2 params ip=10.99.0.200 cidr_netmask=24 nic=eth0 op monitor interval=2s
primitive web-files ocf:understudy:mirror \\
	params paths=$SCN_MNT/www/ nodes="$nodes" ssh_key=$SCN_SSH/root_key \\
		known_hosts=$SCN_SSH/root_known_hosts state_dir=$SCN_MNT/mirror helpers=$SCN_BIN interval=0 \\
	op monitor interval=3s timeout=20s op stop timeout=60s
primitive web-server anything \\
	params binfile=/usr/bin/python3 \\
		cmdline_options="-m http.server 8080 --bind 10.99.0.200 --directory $SCN_MNT/www" \\
	op monitor interval=2s timeout=20s
group web web-ip web-files web-server meta migration-threshold=1 resource-stickiness=100
colocation web-with-primary 100: web pg-clone:Promoted
order primary-then-web Mandatory: pg-clone:promote web:start
primitive rr-web anything \\
	params binfile=/usr/bin/python3 \\
		cmdline_options="-m http.server 8081 --directory $LAB_DIR/rrwww" \\
	op monitor interval=5s timeout=20s
clone rr-web-clone rr-web
primitive rr ocf:understudy:dnsrr \\
	params name=shop.example.test address="$nodes" servers="10.99.0.253 10.99.0.254" \\
		tsig_key_file=$TSIG_KEY_FILE check_port=8081 check_send="GET /robots.txt HTTP/1.0" \\
		check_expect="httpd is working" rise=2 fall=2 \\
	op monitor interval=2s timeout=20s
clone rr-clone rr
colocation rr-with-web inf: rr-clone rr-web-clone
order web-then-rr Mandatory: rr-web-clone rr-clone
primitive zm ocf:understudy:zmworker \\
	params max_parallel=2 test_timeout=120 state_dir=$SCN_MNT/zm helpers=$SCN_BIN \\
		zonemaster_cli=$SCN_BIN/zm-fake \\
	op monitor interval=5s timeout=20s op stop timeout=30s
clone zm-clone zm meta interleave=true
EOF
	node_exec 1 crm configure load update "$f" >"$LAB_DIR/crm-load.log" 2>&1 ||
		fail "crm configure load: $(tail -n 5 "$LAB_DIR/crm-load.log")"
}

# scn_up: the cluster, its nodes' data and daemons, the DNS servers, the
# configuration.
scn_up() {
	# A 1 s token for any number of nodes (corosync adds 650 ms per node
	# past two by default): what "1 s token" means in the targets.
	CLUSTER_TOKEN_COEFFICIENT=${CLUSTER_TOKEN_COEFFICIENT:-0}
	scn_prepare
	LAB_NODE_BOOT=scn_node_up
	cluster_up 3
	scn_dns
	scn_configure
}

# --- what the scenarios look like from outside
scn_primary() {	# the node name where pg is promoted, seen from node $1
	node_exec "$1" crm_mon -1 --output-as=xml 2>/dev/null |
		grep -A1 'resource id="pg" .*role="Promoted".*active="true".*failed="false"' |
		grep -o 'node name="[^"]*"' | cut -d'"' -f2 | head -n 1
}
scn_psql() {	# scn_psql VIEW SQL: through the primary's address, from node VIEW
	node_exec "$1" runuser -u postgres -- "$PGBIN/psql" -h 10.99.0.100 -p 5432 -XAtq \
		-d postgres -c "$2" 2>/dev/null
}
scn_psql_local() {	# scn_psql_local NODE SQL: that node's own PostgreSQL
	node_exec "$1" runuser -u postgres -- "$PGBIN/psql" -h "$SCN_MNT/pg/run" -p 5432 -XAtq \
		-d postgres -c "$2" 2>/dev/null
}
scn_web() {	# scn_web VIEW PATH: GET http://10.99.0.200:8080/PATH from node VIEW
	node_exec "$1" curl -fsS -m 2 "http://10.99.0.200:8080/$2" 2>/dev/null
}
scn_dns_records() {	# the sorted A records of shop.example.test on server $1
	ip netns exec "${CLUSTER_NS_PREFIX}br" dig +short +time=1 +tries=1 @"$1" shop.example.test A |
		sort | tr '\n' ' ' | sed 's/ $//'
}
scn_dns_both() { [ "$(scn_dns_records 10.99.0.253)" = "$1" ] && [ "$(scn_dns_records 10.99.0.254)" = "$1" ]; }
scn_zm() { local i=$1; shift; node_exec "$i" "$SCN_BIN/zmctl" "$@"; }
scn_zm_members() { [ "$(scn_zm "$1" status 2>/dev/null | jq '.members | length')" = "$2" ]; }
scn_web_node() { cluster_where "$1" web-server; }

scn_ready() {
	[ -n "$(scn_primary 1)" ] && scn_psql 1 "select 1" | grep -q 1 &&
		[ -n "$(scn_web_node 1)" ] && scn_dns_both "10.99.0.1 10.99.0.2 10.99.0.3" &&
		scn_zm_members 1 3
}
