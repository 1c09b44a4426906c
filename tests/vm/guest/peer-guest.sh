#!/bin/bash
# SPDX-License-Identifier: MIT
# peer-guest.sh - the in-guest half of tests/vm/peer.sh: Python's own regression tests natively and under hrt-exec, verdict by verdict.
#
# usage: peer-guest.sh KNOWN MODULE...
#   KNOWN   file of expected differences: "TEST-ID-REGEX  reason", # comments
#   MODULE  a test module of Debian's libpython3.11-testsuite, optionally
#           MODULE:-i:PATTERN to leave out the test cases matching PATTERN
# Each module runs with `python3 -m test --junit-xml` natively, then under
# hrt-exec; one verdict per module: every test case's result (passed,
# failed, error, skipped) the same on the HRT as natively.
set -u
KNOWN=$1
shift
W=$(mktemp -d /tmp/peer.XXXXXX)
PASS=0 FAIL=0
export PYTHONDONTWRITEBYTECODE=1
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1${2:+ # $2}"; }
stat() { hvmctl stats 2>/dev/null | awk -v k="hrt.$1:" '$1 == k { print $2 }'; }

# results XML OUT: "id verdict" lines, sorted.
results() {
	python3 - "$1" <<'PY' | sort >"$2"
import sys, xml.etree.ElementTree as ET
for c in ET.parse(sys.argv[1]).getroot().iter('testcase'):
    kids = [k.tag for k in c]
    v = ('failed' if 'failure' in kids else 'error' if 'error' in kids
         else 'skipped' if 'skipped' in kids else 'passed')
    print(c.get('name'), v)
PY
}

cd "$W" || exit 1
if ! python3 -c 'import test.test_mmap' 2>/dev/null; then
	not_ok "peer: Python's regression tests are installed (libpython3.11-testsuite)"
	echo "$PASS passed, $FAIL failed"
	exit 1
fi
for spec in "$@"; do
	mod=${spec%%:*} ign=()
	[ "$spec" != "$mod" ] && ign=(-i "${spec#*:-i:}")
	timeout -k 5 600 python3 -m test --junit-xml "$W/$mod.n.xml" "${ign[@]}" "$mod" \
		>"$W/$mod.n.out" 2>&1
	rn=$?
	i0=$(stat invocations)
	timeout -k 5 900 hrt-exec python3 -m test --junit-xml "$W/$mod.h.xml" "${ign[@]}" \
		"$mod" >"$W/$mod.h.out" 2>&1
	rh=$?
	i1=$(stat invocations)
	why=
	[ -s "$W/$mod.n.xml" ] || why="$why; no native results (exit $rn)"
	[ -s "$W/$mod.h.xml" ] || why="$why; no results under hrt-exec (exit $rh)"
	[ $((${i1:-0} - ${i0:-0})) -ge 1 ] || why="$why; hrt.invocations did not grow: not on the HRT"
	if [ -n "$why" ]; then
		not_ok "peer: python3 -m test $mod under hrt-exec as natively" "${why#; }"
		tail -n 15 "$W/$mod.h.out" | sed 's/^/#   /'
		continue
	fi
	results "$W/$mod.n.xml" "$W/$mod.n"
	results "$W/$mod.h.xml" "$W/$mod.h"
	join -a1 -a2 -e none -o 0,1.2,2.2 "$W/$mod.n" "$W/$mod.h" |
		awk '$2 != $3' >"$W/$mod.diff"
	bad=0
	while read -r id vn vh; do
		re=$(grep -Ev '^(#|$)' "$KNOWN" | awk '{ print $1 }' | while read -r k; do
			[[ $id =~ $k ]] && echo "$k"
		done | head -1)
		if [ -n "$re" ]; then
			echo "# peer: $id: natively $vn, on the HRT $vh: known ($(grep -F "$re" "$KNOWN" | head -1 | cut -d' ' -f2- | sed 's/^ *//'))"
		else
			bad=$((bad + 1))
			echo "# peer: $id: natively $vn, on the HRT $vh"
		fi
	done <"$W/$mod.diff"
	n=$(wc -l <"$W/$mod.h")
	counts=$(awk '{ c[$2]++ } END { for (v in c) printf "%s %d, ", v, c[v] }' "$W/$mod.h")
	name="peer: python3 -m test $mod${ign[1]:+ (without ${ign[1]})} under hrt-exec: $n test cases, each as natively (${counts%, })"
	if [ "$bad" = 0 ]; then
		ok "$name"
	else
		not_ok "$name" "$bad differ"
		grep -E '^(FAIL|ERROR):|Error:|Traceback' "$W/$mod.h.out" | head -20 | sed 's/^/#   /'
	fi
done
if dmesg | grep -Eq "BUG:|Oops|WARNING:"; then
	not_ok "peer: no BUG:/Oops/WARNING: in dmesg"
else
	ok "peer: no BUG:/Oops/WARNING: in dmesg"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
