#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the reliability campaigns (make stress): hvm-stress in a VM per campaign, one summary line each, "N passed, N failed".
#
# usage: tests/stress/run.sh [--one-vm] [--known FILE] [CAMPAIGN...]
#   CAMPAIGN   faults reboots kills fuzz images unpriv load memdiff
#              (default: all)
#   --one-vm   every campaign in one boot (the short suite in make test)
#   --known F  extended regexps, one a line, of check names that fail
#              because of a known defect: their "not ok" lines get
#              "# TODO known defect" and are not counted
#
# Sizes (environment), defaults for make stress:
#   STRESS_FAULTS=5000 STRESS_REBOOTS=100 STRESS_KILLS=120 STRESS_FUZZ_OPS=50000
#   STRESS_FUZZ_REBOOTS=1 (0: the fuzzer's HVM_IOC_REBOOTs and BOOTs are all
#   turned away, checked against hvm.ko's counts)
#   STRESS_IMAGES=200 ("fixed": two mutants with known outcomes)
#   STRESS_LOAD=4,4 (processes,threads) STRESS_LOAD_SECS=180
#   STRESS_MEMDIFF_RUNS=64 STRESS_MEMDIFF_OPS=17000 (memdiff: seeds, each
#   natively and under hrt-exec in one --host-root VM of 1G:256M; operations
#   per run; some runs end a few short, 64 x 16000 made 959,985)
#   STRESS_SEED (default: random, printed; every campaign derives its own
#   from it)  STRESS_CORES=1:2  STRESS_MEM=512M:64M
#   STRESS_VM_TIMEOUT (seconds per VM; default from the sizes)
#   STRESS_HRT (the HRT image booted and mutated; default build/hrt-kernel/hrt.elf)
#
# Each campaign prints "NAME: attempted A survived S lost L oopses O
# stuck K" (attempted counts its operations: invocations, reboots, kills,
# fuzz operations, images, access checks, memdiff runs).  A VM that dies counts as a
# failed check; one that never ends counts as stuck.
set -u
cd "$(dirname "$0")/../.." || exit 2
O=${O:-build}
HVM_RUN=${HVM_RUN:-$O/hvm/hvm-run}
HRT=${STRESS_HRT:-$O/hrt-kernel/hrt.elf}

FAULTS=${STRESS_FAULTS:-5000}
REBOOTS=${STRESS_REBOOTS:-100}
KILLS=${STRESS_KILLS:-120}
FUZZ_OPS=${STRESS_FUZZ_OPS:-50000}
FUZZ_REBOOTS=${STRESS_FUZZ_REBOOTS:-1}
IMAGES=${STRESS_IMAGES:-200}
LOAD=${STRESS_LOAD:-4,4}
LOAD_SECS=${STRESS_LOAD_SECS:-180}
CORES=${STRESS_CORES:-1:2}
MEM=${STRESS_MEM:-512M:64M}
MEMDIFF_RUNS=${STRESS_MEMDIFF_RUNS:-64}
MEMDIFF_OPS=${STRESS_MEMDIFF_OPS:-17000}
SEED=${STRESS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

ONE_VM=0
KNOWN=
CAMPAIGNS=()
while [ $# -gt 0 ]; do
	case $1 in
	--one-vm) ONE_VM=1 ;;
	--known) KNOWN=$2; shift ;;
	faults | reboots | kills | fuzz | images | unpriv | load | memdiff) CAMPAIGNS+=("$1") ;;
	*) echo "usage: $0 [--one-vm] [--known FILE] [faults|reboots|kills|fuzz|images|unpriv|load|memdiff]..." >&2
	   exit 2 ;;
	esac
	shift
done
[ ${#CAMPAIGNS[@]} -gt 0 ] || CAMPAIGNS=(faults reboots kills fuzz unpriv load images memdiff)

PASS=0
FAIL=0
TODO=0
SUMMARIES=()
TMP=$(mktemp -d /tmp/hvm-stress.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() {
	if known "$1"; then
		TODO=$((TODO + 1))
		echo "not ok - $1 # TODO known defect"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $1"
	fi
}
known() { [ -n "$KNOWN" ] && grep -Eq -f <(grep -Ev '^(#|$)' "$KNOWN") <<<"$1"; }

# The guest's lines: verdicts counted (known defects marked), details and
# summaries shown; images summaries are made here (see images_summary).
relay() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) PASS=$((PASS + 1)); echo "$line" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		"#"*) echo "$line" ;;
		images-part:*) echo "# $line" ;;
		*": attempted "*) echo "$line"; SUMMARIES+=("$line") ;;
		esac
	done <"$1"
}

arg_of() {
	case $1 in
	faults) echo "faults=$FAULTS" ;;
	reboots) echo "reboots=$REBOOTS" ;;
	kills) echo "kills=$KILLS" ;;
	fuzz) echo "fuzz=$FUZZ_OPS$([ "$FUZZ_REBOOTS" = 0 ] && echo ,noreboot)" ;;
	images) if [ "$IMAGES" = fixed ]; then echo images=fixed; else echo "images=$IMAGES"; fi ;;
	unpriv) echo unpriv ;;
	load) echo "load=$LOAD,$LOAD_SECS" ;;
	esac
}

# Seconds a campaign may take under TCG on a busy 2-core host.
budget() {
	case $1 in
	faults) echo $((60 + FAULTS / 5)) ;;
	reboots) echo $((60 + REBOOTS * 10)) ;;
	kills) echo $((60 + KILLS * 6)) ;;
	fuzz) echo $((60 + FUZZ_OPS / 40)) ;;
	images) if [ "$IMAGES" = fixed ]; then echo 90; else echo $((60 + IMAGES * 15)); fi ;;
	unpriv) echo 90 ;;
	load) echo $((120 + LOAD_SECS * 2)) ;;
	memdiff) echo $((120 + MEMDIFF_RUNS * MEMDIFF_OPS / 400)) ;;
	esac
}

ADDS=(--add "$HRT:/root/hrt.elf")
if [ -x /usr/bin/setpriv ]; then
	ADDS+=(--add /usr/bin/setpriv:/root/setpriv)
fi

# vm_run TAG TIMEOUT ARGS...: hvm-stress in a fresh VM; sets RC, OUT, ERR.
vm_run() {
	local tag=$1 t=$2
	shift 2
	OUT=$TMP/$tag.out
	ERR=$TMP/$tag.err
	echo "# $tag: hvm-run --cores $CORES --mem $MEM -- hvm-stress --seed $SEED $*"
	timeout -k 10 $((t + 120)) "$HVM_RUN" --cores "$CORES" --mem "$MEM" --timeout "$t" \
		--hrt "$HRT" "${ADDS[@]}" -- hvm-stress --seed "$SEED" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

# memdiff: the differential memory campaign, natively and under hrt-exec
# in one VM that sees the host's root (tests/stress/memdiff-guest.sh).
memdiff_run() {
	local t
	t=${STRESS_VM_TIMEOUT:-$(budget memdiff)}
	OUT=$TMP/memdiff.out
	ERR=$TMP/memdiff.err
	echo "# memdiff: hvm-run --cores $CORES --mem 1G:256M --host-root -- memdiff-guest.sh (seed $SEED, $MEMDIFF_RUNS runs of $MEMDIFF_OPS operations)"
	timeout -k 10 $((t + 120)) "$HVM_RUN" --cores "$CORES" --mem 1G:256M --timeout "$t" \
		--hrt "$HRT" --host-root --share "$PWD:/run/hvm-src" \
		--share "$(cd "$O" && pwd):/run/hvm-out" -- \
		bash /run/hvm-src/tests/stress/memdiff-guest.sh /run/hvm-out/hrt-exec/tests \
		"$SEED" "$MEMDIFF_RUNS" "$MEMDIFF_OPS" >"$OUT" 2>"$ERR"
	RC=$?
}

# The VM's own end: hvm-stress ran to its last line, else what happened.
vm_verdict() {
	local tag=$1
	if grep -q '^hvm-stress: done' "$OUT"; then
		return 0
	fi
	if [ "$RC" = 124 ]; then
		not_ok "$tag: the VM finished within its time (hvm-run: command timed out)"
	else
		not_ok "$tag: hvm-stress ran to the end (hvm-run exit $RC: the VM died or the program did)"
	fi
	tail -n 20 "$OUT" | sed 's/^/#   out: /'
	tail -n 25 "$ERR" | sed 's/^/#   err: /'
	return 1
}

# Oops lines on the console tail of a VM that died.
console_oopses() {
	grep -Ec 'BUG|Oops|WARNING|general protection|Kernel panic' "$ERR"
}

# images: per-mutant lines, relaunching after a mutant that ended the VM.
IMG_OUT=()
images_run() {
	local n=$1 from=0 last k outcome launches=0 t
	# Each launch tries at least one mutant: at most n+1 launches.
	while [ "$n" -gt 0 ] && [ $launches -le "$1" ]; do
		launches=$((launches + 1))
		if [ "$IMAGES" = fixed ]; then
			t=$(budget images)
			vm_run images "$t" images=fixed
			n=0
		else
			t=$((60 + n * 15))
			vm_run "images-$from" "$t" "images=$n,$from"
		fi
		relay "$OUT"
		cp "$OUT" "$TMP/images.$launches.out"
		if grep -q '^hvm-stress: done' "$OUT"; then
			break
		fi
		last=$(sed -n 's/^# image \([0-9]*\): trying: .*/\1/p' "$OUT" | tail -1)
		if [ -z "$last" ] || grep -v ': trying: ' "$OUT" | grep -Eq "^# image $last: [a-z-]+: "; then
			vm_verdict images
			break
		fi
		outcome=vm-reset
		[ "$RC" = 124 ] && outcome=vm-hang
		k=$(sed -n "s/^# image $last: trying: //p" "$OUT" | tail -1)
		echo "# image $last: $outcome: $k [hvm-run exit $RC]"
		grep -E 'BUG|Oops|general protection|Kernel panic|triple|reset' "$ERR" | tail -5 |
			sed 's/^/#   console: /'
		IMG_OUT+=("$outcome $(console_oopses)")
		n=$((n - (last + 1 - from)))
		from=$((last + 1))
	done
}

images_summary() {
	local files=("$TMP"/images.*.out) a s l o=0 k=0 reset=0 hang=0 oops restore x
	a=$(cat "${files[@]}" | grep -Ev ': trying: ' | grep -Ec '^# image [0-9]+: [a-z-]+: ')
	oops=$(cat "${files[@]}" | grep -Ec '^# image [0-9]+: ros-oops: ')
	restore=$(cat "${files[@]}" | grep -Ec '^# image [0-9]+: restore-failed: ')
	while read -r x; do
		o=$((o + x))
	done < <(cat "${files[@]}" | sed -n 's/^images-part: .* oopses \([0-9]*\) .*/\1/p')
	for x in "${IMG_OUT[@]+"${IMG_OUT[@]}"}"; do
		a=$((a + 1))
		case $x in
		vm-reset*) reset=$((reset + 1)) ;;
		vm-hang*) hang=$((hang + 1)); k=$((k + 1)) ;;
		esac
		o=$((o + ${x#* }))
	done
	o=$((o + oops))
	l=$((oops + restore + reset))
	s=$((a - l - hang))
	echo "# images: outcomes:"
	for x in rejected booted booted-broken boot-failed crashed ros-oops restore-failed; do
		echo "#   $x $(cat "${files[@]}" | grep -Ec "^# image [0-9]+: $x: ")"
	done
	echo "#   vm-reset $reset"
	echo "#   vm-hang $hang"
	if [ "$oops" = 0 ]; then ok "images: no mutant caused a ROS oops"; else not_ok "images: no mutant caused a ROS oops ($oops)"; fi
	if [ "$reset" = 0 ]; then ok "images: no mutant reset the VM"; else not_ok "images: no mutant reset the VM ($reset)"; fi
	if [ "$hang" = 0 ]; then ok "images: no mutant hung the VM"; else not_ok "images: no mutant hung the VM ($hang)"; fi
	if [ "$restore" = 0 ]; then ok "images: the original image came back after every mutant"; else not_ok "images: the original image came back after every mutant ($restore did not)"; fi
	if [ "$IMAGES" = fixed ] || [ "$a" -ge "$IMAGES" ]; then
		ok "images: every mutant was tried ($a)"
	else
		not_ok "images: every mutant was tried ($a of $IMAGES)"
	fi
	SUMMARIES+=("images: attempted $a survived $s lost $l oopses $o stuck $k")
	echo "${SUMMARIES[-1]}"
}

start=$(date +%s)
echo "# hvm stress: $(date -u '+%Y-%m-%d %H:%M UTC'), host $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "# $(qemu-system-x86_64 --version 2>/dev/null | head -1); VM --cores $CORES --mem $MEM"
echo "# seed $SEED (STRESS_SEED=$SEED reproduces the operation sequences)"
echo "# sizes: faults $FAULTS, reboots $REBOOTS, kills $KILLS, fuzz $FUZZ_OPS, images $IMAGES, load $LOAD x ${LOAD_SECS} s, memdiff $MEMDIFF_RUNS x $MEMDIFF_OPS"

if [ $ONE_VM = 1 ]; then
	# One boot; random image mutants (which may end the VM) get their own.
	args=()
	t=0
	for c in "${CAMPAIGNS[@]}"; do
		[ "$c" = images ] && [ "$IMAGES" != fixed ] && continue
		[ "$c" = memdiff ] && continue
		args+=("$(arg_of "$c")")
		t=$((t + $(budget "$c")))
	done
	if [ ${#args[@]} -gt 0 ]; then
		vm_run all "${STRESS_VM_TIMEOUT:-$t}" "${args[@]}"
		relay "$OUT"
		cp "$OUT" "$TMP/images.0.out"
		if ! vm_verdict all && [ "$RC" = 124 ]; then
			SUMMARIES+=("vm: stuck (timed out)")
		fi
	fi
	if [[ " ${CAMPAIGNS[*]} " = *" images "* ]]; then
		[ "$IMAGES" != fixed ] && images_run "$IMAGES"
		images_summary
	fi
	if [[ " ${CAMPAIGNS[*]} " = *" memdiff "* ]]; then
		memdiff_run
		relay "$OUT"
		vm_verdict memdiff
	fi
else
	for c in "${CAMPAIGNS[@]}"; do
		echo "=== $c"
		t0=$(date +%s)
		if [ "$c" = images ]; then
			if [ "$IMAGES" = fixed ]; then images_run 2; else images_run "$IMAGES"; fi
			images_summary
		elif [ "$c" = memdiff ]; then
			memdiff_run
			relay "$OUT"
			if ! vm_verdict memdiff && ! grep -q "^memdiff: attempted" "$OUT"; then
				SUMMARIES+=("memdiff: attempted $MEMDIFF_RUNS survived ? lost ? oopses $(console_oopses) stuck $([ "$RC" = 124 ] && echo 1 || echo 0) (the VM did not finish)")
				echo "${SUMMARIES[-1]}"
			fi
		else
			vm_run "$c" "${STRESS_VM_TIMEOUT:-$(budget "$c")}" "$(arg_of "$c")"
			relay "$OUT"
			if ! vm_verdict "$c" && ! grep -q "^$c: attempted" "$OUT"; then
				stuck=0
				[ "$RC" = 124 ] && stuck=1
				SUMMARIES+=("$c: attempted ? survived ? lost ? oopses $(console_oopses) stuck $stuck (the VM did not finish)")
				echo "${SUMMARIES[-1]}"
			fi
		fi
		echo "=== $c: $(($(date +%s) - t0)) s"
	done
fi

echo "=== stress summary (seed $SEED, $(($(date +%s) - start)) s)"
for s in "${SUMMARIES[@]+"${SUMMARIES[@]}"}"; do
	echo "$s"
done
[ "$TODO" -gt 0 ] && echo "# $TODO known defect(s) marked TODO, not counted"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
