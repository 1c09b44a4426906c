#!/bin/sh
# SPDX-License-Identifier: MIT
# invoke.sh - hrt_invoke in a real VM (--cores 1:1), medians of batches: null invokes (polling, blocking, default) against the in-VM floor (a ROS<->HRT cache-line ping-pong) and futex/eventfd hand-offs, forwarded vs native getppid (getpid is served on the HRT), each ratio against its target (met / NOT MET), the HRT events per operation; then condvar/pipe hand-offs and all-core offload vs pthreads.
set -eu
cd "$(dirname "$0")/.."
O=${O:-build}
exec timeout -k 5 600 "$O/hvm/hvm-run" --cores "${INVOKE_BENCH_CORES:-1:1}" \
	--timeout 500 -q -- hvm-invoke-bench "${INVOKE_BENCH_ITERS:-1000}"
