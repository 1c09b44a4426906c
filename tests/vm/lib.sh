# SPDX-License-Identifier: MIT
# lib.sh - shared helpers for whole-VM integration tests (sourced, bash).
#
#   HVM_RUN           the launcher to test (default build/hvm/hvm-run)
#   ok NAME / not_ok NAME [WHY]   record a verdict line
#   expect_eq NAME WANT GOT       verdict from a comparison
#   expect_match NAME REGEX FILE  verdict from grep -E on a file
#   summary                       prints "N passed, N failed"; returns !=0 on failure

O=${O:-build}
HVM_RUN=${HVM_RUN:-$O/hvm/hvm-run}
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d /tmp/hvm-test.XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $1"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok - $1${2:+ # $2}"
}

expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want '$2', got '$3'"; fi
}

expect_match() {
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "no /$2/ in output:"
		sed 's/^/#   /' "$3" | tail -15
	fi
}

expect_no_match() {
	if grep -Eq -- "$2" "$3"; then
		not_ok "$1" "unexpected /$2/ in output:"
		sed 's/^/#   /' "$3" | tail -15
	else
		ok "$1"
	fi
}

# vm OUT ERR ARGS...: runs hvm-run with a hard outer limit; sets $RC.
vm() {
	local out=$1 err=$2
	shift 2
	timeout -k 5 300 "$HVM_RUN" "$@" >"$out" 2>"$err"
	RC=$?
}

# guest_verdicts TAG OUT ERR: counts the guest's "ok - " / "not ok - " lines
# in OUT (printed with TAG), and fails when the guest program did not finish
# with its "N passed, N failed" line or the VM failed with no failed check.
guest_verdicts() {
	local tag=$1 out=$2 err=$3 nfail
	grep -E '^(not )?ok - |^#' "$out" | sed "s/^\(not \)\?ok - /&${tag:+$tag: }/"
	nfail=$(grep -c '^not ok - ' "$out")
	T_PASS=$((T_PASS + $(grep -c '^ok - ' "$out")))
	T_FAIL=$((T_FAIL + nfail))
	if ! grep -Eq '^[0-9]+ passed, [0-9]+ failed' "$out"; then
		not_ok "${tag:+$tag: }guest program finished (exit $RC)"
		tail -n 30 "$out" "$err" | sed 's/^/#   /'
	elif [ "$RC" != 0 ] && [ "$nfail" = 0 ]; then
		not_ok "${tag:+$tag: }guest exit status" "hvm-run exit $RC with no failed check"
		tail -n 30 "$err" | sed 's/^/#   /'
	fi
}

summary() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
