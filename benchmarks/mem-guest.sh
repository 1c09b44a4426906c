#!/bin/bash
# SPDX-License-Identifier: MIT
# mem-guest.sh - the in-guest half of benchmarks/mem.sh: mem-ops natively and under hrt-exec, with the HRT's event counts per run.
#
#   bash mem-guest.sh BIN RUNS N
#
# Prints "RUN MODE mmap touch mprotect munmap" (ns per operation) per run
# and, for HRT runs, "EV NAME DELTA" lines from hvmctl stats.
set -u
BIN=${1:?usage: mem-guest.sh BIN RUNS N}
RUNS=${2:-5}
N=${3:-200}

stats() { hvmctl stats | awk -F": " '$1 ~ /^hrt\./ { print $1, $2 }' | sort; }

for r in $(seq "$RUNS"); do
	"$BIN/mem-ops" "$N" | awk '{ print "RUN native", $5, $7, $9, $11 }'
	stats >/tmp/ev0
	hrt-exec "$BIN/mem-ops" "$N" | awk '{ print "RUN hrt", $5, $7, $9, $11 }'
	stats >/tmp/ev1
	join /tmp/ev0 /tmp/ev1 | awk '{ print "EV", $1, $3 - $2 }'
done
echo "FLUSH_TIMEOUTS $(cat /sys/class/misc/hvm/hrt/flush_timeouts)"
