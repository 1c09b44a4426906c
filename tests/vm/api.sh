#!/bin/bash
# SPDX-License-Identifier: MIT
# api.sh - whole-VM tests of hrt.h, the aerokernel API (hvm-api-test), on 1 and 2 HRT cores.
#
# Each boot runs the program twice: as a Linux process whose functions go
# to the HRT through hrt_invoke() (and whose Linux code must get -ENOTSUP),
# and whole under hrt-exec; then Debian's FFTW, threaded, on hrt.h native
# threads (hvm-fft-bench --check: the result equals FFTW's own pthread
# run bit for bit).  Then dmesg, the HRT log and the HRT's state.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

GUEST='hvm-api-test; rc=$?
HVM_API_EXEC=1 hrt-exec hvm-api-test || rc=1
hvm-fft-bench --check -t 2 -s 64 || rc=1
hvm-fft-bench --check -t 3 -s 96 || rc=1
if dmesg | grep -Eq "BUG:|Oops|WARNING:"; then
	echo "not ok - no BUG:/Oops/WARNING: in dmesg"
	dmesg | grep -E -A8 "BUG:|Oops|WARNING:" | head -40 | sed "s/^/#   /"
else
	echo "ok - no BUG:/Oops/WARNING: in dmesg"
fi
s=$(cat /sys/class/misc/hvm/hrt/state 2>/dev/null)
[ "$s" = ready ] && echo "ok - HRT ready at the end" || echo "not ok - HRT ready at the end # $s"
exit $rc'

run_config() {
	local tag=$1 out=$T_TMP/out.$1 err=$T_TMP/err.$1 log=$T_TMP/hrt.$1
	shift
	: >"$log"
	vm "$out" "$err" "$@" --mem 1G:128M --hrt-log "$log" --timeout 280 -- sh -c "$GUEST"
	guest_verdicts "$tag" "$out" "$err"
	cat "$out" "$err" "$log" >"$T_TMP/all.$tag"
	expect_no_match "$tag: HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' \
		"$T_TMP/all.$tag"
	expect_match "$tag: the watchdog's report names the thread" \
		'kept interrupts off past its .* limit' "$log"
}

run_config "1:1" --cores 1:1
run_config "1:2" --cores 1:2
summary
