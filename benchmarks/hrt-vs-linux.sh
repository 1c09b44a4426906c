#!/bin/bash
# SPDX-License-Identifier: MIT
# hrt-vs-linux.sh - the HRT's thread/sync microbenchmarks against the same operations under Linux, in one VM.
#
# One VM with R ROS cores and H = R HRT cores: Linux runs benchmarks/linux-ops
# in the ROS, then hvmctl reboots the HRT with "bench" on its command line
# and the HRT's own numbers are read from its log.  Prints HRT/Linux ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
cores=${HVM_BENCH_CORES:-2}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$O/hvm/hvm-run" -q --cores "$cores:$cores" --add "$O/benchmarks/linux-ops:/root/linux-ops" \
	--timeout 300 -- sh -c '
	/root/linux-ops
	hvmctl reboot --cmdline bench >/dev/null || exit 1
	for i in $(seq 1 120); do
		hvmctl log | grep -q "^bench: done" && break
		sleep 1
	done
	hvmctl log | grep "^bench:"' >"$out"

grep -E '^(linux|bench):' "$out"
echo "ratio HRT / Linux (below 1: the HRT is faster), same VM, $cores+$cores cores:"
for op in "thread create+join" "context switch (yield)" "condvar signal->wake (mean)" \
	"barrier round (all cores)"; do
	h=$(grep -F "bench: $op" "$out" | awk '{ for (i = 1; i <= NF; i++) if ($i == "ns/op") print $(i - 1) }' | head -1)
	l=$(grep -F "linux: $op" "$out" | awk '{ for (i = 1; i <= NF; i++) if ($i == "ns/op") print $(i - 1) }' | head -1)
	if [ -n "$h" ] && [ -n "$l" ]; then
		printf '  %-32s %8.3f\n' "$op" "$(echo "$h / $l" | bc -l)"
	else
		printf '  %-32s (missing: hrt=%s linux=%s)\n' "$op" "${h:-?}" "${l:-?}"
	fi
done
