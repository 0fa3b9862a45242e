#!/bin/bash
# resource-agents' ocft runs every configuration in tests/ocft: the test
# agent, and each agent against the lab daemons it needs.
. "$(dirname "$0")/lib.sh"
lab_init
need ocft
start_named a
mkdir -p "$LAB_DIR/configs" "$LAB_DIR/root" "$LAB_DIR/rsctmp"
cp "$TOP_BUILDDIR/tests/agent/usdummy" "$TOP_BUILDDIR/agents/dnsrr" "$LAB_DIR/root/"
failed=0
for cfg in "$(dirname "$0")"/../ocft/*; do
	agent=$(basename "$cfg")
	sed -e "s|@AGENT_ROOT@|$LAB_DIR/root|" -e "s|@STATE@|$LAB_DIR/usdummy.state|" \
		-e "s|@SERVERS@|127.0.0.1:$NAMED_PORT_a|" -e "s|@KEY@|$TSIG_KEY_FILE|" \
		"$cfg" >"$LAB_DIR/configs/$agent"
	lab_on_exit ocft clean "$agent"
	ocft make -d "$LAB_DIR/configs" "$agent" >"$LAB_DIR/ocft-make-$agent.log" 2>&1 ||
		fail "ocft make $agent: $(cat "$LAB_DIR/ocft-make-$agent.log")"
	ocft test "$agent" >"$LAB_DIR/ocft-$agent.out" 2>&1
	sed 's/\x1b\[[0-9;]*m//g' "$LAB_DIR/ocft-$agent.out"
	if grep -qi "error\|fail" "$LAB_DIR/ocft-$agent.out"; then
		log "ocft $agent: failures"
		failed=1
	else
		log "ocft $agent: $(sed "s/\x1b\[[0-9;]*m//g" "$LAB_DIR/ocft-$agent.out" | grep -c " - OK") cases OK"
	fi
done
[ "$failed" -eq 0 ] || fail "ocft reported failures"
log "PASS"
