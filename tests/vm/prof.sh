#!/bin/bash
# SPDX-License-Identifier: MIT
# prof.sh - whole-VM test of hvm-prof and hvm-plot: workloads, a real program, text/CSV/JSON/trace output.
#
# One boot with 2 HRT cores and a --share folder: the ROS runs hvm-prof's
# workloads and `hvm-prof -- hvm-demo`, writing every output format into the
# share; the host then checks the files with jq and plots them.
set -u
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

share=$T_TMP/share
mkdir -p "$share"
cat >"$share/guest.sh" <<'EOF'
#!/bin/sh
# Each command's exit status lands in NAME.rc, its output in NAME.out.
run() {
	name=$1
	shift
	"$@" >/share/$name.out 2>/share/$name.err
	echo $? >/share/$name.rc
}
cd /share
run null hvm-prof -n 200 -w poll --csv=null.csv --json=null.json --trace=null.trace null
run syscall hvm-prof -n 100 -w block --csv=syscall.csv --json=syscall.json \
	--trace=syscall.trace syscall
run all hvm-prof -n 50 -w spin --json=all.json --trace=all.trace all
run timed hvm-prof -t 0.5 -w poll --csv null
run demo hvm-prof --json=demo.json --trace=demo.trace -- hvm-demo
# Events per call: a warm process, a new one, one forwarded call.
run warm hvm-prof -n 200 -w poll -c 0 --json=warm.json null
run first hvm-prof -n 1 --warmup 0 -w poll -c 1 --json=first.json null
run getppid hvm-prof -n 20 -w poll -c 0 --json=getppid.json --csv=getppid.csv getppid
run stats hvmctl stats
run usage hvm-prof bogus
run nocalls hvm-prof -- true
run fails hvm-prof --csv -- sh -c 'hvm-demo >/dev/null; exit 5'
EOF
vm "$T_TMP/out" "$T_TMP/err" --cores 1:2 --timeout 100 --share "$share:/share" \
	-- sh /share/guest.sh
expect_eq "VM ran the guest script" 0 "$RC"
[ "$RC" = 0 ] || tail -n 20 "$T_TMP/out" "$T_TMP/err" | sed 's/^/#   /'

# rc NAME WANT: the exit status of one guest command.
rc() {
	local got
	got=$(cat "$share/$1.rc" 2>/dev/null || echo missing)
	expect_eq "hvm-prof $1: exit status $2" "$2" "$got"
	[ "$got" = "$2" ] || sed 's/^/#   /' "$share/$1.err" 2>/dev/null | tail -5
}

# jqcheck NAME FILE FILTER: the jq filter holds on FILE (which parses).
jqcheck() {
	if jq -e "$3" "$2" >/dev/null 2>"$T_TMP/jq.err"; then
		ok "$1"
	else
		not_ok "$1" "jq '$3' false on $(basename "$2"): $(head -c 200 "$T_TMP/jq.err")"
	fi
}

CALL_STAGES='["submit_to_pickup","pickup_to_start","run","finish_to_seen","total"]'
# Every call stage has one sample per call, with ordered, non-zero statistics.
stages_ok='(.stages | map(.name)) as $n | ('"$CALL_STAGES"' - $n) == [] and
	all(.stages[]; .count > 0 and .min <= .p50 and .p50 <= .p90 and
	    .p90 <= .p99 and .p99 <= .max and (.histogram | length) > 0)'

rc null 0
jqcheck "null: every call stage has statistics" "$share/null.json" \
	"$stages_ok and .calls == 200 and .skipped == 0"
expect_match "null: text report has a histogram" '^ +[0-9]+ \.\. +[0-9]+ +[0-9]+ #' \
	"$share/null.out"
expect_eq "null: --csv has a header and a row per stage" 6 \
	"$(grep -cE '^(stage|submit_to_pickup|pickup_to_start|run|finish_to_seen|total),' \
		"$share/null.csv" 2>/dev/null)"

rc syscall 0
jqcheck "syscall: every stage including forward has statistics" "$share/syscall.json" \
	"$stages_ok and .calls == 100 and (.stages[] | select(.name == \"forward\") | .count) == 200"
expect_match "syscall: --csv has the forward row" '^forward,200,' "$share/syscall.csv"
jqcheck "syscall trace: HRT core and ROS thread tracks" "$share/syscall.trace" \
	'[.traceEvents[] | select(.ph == "M" and .name == "thread_name") | .args.name] as $t |
	 any($t[]; test("^HRT core [0-9]+$")) and any($t[]; test("^ROS thread [0-9]+$"))'
jqcheck "syscall trace: 200 forwarded calls, each nested in a run slice" "$share/syscall.trace" \
	'[.traceEvents[] | select(.ph == "X" and .name == "run")] as $runs |
	 [.traceEvents[] | select(.ph == "X" and .name == "syscall")] as $fw |
	 ($fw | length) == 200 and
	 all($fw[]; . as $f | any($runs[]; .tid == $f.tid and .ts <= $f.ts and
				 $f.ts + $f.dur <= .ts + .dur + 0.002))'

rc all 0
jqcheck "all: one call per HRT core per round, all stages" "$share/all.json" \
	"$stages_ok and .calls == 100"
jqcheck "all trace: both HRT cores and a ROS thread per core" "$share/all.trace" \
	'[.traceEvents[] | select(.ph == "M" and .name == "thread_name") | .args.name] as $t |
	 ([$t[] | select(test("^HRT core"))] | length) == 2 and
	 ([$t[] | select(test("^ROS thread"))] | length) >= 2'

rc timed 0
expect_match "-t: timed run reports a total row" '^total,[1-9][0-9]*,' "$share/timed.out"

rc demo 0
jqcheck "-- hvm-demo: its calls are profiled" "$share/demo.json" \
	"$stages_ok and .calls >= 600"
expect_match "-- hvm-demo: program output and report both shown" \
	'walked the caller|hvm-prof: program hvm-demo' "$share/demo.out"
jqcheck "-- hvm-demo: trace parses, has invoke slices" "$share/demo.trace" \
	'[.traceEvents[] | select(.name == "invoke")] | length >= 1200'

# ev STAGE EVENT FIELD: jq expression for one event statistic of a stage.
ev() {
	echo "(.stages[] | select(.name == \"$1\") | .events.$2.$3)"
}
rc warm 0
jqcheck "warm null poll: no CR3 load, no top-level sync" "$share/warm.json" \
	"$(ev total cr3_loads total) == 0 and $(ev total pml4_syncs total) == 0"
# Kick IPIs are not counted as failures: a host that deschedules the ROS
# vCPU for longer than the HRT's 500 us poll makes the next call kick (as
# it must), and that IPI may land just after the worker saw the request.
jqcheck "warm null poll: no interrupt either way while the call runs" "$share/warm.json" \
	"$(ev total hrt_irqs total) - $(ev total kicks_taken total) == 0 and
	 $(ev total kicks_taken max) <= 1 and $(ev total ros_irqs total) == 0"
jqcheck "warm null poll: nothing forwarded" "$share/warm.json" \
	"$(ev run fwd_calls total) == 0 and $(ev run fwd_faults total) == 0"
rc first 0
jqcheck "first call of a new process: a CR3 load and a sync before start" \
	"$share/first.json" \
	".calls == 1 and $(ev pickup_to_start cr3_loads max) >= 1 and
	 $(ev pickup_to_start pml4_syncs max) >= 1"
rc getppid 0
jqcheck "forwarded getppid: one forwarded call per invocation, in run" \
	"$share/getppid.json" \
	".calls == 20 and $(ev run fwd_calls mean) == 1 and $(ev run fwd_calls max) == 1 and
	 $(ev total fwd_faults total) == 0"
expect_match "getppid: --csv has the event columns" \
	'^stage,count,min,p50,p90,p99,max,mean,cr3_loads,pml4_syncs,.*,kicks_sent,ros_sleeps$' \
	"$share/getppid.csv"
expect_match "getppid: text report shows events per stage" '^run( +[0-9]+\.[0-9]{2}){11}$' "$share/getppid.out"
rc stats 0
expect_match "hvmctl stats: global forwarded calls" '^hrt\.fwd_calls: [1-9]' "$share/stats.out"
expect_match "hvmctl stats: global CR3 loads and kick IPIs" '^hrt\.kick_ipis: [0-9]' \
	"$share/stats.out"

rc usage 1
expect_match "bad workload: one-line error" '^hvm-prof: unknown workload' "$share/usage.err"
rc nocalls 2
expect_match "program without offloads: clear error" 'made no offloaded calls' \
	"$share/nocalls.err"
rc fails 3
expect_match "failing program: its status is reported" 'exited with status 5' \
	"$share/fails.err"
expect_match "failing program: its profile is still reported" '^total,[1-9]' \
	"$share/fails.out"

# hvm-plot on the host, on files the ROS wrote.
if tools/hvm-plot -o "$T_TMP/png" -t test "$share/null.json" "$share/syscall.json" \
	>"$T_TMP/plot.out" 2>&1; then
	ok "hvm-plot ran"
else
	not_ok "hvm-plot ran" "$(head -3 "$T_TMP/plot.out")"
fi
for png in syscall-stages syscall-hist compare; do
	f=$T_TMP/png/$png.png
	sig=$(head -c 8 "$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	size=$(stat -c %s "$f" 2>/dev/null || echo 0)
	if [ "$sig" = 89504e470d0a1a0a ] && [ "$size" -gt 4000 ]; then
		ok "hvm-plot: $png.png is a PNG ($size bytes)"
	else
		not_ok "hvm-plot: $png.png is a PNG" "signature '$sig', $size bytes"
	fi
done
tools/hvm-plot "$T_TMP/out" >/dev/null 2>"$T_TMP/plot.err"
expect_eq "hvm-plot: non-JSON input exits 2" 2 "$?"
expect_no_match "HRT did not crash" 'UNEXPECTED EXCEPTION|hrt: crashed' "$T_TMP/out"
summary
