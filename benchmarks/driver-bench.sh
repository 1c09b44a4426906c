#!/bin/bash
# SPDX-License-Identifier: MIT
# driver-bench.sh - one VM run measuring hvm.ko: HRT boot/reboot time vs fork+exec, ROS<->HRT interrupt round trips vs eventfd.
# usage: benchmarks/driver-bench.sh [N]   (HVM_BENCH_HRT=IMAGE picks the HRT; default build/hrt-kernel/hrt.elf)
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
N=${1:-200}
HRT=${HVM_BENCH_HRT:-$O/hrt-kernel/hrt.elf}
[ -f "$HRT" ] || HRT=$O/tests/vm/mini-hrt.elf
GUEST=$(mktemp /tmp/driver-bench.XXXXXX.sh)
trap 'rm -f "$GUEST"' EXIT
cat >"$GUEST" <<GUEST_EOF
#!/bin/sh
echo "# HRT image: $(basename "$HRT"), $N samples, ROS CPUs: \$(nproc)"
hvmctl status | grep -E '^(state|hrt_cpus|interrupts):' | sed 's/^/# /'
echo "== boot: insmod-time boot \$(cat /sys/class/misc/hvm/hrt/last_boot_ns) ns"
driver-test reboots 20 0 | sed 's/^# //'
driver-test forkexec $N
echo "== interrupts"
hvmctl ping -i -n $N || echo "ping ipi: failed"
hvmctl ping -n $N || echo "ping doorbell: failed"
driver-test eventfd $N
GUEST_EOF
timeout -k 5 600 "$O/hvm/hvm-run" --cores 2:1 --hrt "$HRT" --timeout 500 \
	--add "$O/tests/vm/driver-test:/usr/bin/driver-test" --add "$GUEST:/root/bench.sh" \
	-- sh /root/bench.sh
