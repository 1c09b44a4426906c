#!/bin/bash
# SPDX-License-Identifier: MIT
# prof.sh - hvm-prof in a real VM: per-stage offload latency polling vs blocking, with traces and PNG plots.
#
# One boot with a --share folder: the ROS runs hvm-prof's workloads with
# --json/--csv/--trace into the share, then hvm-plot draws them on the host.
# Output (default build/bench/prof): NAME.json/.csv/.trace, NAME-*.png.
# PROF_BENCH_CORES (default 1:1), PROF_BENCH_ITERS (default 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
cores=${PROF_BENCH_CORES:-1:1}
n=${PROF_BENCH_ITERS:-2000}
out=${PROF_BENCH_OUT:-$O/bench/prof}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

runs=(null-poll null-block syscall-poll syscall-block all-poll)
{
	echo 'cd /share || exit 1'
	for r in "${runs[@]}"; do
		wl=${r%-*} wait=${r#*-}
		echo "hvm-prof -q -n $n -w $wait --json=$r.json --csv=$r.csv --trace=$r.trace $wl || exit 1"
	done
} >"$out/guest.sh"
timeout -k 5 600 "$O/hvm/hvm-run" -q --cores "$cores" --timeout 500 \
	--share "$out:/share" -- sh /share/guest.sh
rm -f "$out/guest.sh"

jsons=()
for r in "${runs[@]}"; do jsons+=("$out/$r.json"); done
tools/hvm-plot -o "$out" -t "TCG, --cores $cores" "${jsons[@]}" >/dev/null
echo "hvm-prof, $n calls per run, --cores $cores (ns; p50 / p99 per stage):"
printf '  %-14s' run
for s in submit_to_pickup pickup_to_start run finish_to_seen total forward; do
	printf ' %19s' "$s"
done
echo
for r in "${runs[@]}"; do
	printf '  %-14s' "$r"
	jq -r '[.stages[] | {(.name): "\(.p50) / \(.p99)"}] | add as $s |
		["submit_to_pickup","pickup_to_start","run","finish_to_seen","total","forward"]
		| map($s[.] // "-") | .[]' "$out/$r.json" | while read -r v; do
		printf ' %19s' "$v"
	done
	echo
done
p50() { jq ".stages[] | select(.name == \"$2\") | .p50" "$out/$1.json"; }
printf 'ratio blocking / polling, total p50: null %.2f, syscall %.2f\n' \
	"$(echo "$(p50 null-block total) / $(p50 null-poll total)" | bc -l)" \
	"$(echo "$(p50 syscall-block total) / $(p50 syscall-poll total)" | bc -l)"
printf 'forwarded call round trip (ROS side) p50, polling: %d ns; native getppid is in invoke.sh\n' \
	"$(p50 syscall-poll forward)"
echo "plots and traces: $out"
