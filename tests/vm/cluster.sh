#!/bin/bash
# SPDX-License-Identifier: MIT
# cluster.sh - two hvm-run VMs joined by --cluster: bad input, ssh, an Open MPI job across them, a node that dies.
#
# make test-cluster runs it (.ci/run too); it boots up to four VMs, two at
# a time, all on 127.0.0.1.  Node 1 runs in the background and serves
# until node 0 ends; node 0 runs tests/vm/guest/cluster-guest.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

# The cluster folder (keys, locks) goes to this run's own TMPDIR.
export XDG_RUNTIME_DIR=$T_TMP/xdg TMPDIR=$T_TMP/tmp
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$TMPDIR"
NAME=t$$
VMARGS=(--cores 1:1 --mem 1G:128M --host-root --timeout 400
	--share "$PWD:/run/hvm-src" --share "$(cd "$O" && pwd):/run/hvm-out")
O_=$T_TMP/out E_=$T_TMP/err

# --- bad input: each a one-line message and hvm-run's launcher status 125
bad() { # bad NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	timeout 60 "$HVM_RUN" "$@" >"$O_" 2>"$T_TMP/all-err"
	RC=$?
	# Notes that may come first: the accelerator, the wait for node 0.
	grep -Ev 'using (TCG|KVM)|waiting for node 0' "$T_TMP/all-err" >"$E_"
	if [ "$RC" = 125 ] && [ "$(wc -l <"$E_")" = 1 ] && grep -Eq -- "$re" "$E_"; then
		ok "bad input: $name: exit 125, one line /$re/"
	else
		not_ok "bad input: $name" "exit $RC, want 125 and /$re/ in one line:"
		sed 's/^/#   /' "$E_" | tail -5
	fi
}
bad "malformed --cluster" 'wants NAME:I/N' --host-root --cluster "$NAME" -- true
bad "malformed N" 'wants NAME:I/N' --host-root --cluster "$NAME:0/x" -- true
bad "I >= N" 'node 2 of 2 does not exist' --host-root --cluster "$NAME:2/2" -- true
bad "a cluster of one" '2 to 63 nodes' --host-root --cluster "$NAME:0/1" -- true
bad "a bad name" 'letters, digits' --host-root --cluster "a.b:0/2" -- true
bad "--cluster without --host-root" 'needs --host-root' --cluster "$NAME:0/2" -- true
bad "--cluster-wait 0" 'cluster-wait wants seconds' --host-root --cluster "$NAME:1/2" \
	--cluster-wait 0

# The ports NAME uses: base+1 for node 1 (hvm/cluster.h).
port=$(python3 -c '
import sys
h = 2166136261
for c in sys.argv[1].encode():
    h = ((h ^ c) * 16777619) & 0xffffffff
print(42000 + 64 * (h % 300) + 1)' "$NAME")
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
time.sleep(30)' "$port" &
holder=$!
sleep 1
bad "node 0 with its port taken" "port $port on 127.0.0.1 is taken" \
	"${VMARGS[@]}" --cluster "$NAME:0/2" -- true
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

t0=$(date +%s)
bad "node 1 with no node 0" 'node 0 did not come up within 3 s' \
	"${VMARGS[@]}" --cluster "$NAME:1/2" --cluster-wait 3
t=$(($(date +%s) - t0))
if [ "$t" -le 20 ]; then ok "node 1 gave up on node 0 after $t s (--cluster-wait 3)"
else not_ok "node 1 gave up on node 0 in time" "$t s"; fi

# Ctrl-C while a node waits for node 0: it stops at once.
"$HVM_RUN" "${VMARGS[@]}" --cluster "$NAME:1/2" >"$O_" 2>"$E_" &
w=$!
sleep 3
t0=$(date +%s)
kill -INT "$w"
wait "$w"
RC=$?
t=$(($(date +%s) - t0))
if [ "$RC" = 125 ] && [ "$t" -le 3 ] && grep -q "interrupted while waiting for node 0" "$E_"; then
	ok "SIGINT while node 1 waits for node 0: exit 125 within $t s"
else
	not_ok "SIGINT while node 1 waits for node 0 ends it" "exit $RC after $t s:"
	sed 's/^/#   /' "$E_" | tail -5
fi

# --- node 0 alone: its command never runs; a clear error once the wait ends
vm "$O_" "$E_" "${VMARGS[@]}" --cluster "$NAME:0/2" --cluster-wait 5 -- echo ran
if [ "$RC" != 0 ] && ! grep -q '^ran$' "$O_" &&
	grep -q "node1 did not answer on ssh within 5 s" "$E_"; then
	ok "node 0 without node 1: exit $RC after --cluster-wait, command not run"
else
	not_ok "node 0 without node 1 fails clearly" "exit $RC:"
	sed 's/^/#   /' "$E_" | tail -5
fi

# --- the job: node 1 in the background, node 0 runs the in-guest checks
"$HVM_RUN" "${VMARGS[@]}" --cluster "$NAME:1/2" >"$T_TMP/n1.out" 2>"$T_TMP/n1.err" &
n1=$!
# Node 0 has QEMU's user network too: the cluster NIC comes beside it.
vm "$O_" "$E_" "${VMARGS[@]}" --net user --cluster "$NAME:0/2" -- \
	bash /run/hvm-src/tests/vm/guest/cluster-guest.sh /run/hvm-out/hrt-exec/tests
guest_verdicts node0 "$O_" "$E_"
t0=$(date +%s)
while kill -0 "$n1" 2>/dev/null && [ $(($(date +%s) - t0)) -lt 60 ]; do sleep 1; done
if kill -0 "$n1" 2>/dev/null; then
	not_ok "node 1 ends once node 0 has ended" "still running after 60 s"
	kill "$n1"
else
	wait "$n1"
	rc=$?
	if [ "$rc" = 0 ] && grep -q "node 0 of cluster $NAME has ended" "$T_TMP/n1.err"; then
		ok "node 1 ends by itself once node 0 has ended (exit 0)"
	else
		not_ok "node 1 ends once node 0 has ended" "exit $rc:"
		sed 's/^/#   /' "$T_TMP/n1.err" | tail -5
	fi
fi

# --- a node that dies mid-job: mpirun on node 0 ends with an error, no hang
"$HVM_RUN" "${VMARGS[@]}" --cluster "$NAME:1/2" >"$T_TMP/n1.out" 2>"$T_TMP/n1.err" &
n1=$!
(
	# Once both ranks run (their first lines are out), node 1 is stopped.
	for _ in $(seq 300); do
		[ "$(grep -c '^rank [01] ' "$O_" 2>/dev/null)" = 2 ] && break
		sleep 1
	done
	sleep 3
	kill -TERM "$n1" && date +%s >"$T_TMP/killed"
) &
killer=$!
# Meanwhile a node of another cluster name must not join this one.
"$HVM_RUN" "${VMARGS[@]}" --cluster "other$$:1/2" --cluster-wait 20 \
	>"$T_TMP/other.out" 2>"$T_TMP/other.err" &
other=$!
# mpirun is node 0's command: its status is hvm-run's.
vm "$O_" "$E_" "${VMARGS[@]}" --cluster "$NAME:0/2" -- \
	mpirun -H node0,node1 -np 2 hrt-exec /run/hvm-out/hrt-exec/tests/exec-mpi-openmpi 1000000
t1=$(date +%s)
wait "$killer" 2>/dev/null
wait "$n1" 2>/dev/null
if [ -s "$T_TMP/killed" ]; then
	t=$((t1 - $(cat "$T_TMP/killed")))
	if [ "$RC" != 0 ] && [ "$RC" != 124 ] && [ "$RC" != 125 ] && [ "$t" -le 60 ]; then
		ok "node 1 stopped mid-job: mpirun fails, node 0's hvm-run exits with its status $RC, $t s later"
	else
		not_ok "node 1 stopped mid-job: mpirun's failure is hvm-run's status within 60 s" \
			"hvm-run $RC, $t s:"
		tail -n 8 "$O_" "$E_" | sed 's/^/#   /'
	fi
else
	not_ok "node 1 stopped mid-job" "the job never ran on both nodes (hvm-run $RC):"
	tail -n 8 "$O_" "$E_" | sed 's/^/#   /'
fi
wait "$other"
rc=$?
if [ "$rc" = 125 ] && grep -q "node 0 did not come up within 20 s" "$T_TMP/other.err"; then
	ok "a node of another cluster name never joined this one (it timed out, exit 125)"
else
	not_ok "a node of another cluster name stays apart" "exit $rc:"
	sed 's/^/#   /' "$T_TMP/other.err" | tail -5
fi

# Nothing left behind: no QEMU of ours, no temporary files.
if pgrep -f "hvm-cluster|$TMPDIR" >/dev/null; then
	not_ok "no process left behind" "$(pgrep -af "$TMPDIR" | head -3)"
else
	ok "no process left behind"
fi
expect_eq "no temporary files left behind" 0 "$(ls -A "$TMPDIR" | wc -l)"
summary
