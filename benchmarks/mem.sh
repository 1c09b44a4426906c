#!/bin/bash
# SPDX-License-Identifier: MIT
# mem.sh - what munmap, mprotect and first-touch faults cost on the HRT against natively, with the events behind them, in one VM.
#
# One boot with --host-root --cores 1:2: benchmarks/mem-guest.sh runs
# mem-ops (benchmarks/mem-ops.c: N rounds of mmap, touch, mprotect twice,
# munmap of one page) natively on the ROS core and under hrt-exec,
# alternating, RUNS times.  Prints medians (ns per operation), the ratio
# native/HRT, and the HRT events per round (CR3 loads, TLB flushes, kick
# IPIs, forwarded calls and faults) from hvmctl stats.  MEM_BENCH_RUNS
# (default 5), MEM_BENCH_N (default 200), MEM_BENCH_ACCEL adjust it.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/accel.sh
O=${O:-build}
runs=${MEM_BENCH_RUNS:-5}
n=${MEM_BENCH_N:-200}
accel=${MEM_BENCH_ACCEL:-auto}
bin=$(cd "$O/benchmarks" 2>/dev/null && pwd) || bin=
if [ -z "$bin" ] || [ ! -x "$bin/mem-ops" ] || [ ! -x "$O/hvm/hvm-run" ]; then
	echo "mem.sh: build first (make): no $O/benchmarks/mem-ops or $O/hvm/hvm-run" >&2
	exit 1
fi
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
timeout -k 5 960 "$O/hvm/hvm-run" --cores 1:2 --mem 1G:256M --accel "$accel" \
	--host-root --share "$PWD:/run/hvm-src" --share "$bin:/run/hvm-bench" \
	--timeout 900 -- bash /run/hvm-src/benchmarks/mem-guest.sh /run/hvm-bench \
	"$runs" "$n" >"$out" 2>"$err"
sed -i 's/\r$//' "$out"
acc=$(bench_accel "$accel" "$err")

# median MODE COL: the median over the runs of column COL of RUN lines.
median() {
	awk -v m="$1" -v c="$2" '$1 == "RUN" && $2 == m { print $c }' "$out" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

echo "memory operations: native on the ROS core vs hrt-exec, cores 1:2, accelerator: $acc"
echo "medians of $runs runs of $n rounds; ns per operation; ratio = native/HRT (above 1: HRT faster)"
echo
echo "| operation | native | HRT | ratio |"
echo "| --- | ---: | ---: | ---: |"
col=3
for op in "mmap 4 KiB" "first-touch write fault" "mprotect" "munmap 4 KiB (touched)"; do
	a=$(median native "$col")
	b=$(median hrt "$col")
	awk -v l="$op" -v a="$a" -v b="$b" 'BEGIN { printf "| %s | %d | %d | %.3f |\n", l, a, b, a / b }'
	col=$((col + 1))
done
echo
echo "HRT events per round (all runs):"
awk -v n="$n" -v r="$runs" '$1 == "EV" { s[$2] += $3 } END {
	split("cr3_loads tlb_flushes kick_ipis fwd_calls fwd_faults pml4_syncs", k, " ")
	for (i = 1; i <= 6; i++) printf "  %s %.2f\n", k[i], s["hrt." k[i]] / (n * r) }' "$out"
grep '^FLUSH_TIMEOUTS' "$out" | sed 's/^/  /'
