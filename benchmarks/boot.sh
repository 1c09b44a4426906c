#!/bin/bash
# SPDX-License-Identifier: MIT
# boot.sh - hvm-run's boot-to-command wall time against plain QEMU, same kernel and initramfs.
#
# Both boot the same ROS kernel and the initramfs hvm-run composes, run
# `true` as the guest command and power off; plain QEMU lacks only what
# hvm-run adds (the ivshmem region and server, QMP, the console relay).
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
N=${N:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$O/hvm/hvm-run" -q --cores 1:1 --save-initrd "$tmp/initrd" -- true
now() { date +%s.%N; }
best() { sort -n | head -1; }

for _ in $(seq "$N"); do
	t0=$(now)
	"$O/hvm/hvm-run" -q --cores 1:1 -- true
	echo "$(now) - $t0" | bc
done | best >"$tmp/hvm"
for _ in $(seq "$N"); do
	t0=$(now)
	timeout 120 qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-no-reboot -machine q35 -accel tcg,thread=multi -cpu max \
		-smp 2,sockets=1,cores=2,threads=1 -m 512M \
		-kernel "$O/kernel/vmlinuz" -initrd "$tmp/initrd" \
		-append 'console=ttyS0,115200 maxcpus=1 rdinit=/init panic=-1' \
		-serial null -serial null -serial null
	echo "$(now) - $t0" | bc
done | best >"$tmp/qemu"
hvm=$(cat "$tmp/hvm")
qemu=$(cat "$tmp/qemu")
printf 'boot to command and back (best of %d, TCG):\n' "$N"
printf '  hvm-run --cores 1:1 -- true   %6.2f s\n' "$hvm"
printf '  plain qemu, same kernel+initrd %6.2f s\n' "$qemu"
printf '  ratio hvm-run / plain qemu     %6.2f\n' "$(echo "$hvm / $qemu" | bc -l)"
