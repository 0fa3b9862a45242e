# The test lab: start the real daemons (sshd, PostgreSQL 15, named, corosync,
# Pacemaker) on loopback or in network namespaces this test creates, and
# always clean them up. Sourced by tests/integration/test_*.sh.
#
# A test calls lab_init first; everything started afterwards is undone by
# an EXIT trap, even when the test fails half-way. Every start waits for
# readiness with a bound (wait_for), never a bare sleep.
#
# Exit codes of a test: 0 passed, 77 skipped (after `skip REASON`), else failed.

set -u

: "${TOP_BUILDDIR:?TOP_BUILDDIR must point at the build directory}"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)	# the checkout
LAB_CLEANUP=()

log() { printf '%s %s\n' "$(date +%T.%N | cut -c1-12)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# lab_on_exit CMD...: run CMD at cleanup, newest first.
lab_on_exit() {
	local q
	q=$(printf '%q ' "$@")
	LAB_CLEANUP=("$q" "${LAB_CLEANUP[@]}")
}

lab_cleanup() {
	local rc=$? c
	trap - EXIT INT TERM
	for c in "${LAB_CLEANUP[@]}"; do
		eval "$c" >/dev/null 2>&1 || true
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${LAB_DIR:-}" ]; then
		lab_dump_logs
	fi
	[ -n "${LAB_DIR:-}" ] && [ -z "${LAB_KEEP:-}" ] && rm -rf "$LAB_DIR"
	exit "$rc"
}

lab_dump_logs() {
	local f
	find "$LAB_DIR" -name '*.log' -size +0 -print0 2>/dev/null |
	while IFS= read -r -d '' f; do
		echo "---- last lines of $f" >&2
		tail -n 25 "$f" >&2
	done
}

lab_init() {
	[ "$(id -u)" -eq 0 ] || skip "the lab needs root (namespaces, daemons)"
	LAB_DIR=$(mktemp -d /tmp/us-lab.XXXXXX)
	chmod 755 "$LAB_DIR"
	mkdir -p "$LAB_DIR/ocf"
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
}

# lab_bin FILE...: copies of programs in $LAB_DIR/bin (mode 0755), for the
# users a test runs them as (postgres, nobody under ocf-tester): a checkout
# in a 0700 /root is not theirs to enter. Prints the directory.
lab_bin() {
	mkdir -p "$LAB_DIR/bin"
	cp "$@" "$LAB_DIR/bin/" || fail "copying $* into the lab"
	chmod 755 "$LAB_DIR/bin"
	echo "$LAB_DIR/bin"
}

# lab_random_seed VAR: seeds $RANDOM from $VAR when it is set (a replay),
# else at random, and says which (LAB_SEED), so a randomised test can be
# run again.
lab_random_seed() {
	LAB_SEED=${!1:-$RANDOM}
	RANDOM=$LAB_SEED
	log "random seed $LAB_SEED ($1=$LAB_SEED replays it)"
}

# wait_for SECONDS WHAT CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local limit=$1 what=$2 start
	shift 2
	start=$(date +%s%N)
	until "$@" >/dev/null 2>&1; do
		if [ $(( ($(date +%s%N) - start) / 1000000 )) -ge $((limit * 1000)) ]; then
			fail "$what: not ready after ${limit}s"
		fi
		sleep 0.1
	done
}

# Below the kernel's ephemeral range (ip_local_port_range, 32768 up), so an
# outgoing connection cannot take it between our check and the bind; free
# for TCP and UDP in any state.
free_port() {
	local p
	while :; do
		p=$(shuf -i 10000-32000 -n 1)
		ss -Htuan "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# netns_add NAME: a network namespace that cleanup empties (every process
# in it is killed) and deletes.
netns_add() {
	ip netns add "$1" || fail "ip netns add $1"
	lab_on_exit netns_del "$1"
}

netns_del() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	ip netns del "$1"
}

need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip "$p is not installed"
	done
}

# ---------------------------------------------------------------- sshd
# start_sshd [USER]: sshd on 127.0.0.1:$SSHD_PORT accepting $SSH_KEY for USER
# (default root). Sets SSHD_PORT SSH_USER SSH_KEY KNOWN_HOSTS SSHD_HOSTKEY.
# SSHD_NAME names its directory (several sshd in one lab); SSHD_WRAP is a
# command sshd runs under (e.g. one that enters a mount namespace).
start_sshd() {
	local d=$LAB_DIR/${SSHD_NAME:-sshd}
	need sshd ssh-keygen
	SSH_USER=${1:-root}
	local addr=${SSHD_ADDR:-127.0.0.1}
	mkdir -p "$d" /run/sshd
	SSHD_PORT=$(free_port)
	sshd_files "$d" "$SSHD_PORT" "$d/sshd.pid"
	echo "ListenAddress $addr" >>"$d/sshd_config"
	# shellcheck disable=SC2086
	${SSHD_WRAP:-} /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" || fail "sshd did not start"
	lab_on_exit sh -c "kill \$(cat '$d/sshd.pid')"
	wait_for 10 "sshd" port_open "$addr" "$SSHD_PORT"
	SSH_KEY=$d/client_key
	SSHD_HOSTKEY=$d/host_key
	ssh_user_unlock "$SSH_USER"
	KNOWN_HOSTS=$d/known_hosts
	echo "[$addr]:$SSHD_PORT $(cut -d' ' -f1,2 "$d/host_key.pub")" >"$KNOWN_HOSTS"
	log "sshd on $addr:$SSHD_PORT"
}

# sshd_files DIR PORT PIDFILE: a host key, a client key (DIR/client_key)
# that DIR/authorized_keys accepts, and DIR/sshd_config (key logins only).
sshd_files() {
	local d=$1
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" -C lab-host
	ssh-keygen -q -t ed25519 -N '' -f "$d/client_key" -C lab-client
	cp "$d/client_key.pub" "$d/authorized_keys"
	cat >"$d/sshd_config" <<EOF
Port $2
HostKey $d/host_key
PidFile $3
AuthorizedKeysFile $d/authorized_keys
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
EOF
}

# node_sshd_setup DIR N: one host key and one client key (DIR/client_key)
# for N namespace nodes (10.99.0.1..N, port 22), DIR/known_hosts naming
# each, and DIR/sshd_config for an sshd each node starts itself.
node_sshd_setup() {
	local d=$1 n=$2 i
	sshd_files "$d" 22 none
	for i in $(seq 1 "$n"); do
		echo "10.99.0.$i $(cut -d' ' -f1,2 "$d/host_key.pub")"
	done >"$d/known_hosts"
}

# A system user such as postgres ships locked ("!"), and sshd refuses key
# logins to locked accounts; "*" still allows no password. Put back on exit.
ssh_user_unlock() {
	local old
	old=$(getent shadow "$1" | cut -d: -f2)
	case $old in
	'!'|'!!'|'!*')
		usermod -p '*' "$1"
		lab_on_exit usermod -p "$old" "$1" ;;
	esac
}

# meta_data_valid AGENT: its meta-data validates against resource-agents'
# ra-api-1.dtd.
meta_data_valid() {
	local dtd name
	need xmllint
	dtd=$(pkg-config --variable=ra_api_dtd resource-agents 2>/dev/null)
	dtd=${dtd:-/usr/share/resource-agents/ra-api-1.dtd}
	name=$(basename "$1")
	"$1" meta-data >"$LAB_DIR/$name-md.xml" || fail "$name meta-data failed"
	xmllint --noout --nowarning --dtdvalid "$dtd" "$LAB_DIR/$name-md.xml" ||
		fail "$name meta-data not valid against $dtd"
}

# ocft_run CONFIG SED-ARGS...: fill in a tests/ocft config, run resource-
# agents' ocft on it and fail on any failed case.
ocft_run() {
	local cfg=$1 agent out
	shift
	agent=$(basename "$cfg")
	mkdir -p "$LAB_DIR/configs"
	sed "$@" "$cfg" >"$LAB_DIR/configs/$agent"
	lab_on_exit ocft clean "$agent"
	ocft make -d "$LAB_DIR/configs" "$agent" >"$LAB_DIR/ocft-make-$agent.log" 2>&1 ||
		fail "ocft make $agent: $(cat "$LAB_DIR/ocft-make-$agent.log")"
	${OCFT_EXEC:-} ocft test "$agent" >"$LAB_DIR/ocft-$agent.out" 2>&1
	out=$(sed 's/\x1b\[[0-9;]*m//g' "$LAB_DIR/ocft-$agent.out")
	echo "$out"
	echo "$out" | grep -q "FAILED\|ERROR:" && fail "ocft $agent reported failures"
	log "ocft $agent: $(echo "$out" | grep -c " - OK") cases OK"
}

# ---------------------------------------------------------------- PostgreSQL
# start_postgres NAME: a PostgreSQL 15 cluster run by user postgres, socket
# and port in the lab. Sets PGDATA_<NAME> and exports PGHOST/PGPORT of it.
start_postgres() {
	local name=$1 d=$LAB_DIR/pg-$1 port
	need "$PGBIN/initdb"
	port=$(free_port)
	mkdir -p "$d"
	chown postgres: "$d"
	runuser -u postgres -- "$PGBIN/initdb" -D "$d/data" -A trust --no-sync >"$d/initdb.log" 2>&1 ||
		fail "initdb failed"
	cat >>"$d/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $port
unix_socket_directories = '$d'
wal_level = replica
EOF
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -t 30 start \
		>/dev/null || fail "PostgreSQL $name did not start"
	lab_on_exit runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d/data" -m immediate -w stop
	wait_for 10 "PostgreSQL $name" "$PGBIN/pg_isready" -h "$d" -p "$port"
	eval "PGDATA_$name=\$d/data"
	export PGHOST=$d PGPORT=$port
	log "PostgreSQL $name on $d port $port"
}

# ---------------------------------------------------------------- BIND
# start_named [NAME]: a named on 127.0.0.1:$NAMED_PORT serving example.test
# (www = 192.0.2.1), dynamic updates allowed only with the TSIG key
# $TSIG_KEY_FILE ("lab-key", shared by every named of the test). Several
# instances may run; each sets NAMED_PORT_<NAME> and NAMED_PID_<NAME>.
start_named() {
	local name=${1:-a} d=$LAB_DIR/named-${1:-a} port pid addr=${NAMED_ADDR:-127.0.0.1}
	local -a in_ns=()
	need named tsig-keygen dig
	mkdir -p "$d"
	port=${NAMED_LISTEN_PORT:-$(free_port)}
	[ -n "${NAMED_NETNS:-}" ] && in_ns=(ip netns exec "$NAMED_NETNS")
	if [ -z "${TSIG_KEY_FILE:-}" ]; then
		TSIG_KEY_FILE=$LAB_DIR/lab-key.key
		tsig-keygen -a hmac-sha256 lab-key >"$TSIG_KEY_FILE"
	fi
	cat >"$d/example.test.zone" <<'EOF'
$TTL 60
@	IN SOA ns1.example.test. hostmaster.example.test. 1 60 60 600 60
@	IN NS ns1.example.test.
ns1	IN A 127.0.0.1
www	IN A 192.0.2.1
EOF
	cat >"$d/named.conf" <<EOF
include "$TSIG_KEY_FILE";
options {
	directory "$d";
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	listen-on port $port { $addr; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
zone "example.test" {
	type primary;
	file "$d/example.test.zone";
	update-policy { grant lab-key zonesub ANY; };
};
EOF
	chown -R bind: "$d" 2>/dev/null || true
	chmod 644 "$TSIG_KEY_FILE"
	"${in_ns[@]}" named -g -c "$d/named.conf" -u bind >"$d/named.log" 2>&1 &
	pid=$!
	lab_on_exit kill "$pid"
	eval "NAMED_PORT_$name=$port NAMED_PID_$name=$pid"
	NAMED_PORT=$port
	wait_for 15 "named $name" "${in_ns[@]}" dig +time=1 +tries=1 -p "$port" @"$addr" \
		example.test SOA +norec +short
	log "named $name on $addr:$port"
}

# rrset PORT NAME: the sorted A records of NAME on the named at PORT, one line.
rrset() {
	dig +short +time=2 +tries=1 -p "$1" @127.0.0.1 "$2" A | sort | tr '\n' ' ' | sed 's/ $//'
}

# ---------------------------------------------------------------- Cluster
# cluster_up N: N nodes node1..nodeN, each in its own network, mount and
# UTS namespace (10.99.0.i on a private bridge), running corosync and
# Pacemaker. OCF agents from $LAB_DIR/ocf are visible to the nodes as
# provider "understudy". Sets CLUSTER_N and NODE_PID_<i> (corosync's pid;
# node_pid I reads the current one, also after the PDU restarted a node).
#
# Fencing is on, as in production (CLUSTER_FENCING=0 turns it off for a
# test of the unfenced case): the CIB holds a stonith:fence_uslab device
# for every node, whose power switch is this test's PDU loop (lab_pdu).
# The lab fences with "off": a fenced node stays down until the test
# powers it on again (cluster_node_start), as an admin would after looking.
# LAB_NODE_BOOT names a function run with I on every start of node I,
# after corosync and before Pacemaker (its mounts and daemons: what a
# machine brings up at boot).
CLUSTER_NS_PREFIX=
CLUSTER_FENCING=${CLUSTER_FENCING:-1}
LAB_NODE_BOOT=${LAB_NODE_BOOT:-}
cluster_up() {
	local n=$1 i
	need corosync pacemakerd crm_mon ip unshare nsenter
	CLUSTER_N=$n
	CLUSTER_NS_PREFIX=us$$-
	mkdir -p "$LAB_DIR/ocf"
	if [ ! -d /usr/lib/ocf/resource.d/understudy ]; then	# a mount point only
		mkdir -p /usr/lib/ocf/resource.d/understudy
		lab_on_exit rmdir /usr/lib/ocf/resource.d/understudy
	fi
	[ "$CLUSTER_FENCING" = 1 ] && lab_pdu_start
	cluster_net "$n"
	for i in $(seq 1 "$n"); do
		cluster_node_start "$i"
	done
	cluster_wait_online "$n" 30
}

# ---------------------------------------------------------------- Fencing
# The fence agent is bind-mounted where Pacemaker's fencer looks for agents
# (/usr/sbin/fence_*) inside each node; on the host only an empty mount
# point is left while the lab runs.
FENCE_AGENT=/usr/sbin/fence_uslab
lab_pdu_start() {
	mkdir -p "$LAB_DIR/pdu"
	install -m 755 "$LAB_SRC/tests/tools/fence_uslab" "$LAB_DIR/fence_uslab"
	if [ ! -e "$FENCE_AGENT" ]; then
		install -m 755 /dev/null "$FENCE_AGENT"
		lab_on_exit rm -f "$FENCE_AGENT"
	fi
	lab_pdu >>"$LAB_DIR/pdu.log" 2>&1 &
	lab_on_exit kill "$!"
}

# lab_pdu: the power switch. Each request file "ACTION nodeN" gets an
# answer file ("ok" or what went wrong); every action is logged in pdu.log
# and, per node, in nodeN/fenced (the time it was powered off).
lab_pdu() {
	local req act node i rc
	trap - EXIT INT TERM
	while :; do
		for req in "$LAB_DIR"/pdu/*.req; do
			[ -e "$req" ] || continue
			read -r act node <"$req" || act=
			rm -f "$req"
			i=${node#node}
			rc=ok
			case $act/$node in
			off/node[0-9]*)
				(cluster_node_kill "$i") || rc="power off failed"
				date +%s%N >"$LAB_DIR/node$i/fenced" ;;
			on/node[0-9]*)
				(LAB_POWER_ON=1 cluster_node_start "$i") || rc="power on failed" ;;
			*)	rc="unknown request: $act $node" ;;
			esac
			log "pdu: $act $node: $rc"
			echo "$rc" >"${req%.req}.tmp" && mv "${req%.req}.tmp" "${req%.req}.done"
		done
		sleep 0.1
	done
}

# The nodes the PDU powered off since they last started ("node2 node3").
lab_fenced() {
	local i out=
	for i in $(seq 1 "$CLUSTER_N"); do
		[ -e "$LAB_DIR/node$i/fenced" ] && out="$out node$i"
	done
	echo "${out# }"
}

# lab_fence_ms I T0: ms from T0 (date +%s%N) until the PDU powered node I
# off, "-" when it has not (the fence action is part of every RTO).
lab_fence_ms() {
	local t
	t=$(cat "$LAB_DIR/node$1/fenced" 2>/dev/null) && [ -n "$t" ] || { echo -; return; }
	echo $(( (t - $2) / 1000000 ))
}

# The fencing history as the cluster reports it (for a failure's log).
lab_fence_history() {
	node_exec "${1:-1}" stonith_admin --history '*' --verbose 2>&1 | tail -n 20
}

# corosync_up N: the same nodes with corosync only (CPG users, no Pacemaker).
corosync_up() {
	local n=$1 i
	need corosync ip unshare nsenter
	CLUSTER_N=$n
	CLUSTER_NS_PREFIX=us$$-
	CLUSTER_NO_PACEMAKER=1
	mkdir -p "$LAB_DIR/ocf"
	cluster_net "$n"
	for i in $(seq 1 "$n"); do
		cluster_node_start "$i"
	done
	wait_for 20 "$n corosync members" corosync_members_are "$n"
	log "corosync: $n node(s) joined"
}

corosync_members_are() {
	[ "$(node_exec 1 corosync-quorumtool -s 2>/dev/null | sed -n 's/^Total votes: *//p')" = "$1" ]
}

# node_link I down|up: cut or restore node I's link (a partition).
node_link() {
	ip -n "${CLUSTER_NS_PREFIX}br" link set "usv$$-$1" "$2"
}

cluster_net() {
	local n=$1 i br=${CLUSTER_NS_PREFIX}br
	netns_add "$br"
	ip -n "$br" link add br0 type bridge
	ip -n "$br" link set br0 up
	ip -n "$br" link set lo up
	for i in $(seq 1 "$n"); do
		netns_add "${CLUSTER_NS_PREFIX}n$i"
		ip link add "usv$$-$i" netns "$br" type veth peer name eth0 netns "${CLUSTER_NS_PREFIX}n$i"
		ip -n "$br" link set "usv$$-$i" master br0 up
		ip -n "${CLUSTER_NS_PREFIX}n$i" addr add "10.99.0.$i/24" dev eth0
		ip -n "${CLUSTER_NS_PREFIX}n$i" link set eth0 up
		ip -n "${CLUSTER_NS_PREFIX}n$i" link set lo up
	done
}

cluster_corosync_conf() {
	local n=$1 d=$2 i
	cat <<EOF
totem {
	version: 2
	cluster_name: lab
	transport: knet
	crypto_cipher: none
	crypto_hash: none
	token: 1000
	token_coefficient: ${CLUSTER_TOKEN_COEFFICIENT:-650}
}
system {
	state_dir: $d/corosync
	sched_rr: ${CLUSTER_SCHED_RR:-yes}
}
logging {
	to_logfile: yes
	logfile: $d/corosync.log
	to_syslog: no
	to_stderr: no
	timestamp: on
}
quorum {
	provider: corosync_votequorum
$([ "$n" -eq 2 ] && printf '\ttwo_node: 1')
}
nodelist {
EOF
	for i in $(seq 1 "$n"); do
		printf '\tnode {\n\t\tname: node%d\n\t\tnodeid: %d\n\t\tring0_addr: 10.99.0.%d\n\t}\n' "$i" "$i" "$i"
	done
	echo "}"
}

cluster_cib() {
	local f=$1
	cibadmin --empty >"$f"
	if [ "$CLUSTER_FENCING" = 1 ] && [ -z "${CLUSTER_NO_PACEMAKER:-}" ]; then
		CIB_file=$f crm_attribute -t crm_config -n stonith-enabled -v true
		CIB_file=$f crm_attribute -t crm_config -n stonith-action -v off
		CIB_file=$f crm_attribute -t crm_config -n stonith-timeout -v 60s
		# 2 nodes: the side with the promoted instance (pgwarm's clone
		# has a priority) fences first when a cut leaves both quorate.
		CIB_file=$f crm_attribute -t crm_config -n priority-fencing-delay -v 2s
		CIB_file=$f cibadmin --create -o resources --xml-text "$(cluster_fence_device)"
	else
		CIB_file=$f crm_attribute -t crm_config -n stonith-enabled -v false
	fi
	CIB_file=$f crm_attribute -t crm_config -n dc-deadtime -v 2s
	CIB_file=$f crm_attribute -t crm_config -n cluster-recheck-interval -v 1min
	chown hacluster:haclient "$f"
	chmod 600 "$f"
}

cluster_fence_device() {
	local hosts i
	hosts=$(for i in $(seq 1 "$CLUSTER_N"); do printf 'node%d ' "$i"; done)
	printf '%s\n' '<primitive id="fence-lab" class="stonith" type="fence_uslab">' \
		'<instance_attributes id="fence-lab-params">' \
		"<nvpair id=\"fence-lab-lab_dir\" name=\"lab_dir\" value=\"$LAB_DIR\"/>" \
		"<nvpair id=\"fence-lab-hosts\" name=\"pcmk_host_list\" value=\"${hosts% }\"/>" \
		'</instance_attributes>' \
		'<operations><op id="fence-lab-monitor" name="monitor" interval="60s"/></operations>' \
		'</primitive>'
}

# Runs inside the node's fresh mount/UTS namespace, then becomes corosync.
cluster_node_init() {
	local i=$1 d=$2
	hostname "node$i"
	mount -t tmpfs tmpfs /run
	mount -t tmpfs tmpfs /dev/shm
	mkdir -p /run/crm /run/resource-agents /run/corosync-qdevice
	chown hacluster:haclient /run/crm
	chmod 750 /run/crm
	mount --bind "$d/varlib" /var/lib/pacemaker
	mount --bind "$LAB_DIR/ocf" /usr/lib/ocf/resource.d/understudy
	[ -e "$LAB_DIR/fence_uslab" ] && mount --bind "$LAB_DIR/fence_uslab" /usr/sbin/fence_uslab
	exec corosync -f -c "$d/corosync.conf"
}

# cluster_node_start I: power node I on (nothing when it is on). With
# fencing, a node the test crashed comes back only once the cluster has
# fenced it, as a machine that is power-cycled by its fence device; the
# PDU itself (LAB_POWER_ON) does not wait.
cluster_node_start() {
	local i=$1 d=$LAB_DIR/node$1 rc=0
	mkdir -p "$d"
	if [ -e "$d/killed" ] && [ "$CLUSTER_FENCING" = 1 ] && [ -z "${CLUSTER_NO_PACEMAKER:-}" ] &&
		[ -z "${LAB_POWER_ON:-}" ]; then
		wait_for 120 "node$i fenced by the cluster" test -e "$d/fenced"
	fi
	# Bounded: a power-on that failed half-way (its wait_for exits) leaves
	# the lock behind.
	local tries=0
	until mkdir "$d/power.lock" 2>/dev/null || [ "$tries" -ge 600 ]; do
		sleep 0.05
		tries=$((tries + 1))
	done
	node_on "$i" || cluster_node_boot "$i" || rc=$?
	rmdir "$d/power.lock"
	return "$rc"
}

node_on() {
	local pid
	pid=$(node_pid "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# The pid of node I's first process (corosync), empty when it is off.
node_pid() { cat "$LAB_DIR/node$1/pid" 2>/dev/null; }

cluster_node_boot() {
	local i=$1 d=$LAB_DIR/node$1 pid sub
	rm -f "$d/killed" "$d/fenced"
	mkdir -p "$d/corosync" "$d/varlib"
	for sub in cib pengine blackbox cores; do
		mkdir -p "$d/varlib/$sub"
	done
	[ -f "$d/varlib/cib/cib.xml" ] || cluster_cib "$d/varlib/cib/cib.xml"
	chown -R hacluster:haclient "$d/varlib"
	cluster_corosync_conf "$CLUSTER_N" "$d" >"$d/corosync.conf"
	ip netns exec "${CLUSTER_NS_PREFIX}n$i" unshare --mount --uts --propagation private \
		bash -c "$(declare -f cluster_node_init); LAB_DIR=$LAB_DIR; cluster_node_init $i $d" \
		>"$d/corosync.out" 2>&1 &
	pid=$!
	disown "$pid"	# a crash test kills it: no job-control chatter
	eval "NODE_PID_$i=$pid"
	echo "$pid" >"$d/pid"
	lab_on_exit cluster_node_kill "$i"
	wait_for 10 "node$i corosync" node_exec "$i" corosync-cmapctl -g totem.cluster_name
	[ -n "$LAB_NODE_BOOT" ] && "$LAB_NODE_BOOT" "$i"
	[ -n "${CLUSTER_NO_PACEMAKER:-}" ] && return 0
	node_exec "$i" env PCMK_logfile="$d/pacemaker.log" HA_debug=0 /usr/sbin/pacemakerd \
		>"$d/pacemakerd.out" 2>&1 &
}

# node_exec I CMD...: run CMD inside node I's namespaces.
node_exec() {
	local i=$1 pid
	shift
	pid=$(node_pid "$i")
	[ -n "$pid" ] || return 1
	nsenter -t "$pid" -m -u -n "$@"
}

# Every process that lives in node I's mount namespace (or in mount
# namespace MNTNS, as readlink /proc/PID/ns/mnt names it).
node_pids() {
	local ns=${2:-} pid p
	if [ -z "$ns" ]; then
		pid=$(node_pid "$1")
		[ -n "$pid" ] || return 0
		ns=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null) || return 0
	fi
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
	done
}

# cluster_node_kill I: kill -9 corosync and Pacemaker of node I (a crash).
# Addresses that resources added to its eth0 go too, as with a machine that
# went down (its network namespace would otherwise outlive the "crash").
# The namespace is scanned until empty: a process forked between one scan
# and its kill (a postgres backend, an agent's child) survives that pass
# and would hold the node's port and files into its next boot.
cluster_node_kill() {
	local i=$1 pids pid mnt pass ns=${CLUSTER_NS_PREFIX}n$1
	pid=$(node_pid "$i")
	mnt=$([ -n "$pid" ] && readlink "/proc/$pid/ns/mnt" 2>/dev/null)
	for pass in 1 2 3 4 5 6 7 8 9 10; do
		[ -n "$mnt" ] || break
		pids=$(node_pids "$i" "$mnt")
		[ -n "$pids" ] || break
		kill -9 $pids 2>/dev/null
		sleep 0.05
	done
	[ -z "$mnt" ] || [ -z "$(node_pids "$i" "$mnt")" ] || log "node$i: processes outlived 10 kills: $(node_pids "$i" "$mnt")"
	eval "NODE_PID_$i="
	if [ -e "$LAB_DIR/node$i/pid" ]; then
		rm -f "$LAB_DIR/node$i/pid" "$LAB_DIR/node$i/fenced"
		: >"$LAB_DIR/node$i/killed"
	fi
	if ip -n "$ns" -o -4 addr show dev eth0 2>/dev/null | grep -q .; then
		ip -n "$ns" addr flush dev eth0
		ip -n "$ns" addr add "10.99.0.$i/24" dev eth0
	fi
	return 0
}

cluster_online_count() {
	local i=$1
	node_exec "$i" crm_mon -1 --output-as=xml 2>/dev/null | grep -c 'online="true"'
}

cluster_all_online() { [ "$(cluster_online_count 1)" -eq "$1" ]; }

cluster_wait_online() {
	local n=$1 limit=$2
	wait_for "$limit" "$n node(s) online" cluster_all_online "$n"
	log "cluster: $n node(s) online"
}

# Where resource $2 runs, as seen from node $1 (empty when stopped).
cluster_where() {
	node_exec "$1" crm_resource --locate -r "$2" -Q 2>/dev/null | head -n 1
}

# runs_on VIEW RSC NODE: true when node VIEW sees RSC running on NODE
# (NODE "" = stopped everywhere).
runs_on() { [ "$(cluster_where "$1" "$2")" = "$3" ]; }

# Install the test agent for the cluster nodes (bind-mounted, never on the host).
lab_add_test_agent() {
	cp "$TOP_BUILDDIR/tests/agent/usdummy" "$LAB_DIR/ocf/usdummy"
}

# ---------------------------------------------------------------- DNS world
# start_dns_world: a network namespace with only lo (127.0.0.1-4) and one
# named on port 53 that plays a fake root "." (127.0.0.1), the TLD "test."
# (127.0.0.2) and the zone example.test (127.0.0.3, .4), so zonemaster-cli
# can run without the Internet. Sets DNS_NS and DNS_HINTS; run programs
# in it with dns_exec.
start_dns_world() {
	local d=$LAB_DIR/dns
	need named ip unshare
	mkdir -p "$d"
	DNS_NS=us$$-dns
	netns_add "$DNS_NS"
	ip -n "$DNS_NS" link set lo up
	for i in 2 3 4; do ip -n "$DNS_NS" addr add "127.0.0.$i/8" dev lo; done
	cat >"$d/root.zone" <<'EOF'
$TTL 3600
.	IN SOA a.root-servers.net. hostmaster.root-servers.net. 1 3600 600 86400 3600
.	IN NS a.root-servers.net.
a.root-servers.net.	IN A 127.0.0.1
test.	IN NS ns.nic.test.
ns.nic.test.	IN A 127.0.0.2
EOF
	cat >"$d/test.zone" <<'EOF'
$TTL 3600
test.	IN SOA ns.nic.test. hostmaster.nic.test. 1 3600 600 86400 3600
test.	IN NS ns.nic.test.
ns.nic.test.	IN A 127.0.0.2
example.test.	IN NS ns1.example.test.
example.test.	IN NS ns2.example.test.
ns1.example.test.	IN A 127.0.0.3
ns2.example.test.	IN A 127.0.0.4
EOF
	cat >"$d/example.test.zone" <<'EOF'
$TTL 3600
@	IN SOA ns1.example.test. hostmaster.example.test. 2026112201 3600 600 1209600 3600
@	IN NS ns1.example.test.
@	IN NS ns2.example.test.
ns1	IN A 127.0.0.3
ns2	IN A 127.0.0.4
www	IN A 127.0.0.3
@	IN MX 10 mail.example.test.
mail	IN A 127.0.0.4
EOF
	cat >"$d/named.conf" <<EOF
options {
	directory "$d";
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	listen-on port 53 { 127.0.0.1; 127.0.0.2; 127.0.0.3; 127.0.0.4; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
view root { match-destinations { 127.0.0.1; }; zone "." { type primary; file "$d/root.zone"; }; };
view tld { match-destinations { 127.0.0.2; }; zone "test" { type primary; file "$d/test.zone"; }; };
view example { match-destinations { 127.0.0.3; 127.0.0.4; };
	zone "example.test" { type primary; file "$d/example.test.zone"; }; };
EOF
	printf '. 3600000 IN NS a.root-servers.net.\na.root-servers.net. 3600000 IN A 127.0.0.1\n' >"$d/hints"
	echo "nameserver 127.0.0.1" >"$d/resolv.conf"
	chown -R bind: "$d" 2>/dev/null || true
	ip netns exec "$DNS_NS" named -g -c "$d/named.conf" -u bind >"$d/named.log" 2>&1 &
	DNS_HINTS=$d/hints
	wait_for 15 "DNS world" dns_exec dig +time=1 +tries=1 @127.0.0.3 example.test SOA +short
	log "DNS world up in namespace $DNS_NS"
}

# dns_exec CMD...: run CMD inside the DNS world with its resolv.conf.
dns_exec() {
	ip netns exec "$DNS_NS" unshare --mount --propagation private \
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$LAB_DIR/dns/resolv.conf" "$@"
}
