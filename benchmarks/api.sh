#!/bin/bash
# SPDX-License-Identifier: MIT
# api.sh - hrt.h (native threads, events, barriers) on the HRT cores against pthreads on the ROS cores, in one VM.
#
# hvm-api-bench measures each operation natively (pthreads, ROS cores) and
# inside hrt_invoke (hrt.h, HRT cores); ratio = linux/hrt (above 1: the
# HRT is faster), with the HRT's costly events per operation beside it.
# API_BENCH_CORES (R:H, default 2:2), API_BENCH_ITERS (-n) and
# API_BENCH_ACCEL (auto|kvm|tcg) adjust the run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/accel.sh
O=${O:-build}
cores=${API_BENCH_CORES:-2:2}
accel=${API_BENCH_ACCEL:-auto}
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

rc=0
timeout -k 5 960 "$O/hvm/hvm-run" --cores "$cores" --mem 1G:512M --accel "$accel" \
	--timeout 900 -- hvm-api-bench ${API_BENCH_ITERS:+-n "$API_BENCH_ITERS"} \
	>"$out" 2>"$err" || rc=$?

acc=$(bench_accel "$accel" "$err")

echo "hvm-api-bench, cores $cores (ROS:HRT), accelerator: $acc"
tr -d '\r' <"$out"
if [ "$rc" -ne 0 ] || ! grep -q '^barrier ' "$out"; then
	echo "api.sh: hvm-api-bench failed (status $rc)" >&2
	cat "$err" >&2
	exit 1
fi
