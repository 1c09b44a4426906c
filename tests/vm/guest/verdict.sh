# SPDX-License-Identifier: MIT
# verdict.sh - sourced by the in-guest suite scripts: verdict lines and their counts.
#
# The sourcing script sets OUT (a scratch file for a check's output) and,
# optionally, VERDICT_MARK (sub() then writes "MARK: CMD" to the kernel log
# first, next to the driver's messages), and ends with summary.
PASS=0
FAIL=0

ok() {
	echo "ok - $1"
	PASS=$((PASS + 1))
}

# not_ok NAME: the verdict, then the tail of the failed check's output.
not_ok() {
	echo "not ok - $1"
	FAIL=$((FAIL + 1))
	sed 's/^/#   /' "$OUT" | tail -20
}

# check NAME CMD...: the verdict from the command's exit status.
check() {
	name=$1
	shift
	if "$@" >"$OUT" 2>&1; then ok "$name"; else not_ok "$name"; fi
}

# sub CMD...: a test program that prints its own ok/not ok lines; they are
# folded into the counts, and a program that printed none has failed.
sub() {
	[ -n "${VERDICT_MARK:-}" ] && echo "$VERDICT_MARK: $*" >/dev/kmsg
	"$@" >"$OUT" 2>&1
	cat "$OUT"
	if ! grep -Eq '^(not )?ok - ' "$OUT"; then
		echo "not ok - $* printed no verdict"
		FAIL=$((FAIL + 1))
	fi
	PASS=$((PASS + $(grep -c '^ok - ' "$OUT")))
	FAIL=$((FAIL + $(grep -c '^not ok - ' "$OUT")))
}

summary() {
	echo "$PASS passed, $FAIL failed"
}
