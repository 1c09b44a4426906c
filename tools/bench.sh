#!/bin/bash
# SPDX-License-Identifier: MIT
# bench.sh - runs every benchmarks/*.sh; each compares against a baseline in one run.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
for b in benchmarks/*.sh; do
	[ -x "$b" ] || continue
	echo "=== $b"
	"$b" || rc=1
done
exit $rc
