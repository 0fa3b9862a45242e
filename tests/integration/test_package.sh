#!/bin/bash
# The Debian package: dpkg-buildpackage -us -uc -b on a clean copy of the
# tree builds understudy_*.deb with the agents, every program, a man page for
# each agent and program, and the crm-examples; it installs (dpkg -i, its
# dependencies satisfied), `crm ra info` and `pcs resource describe` show the
# installed agents' descriptions, each program runs, and it removes cleanly.
. "$(dirname "$0")/lib.sh"
lab_init
need dpkg-buildpackage dh crm pcs
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$LAB_DIR/src/understudy
mkdir -p "$src"
if [ -d "$top/.git" ]; then
	git -C "$top" ls-files -z | (cd "$top" && xargs -0 cp --parents -t "$src")
else
	(cd "$top" && tar --exclude=./build --exclude=./build-san --exclude=./.git -cf - .) | tar -xf - -C "$src"
fi
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$LAB_DIR/dpkg-buildpackage.log" 2>&1 ||
	fail "dpkg-buildpackage: $(tail -n 20 "$LAB_DIR/dpkg-buildpackage.log")"
deb=$(ls "$LAB_DIR"/src/understudy_*_*.deb | head -n 1)
[ -f "$deb" ] || fail "no .deb"
dpkg-deb -c "$deb" | awk '{print $6}' >"$LAB_DIR/contents"
for f in ./usr/lib/ocf/resource.d/understudy/{pgwarm,mirror,dnsrr,zmworker} \
	./usr/bin/{pgwarm-archive,pgwarm-restore,pgwarm-standby,pgwarm-receive,mirror-sync,mirror-serve,zmctl,haresources2crm} \
	./usr/sbin/{dnsrr-check,dnsrr-monitor,dnsrr-reset,zmworkerd} \
	./usr/share/man/man7/ocf_understudy_{pgwarm,mirror,dnsrr,zmworker}.7.gz \
	./usr/share/man/man1/{pgwarm-archive,pgwarm-restore,pgwarm-standby,pgwarm-receive,mirror-sync,mirror-serve,zmctl,haresources2crm}.1.gz \
	./usr/share/man/man8/{dnsrr-check,dnsrr-monitor,dnsrr-reset,zmworkerd}.8.gz \
	./usr/share/doc/understudy/crm-examples/{pgwarm-standby,mirror-web,zmworker-clone}.crm; do
	grep -qx "$f" "$LAB_DIR/contents" || fail "the package lacks $f"
done
dpkg-deb -f "$deb" Depends | grep -q "resource-agents" || fail "Depends: $(dpkg-deb -f "$deb" Depends)"
log "built $(basename "$deb"): $(grep -c . "$LAB_DIR/contents") entries, Depends: $(dpkg-deb -f "$deb" Depends | cut -c1-80)..."

if dpkg-query -W -f='${Status}' understudy 2>/dev/null | grep -q "install ok installed"; then
	log "understudy is already installed here: install and removal not tried"
	log "PASS"
	exit 0
fi
dpkg -i "$deb" >"$LAB_DIR/dpkg-i.log" 2>&1 || fail "dpkg -i: $(cat "$LAB_DIR/dpkg-i.log")"
lab_on_exit dpkg -r understudy
# The lab's namespaces bind-mount their own agents over this directory; the
# host sees the installed ones.
crm ra info ocf:understudy:pgwarm >"$LAB_DIR/ra-info" 2>&1 || fail "crm ra info: $(cat "$LAB_DIR/ra-info")"
grep -q "PostgreSQL" "$LAB_DIR/ra-info" && grep -q "pgdata" "$LAB_DIR/ra-info" ||
	fail "crm ra info: $(head -n 20 "$LAB_DIR/ra-info")"
pcs resource describe ocf:understudy:mirror >"$LAB_DIR/describe" 2>&1 ||
	fail "pcs resource describe: $(cat "$LAB_DIR/describe")"
grep -q "paths" "$LAB_DIR/describe" && grep -q "known_hosts" "$LAB_DIR/describe" ||
	fail "pcs resource describe: $(head -n 20 "$LAB_DIR/describe")"
for p in zmctl haresources2crm mirror-sync pgwarm-archive dnsrr-check zmworkerd; do
	"$p" --help >/dev/null 2>&1; rc=$?
	[ "$rc" -le 2 ] || fail "$p --help: exit $rc"
done
echo 'nodeA 192.168.85.1 httpd' | haresources2crm | grep -q '^group grp_nodeA' || fail "installed haresources2crm"
man -w zmctl >/dev/null 2>&1 || fail "man zmctl not found"
man -w ocf_understudy_mirror >/dev/null 2>&1 || fail "man ocf_understudy_mirror not found"
log "installed: crm ra info, pcs resource describe, man pages, programs; removed at exit"
dpkg -r understudy >/dev/null 2>&1 || fail "dpkg -r"
[ ! -e /usr/lib/ocf/resource.d/understudy/pgwarm ] || fail "dpkg -r left the agents"
log "PASS"
