#!/bin/bash
# invoke.sh - whole-VM tests of hrt_invoke: libhvm + hvm.ko + the HRT channel service, 2 HRT cores, one boot.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

out=$T_TMP/out
err=$T_TMP/err
vm "$out" "$err" --cores 1:2 --timeout 280 -- hvm-invoke-test "$@"
grep -E '^(not )?ok - |^#' "$out"
nfail=$(grep -c '^not ok - ' "$out")
T_PASS=$((T_PASS + $(grep -c '^ok - ' "$out")))
T_FAIL=$((T_FAIL + nfail))
if ! grep -Eq '^[0-9]+ passed, [0-9]+ failed' "$out"; then
	not_ok "guest test program finished (exit $RC)"
	tail -40 "$out" "$err" | sed 's/^/#   /'
elif [ "$RC" != 0 ] && [ "$nfail" = 0 ]; then
	not_ok "guest exit status" "hvm-run exit $RC with no failed check"
	tail -30 "$err" | sed 's/^/#   /'
fi
# The HRT must still be alive and not have crashed.
expect_no_match "HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' "$out"
summary
