#!/bin/bash
# Every crm-examples/ configuration loads into a Pacemaker CIB, through crm
# (.crm) and through pcs (.pcs), and passes crm_verify (the lab's CIBs have
# stonith-enabled=false, as no fencing device exists here; the examples
# leave fencing to the site). The agents are the
# ones just built, bind-mounted as the understudy provider in a private
# mount namespace (never installed on the host).
. "$(dirname "$0")/lib.sh"
lab_init
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
log "PASS"
