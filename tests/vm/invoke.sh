#!/bin/bash
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
	grep -E '^(not )?ok - |^#' "$out" | sed "s/^\(not \)\?ok - /&$tag: /"
	nfail=$(grep -c '^not ok - ' "$out")
	T_PASS=$((T_PASS + $(grep -c '^ok - ' "$out")))
	T_FAIL=$((T_FAIL + nfail))
	if ! grep -Eq '^[0-9]+ passed, [0-9]+ failed' "$out"; then
		not_ok "$tag: guest test program finished (exit $RC)"
		tail -40 "$out" "$err" | sed 's/^/#   /'
	elif [ "$RC" != 0 ] && [ "$nfail" = 0 ]; then
		not_ok "$tag: guest exit status" "hvm-run exit $RC with no failed check"
		tail -30 "$err" | sed 's/^/#   /'
	fi
	# The HRT must still be alive and not have crashed.
	expect_no_match "$tag: HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' "$out"
}

run_config "1:2" true --cores 1:2
run_config "1:1 pti" 'dmesg | grep -q "page tables isolation: enabled" &&
	echo "ok - page-table isolation is on in the ROS" ||
	echo "not ok - page-table isolation is on in the ROS"' --cores 1:1 --kernel-arg pti=on
summary
