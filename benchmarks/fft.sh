#!/bin/bash
# SPDX-License-Identifier: MIT
# fft.sh - a published parallel kernel on hrt.h: Debian's FFTW, threaded, its pthreads on the ROS cores against hrt.h on the HRT cores, in one VM.
#
# hvm-fft-bench plans one threaded 2-D complex FFT per size and times
# fftw_execute natively (FFTW's own pthread pool, ROS cores) and inside
# hrt_invoke with fftw-hrt.c's hrt.h backend (HRT cores); ratio =
# linux/hrt (above 1: the HRT is faster), with the HRT's costly events per
# execute beside it.  FFT_BENCH_CORES (R:H, default 2:2), FFT_BENCH_SIZES
# (default "64 256 1024"), FFT_BENCH_ITERS and FFT_BENCH_ACCEL
# (auto|kvm|tcg) adjust the run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/accel.sh
O=${O:-build}
cores=${FFT_BENCH_CORES:-2:2}
accel=${FFT_BENCH_ACCEL:-auto}
sizes=${FFT_BENCH_SIZES:-64 256 1024}
threads=${cores#*:}
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

guest=""
for s in $sizes; do
	case $s in
	64) n=200 ;;
	256) n=20 ;;
	*) n=2 ;;
	esac
	guest="$guest hvm-fft-bench -t $threads -s $s -n ${FFT_BENCH_ITERS:-$n} || exit 1;"
done

rc=0
timeout -k 5 960 "$O/hvm/hvm-run" --cores "$cores" --mem 2G:512M --accel "$accel" \
	--timeout 900 -- sh -c "$guest" >"$out" 2>"$err" || rc=$?

acc=$(bench_accel "$accel" "$err")

echo "hvm-fft-bench, cores $cores (ROS:HRT), accelerator: $acc"
tr -d '\r' <"$out"
if [ "$rc" -ne 0 ] || ! grep -q '^fft-' "$out"; then
	echo "fft.sh: hvm-fft-bench failed (status $rc)" >&2
	cat "$err" >&2
	exit 1
fi
