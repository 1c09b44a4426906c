#!/bin/bash
# SPDX-License-Identifier: MIT
# memdiff-guest.sh - the memdiff campaign's in-guest half (make stress): many seeds natively and under hrt-exec, every run's verdict compared.
#
# usage: memdiff-guest.sh BIN SEED RUNS OPS
#   BIN   the host-built test programs (memdiff)
#   SEED  the first run's seed; run i uses SEED + i
#   RUNS  runs; run i has 1 + i % 4 threads, all HRT cores (even i) or one
#         (odd i), and memory pressure (--pressure) when i % 3 == 2
#   OPS   operations per run, shared among its threads
# Prints "ok - " / "not ok - " a run, a summary line "memdiff: attempted
# RUNS survived S lost L oopses O stuck K" and the operation count.
set -u
BIN=$1 SEED=$2 RUNS=$3 OPS=$4
W=$(mktemp -d /tmp/memdiff.XXXXXX)
ok=0 lost=0 stuck=0 ops=0 mism=0
for ((i = 0; i < RUNS; i++)); do
	seed=$((SEED + i)) thr=$((1 + i % 4))
	args="--seed $seed --threads $thr --ops $((OPS / thr)) --dir $W"
	[ $((i % 3)) = 2 ] && args="$args --pressure"
	cores=
	[ $((i % 2)) = 1 ] && cores="--cores 1"
	timeout -k 5 600 "$BIN/memdiff" $args >"$W/n.out" 2>"$W/n.err"
	rn=$?
	timeout -k 5 1200 hrt-exec $cores "$BIN/memdiff" $args >"$W/h.out" 2>"$W/h.err"
	rh=$?
	why=
	[ "$rn" = 0 ] || why="$why; native exit $rn"
	[ "$rh" = 0 ] || why="$why; hrt-exec exit $rh"
	[ "$rh" = 124 ] && stuck=$((stuck + 1))
	grep -q ' mismatches 0 ' "$W/n.out" || why="$why; native mismatches"
	grep -q ' mismatches 0 ' "$W/h.out" || why="$why; HRT mismatches"
	grep '^memdiff digest:' "$W/n.out" >"$W/n.dig"
	grep '^memdiff digest:' "$W/h.out" >"$W/h.dig"
	[ -s "$W/n.dig" ] && cmp -s "$W/n.dig" "$W/h.dig" || why="$why; digests differ"
	m=$(sed -n 's/.* mismatches \([0-9]*\) .*/\1/p' "$W/h.out")
	mism=$((mism + ${m:-0}))
	n=$(sed -n 's/^memdiff: seed [0-9]* ops \([0-9]*\) .*/\1/p' "$W/h.out")
	ops=$((ops + ${n:-0}))
	name="memdiff: seed $seed, $thr thread(s), ${cores:-all HRT cores}${args##*--dir $W}"
	if [ -z "$why" ]; then
		ok=$((ok + 1))
		echo "ok - $name: $(grep -o 'checks .*' "$W/h.out")"
	else
		lost=$((lost + 1))
		echo "not ok - $name: ${why#; }"
		tail -n 5 "$W/h.out" "$W/h.err" "$W/n.out" | sed 's/^/#   /'
	fi
done
oopses=$(dmesg | grep -Ec 'BUG:|Oops|WARNING:|general protection')
if [ "$oopses" = 0 ]; then echo "ok - memdiff: no ROS oops"; else echo "not ok - memdiff: no ROS oops ($oopses)"; fi
if hvmctl status | grep -q '^state: ready'; then
	echo "ok - memdiff: the HRT is ready at the end"
else
	echo "not ok - memdiff: the HRT is ready at the end ($(hvmctl status | head -1))"
fi
echo "# memdiff: $ops operations on the HRT (the same natively), $RUNS seeds from $SEED, threads 1-4, 1 and 2 HRT cores, pressure in every third; HRT mismatches $mism"
echo "memdiff: attempted $RUNS survived $ok lost $lost oopses $oopses stuck $stuck"
echo "hvm-stress: done"
rm -rf "$W"
