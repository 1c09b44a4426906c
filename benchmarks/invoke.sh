#!/bin/sh
# invoke.sh - hrt_invoke in a real VM: round trips (polling, blocking) against futex/condvar/eventfd/pipe hand-offs and a plain call, forwarded vs native getpid, all-core offload vs pthreads.
set -eu
cd "$(dirname "$0")/.."
O=${O:-build}
exec timeout -k 5 600 "$O/hvm/hvm-run" --cores "${INVOKE_BENCH_CORES:-1:1}" \
	--timeout 500 -q -- hvm-invoke-bench "${INVOKE_BENCH_ITERS:-2000}"
