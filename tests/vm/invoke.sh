#!/bin/bash
# SPDX-License-Identifier: MIT
# invoke.sh - whole-VM tests of hrt_invoke: libhvm + hvm.ko + the HRT channel service.
#
# Two boots of the same in-guest program: 2 HRT cores, and 1 HRT core with
# the ROS kernel's page-table isolation forced on (then the HRT must merge
# the user copy of the process's page tables; real Meltdown-affected hosts
# run that way, TCG's CPU does not ask for it).
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

out=$T_TMP/out
err=$T_TMP/err
run_config() {
	local tag=$1 check=$2
	shift 2
	vm "$out" "$err" "$@" --timeout 280 -- sh -c "hvm-invoke-test; rc=\$?; $check; exit \$rc"
	guest_verdicts "$tag" "$out" "$err"
	# The HRT must still be alive and not have crashed.
	expect_no_match "$tag: HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' "$out"
}

run_config "1:2" true --cores 1:2
run_config "1:1 pti" 'dmesg | grep -q "page tables isolation: enabled" &&
	echo "ok - page-table isolation is on in the ROS" ||
	echo "not ok - page-table isolation is on in the ROS"' --cores 1:1 --kernel-arg pti=on
summary
