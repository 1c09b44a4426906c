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

summary() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
