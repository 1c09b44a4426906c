#!/bin/sh
# SPDX-License-Identifier: MIT
# hrt-bench.sh - runs the HRT's in-kernel microbenchmarks standalone under QEMU and prints their results.
#
# Usage: benchmarks/hrt-bench.sh [hrt.elf]   (HRT_BENCH_SMP=N cpus, default 2)
# These are measurements, not tests: numbers under TCG are emulation speed.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
elf=${1:-$here/${O:-build}/hrt-kernel/hrt.elf}
qemu=${QEMU:-qemu-system-x86_64}
smp=${HRT_BENCH_SMP:-2}
accel=${HRT_BENCH_ACCEL:-tcg,thread=multi}

[ -f "$elf" ] || { echo "hrt-bench.sh: $elf not found (run make first)" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
echo "hrt-bench: QEMU accelerator ${accel%%,*}, $smp cpus, -cpu max"
timeout 120 "$qemu" -accel "$accel" -cpu max -smp "$smp" -m 128M \
	-display none -monitor none -no-reboot -serial "file:$log" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$elf" -append "bench" </dev/null >/dev/null 2>&1
rc=$?
tr -d '\r' <"$log" | grep '^bench:'
# 33 = the kernel exited cleanly through isa-debug-exit.
if [ "$rc" != 33 ] || ! tr -d '\r' <"$log" | grep -q '^bench: done'; then
	echo "hrt-bench: kernel did not finish (QEMU status $rc)" >&2
	tr -d '\r' <"$log" | tail -n 20 >&2
	exit 1
fi
