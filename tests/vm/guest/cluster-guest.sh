#!/bin/bash
# SPDX-License-Identifier: MIT
# cluster-guest.sh - the node0 half of tests/vm/cluster.sh: names, ssh and an MPI job across two VMs.
#
#   bash cluster-guest.sh BIN
#
# Runs on node0 of a two-node --cluster under --host-root; BIN holds the
# host-built MPI programs ($(O)/hrt-exec/tests), at the same path on node1.
# Prints "ok - NAME" or "not ok - NAME" and evidence per check (verdict.sh),
# then "N passed, N failed".
set -u
BIN=${1:?usage: cluster-guest.sh BIN}
W=/tmp/cluster-test
mkdir -p "$W"
cd "$W" || exit 1
OUT=$W/evidence
. "${0%/*}/verdict.sh"
# expect NAME STATUS WHY FILES...: ok when STATUS is 0, else not ok with
# WHY and the files' tails as evidence.
expect() {
	local name=$1 res=$2 why=$3
	shift 3
	if [ "$res" = 0 ]; then
		ok "$name"
		return
	fi
	{
		[ -n "$why" ] && echo "$why"
		for f; do [ -e "$f" ] && tail -n 12 "$f"; done
	} >"$OUT"
	not_ok "$name"
}

[ "$(hostname)" = node0 ]
expect "--cluster: this VM is node0" $? "hostname $(hostname)"
getent hosts node1 >"$W/hosts" 2>&1
grep -q '^10\.66\.0\.2 .*node1' "$W/hosts"
expect "--cluster: node1 resolves to 10.66.0.2" $? "getent says $(cat "$W/hosts")"

# With --net user the cluster NIC is a second one; each has its address.
ip -4 -o addr show >"$W/addr" 2>&1
grep -q 'inet 10\.66\.0\.1/24' "$W/addr" && grep -q 'inet 10\.0\.2\.15/24' "$W/addr"
expect "--cluster beside --net user: 10.66.0.1/24 and 10.0.2.15/24 on two NICs" $? "" "$W/addr"

# ssh with the cluster's key and pinned host key: no prompt, no password.
timeout 60 ssh node1 'hostname; echo "$PATH"' >"$W/ssh.out" 2>"$W/ssh.err"
rc=$?
[ $rc = 0 ] && [ "$(sed -n 1p "$W/ssh.out")" = node1 ]
expect "ssh node1 hostname: node1, with the cluster's key (exit $rc)" $? "" "$W/ssh.out" "$W/ssh.err"
grep -q /run/hvm/bin "$W/ssh.out"
expect "an ssh session on node1 finds hrt-exec on its PATH" $? "" "$W/ssh.out"
# Without the cluster's ssh settings (-F /dev/null): no key, so no login.
ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o ConnectTimeout=20 root@node1 true >/dev/null 2>&1
[ $? != 0 ]
expect "node1's ssh refuses a client without the cluster's key" $? ""

# The job: Open MPI's own ssh launcher starts one rank on each node.
run_job() { # run_job NAME HRT-EXEC...
	local name=$1
	shift
	timeout -k 5 240 mpirun -H node0,node1 -np 2 "$@" "$BIN/exec-mpi-openmpi" 20 \
		>"$W/$name.out" 2>"$W/$name.err" </dev/null
	echo $?
}
rc=$(run_job hrt hrt-exec)
n0=$(grep -c '^rank .* cpl 0 .* host node0$' "$W/hrt.out")
n1=$(grep -c '^rank .* cpl 0 .* host node1$' "$W/hrt.out")
[ "$rc" = 0 ] && [ "$n0" = 1 ] && [ "$n1" = 1 ]
expect "mpirun -H node0,node1 -np 2 hrt-exec: a rank at CPL 0 on each node (exit $rc)" $? \
	"ranks at CPL 0: node0 $n0, node1 $n1" "$W/hrt.out" "$W/hrt.err"
grep -q '^result pingpong ok$' "$W/hrt.out"
expect "across the VMs: 8 B and 1 MiB ping-pong contents right" $? "" "$W/hrt.out"
rc=$(run_job native)
n=$(grep -c '^rank .* cpl 3 ' "$W/native.out")
[ "$rc" = 0 ] && [ "$n" = 2 ]
expect "the same job natively: 2 ranks at CPL 3 (exit $rc)" $? "" "$W/native.out" "$W/native.err"
grep '^result ' "$W/native.out" >"$W/r.native"
grep '^result ' "$W/hrt.out" >"$W/r.hrt"
[ -s "$W/r.native" ] && cmp -s "$W/r.native" "$W/r.hrt"
expect "across the VMs: allreduce, barrier and ping-pong results equal native" $? \
	"" "$W/r.native" "$W/r.hrt"
grep '^time ' "$W/hrt.out" | sed 's/^/# hrt-exec: /'
grep '^time ' "$W/native.out" | sed 's/^/# native:   /'

# A job's failure is its exit status: a rank that exits 3 ends mpirun non-zero.
timeout -k 5 120 mpirun -H node0,node1 -np 2 hrt-exec sh -c \
	'[ "$OMPI_COMM_WORLD_RANK" = 1 ] && exit 3; sleep 1' >"$W/fail.out" 2>&1 </dev/null
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ]
expect "a rank on node1 that fails makes mpirun fail (exit $rc), no hang" $? "" "$W/fail.out"

summary
