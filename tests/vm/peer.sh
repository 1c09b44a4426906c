#!/bin/bash
# SPDX-License-Identifier: MIT
# peer.sh - peer tests: Python's own regression tests for mmap, signals and threads under hrt-exec, each compared with the native run.
#
# One --host-root boot with 2 HRT cores; Debian's python3 and its
# libpython3.11-testsuite (tools/setup.sh installs it) run
# tests/vm/guest/peer-guest.sh.  make test leaves out
# SiginterruptTest.test_siginterrupt_off (30 s of waiting natively);
# PEER_FULL=1 runs every test case of all three.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

# test_threading once crashed the HRT (a channel scan woke a thread that
# had just ended: hrt-kernel/chan.c, the owner lock); it runs every time.
mods=(test_mmap test_signal:-i:test_siginterrupt_off test_threading)
[ "${PEER_FULL:-0}" = 1 ] && mods=(test_mmap test_signal test_threading)
out=$T_TMP/out err=$T_TMP/err log=$T_TMP/hrt.log
: >"$log"
timeout -k 5 1500 "$HVM_RUN" --cores 1:2 --mem 1G:256M --host-root --hrt-log "$log" \
	--share "$PWD:/run/hvm-src" --timeout 1400 -- \
	bash /run/hvm-src/tests/vm/guest/peer-guest.sh /run/hvm-src/tests/vm/peer-known \
	"${mods[@]}" >"$out" 2>"$err"
RC=$?
guest_verdicts "" "$out" "$err"
cat "$out" "$err" "$log" >"$T_TMP/all"
expect_no_match "HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' "$T_TMP/all"
summary
