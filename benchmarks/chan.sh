#!/bin/sh
# SPDX-License-Identifier: MIT
# chan.sh - the channel protocol on the host against the hardware floor and Linux hand-offs.
set -eu
cd "$(dirname "$0")/.."
exec "${O:-build}/benchmarks/chan-bench" "${CHAN_BENCH_ITERS:-200000}"
