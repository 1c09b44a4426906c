#!/bin/sh
# SPDX-License-Identifier: MIT
# selftest.sh - boots the HRT kernel standalone under QEMU TCG with 1, 2 and 4 CPUs and reports its self-tests.
#
# Usage: tests/hrt/selftest.sh [hrt.elf]
# Prints "ok - smpN: test" / "not ok - smpN: test" per test and configuration,
# one check that a deliberately broken test fails the suite, and finally
# "N passed, N failed".  Exits non-zero on any failure, QEMU timeout, crash
# or a verdict count that differs from the kernel's announced plan.
set -u

here=$(cd "$(dirname "$0")/../.." && pwd)
elf=${1:-$here/${O:-build}/hrt-kernel/hrt.elf}
qemu=${QEMU:-qemu-system-x86_64}
boot_timeout=${HRT_BOOT_TIMEOUT:-120}
cpus_list=${HRT_SMP:-"1 2 4"}

if [ ! -f "$elf" ]; then
	echo "selftest.sh: $elf not found (run make first)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "selftest.sh: $qemu not installed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

# boot NAME SMP [APPEND]: serial log in $tmp/NAME.log, QEMU status in $tmp/NAME.rc
boot() {
	timeout "$boot_timeout" "$qemu" -accel tcg,thread=multi -cpu max \
		-smp "$2" -m 128M -display none -monitor none -no-reboot \
		-serial "file:$tmp/$1.raw" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$elf" ${3:+-append "$3"} </dev/null >"$tmp/$1.qemu" 2>&1
	echo $? >"$tmp/$1.rc"
	tr -d '\r' <"$tmp/$1.raw" >"$tmp/$1.log" 2>/dev/null || : >"$tmp/$1.log"
}

# Kernel exit codes through isa-debug-exit: (value << 1) | 1.
describe_rc() {
	case $1 in
	33) echo "all passed" ;;
	35) echo "kernel reported failures" ;;
	37) echo "kernel crashed" ;;
	124) echo "timed out after ${boot_timeout}s" ;;
	*) echo "QEMU exit status $1" ;;
	esac
}

for n in $cpus_list; do
	cfg=smp$n
	boot "$cfg" "$n"
	rc=$(cat "$tmp/$cfg.rc")
	plan=$(sed -n 's/^selftest: plan \([0-9][0-9]*\).*/\1/p' "$tmp/$cfg.log" | head -n 1)
	seen=0
	while IFS= read -r line; do
		case $line in
		"ok - "*)
			name=${line#ok - }
			echo "ok - $cfg: ${name% (*}"
			passed=$((passed + 1))
			seen=$((seen + 1))
			;;
		"not ok - "*)
			name=${line#not ok - }
			echo "not ok - $cfg: ${name% (*}"
			failed=$((failed + 1))
			seen=$((seen + 1))
			;;
		esac
	done <"$tmp/$cfg.log"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/$cfg.log" | tail -n 1)
	if [ "$rc" != 33 ] && [ "$rc" != 35 ] || [ -z "$plan" ] ||
		[ "$seen" != "$plan" ] || [ -z "$summary" ]; then
		echo "not ok - $cfg: boot ($(describe_rc "$rc"), plan ${plan:-none}, $seen verdicts)"
		failed=$((failed + 1))
		sed 's/^/# /' "$tmp/$cfg.log" | tail -n 40
	elif [ "$rc" = 35 ]; then
		# Show the kernel's diagnostics for the failures.
		grep -E '^  FAILED|^hrt: (UNEXPECTED|nested)|^PANIC' "$tmp/$cfg.log" | sed 's/^/# /'
	fi
done

# A deliberately wrong test must turn the kernel's verdict into a failure.
boot broken 1 "selftest.broken=1"
rc=$(cat "$tmp/broken.rc")
if [ "$rc" = 35 ] && grep -q '^not ok - deliberately_broken' "$tmp/broken.log" &&
	grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$' "$tmp/broken.log"; then
	echo "ok - smp1: broken_test_detected"
	passed=$((passed + 1))
else
	echo "not ok - smp1: broken_test_detected ($(describe_rc "$rc"))"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
