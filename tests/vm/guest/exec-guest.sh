#!/bin/bash
# SPDX-License-Identifier: MIT
# exec-guest.sh - the in-guest half of tests/vm/exec.sh: unmodified programs under hrt-exec.
#
#   bash exec-guest.sh BIN SRC
#
# BIN holds the host-built test programs ($(O)/hrt-exec/tests), SRC this
# folder (tests/vm/guest), both by absolute path through --host-root.  Each
# program runs under hrt-exec and, where that means something, natively in
# the ROS for comparison.  Prints "ok - NAME" or "not ok - NAME # why" per
# check (with "#" lines of evidence), then "N passed, N failed".  Scratch
# files go to the guest's own /tmp.
set -u
BIN=${1:?usage: exec-guest.sh BIN SRC}
SRC=${2:?usage: exec-guest.sh BIN SRC}
W=/tmp/exec-test
rm -rf "$W"
mkdir -p "$W"
cd "$W" || exit 1

PASS=0
FAIL=0
ok() {
	PASS=$((PASS + 1))
	echo "ok - $1"
}
not_ok() {
	FAIL=$((FAIL + 1))
	echo "not ok - $1${2:+ # $2}"
}

# show FILE...: the files' tails as "#" lines.
show() {
	local f
	for f; do
		[ -e "$f" ] || continue
		echo "#   --- ${f##*/} ($(wc -l <"$f") lines):"
		tail -n 10 "$f" | cut -c1-200 | sed 's/^/#   /'
	done
}

# run NAME LIMIT CMD...: CMD's stdout and stderr in $W/NAME.out and .err,
# its exit status in RC.
run() {
	local name=$1 limit=$2
	shift 2
	timeout -k 5 "$limit" "$@" >"$W/$name.out" 2>"$W/$name.err" </dev/null
	RC=$?
}

# A check collects its reasons to fail in WHY (begin, want_*), then
# verdict NAME FILE... prints it, with the files as evidence on failure.
begin() { WHY=; }
fail() { WHY="$WHY; $*"; }
want_rc() { [ "$2" = "$1" ] || fail "${3:-exit} $2, want $1"; }
want_grep() { grep -Eq -- "$1" "$2" || fail "no /$1/ in ${2##*/}"; }
want_no_grep() { ! grep -Eq -- "$1" "$2" || fail "/$1/ in ${2##*/}"; }
want_same() { cmp -s "$1" "$2" || fail "${2##*/} differs from ${1##*/}"; }
want_lines() {
	local n
	n=$(wc -l <"$2")
	[ "$n" = "$1" ] || fail "${2##*/} has $n lines, want $1"
}
# want_same_lines REGEX FILE1 FILE2: their lines matching REGEX (some) agree.
want_same_lines() {
	grep -E -- "$1" "$2" >"$W/lines.1"
	grep -E -- "$1" "$3" >"$W/lines.2"
	[ -s "$W/lines.1" ] || fail "no /$1/ in ${2##*/}"
	cmp -s "$W/lines.1" "$W/lines.2" || fail "/$1/ lines of ${3##*/} differ from ${2##*/}'s"
}
want_empty() { [ ! -s "$1" ] || fail "${1##*/} not empty"; }
# want_cpl CPL N FILE: N lines say "cpl CPL", none another CPL.
want_cpl() {
	local n
	n=$(grep -Ec "cpl $1( |$)" "$3")
	[ "$n" = "$2" ] || fail "$n lines with cpl $1 in ${3##*/}, want $2"
	want_no_grep "cpl ([^$1]|-1)" "$3"
}
verdict() {
	local name=$1
	shift
	if [ -z "$WHY" ]; then
		ok "$name"
	else
		not_ok "$name" "${WHY#; }"
		show "$@"
	fi
}

# native_as_hrt IN OUT: native output with "cpl 3" made "cpl 0", i.e. what
# the same run must print on the HRT.
native_as_hrt() { sed 's/cpl 3\b/cpl 0/g' "$1" >"$2"; }

hrt_stat() { hvmctl stats 2>/dev/null | awk -v k="hrt.$1:" '$1 == k { print $2 }'; }
hrt_threads() { hrt_stat threads_created; }
hrt_invocations() { hrt_stat invocations; }
# want_more BEFORE AFTER N WHAT: a counter grew by N at least.
want_more() { [ $((${2:-0} - ${1:-0})) -ge "$3" ] || fail "$4 went ${1:-?} -> ${2:-?}, want +$3"; }

# The HRT cores' APIC IDs (HRT core 0 first), as CPUID reports them.
read -r -a APIC <<<"$(hvmctl status | sed -n 's/^hrt_apic_ids: //p')"
echo "# HRT APIC IDs: ${APIC[*]:-none}; hrt-exec is $(command -v hrt-exec)"
apic_re="(${APIC[0]:-x}|${APIC[1]:-x})"
# want_hrt_apics N FILE: N "thread" lines name an HRT core's APIC ID.
want_hrt_apics() {
	local n
	n=$(grep -Ec "^thread .* apic $apic_re$" "$2")
	[ "$n" = "$1" ] || fail "$n threads on HRT cores in ${2##*/}, want $1"
}

# ---- bad input: the launcher's checks, each a status and a one-line message
# bad NAME STATUS REGEX CMD...
bad() {
	local name=$1 want=$2 re=$3
	shift 3
	run bad 30 "$@"
	begin
	want_rc "$want" "$RC"
	want_lines 1 "$W/bad.err"
	want_grep "^hrt-exec: .*($re)" "$W/bad.err"
	want_empty "$W/bad.out"
	verdict "bad input: $name: exit $want, one-line message /$re/" "$W/bad.out" "$W/bad.err"
}
printf 'echo this is text, not a program\n' >"$W/notprog"
chmod +x "$W/notprog"
bad "text file with +x, no #!" 126 "not a program" hrt-exec "$W/notprog"
cp /bin/true "$W/arm64" && printf '\267\000' |
	dd of="$W/arm64" bs=1 seek=18 conv=notrunc status=none
bad "AArch64 ELF (e_machine 183)" 125 "architecture.*AArch64|AArch64.*architecture" \
	hrt-exec "$W/arm64"
cp /bin/true "$W/elf32" && printf '\001' |
	dd of="$W/elf32" bs=1 seek=4 conv=notrunc status=none
bad "32-bit ELF (EI_CLASS 1)" 125 "32-bit" hrt-exec "$W/elf32"
bad "static program without the runtime" 125 "statically linked" \
	hrt-exec "$BIN/exec-static"
bad "program not found" 127 "not found" hrt-exec no-such-program-hrt-exec
bad "no permission to /dev/hvm (user nobody)" 123 "no permission.*/dev/hvm" \
	setpriv --reuid=65534 --regid=65534 --clear-groups hrt-exec "$BIN/exec-omp"
bad "--cores 7 with ${#APIC[@]} HRT cores" 2 "bad --cores" hrt-exec --cores 7 true
run help 30 hrt-exec --help
begin
want_rc 0 "$RC"
want_grep "^usage: hrt-exec " "$W/help.out"
want_empty "$W/help.err"
verdict "bad input: --help: exit 0, usage on stdout" "$W/help.out" "$W/help.err"

# A static program linked with libhrt-exec.a: on the HRT under hrt-exec,
# native when run directly.
run static-native 30 "$BIN/exec-static-hrt"
run static-hrt 60 hrt-exec "$BIN/exec-static-hrt"
native_as_hrt "$W/static-native.out" "$W/static-want"
begin
want_rc 0 "$RC"
want_cpl 0 2 "$W/static-hrt.out"
want_same "$W/static-want" "$W/static-hrt.out"
verdict "static program linked with libhrt-exec.a: main and thread at CPL 0" \
	"$W/static-hrt.out" "$W/static-hrt.err"
begin
want_cpl 3 2 "$W/static-native.out"
want_grep "^static thread cpl 3 sum [0-9]+$" "$W/static-native.out"
verdict "static program linked with libhrt-exec.a, run directly: CPL 3" \
	"$W/static-native.out" "$W/static-native.err"

# ---- 1. python3 with threading
t0=$(hrt_threads)
run py-hrt 120 hrt-exec python3 "$SRC/exec-threads.py"
rc_hrt=$RC
t1=$(hrt_threads)
run py-native 120 python3 "$SRC/exec-threads.py"
begin
want_rc 0 "$rc_hrt"
want_rc 0 "$RC" "native exit"
want_grep "^threads 6 combined [0-9a-f]{64}$" "$W/py-native.out"
want_same "$W/py-native.out" "$W/py-hrt.out"
verdict "python3 threading: hrt-exec output equals native" "$W/py-hrt.out" "$W/py-hrt.err"
begin
want_grep "^cpls 0 0 0 0 0 0$" "$W/py-hrt.err"
want_grep "^cpls 3 3 3 3 3 3$" "$W/py-native.err"
want_more "$t0" "$t1" 6 hrt.threads_created
verdict "python3 threading: 6 HRT threads, all at CPL 0 (3 natively)" \
	"$W/py-hrt.err" "$W/py-native.err"

# sched_yield is served on the HRT (hvm_fwd.h): 20,000 of them add next to
# no forwarded calls to what python3's start-up alone costs.
f0=$(hrt_stat fwd_calls)
run yield-base 60 hrt-exec python3 -c pass
f1=$(hrt_stat fwd_calls)
run yield-hrt 120 hrt-exec python3 -c 'import os
for _ in range(20000): os.sched_yield()
print("yielded")'
f2=$(hrt_stat fwd_calls)
begin
want_rc 0 "$RC"
want_grep "^yielded$" "$W/yield-hrt.out"
extra=$(((f2 - f1) - (f1 - f0)))
[ "$extra" -lt 1000 ] || fail "$extra more forwarded calls than python3 -c pass ($((f1 - f0)))"
verdict "sched_yield x20000 on the HRT: $extra forwarded calls beyond start-up's $((f1 - f0))" \
	"$W/yield-hrt.out" "$W/yield-hrt.err"

# getpid is served on the HRT (hvm_fwd.h): it and the forwarded gettid must
# equal what Linux says (/proc/self, /proc/thread-self, read through
# forwarded calls), in main, in a thread, in a forked child, after exec.
IDS_PY='import os, sys, threading
def ids_ok():
    tid = int(os.readlink("/proc/thread-self").split("/")[-1])
    return os.getpid() == int(os.readlink("/proc/self")) and threading.get_native_id() == tid
res = [ids_ok()]
t = threading.Thread(target=lambda: res.append(ids_ok())); t.start(); t.join()
parent = os.getpid()
pid = os.fork()
if pid == 0:
    os._exit(0 if ids_ok() and os.getpid() != parent else 1)
res.append(os.waitpid(pid, 0)[1] == 0)
for _ in range(2000): os.getpid()
print("ids", *res)
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, "-c", "import os; print(\"exec\", os.getpid() == int(os.readlink(\"/proc/self\")))"])'
f0=$(hrt_stat fwd_calls)
run ids-hrt 120 hrt-exec python3 -c "$IDS_PY"
f1=$(hrt_stat fwd_calls)
run ids-native 60 python3 -c "$IDS_PY"
begin
want_rc 0 "$RC" "native exit"
want_grep "^ids True True True$" "$W/ids-native.out"
want_same "$W/ids-native.out" "$W/ids-hrt.out"
[ $((f1 - f0)) -lt 1900 ] || fail "$((f1 - f0)) forwarded calls for a run with 2000 getpid"
verdict "getpid on the HRT: right in main, a thread, a forked child, after exec ($((f1 - f0)) forwarded calls with 2000 getpid)" \
	"$W/ids-hrt.out" "$W/ids-hrt.err" "$W/ids-native.out"

# hrt-exec --profile: every forwarded call of main and of a thread, summed
# per system call by hvm-prof --syscalls, as strace -c -f counts them.
PROF_PY='import os, threading
for _ in range(100): os.getppid()
def f():
    for _ in range(40): os.umask(0o22)
t = threading.Thread(target=f); t.start(); t.join()'
run prof-hrt 120 hrt-exec --profile "$W/p.ring" python3 -c "$PROF_PY"
rc_hrt=$RC
run prof-sys 60 hvm-prof --load "$W/p.ring" --syscalls
run prof-json 60 hvm-prof --load "$W/p.ring" --syscalls --json --csv="$W/p.csv"
run prof-strace 120 strace -c -f -o "$W/strace.txt" python3 -c "$PROF_PY"
begin
want_rc 0 "$rc_hrt" "hrt-exec exit"
want_rc 0 "$RC" "strace exit"
for sc in getppid umask; do
	a=$(awk -v s="$sc" '$NF == s { print $(NF-1) }' "$W/prof-sys.out")
	b=$(awk -v s="$sc" '$NF == s { print $4 }' "$W/strace.txt")
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "$sc: profile '$a', strace -c '$b'"
done
want_grep '^ *[0-9.]+ +[0-9.]+ .* [0-9]+ \(page fault\)$' "$W/prof-sys.out"
[ "$(jq '.syscalls[] | select(.name == "getppid") | .calls' "$W/prof-json.out" 2>&1)" = 100 ] ||
	fail "--json: no getppid with 100 calls"
want_grep '^getppid,110,100,' "$W/p.csv"
verdict "hrt-exec --profile: getppid and umask (a thread's) counted as strace -c -f counts them; faults too; --json, --csv" \
	"$W/prof-sys.out" "$W/strace.txt" "$W/prof-hrt.err" "$W/prof-json.out"

# ---- 2. pigz -p 4 on the HRT, gzip -dc natively
for i in 1 2 3; do seq "$i" 3 300000 | base64; done >"$W/data"
t0=$(hrt_threads)
timeout -k 5 120 hrt-exec pigz -p 4 -c "$W/data" >"$W/data.gz" 2>"$W/pigz.err"
rc_hrt=$?
t1=$(hrt_threads)
begin
want_rc 0 "$rc_hrt"
want_empty "$W/pigz.err"
gzip -dc "$W/data.gz" >"$W/data.back" 2>>"$W/pigz.err" || fail "gzip -dc failed"
want_same "$W/data" "$W/data.back"
[ "$(stat -c %s "$W/data.gz")" -lt "$(stat -c %s "$W/data")" ] || fail "data.gz not smaller than data"
want_more "$t0" "$t1" 4 hrt.threads_created
verdict "pigz -p 4 under hrt-exec ($(stat -c %s "$W/data") bytes, 4+ HRT threads): gzip -dc restores it" \
	"$W/pigz.err"

# ---- 3. OpenMP, 4 threads
run omp-hrt 60 hrt-exec "$BIN/exec-omp"
rc_hrt=$RC
run omp-native 60 "$BIN/exec-omp"
begin
want_rc 0 "$rc_hrt"
want_grep "^threads 4$" "$W/omp-hrt.out"
want_cpl 0 4 "$W/omp-hrt.out"
want_hrt_apics 4 "$W/omp-hrt.out"
want_same_lines '^(sum|threads) ' "$W/omp-native.out" "$W/omp-hrt.out"
verdict "OpenMP: 4 threads at CPL 0 on HRT cores, reduction equals native" \
	"$W/omp-hrt.out" "$W/omp-hrt.err" "$W/omp-native.out"
begin
want_rc 0 "$RC"
want_cpl 3 4 "$W/omp-native.out"
verdict "OpenMP natively: 4 threads at CPL 3" "$W/omp-native.out" "$W/omp-native.err"

# ---- 4. C++ std::thread
run cxx-hrt 60 hrt-exec "$BIN/exec-cxx"
rc_hrt=$RC
run cxx-native 60 "$BIN/exec-cxx"
begin
want_rc 0 "$rc_hrt"
want_cpl 0 4 "$W/cxx-hrt.out"
want_hrt_apics 4 "$W/cxx-hrt.out"
want_grep "^hash [0-9a-f]{16}$" "$W/cxx-hrt.out"
want_same_lines '^hash ' "$W/cxx-native.out" "$W/cxx-hrt.out"
verdict "C++ std::thread: 4 threads at CPL 0 on HRT cores, result equals native" \
	"$W/cxx-hrt.out" "$W/cxx-hrt.err" "$W/cxx-native.out"
begin
want_rc 0 "$RC"
want_cpl 3 4 "$W/cxx-native.out"
verdict "C++ std::thread natively: 4 threads at CPL 3" "$W/cxx-native.out" "$W/cxx-native.err"

# ---- 4b. MPI: Debian's Open MPI and MPICH, 2 ranks over shared memory.
# Each rank under hrt-exec gets an HRT core of its own from its local rank.
# want_rank_cores FILE: the "rank" lines name 2 different HRT cores.
want_rank_cores() {
	local n
	n=$(grep -E "^rank .* apic $apic_re " "$1" | awk '{ print $8 }' | sort -u | wc -l)
	[ "$n" = 2 ] || fail "ranks on $n different HRT cores in ${1##*/}, want 2"
}
for impl in openmpi mpich; do
	if [ "$impl" = openmpi ]; then
		launch=(mpirun.openmpi --allow-run-as-root --oversubscribe
			--mca btl self,vader -np 2)
	else
		launch=(mpirun.mpich -np 2)
	fi
	run "mpi-$impl-hrt" 120 "${launch[@]}" hrt-exec -v "$BIN/exec-mpi-$impl" 20
	begin
	want_rc 0 "$RC"
	want_cpl 0 2 "$W/mpi-$impl-hrt.out"
	want_rank_cores "$W/mpi-$impl-hrt.out"
	want_grep "MPI local rank 1 of 2: HRT cores 1$" "$W/mpi-$impl-hrt.err"
	want_grep "^result pingpong ok$" "$W/mpi-$impl-hrt.out"
	run "mpi-$impl-native" 120 "${launch[@]}" "$BIN/exec-mpi-$impl" 20
	want_rc 0 "$RC" "native exit"
	want_cpl 3 2 "$W/mpi-$impl-native.out"
	want_same_lines '^result ' "$W/mpi-$impl-native.out" "$W/mpi-$impl-hrt.out"
	verdict "MPI ($impl): 2 ranks at CPL 0 on HRT cores of their own; ping-pong, allreduce, barrier equal native (CPL 3)" \
		"$W/mpi-$impl-hrt.out" "$W/mpi-$impl-hrt.err" "$W/mpi-$impl-native.out" "$W/mpi-$impl-native.err"
done
# An explicit --cores wins over the rank's share.
run mpi-cores 120 mpirun.mpich -np 2 hrt-exec --cores 0 "$BIN/exec-mpi-mpich" 5
begin
want_rc 0 "$RC"
want_cpl 0 2 "$W/mpi-cores.out"
n=$(grep -c "^rank .* apic ${APIC[0]:-x} " "$W/mpi-cores.out")
[ "$n" = 2 ] || fail "$n ranks on HRT core 0, want 2"
verdict "MPI: hrt-exec --cores 0 puts both ranks on HRT core 0" "$W/mpi-cores.out" "$W/mpi-cores.err"

# ---- 5. a shell running a pipeline of host tools
# shellcheck disable=SC2016 # expanded by the shell under test
PIPE='seq 1 5000 | sort -rn | head -3 | md5sum; echo "sub $(echo shell | tr a-z A-Z)"; ls /run/hvm/bin | grep -c hrt-exec'
run pipe-hrt 60 hrt-exec sh -c "$PIPE"
rc_hrt=$RC
run pipe-native 60 sh -c "$PIPE"
begin
want_rc 0 "$rc_hrt"
want_rc 0 "$RC" "native exit"
want_grep "^[0-9a-f]{32}  -$" "$W/pipe-native.out"
want_grep "^sub SHELL$" "$W/pipe-native.out"
want_same "$W/pipe-native.out" "$W/pipe-hrt.out"
want_empty "$W/pipe-hrt.err"
verdict "hrt-exec sh -c 'seq | sort -rn | head | md5sum; ...' equals native" \
	"$W/pipe-hrt.out" "$W/pipe-hrt.err" "$W/pipe-native.out"

# ---- 6. an execve chain
run chain-hrt 60 hrt-exec "$BIN/exec-chain" 3
rc_hrt=$RC
run chain-native 60 "$BIN/exec-chain" 3
native_as_hrt "$W/chain-native.out" "$W/chain-want"
begin
want_rc 0 "$rc_hrt"
want_cpl 0 4 "$W/chain-hrt.out"
want_same "$W/chain-want" "$W/chain-hrt.out"
verdict "execve chain: 4 images of one process at CPL 0, then /bin/echo" \
	"$W/chain-hrt.out" "$W/chain-hrt.err"
begin
want_rc 0 "$RC"
want_cpl 3 4 "$W/chain-native.out"
want_grep "^image 0 cpl 3 same pid yes$" "$W/chain-native.out"
want_grep "^chain ends in echo$" "$W/chain-native.out"
verdict "execve chain natively: CPL 3" "$W/chain-native.out" "$W/chain-native.err"

# ---- 7. system, popen, fork+exec, posix_spawn from a program on the HRT
run proc-hrt 60 hrt-exec "$BIN/exec-proc"
rc_hrt=$RC
run proc-native 60 "$BIN/exec-proc"
native_as_hrt "$W/proc-native.out" "$W/proc-want"
begin
want_rc 0 "$rc_hrt"
want_grep "^parent cpl 0$" "$W/proc-hrt.out"
want_same "$W/proc-want" "$W/proc-hrt.out"
verdict "system/popen/fork+exec/posix_spawnp from the HRT: output and child statuses equal native" \
	"$W/proc-hrt.out" "$W/proc-hrt.err"
begin
want_rc 0 "$RC"
want_grep "^system: exit 5$" "$W/proc-native.out"
want_grep "^fork\+exec: exit 7$" "$W/proc-native.out"
want_grep "^fork\+kill: killed by signal 15$" "$W/proc-native.out"
want_grep "^posix_spawnp: exit 4$" "$W/proc-native.out"
want_grep "^parent cpl 3$" "$W/proc-native.out"
verdict "child processes natively: expected statuses" "$W/proc-native.out" "$W/proc-native.err"

# ---- 8. exit statuses
for n in 0 3; do
	i0=$(hrt_invocations)
	run st 30 hrt-exec sh -c "echo \$((6 * 7)); exit $n"
	begin
	want_more "$i0" "$(hrt_invocations)" 1 hrt.invocations
	want_rc "$n" "$RC"
	want_grep "^42$" "$W/st.out"
	want_empty "$W/st.err"
	verdict "hrt-exec sh -c 'exit $n': status $n" "$W/st.out" "$W/st.err"
done
for sig in 9 15; do
	run die 30 hrt-exec "$BIN/exec-die" kill "$sig"
	begin
	want_rc $((128 + sig)) "$RC"
	want_grep "^killing myself with signal $sig at cpl 0$" "$W/die.out"
	want_no_grep survived "$W/die.out"
	verdict "kill(getpid(), $sig) on the HRT: status $((128 + sig))" "$W/die.out" "$W/die.err"
done
# fault NAME STATUS MESSAGE CMD...: dies of the fault's signal, natively too.
fault() {
	local name=$1 want=$2 msg=$3
	shift 3
	run fault-native 30 "$@"
	local rc_native=$RC
	run fault 30 hrt-exec "$@"
	begin
	want_rc "$want" "$RC"
	want_rc "$want" "$rc_native" "native exit"
	want_lines 1 "$W/fault.err"
	want_grep "^hrt-exec: .*$msg on the HRT" "$W/fault.err"
	want_no_grep "survived|quotient" "$W/fault.out"
	verdict "$name: status $want, one-line '$msg on the HRT' report" \
		"$W/fault.out" "$W/fault.err"
}
fault "NULL dereference" 139 "Segmentation fault" "$BIN/exec-null"
fault "integer division by zero" 136 "Floating point exception" "$BIN/exec-die" div0

# ---- 12. --cores
for c in 0 1; do
	run cores 60 hrt-exec --cores "$c" "$BIN/exec-omp"
	begin
	want_rc 0 "$RC"
	want_cpl 0 4 "$W/cores.out"
	n=$(grep -c "^thread [0-9] cpl 0 apic ${APIC[$c]:-x}$" "$W/cores.out")
	[ "$n" = 4 ] || fail "$n of 4 threads on HRT core $c (APIC ${APIC[$c]:-?})"
	want_same_lines '^sum ' "$W/omp-native.out" "$W/cores.out"
	verdict "hrt-exec --cores $c: 4 OpenMP threads at CPL 0, all on HRT core $c" \
		"$W/cores.out" "$W/cores.err"
done

# ---- 9. signals without handlers, sent from outside
# bg NAME SIGNALS CMD...: starts CMD in the background with SIGNALS at
# their default action (a non-interactive shell would ignore SIGINT); sets
# PID.
bg() {
	local name=$1 sigs=$2
	shift 2
	env --default-signal="$sigs" "$@" >"$W/$name.out" 2>"$W/$name.err" </dev/null &
	PID=$!
}
# wait_ready NAME: waits (30 s at most) for the "ready" line.
wait_ready() {
	local i
	for i in $(seq 300); do
		grep -q '^ready' "$W/$1.out" && return 0
		sleep 0.1
	done
	return 1
}
# kill_wait SIG: sends SIG to PID and waits for it; RC its status, MS
# how long (ms) it took.  A watchdog SIGKILLs it after 20 s.
kill_wait() {
	local t0 wd
	(sleep 20 && kill -KILL "$PID" 2>/dev/null) &
	wd=$!
	t0=${EPOCHREALTIME/./}
	kill -"$1" "$PID"
	wait "$PID"
	RC=$?
	MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
	kill "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
}
# sig_check NAME SIG STATUS MODE: exec-die MODE (no handler) gets SIG.
sig_check() {
	local name=$1 sig=$2 want=$3 mode=$4
	MS=-
	bg "$name" INT,TERM hrt-exec "$BIN/exec-die" "$mode"
	begin
	if wait_ready "$name"; then
		kill_wait "$sig"
		want_rc "$want" "$RC"
		[ "$MS" -lt 5000 ] || fail "took $MS ms"
	else
		fail "never printed ready"
		kill -KILL "$PID"
		wait "$PID"
	fi
	want_grep "^ready cpl 0$" "$W/$name.out"
	want_no_grep survived "$W/$name.out"
	verdict "SIG$sig from outside, no handler, $mode on the HRT: status $want within 5 s ($MS ms)" \
		"$W/$name.out" "$W/$name.err"
}
sig_check int-sleep INT 130 sleep
sig_check int-busy INT 130 busy
sig_check term-busy TERM 143 busy
sig_check term-sleep TERM 143 sleep
sig_check kill-busy KILL 137 busy
# An unmodified host tool, blocked in Linux.
i0=$(hrt_invocations)
bg kill-sleep30 INT,TERM hrt-exec sleep 30
for i in $(seq 100); do
	[ "$(cat /proc/$PID/comm 2>/dev/null)" = sleep ] && break
	sleep 0.1
done
sleep 2
begin
grep -q libhrt-exec.so "/proc/$PID/maps" || fail "no libhrt-exec.so in sleep's maps"
want_more "$i0" "$(hrt_invocations)" 1 hrt.invocations
kill_wait KILL
want_rc 137 "$RC"
[ "$MS" -lt 5000 ] || fail "took $MS ms"
verdict "SIGKILL from outside to hrt-exec sleep 30: status 137 within 5 s ($MS ms)" \
	"$W/kill-sleep30.out" "$W/kill-sleep30.err"
# Nothing left behind on the HRT: both cores still run a new program.
run after 60 hrt-exec "$BIN/exec-omp"
begin
want_rc 0 "$RC"
want_cpl 0 4 "$W/after.out"
want_same_lines '^sum ' "$W/omp-native.out" "$W/after.out"
hvmctl status | grep -q '^state: ready' || fail "hvmctl status: $(hvmctl status | head -1)"
verdict "after the killed programs: a new hrt-exec run works, HRT ready" \
	"$W/after.out" "$W/after.err"

# ---- 10. signals with handlers (exec-sig): on the HRT at CPL 0
for c in alarm pause term-self restart altstack resethand longjmp queue \
	flood flood-exec storm itimer forkfault; do
	run sig-native 30 "$BIN/exec-sig" "$c"
	rc_native=$RC
	native_as_hrt "$W/sig-native.out" "$W/sig-want"
	run sig-hrt 30 hrt-exec "$BIN/exec-sig" "$c"
	begin
	want_rc 0 "$rc_native" "native exit"
	want_grep "^$c: handler cpl 3; " "$W/sig-native.out"
	want_rc 0 "$RC"
	want_grep "^$c: handler cpl 0; " "$W/sig-hrt.out"
	want_same "$W/sig-want" "$W/sig-hrt.out"
	verdict "signal handler, $c ($(cut -d';' -f2- "$W/sig-want" | head -1 | sed 's/^ //')): handler at CPL 0" \
		"$W/sig-hrt.out" "$W/sig-hrt.err" "$W/sig-native.out"
done
bg sig-term-wait TERM hrt-exec "$BIN/exec-sig" term-wait
begin
if wait_ready sig-term-wait; then
	kill_wait TERM
	want_rc 0 "$RC"
else
	fail "never printed ready"
	kill -KILL "$PID"
	wait "$PID"
fi
want_grep "^ready cpl 0$" "$W/sig-term-wait.out"
want_grep "^term-wait: handler cpl 0; exiting 0$" "$W/sig-term-wait.out"
verdict "signal handler, SIGTERM from outside while spinning on the HRT: handler at CPL 0, exit 0" \
	"$W/sig-term-wait.out" "$W/sig-term-wait.err"

# ---- 13. memory under change (exec-mem; ../shared/repro): the HRT sees
# exactly Linux's address space, faults become Linux's signals
for c in "mmap-loop 200 10" "mmap-loop 50 4194304" "fault-codes" "cow" \
	"munmap-race 200 1" "munmap-race 100 3"; do
	n=mem-${c%% *}
	run $n-native 120 "$BIN/exec-mem" $c
	rc_native=$RC
	run $n-hrt 120 hrt-exec "$BIN/exec-mem" $c
	begin
	want_rc 0 "$rc_native" "native exit"
	want_rc 0 "$RC"
	want_same "$W/$n-native.out" "$W/$n-hrt.out"
	verdict "memory: exec-mem $c: the same as natively ($(head -1 "$W/$n-hrt.out"))" \
		"$W/$n-hrt.out" "$W/$n-hrt.err" "$W/$n-native.out"
done

# ---- 14. the differential memory campaign (memdiff), short form: the same
# seeds natively and on the HRT (1 and 2 cores, 1-4 threads, under memory
# pressure too) check every page against the model; the runs must agree
for c in "1 1 400" "2 1 400 --cores 1" "3 4 150" "4 2 200 --cores 1" \
	"5 2 200 --pressure" "6 3 150"; do
	read -r seed thr ops opt val <<<"$c"
	args="--seed $seed --threads $thr --ops $ops --dir $W"
	[ "${opt:-}" = --pressure ] && args="$args --pressure"
	cores=
	[ "${opt:-}" = --cores ] && cores="--cores $val"
	run memdiff-native 180 "$BIN/memdiff" $args
	rc_native=$RC
	run memdiff-hrt 180 hrt-exec $cores "$BIN/memdiff" $args
	begin
	want_rc 0 "$rc_native" "native exit"
	want_grep " mismatches 0 " "$W/memdiff-native.out"
	want_rc 0 "$RC"
	want_grep " mismatches 0 " "$W/memdiff-hrt.out"
	want_same_lines '^memdiff digest: ' "$W/memdiff-native.out" "$W/memdiff-hrt.out"
	verdict "memory: memdiff $c: 0 mismatches, digest as natively ($(grep -o 'checks .*' "$W/memdiff-hrt.out" | head -1))" \
		"$W/memdiff-hrt.out" "$W/memdiff-hrt.err" "$W/memdiff-native.out"
done

# ---- the end: the HRT still runs programs; the ROS kernel is clean
i0=$(hrt_invocations)
run final 60 hrt-exec sh -c 'echo still alive'
begin
want_more "$i0" "$(hrt_invocations)" 1 hrt.invocations
want_rc 0 "$RC"
want_grep "^still alive$" "$W/final.out"
hvmctl status | grep -q '^state: ready' || fail "hvmctl status: $(hvmctl status | head -1)"
verdict "at the end: hrt-exec still runs a program, HRT ready" "$W/final.out" "$W/final.err"
# The ROS as a booted Debian (mounts, /run, /dev links), with Debian's
# python3 multiprocessing and script(1), natively and under hrt-exec.
sh "$SRC/ros-env.sh" full >"$W/env.out" 2>&1
grep -E '^(not )?ok - ' "$W/env.out" | sed 's/^\(not \)\?ok - /&ros: /'
PASS=$((PASS + $(grep -c '^ok - ' "$W/env.out")))
FAIL=$((FAIL + $(grep -c '^not ok - ' "$W/env.out")))
grep -q '^[0-9]* passed, [0-9]* failed' "$W/env.out" || {
	not_ok "ros: ros-env.sh finished"
	show "$W/env.out"
}
if dmesg | grep -Eq "BUG:|Oops|WARNING:"; then
	not_ok "no BUG:/Oops/WARNING: in dmesg"
	dmesg | grep -E -A8 "BUG:|Oops|WARNING:" | head -40 | sed "s/^/#   /"
else
	ok "no BUG:/Oops/WARNING: in dmesg"
fi
echo "# hvmctl stats: $(hvmctl stats | grep -E '^(hrt\.|crashes|hung)' | tr '\n' ' ')"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
