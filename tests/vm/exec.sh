#!/bin/bash
# SPDX-License-Identifier: MIT
# exec.sh - whole-VM tests of hrt-exec: unmodified programs (python3, pigz, OpenMP, C++, shells, exec chains, signals, bad input) on the HRT.
#
# One boot with 2 HRT cores, --host-root: the guest runs the host-built
# programs of $(O)/hrt-exec/tests and host tools under hrt-exec and
# natively (tests/vm/guest/exec-guest.sh prints the verdicts and checks
# dmesg); the host checks that the HRT did not crash.  Before the boot, one
# check on the host itself, which has no /dev/hvm.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

# No VM: hrt-exec on a machine without the HRT says so, with status 124.
if [ -e /dev/hvm ]; then
	ok "host: hrt-exec without /dev/hvm # SKIP this host has /dev/hvm"
else
	"$O/guest/usr/bin/hrt-exec" true >"$T_TMP/host.out" 2>"$T_TMP/host.err"
	expect_eq "host: hrt-exec true without /dev/hvm: exit 124" 124 $?
	expect_match "host: hrt-exec true without /dev/hvm: 'no HRT' message" \
		'^hrt-exec: no HRT' "$T_TMP/host.err"
fi

# The guest's /tmp, /run, /var/tmp and /root are tmpfs of its own, so the
# tree and the build are shared in, wherever they lie on the host.
out=$T_TMP/out err=$T_TMP/err log=$T_TMP/hrt.log
: >"$log"
vm "$out" "$err" --cores 1:2 --mem 1G:256M --host-root --hrt-log "$log" \
	--share "$PWD:/run/hvm-src" --share "$(cd "$O" && pwd):/run/hvm-out" \
	--timeout 240 -- bash /run/hvm-src/tests/vm/guest/exec-guest.sh \
	/run/hvm-out/hrt-exec/tests /run/hvm-src/tests/vm/guest
guest_verdicts "" "$out" "$err"
# The HRT must not have crashed.
cat "$out" "$err" "$log" >"$T_TMP/all"
expect_no_match "HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' "$T_TMP/all"
summary
