#!/bin/bash
# SPDX-License-Identifier: MIT
# driver.sh - whole-VM tests of hvm.ko and hvmctl: one VM with 1 HRT core runs every check, one with 2 cores the boot checks.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

HRT=${HVM_TEST_HRT:-$O/hrt-kernel/hrt.elf}
MINI=$O/tests/vm/mini-hrt.elf
if [ ! -f "$HRT" ]; then
	echo "# $HRT not built; testing the driver with the stand-in $MINI"
	HRT=$MINI
fi
ADDS=(--add "$MINI:/root/mini-hrt.elf" --add "$HRT:/root/hrt.elf"
      --add "$O/tests/vm/driver-test:/usr/bin/driver-test"
      --add tests/vm/guest/driver-guest.sh:/root/driver-guest.sh
      --add tests/vm/guest/verdict.sh:/root/verdict.sh)

run_guest() {	# CORES MODE
	local out=$T_TMP/out.$1 err=$T_TMP/err.$1
	vm "$out" "$err" --cores "$1" --hrt "$HRT" --timeout 240 "${ADDS[@]}" \
		-- sh /root/driver-guest.sh "${1#*:}" "$2"
	# the guest's verdict lines count as ours
	guest_verdicts "" "$out" "$err"
}

run_guest 1:1 full
run_guest 1:2 boot
summary
