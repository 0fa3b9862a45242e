#!/bin/bash
# The test agent, built on the OCF core, passes resource-agents' ocf-tester
# (primitive and promotable) and its meta-data is valid against ra-api-1.dtd.
. "$(dirname "$0")/lib.sh"
lab_init
need ocf-tester xmllint
agent=$(lab_bin "$TOP_BUILDDIR/tests/agent/usdummy")/usdummy	# ocf-tester runs it as nobody too

meta_data_valid "$agent"

out=$(ocf-tester -n t1 -o state="$LAB_DIR/t1.state" "$agent" 2>&1) ||
	fail "ocf-tester: $out"
echo "$out" | grep -q "passed all tests" || fail "ocf-tester: $out"
log "ocf-tester: passed all tests"

# ocf-tester exercises promote/demote when the agent advertises them; the
# clone meta attributes make it treat the agent as promotable.
out=$(ocf-tester -n t2 -o state="$LAB_DIR/t2.state" -o CRM_meta_clone=0 \
	-o CRM_meta_promotable=true "$agent" 2>&1) || fail "ocf-tester (promotable): $out"
log "ocf-tester (promotable): passed"

# A missing program: validate-all says ERR_INSTALLED with a reason.
out=$(OCF_ROOT=/usr/lib/ocf OCF_RESKEY_program=no-such-prog "$agent" validate-all 2>&1)
rc=$?
[ "$rc" -eq 5 ] || fail "validate-all with missing program: rc=$rc $out"
echo "$out" | grep -q '^ocf-exit-reason:parameter program="no-such-prog": program not found' ||
	fail "no exit reason: $out"
out=$(OCF_ROOT=/usr/lib/ocf OCF_RESKEY_user=no-such-user-us "$agent" validate-all 2>&1)
[ $? -eq 5 ] || fail "validate-all with missing user: $out"
log "PASS"
