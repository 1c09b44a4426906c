#!/bin/bash
# SPDX-License-Identifier: MIT
# checkpatch.sh - the kernel module's and the HRT kernel's sources must be checkpatch.pl --no-tree clean.
set -u
cd "$(dirname "$0")/../.."
cp=${O:-build}/kernel/checkpatch/checkpatch.pl
# The HRT is no Linux kernel: what it is exempt from, and why, is listed in
# one file; the module has no exceptions.
hrt_types=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' tests/lint/checkpatch-hrt.types |
	awk '{ print $1 }')
# The types hrt-kernel file $1 is exempt from, comma-separated.
hrt_ignore() {
	local t out=
	for t in $hrt_types; do
		case $t in
		*@"$1") out+=,${t%@*} ;;
		*@*) ;;
		*) out+=,$t ;;
		esac
	done
	echo "${out#,}"
}
pass=0
fail=0
check() {
	local f=$1
	shift
	out=$(perl "$cp" --no-tree --terse --show-types "$@" -f "$f" 2>&1 | grep -v '^total:')
	if [ -z "$out" ]; then
		echo "ok - checkpatch: $f"
		pass=$((pass + 1))
	else
		echo "not ok - checkpatch: $f"
		echo "$out" | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
}
for f in ros-driver/*.c ros-driver/*.h; do
	check "$f"
done
for f in hrt-kernel/*.c hrt-kernel/*.h hrt-kernel/tests/*.c; do
	check "$f" --ignore "$(hrt_ignore "$f")"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
