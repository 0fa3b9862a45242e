#!/bin/bash
# Every crm-examples/ configuration loads into a Pacemaker CIB, through crm
# (.crm) and through pcs (.pcs), and passes crm_verify, offline and in a
# running one-node cluster (crm_verify -L) (the lab's CIBs have
# stonith-enabled=false, as no fencing device exists here; the examples
# leave fencing to the site). The agents are the
# ones just built, bind-mounted as the understudy provider in a private
# mount namespace (never installed on the host).
. "$(dirname "$0")/lib.sh"
lab_init
CLUSTER_FENCING=0	# no device: this cluster only validates, and its resources are emptied
need crm pcs crm_verify unshare
ex=$(cd "$(dirname "$0")/../../crm-examples" && pwd)
cp "$TOP_BUILDDIR/agents/pgwarm" "$TOP_BUILDDIR/agents/dnsrr" "$TOP_BUILDDIR/agents/mirror" \
	"$TOP_BUILDDIR/agents/zmworker" "$LAB_DIR/ocf/"
if [ ! -d /usr/lib/ocf/resource.d/understudy ]; then	# a mount point only
	mkdir -p /usr/lib/ocf/resource.d/understudy
	lab_on_exit rmdir /usr/lib/ocf/resource.d/understudy
fi
verify() {	# verify EXAMPLE: load both forms, crm_verify each
	local name=$1
	unshare --mount --propagation private bash -c '
		set -e
		mount --bind "$0/ocf" /usr/lib/ocf/resource.d/understudy
		cibadmin --empty >"$0/$1-crm.xml"
		CIB_file="$0/$1-crm.xml" crm_attribute -t crm_config -n stonith-enabled -v false
		CIB_file="$0/$1-crm.xml" crm configure load update "$2/$1.crm"
		crm_verify -V -x "$0/$1-crm.xml"
		cibadmin --empty >"$0/$1-pcs.xml"
		CIB_file="$0/$1-pcs.xml" crm_attribute -t crm_config -n stonith-enabled -v false
		PCS="pcs -f $0/$1-pcs.xml" sh "$2/$1.pcs"
		crm_verify -V -x "$0/$1-pcs.xml"
	' "$LAB_DIR" "$name" "$ex" >"$LAB_DIR/$name.log" 2>&1 ||
		fail "$name: $(sed 's/\x1b\[[0-9;]*m//g' "$LAB_DIR/$name.log" | tail -n 15)"
	log "$name: loads through crm and pcs, crm_verify clean"
}
for f in "$ex"/*.crm; do
	verify "$(basename "$f" .crm)"
done

# haresources2crm: the seed's line (with an init script this machine has)
# and every other form, through crm and pcs, with mirror's settings taken
# from its legacy mirror.conf.
H2C=$TOP_BUILDDIR/helpers/haresources/haresources2crm
mkdir -p "$LAB_DIR/etc" "$LAB_DIR/conv"
cat >"$LAB_DIR/etc/mirror.conf" <<EOF
paths = /srv/www/ /etc/passwd
nodes = nodeA=192.168.85.11 nodeB=192.168.85.12
ssh_key = /root/.ssh/id_ed25519
known_hosts = /root/.ssh/known_hosts
EOF
cat >"$LAB_DIR/etc/dnsrr.conf" <<EOF
name = old.example.com
address = nodeA=192.168.85.11 nodeB=192.168.85.12
servers = 192.168.85.53
tsig_key_file = /etc/bind/rr.key
EOF
cat >"$LAB_DIR/haresources" <<'EOF'
# as in the seed, with an init script that exists here
nodeA 192.168.85.1 mirror ssh
nodeB IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/srv/data::ext4 \
	dnsrr::www.example.com
EOF
"$H2C" --conf-dir "$LAB_DIR/etc" "$LAB_DIR/haresources" >"$LAB_DIR/conv/haresources.crm" ||
	fail "haresources2crm failed"
"$H2C" --pcs --conf-dir "$LAB_DIR/etc" "$LAB_DIR/haresources" >"$LAB_DIR/conv/haresources.pcs" ||
	fail "haresources2crm --pcs failed"
grep -q '^group grp_nodeA ip_192.168.85.1 mirror ssh$' "$LAB_DIR/conv/haresources.crm" ||
	fail "seed line: $(cat "$LAB_DIR/conv/haresources.crm")"
grep -q '^	params name=www.example.com address=' "$LAB_DIR/conv/haresources.crm" ||
	fail "dnsrr::NAME did not set name over dnsrr.conf"
ex=$LAB_DIR/conv verify haresources
printf 'nodeA 192.168.85.1 mirror::a::b\n' | "$H2C" - 2>"$LAB_DIR/h2c.err" && fail "a bad line converted"
grep -q '^stdin:1:20: mirror takes one argument' "$LAB_DIR/h2c.err" || fail "error: $(cat "$LAB_DIR/h2c.err")"
log "haresources2crm: the seed's line and the other forms load through crm and pcs"

# The same into a running Pacemaker (one node; nothing is started and
# nothing probed: the examples name hosts and files of another site), each
# through crm and through pcs, then crm_verify -L on the live CIB.
cluster_up 1
node_exec 1 crm_attribute -t crm_config -n stop-all-resources -v true >/dev/null
node_exec 1 crm_attribute -t crm_config -n enable-startup-probes -v false >/dev/null
live() {	# live NAME KIND: load and verify, then remove its resources again
	local name=$1 kind=$2 out
	if [ "$kind" = crm ]; then
		out=$(node_exec 1 crm configure load update "$ex/$name.crm" 2>&1) ||
			fail "$name.crm into the live cluster: $out"
	else
		out=$(node_exec 1 env PCS=pcs sh "$ex/$name.pcs" 2>&1) ||
			fail "$name.pcs into the live cluster: $out"
	fi
	out=$(node_exec 1 crm_verify -L -V 2>&1) || fail "crm_verify -L after $name.$kind: $out"
	node_exec 1 cibadmin --replace -o constraints --xml-text '<constraints/>' >/dev/null
	node_exec 1 cibadmin --replace -o resources --xml-text '<resources/>' >/dev/null
}
ex=$(cd "$(dirname "$0")/../../crm-examples" && pwd)
for f in "$ex"/*.crm; do
	live "$(basename "$f" .crm)" crm
	live "$(basename "$f" .crm)" pcs
done
log "every example loads into a running Pacemaker through crm and pcs; crm_verify -L clean"
log "PASS"
