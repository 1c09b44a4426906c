#!/bin/sh
# SPDX-License-Identifier: MIT
# containment-guest.sh - runs inside the ROS booted with a broken HRT image: broken images are refused or reported, fatal HRT exceptions crash only the HRT, and the real image boots afterwards.
# usage: containment-guest.sh REAL.elf   (the VM was booted with hvm-run --hrt MUTANT, a data-unloaded one)
REAL=${1:-/root/hrt.elf}
OUT=/tmp/containment-check.out
. "${0%/*}/verdict.sh"
M=/tmp/mutant.elf

# the driver's messages since the last mark
mark() { echo "containment: $*" >/dev/kmsg; }
since_mark() { dmesg | sed -n '/containment: /h; /containment: /!H; ${x;p}'; }
state() { hvmctl status | sed -n 's/^state: //p'; }

# 1. The image hvm-run gave us crashed before it had an IDT of its own: the
# boot IDT reported it and halted the core; we are here, so the VM lived.
check "the boot image crashed during boot, reported with vector and RIP (dmesg)" \
	sh -c 'dmesg | grep -E "crashed during boot: vector 14 \(#PF\), RIP 0xffffffff8"'
dmesg | grep "crashed during boot" | sed 's/^/# /'
check "HRT state failed after it, not a VM reset" sh -c '[ "$(hvmctl status | sed -n "s/^state: //p")" = failed ]'

# 2. Mutants loaded at run time: refused by the loader with a reason ...
for k in text-ptype low-segment no-note abi-version; do
	hvm-containment-test mutate $k "$REAL" $M >"$OUT" 2>&1
	why=$(sed -n "s/^$k: rejected: //p" "$OUT")
	mark "$k"
	if hvmctl load $M >>"$OUT" 2>&1; then
		not_ok "$k: refused by the loader"
	elif since_mark | grep "hrt image rejected: $why" >>"$OUT"; then
		ok "$k: refused by the loader ($(since_mark | sed -n 's/.*hrt image rejected: //p' | head -1))"
	else
		not_ok "$k: refused by the loader with \"$why...\" in dmesg"
	fi
done

# ... or accepted and stopped by the boot IDT or by the HRT itself.
hvm-containment-test mutate entry-ud2 "$REAL" $M >"$OUT" 2>&1
entry=$(sed -n 's/^entry //p' "$OUT")
mark entry-ud2
if hvmctl load $M >>"$OUT" 2>&1 && ! hvmctl reboot >>"$OUT" 2>&1 &&
	since_mark | grep "crashed during boot: vector 6 (#UD), RIP $entry" >>"$OUT"; then
	ok "entry moved onto a ud2 in .text: crashed during boot, vector 6, RIP $entry"
else
	not_ok "entry moved onto a ud2 in .text: crashed during boot, vector 6, RIP $entry"
fi
hvm-containment-test mutate paddr-moved "$REAL" $M >"$OUT" 2>&1
mark paddr-moved
if hvmctl load $M >>"$OUT" 2>&1 && ! hvmctl reboot >>"$OUT" 2>&1 &&
	hvmctl log | grep "bad image: image not loaded as linked" >>"$OUT" &&
	since_mark | grep "reported state failed (error -8)" >>"$OUT"; then
	ok "a moved p_paddr: the HRT refuses to run (image not loaded as linked)"
else
	not_ok "a moved p_paddr: the HRT refuses to run (image not loaded as linked)"
fi

# 3. The real image boots after all of them and serves.
check "the real image loads and boots" sh -c "hvmctl load $REAL && hvmctl reboot"
sub hvm-containment-test invoke

# 4. NMI, #DF and #MC on an HRT core (offloaded code raises them with int):
# caught on their own IST stacks, the HRT crashed and halted, the VM on.
for v in 2:NMI 8:#DF 18:#MC; do
	n=${v%%:*}
	name=${v#*:}
	mark "int $n"
	sub hvm-containment-test crash "$n"
	check "int \$$n: the HRT log reports vector $n ($name) and the crash" \
		sh -c "hvmctl log | grep -A1 'UNEXPECTED EXCEPTION' | grep -q 'vector $n ($name' && hvmctl log | grep -q 'crashed, halting'"
	check "int \$$n: hvmctl status says crashed" sh -c '[ "$(hvmctl status | sed -n "s/^state: //p")" = crashed ]'
	check "int \$$n: a reboot brings the HRT back" hvmctl reboot
	sub hvm-containment-test invoke
done

check "no BUG/Oops/WARNING in dmesg" sh -c '! dmesg | grep -E "BUG|Oops|WARNING|general protection|Call Trace"'
check "HRT ready at the end" sh -c '[ "$(hvmctl status | sed -n "s/^state: //p")" = ready ]'
summary
[ "$FAIL" -eq 0 ]
