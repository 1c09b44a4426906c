#!/bin/bash
# SPDX-License-Identifier: MIT
# exec.sh - unmodified programs natively on 2 ROS cores against the same programs under hrt-exec on 2 HRT cores, in one VM.
#
# One boot with --host-root --cores 2:2; benchmarks/exec-guest.sh runs, in
# the guest, alternating native and "hrt-exec --cores 0-1" runs of:
#   1. exec-omp (benchmarks/exec-omp.c), a 2-D Jacobi stencil with
#      OMP_NUM_THREADS=2: its sweep time (its own CLOCK_MONOTONIC) and the
#      whole process's wall time; checksums must match;
#   2. tar -cf FILE over a tree of small files in the guest's /tmp
#      (syscall heavy; the archives must be identical);
#   3. start-up: STARTS runs of true against STARTS runs of hrt-exec true
#      (and, as a reference for hrt-exec's own two execs, env true);
# then tar once more under hvm-prof (its per-stage report is printed).
# The table gives medians over RUNS runs; ratio = native/HRT (above 1: the
# HRT is faster).  Exits non-zero when a run fails or outputs differ; the
# ratios themselves are not judged.
#
# EXEC_BENCH_RUNS (default 5), EXEC_BENCH_OMP ("N ITERS", default
# "512 100"), EXEC_BENCH_FILES (default 300), EXEC_BENCH_STARTS (default
# 20), EXEC_BENCH_ACCEL (auto|kvm|tcg) adjust the run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/accel.sh
O=${O:-build}
runs=${EXEC_BENCH_RUNS:-5}
read -r omp_n omp_iters <<<"${EXEC_BENCH_OMP:-512 100}"
files=${EXEC_BENCH_FILES:-300}
starts=${EXEC_BENCH_STARTS:-20}
accel=${EXEC_BENCH_ACCEL:-auto}
bin=$(cd "$O/benchmarks" 2>/dev/null && pwd) || bin=
if [ -z "$bin" ] || [ ! -x "$bin/exec-omp" ] || [ ! -x "$O/hvm/hvm-run" ]; then
	echo "exec.sh: build first (make): no $O/benchmarks/exec-omp or $O/hvm/hvm-run" >&2
	exit 1
fi
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

load0=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
timeout -k 5 1860 "$O/hvm/hvm-run" --cores 2:2 --mem 2G:256M --accel "$accel" \
	--host-root --share "$PWD:/run/hvm-src" --share "$bin:/run/hvm-bench" \
	--timeout 1800 -- bash /run/hvm-src/benchmarks/exec-guest.sh /run/hvm-bench \
	"$runs" "$omp_n" "$omp_iters" "$files" "$starts" >"$out" 2>"$err" || rc=$?
sed -i 's/\r$//' "$out"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

acc=$(bench_accel "$accel" "$err")

# median NAME MODE: the median of the RUN lines' ns (the lower middle one
# for an even count), empty without runs.
median() {
	awk -v n="$1" -v m="$2" '$1 == "RUN" && $2 == n && $3 == m { print $5 }' "$out" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# row LABEL NAME DIV UNIT [NATIVE_NAME]: one table row, the medians' ns
# divided by DIV; the native column from NATIVE_NAME's runs if given.
row() {
	awk -v l="$1" -v a="$(median "${5:-$2}" native)" -v b="$(median "$2" hrt)" \
		-v d="$3" -v u="$4" 'BEGIN {
		na = a == "" ? "-" : sprintf("%.1f %s", a / d, u)
		nb = b == "" ? "-" : sprintf("%.1f %s", b / d, u)
		r = a == "" || b == "" || b == 0 ? "-" : sprintf("%.3f", a / b)
		printf "| %s | %s | %s | %s |\n", l, na, nb, r }'
}

echo "hrt-exec benchmark: cores 2:2 (ROS:HRT), native on 2 ROS cores vs" \
	"hrt-exec --cores 0-1, accelerator: $acc"
echo "medians of $runs alternating runs each; ratio = native/HRT (above 1: HRT faster)"
echo "host: $(nproc) CPUs for 4 vCPUs; load average before the VM $load0, after $load1"
grep '^INFO ' "$out" | sed 's/^INFO /  /' || true
echo
echo "| benchmark | native | HRT | ratio |"
echo "| --- | --- | --- | --- |"
row "exec-omp ${omp_n}x${omp_n} Jacobi, $omp_iters sweeps, 2 threads: sweep time" omp 1e6 ms
row "exec-omp: whole process, wall" omp-wall 1e6 ms
row "tar -cf FILE, $files files" tar 1e6 ms
row "start-up: $starts runs of true, total" start 1e6 ms
row "start-up: per run (total / $starts)" start "$((starts * 1000000))" ms
row "start-up per run, env true (2 execs) vs hrt-exec true" start \
	"$((starts * 1000000))" ms start-env
echo
echo "Runs (ns):"
awk '$1 == "RUN" { printf "  %-9s %-6s %s %s\n", $2, $3, $4, $5 }' "$out"
echo
echo "hvm-prof -- hrt-exec --cores 0-1 tar -cf FILE (one run):"
sed -n '/^PROF BEGIN$/,/^PROF END/p' "$out" | sed '1d; s/^/  /'

bad=0
if grep -q '^FAIL ' "$out"; then
	echo
	grep '^FAIL ' "$out" | sed 's/^/exec.sh: /' >&2
	bad=1
fi
for nm in omp:native omp:hrt omp-wall:native omp-wall:hrt tar:native tar:hrt \
	start:native start:hrt start-env:native; do
	n=${nm%:*} m=${nm#*:}
	c=$(awk -v n="$n" -v m="$m" '$1 == "RUN" && $2 == n && $3 == m' "$out" | wc -l)
	if [ "$c" -lt "$runs" ]; then
		echo "exec.sh: $n $m: $c of $runs runs succeeded" >&2
		bad=1
	fi
done
if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
	echo "exec.sh: failed (hvm-run status $rc)" >&2
	grep -v '^\(RUN\|INFO\) ' "$out" | tail -n 40 >&2 || true
	tail -n 20 "$err" >&2
	exit 1
fi
