#!/bin/bash
# resource-agents' ocft runs the configurations in tests/ocft that need no
# daemon of their own: the test agent, and dnsrr against a lab named.
# (pgwarm's runs in test_pgwarm_ocf.sh, next to its PostgreSQL and sshd.)
. "$(dirname "$0")/lib.sh"
lab_init
need ocft
start_named a
mkdir -p "$LAB_DIR/root"
cp "$TOP_BUILDDIR/tests/agent/usdummy" "$TOP_BUILDDIR/agents/dnsrr" "$LAB_DIR/root/"
ocft_run "$(dirname "$0")/../ocft/usdummy" -e "s|@AGENT_ROOT@|$LAB_DIR/root|" \
	-e "s|@STATE@|$LAB_DIR/usdummy.state|"
ocft_run "$(dirname "$0")/../ocft/dnsrr" -e "s|@AGENT_ROOT@|$LAB_DIR/root|" \
	-e "s|@SERVERS@|127.0.0.1:$NAMED_PORT_a|" -e "s|@KEY@|$TSIG_KEY_FILE|"
log "PASS"
