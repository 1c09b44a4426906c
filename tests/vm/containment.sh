#!/bin/bash
# SPDX-License-Identifier: MIT
# containment.sh - whole-VM tests that broken HRT images and fatal HRT exceptions never reset the VM (issue 12): boot IDT reports, loader refusals, NMI/#DF/#MC, the real image afterwards.
#
# One boot (--cores 1:2), with a mutant of the HRT image given to hvm-run
# --hrt: its RW segment is not loaded, so it faults on its first push,
# before it has an IDT; the boot IDT in hvm.ko's trampoline must report it
# and the ROS command must still run.  In the guest
# (tests/vm/guest/containment-guest.sh with hvm-containment-test) more
# mutants are loaded at run time, offloaded code raises NMI, #DF and #MC,
# and the real image must boot and serve at the end.  The offloaded writes
# to the HRT's own tables are in the invoke suite (hvm-invoke-test protect).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

HRT=$O/hrt-kernel/hrt.elf
TOOL=$O/guest/usr/bin/hvm-containment-test
out=$T_TMP/out
err=$T_TMP/err
mutant=$T_TMP/boot-crash.elf

if ! "$TOOL" mutate data-unloaded "$HRT" "$mutant" >"$out" 2>&1; then
	not_ok "make the boot-crash mutant" "$(cat "$out")"
	summary
	exit 1
fi
vm "$out" "$err" --cores 1:2 --hrt "$mutant" --timeout 240 \
	--add "$HRT:/root/hrt.elf" \
	--add tests/vm/guest/containment-guest.sh:/root/containment-guest.sh \
	--add tests/vm/guest/verdict.sh:/root/verdict.sh \
	-- sh /root/containment-guest.sh /root/hrt.elf
guest_verdicts "" "$out" "$err"
# The VM lived through it all: hvm-run returns the command's own status.
expect_eq "hvm-run's exit status is the guest script's (no VM reset)" 0 "$RC"
summary
