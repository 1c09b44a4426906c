#!/bin/bash
# SPDX-License-Identifier: MIT
# checkpatch.sh - the kernel module's sources must be checkpatch.pl --no-tree clean.
set -u
cd "$(dirname "$0")/../.."
cp=${O:-build}/kernel/checkpatch/checkpatch.pl
pass=0
fail=0
for f in ros-driver/*.c ros-driver/*.h; do
	out=$(perl "$cp" --no-tree --terse --show-types -f "$f" 2>&1 | grep -v '^total:')
	if [ -z "$out" ]; then
		echo "ok - checkpatch: $f"
		pass=$((pass + 1))
	else
		echo "not ok - checkpatch: $f"
		echo "$out" | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
