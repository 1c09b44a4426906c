#!/bin/bash
# SPDX-License-Identifier: MIT
# threads.sh - unmodified pthread/OpenMP code on the ROS cores against the same code inside hrt_invoke on the HRT cores, in one VM.
#
# hvm-thread-bench runs each measurement natively and then inside an
# offloaded function; ratio = native/hrt (above 1: the HRT is faster).  It
# runs twice in the boot: as is, and with HVM_FUTEX=hrt (what hrt-exec
# declares: no native thread waits on the futexes HRT code wakes).
# THREAD_BENCH_CORES (R:H, default 2:2), THREAD_BENCH_ITERS (-n, default the
# program's) and THREAD_BENCH_ACCEL (auto|kvm|tcg) adjust the run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/accel.sh
O=${O:-build}
cores=${THREAD_BENCH_CORES:-2:2}
accel=${THREAD_BENCH_ACCEL:-auto}
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

rc=0
timeout -k 5 960 "$O/hvm/hvm-run" --cores "$cores" --mem 1G:128M --accel "$accel" \
	--timeout 900 -- sh -c 'hvm-thread-bench "$@" && echo "# with HVM_FUTEX=hrt" &&
		HVM_FUTEX=hrt hvm-thread-bench "$@"' sh \
	${THREAD_BENCH_ITERS:+-n "$THREAD_BENCH_ITERS"} >"$out" 2>"$err" || rc=$?

acc=$(bench_accel "$accel" "$err")

echo "hvm-thread-bench, cores $cores (ROS:HRT), accelerator: $acc"
tr -d '\r' <"$out"
if [ "$rc" -ne 0 ] || [ "$(grep -c '^omp_barrier ' "$out")" != 2 ]; then
	echo "threads.sh: hvm-thread-bench failed (status $rc)" >&2
	cat "$err" >&2
	exit 1
fi
