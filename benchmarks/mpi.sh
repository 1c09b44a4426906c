#!/bin/bash
# SPDX-License-Identifier: MIT
# mpi.sh - MPI ping-pong (8 B, 1 MiB), allreduce and barrier: native ranks against ranks under hrt-exec, in one VM and across two --cluster VMs.
#
# exec-mpi (tests/vm/guest/exec-mpi.c, Debian's Open MPI and MPICH) prints
# medians in microseconds; each row is one job run natively (ranks on the
# ROS cores) and under hrt-exec (ranks on the HRT cores) in the same boot,
# ratio = native/hrt (above 1: the HRT is faster).  MPI_BENCH_ITERS
# (default 200), MPI_BENCH_ACCEL (auto|kvm|tcg) and MPI_BENCH_CLUSTER=0
# (skip the two-VM part) adjust the run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/accel.sh
O=${O:-build}
iters=${MPI_BENCH_ITERS:-200}
accel=${MPI_BENCH_ACCEL:-auto}
BIN=$(cd "$O" && pwd)/hrt-exec/tests
tmp=$(mktemp -d)
trap '[ -n "${MPI_BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT
export XDG_RUNTIME_DIR=$tmp

# table WHERE IMPL FILE: rows from a run's "== native"/"== hrt" sections.
table() {
	awk -v where="$1" -v impl="$2" '
	/^== native/ { m = "n" } /^== hrt/ { m = "h" }
	/^time / { v[m, $2] = $3; k[$2] = 1 }
	END {
		split("pingpong-8B pingpong-1MiB allreduce barrier", order, " ")
		for (i = 1; i <= 4; i++) {
			n = v["n", order[i]]; h = v["h", order[i]]
			if (n == "" || h == "") continue
			printf "%-9s %-8s %-14s %12.1f %12.1f %8.2fx\n", where, impl,
				order[i], n, h, (h > 0 ? n / h : 0)
		}
	}' "$3"
}

# --- one VM, 2 ROS and 2 HRT cores: shared-memory transport
for impl in openmpi mpich; do
	if [ $impl = openmpi ]; then
		launch="mpirun.openmpi --allow-run-as-root --mca btl self,vader -np 2"
	else
		launch="mpirun.mpich -np 2"
	fi
	timeout -k 5 900 "$O/hvm/hvm-run" --cores 2:2 --mem 2G:256M --host-root \
		--accel "$accel" --timeout 840 -- sh -c \
		"echo '== native'; $launch $BIN/exec-mpi-$impl $iters || exit 1;
		 echo '== hrt'; $launch hrt-exec $BIN/exec-mpi-$impl $iters || exit 1" \
		>"$tmp/one-$impl.out" 2>"$tmp/one-$impl.err" || {
		echo "mpi.sh: the one-VM $impl run failed" >&2
		tail -20 "$tmp/one-$impl.out" "$tmp/one-$impl.err" >&2
		exit 1
	}
done
acc=$(bench_accel "$accel" "$tmp/one-openmpi.err")
echo "MPI, 2 ranks, exec-mpi $iters iterations, medians in us; accelerator: $acc"
printf "%-9s %-8s %-14s %12s %12s %9s\n" where mpi what native hrt-exec ratio
table one-vm openmpi "$tmp/one-openmpi.out"
table one-vm mpich "$tmp/one-mpich.out"

# --- two VMs joined by --cluster, one rank on each, TCP between them
[ "${MPI_BENCH_CLUSTER:-1}" = 0 ] && exit 0
name=bench$$
vmargs=(--cores 1:1 --mem 1G:128M --host-root --accel "$accel" --timeout 840)
"$O/hvm/hvm-run" "${vmargs[@]}" --cluster "$name:1/2" >"$tmp/n1.out" 2>"$tmp/n1.err" &
n1=$!
launch="mpirun -H node0,node1 -np 2"
timeout -k 5 900 "$O/hvm/hvm-run" "${vmargs[@]}" --cluster "$name:0/2" -- sh -c \
	"echo '== native'; $launch $BIN/exec-mpi-openmpi $iters || exit 1;
	 echo '== hrt'; $launch hrt-exec $BIN/exec-mpi-openmpi $iters || exit 1" \
	>"$tmp/two.out" 2>"$tmp/two.err" || {
	echo "mpi.sh: the two-VM run failed" >&2
	tail -20 "$tmp/two.out" "$tmp/two.err" >&2
	kill "$n1" 2>/dev/null
	exit 1
}
wait "$n1" || true
table two-vms openmpi "$tmp/two.out"
