#!/bin/bash
# dnsrr-reset puts the RRsets of a normal-dns file (the seed's nsupdate
# syntax) back on two real named servers in one signed update each, and
# confirms them; a wrong key and a parse error are reported clearly.
. "$(dirname "$0")/lib.sh"
lab_init
need dig nsupdate
RESET=$TOP_BUILDDIR/helpers/dnsrr/dnsrr-reset
start_named a
start_named b
PA=$NAMED_PORT_a PB=$NAMED_PORT_b

# The cluster drifted: www lost a record, gained a stranger; smtp is gone.
for p in $PA $PB; do
	nsupdate -k "$TSIG_KEY_FILE" <<EOF || fail "setup update"
server 127.0.0.1 $p
zone example.test
update delete www.example.test A
update add www.example.test 60 A 192.0.2.66
send
EOF
done

cat >"$LAB_DIR/normal-dns" <<'EOF'
update add www.example.test 1 A 192.0.2.1
update add www.example.test 1 A 192.0.2.2
update add www.example.test 1 A 192.0.2.3
update add smtp.example.test 1 A 192.0.2.1
update add smtp.example.test 1 A 192.0.2.2


EOF
out=$("$RESET" -n -k "$TSIG_KEY_FILE" -s "127.0.0.1:$PA" "$LAB_DIR/normal-dns") || fail "dry run: $out"
echo "$out" | grep -q "would send" || fail "dry run printed: $out"
[ "$(rrset "$PA" www.example.test)" = "192.0.2.66" ] || fail "dry run changed the zone"

out=$("$RESET" -k "$TSIG_KEY_FILE" -s "127.0.0.1:$PA 127.0.0.1:$PB" "$LAB_DIR/normal-dns" 2>&1) ||
	fail "reset: $out"
echo "$out" | while read -r l; do log "$l"; done
[ "$(echo "$out" | grep -c "record(s) reset")" -eq 2 ] || fail "not two servers: $out"
for p in $PA $PB; do
	[ "$(rrset "$p" www.example.test)" = "192.0.2.1 192.0.2.2 192.0.2.3" ] ||
		fail "www on $p: $(rrset "$p" www.example.test)"
	[ "$(rrset "$p" smtp.example.test)" = "192.0.2.1 192.0.2.2" ] ||
		fail "smtp on $p: $(rrset "$p" smtp.example.test)"
done
log "both servers hold the baseline"

# Running it again changes nothing and still succeeds.
"$RESET" -k "$TSIG_KEY_FILE" -s "127.0.0.1:$PA 127.0.0.1:$PB" "$LAB_DIR/normal-dns" >/dev/null ||
	fail "second reset"

# server lines in the file are honoured.
printf 'server 127.0.0.1 %s\nzone example.test\nupdate add pop.example.test 1 A 192.0.2.4\nsend\n' \
	"$PB" >"$LAB_DIR/pop-dns"
"$RESET" -k "$TSIG_KEY_FILE" "$LAB_DIR/pop-dns" >/dev/null || fail "server line"
[ "$(rrset "$PB" pop.example.test)" = "192.0.2.4" ] || fail "pop not on b"
[ -z "$(rrset "$PA" pop.example.test)" ] || fail "pop leaked to a"

# A wrong key: exit 1, the server and BADSIG named, nothing changed.
sed 's|secret ".*"|secret "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="|' "$TSIG_KEY_FILE" >"$LAB_DIR/bad.key"
out=$("$RESET" -k "$LAB_DIR/bad.key" -s "127.0.0.1:$PA" -z example.test "$LAB_DIR/pop-dns" 2>&1)
[ $? -eq 1 ] || fail "wrong key: $out"
echo "$out" | grep -q "refused key lab-key.: BADSIG" || fail "wrong key: $out"
log "wrong key: $out"

# A parse error names file and line; nothing is sent.
printf 'update add www.example.test 1 A 192.0.2.1\nupdate delete www.example.test A\n' >"$LAB_DIR/bad-dns"
out=$("$RESET" -k "$TSIG_KEY_FILE" -s "127.0.0.1:$PA" "$LAB_DIR/bad-dns" 2>&1)
[ $? -eq 2 ] || fail "parse error exit: $out"
echo "$out" | grep -q "bad-dns: line 2: only \"update add\"" || fail "parse error: $out"
log "parse error: $out"
log "PASS"
