#!/bin/bash
# SPDX-License-Identifier: MIT
# thread.sh - whole-VM tests of threads, processes, FP state and stacks inside offloaded code (hvm-thread-test).
#
# Two boots of the same in-guest program: 1 HRT core (every HRT thread,
# OpenMP worker and forked child shares it) and 2 HRT cores.  After the
# program the guest checks its kernel log for BUG/Oops/WARNING; the host
# checks the output and the HRT log for an HRT crash.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

# The program's own limit is --timeout 600 (each test has alarm(120));
# lib.sh's vm() stops hvm-run after 300 s, so boot with a longer outer one.
vm_long() {
	local out=$1 err=$2
	shift 2
	timeout -k 5 780 "$HVM_RUN" "$@" >"$out" 2>"$err"
	RC=$?
}

# Runs in the guest: the program (with $TESTS), then one verdict on dmesg.
GUEST='hvm-thread-test $TESTS; rc=$?
if dmesg | grep -Eq "BUG:|Oops|WARNING:"; then
	echo "not ok - no BUG:/Oops/WARNING: in dmesg"
	dmesg | grep -E -A8 "BUG:|Oops|WARNING:" | head -40 | sed "s/^/#   /"
else
	echo "ok - no BUG:/Oops/WARNING: in dmesg"
fi
exit $rc'

# run_config TAG MEM TESTS ARGS...: one boot; TESTS names tests ("" = all).
run_config() {
	local tag=$1 mem=$2 tests=$3 out=$T_TMP/out.$1 err=$T_TMP/err.$1 log=$T_TMP/hrt.$1
	shift 3
	: >"$log"
	vm_long "$out" "$err" "$@" --mem "$mem" --hrt-log "$log" --timeout 600 \
		-- sh -c "TESTS='$tests'; $GUEST"
	guest_verdicts "$tag" "$out" "$err"
	# The HRT must still be alive and not have crashed.
	cat "$out" "$err" "$log" >"$T_TMP/all.$tag"
	expect_no_match "$tag: HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' \
		"$T_TMP/all.$tag"
}

run_config "1:1" 1G:128M "" --cores 1:1
run_config "1:2" 1G:128M "" --cores 1:2
# Thread creation until the HRT's memory runs out: a 16 MiB HRT.
run_config "1:1 16M" 512M:16M threads_eagain --cores 1:1
summary
