#!/bin/bash
# resource-agents' ocft runs tests/ocft/usdummy against the test agent.
. "$(dirname "$0")/lib.sh"
lab_init
need ocft
mkdir -p "$LAB_DIR/configs" "$LAB_DIR/root"
cp "$TOP_BUILDDIR/tests/agent/usdummy" "$LAB_DIR/root/usdummy"
sed -e "s|@AGENT_ROOT@|$LAB_DIR/root|" -e "s|@STATE@|$LAB_DIR/usdummy.state|" \
	"$(dirname "$0")/../ocft/usdummy" >"$LAB_DIR/configs/usdummy"
lab_on_exit ocft clean usdummy
ocft make -d "$LAB_DIR/configs" usdummy >"$LAB_DIR/ocft-make.log" 2>&1 ||
	fail "ocft make: $(cat "$LAB_DIR/ocft-make.log")"
ocft test usdummy >"$LAB_DIR/ocft.log" 2>&1
cat "$LAB_DIR/ocft.log"
grep -qi "error\|fail" "$LAB_DIR/ocft.log" && fail "ocft reported failures"
n=$(grep -c "^\(.*\)\?usdummy: " "$LAB_DIR/ocft.log" || true)
log "PASS ($n ocft lines)"
