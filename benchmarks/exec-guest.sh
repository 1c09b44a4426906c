#!/bin/bash
# SPDX-License-Identifier: MIT
# exec-guest.sh - the in-guest half of benchmarks/exec.sh: programs natively on the ROS cores and under hrt-exec on the HRT cores.
#
#   bash exec-guest.sh BIN RUNS OMP_N OMP_ITERS FILES STARTS
#
# BIN is the folder holding the host-built exec-omp ($(O)/benchmarks, by
# absolute path through --host-root).  Not executable on purpose:
# tools/bench.sh runs every executable benchmarks/*.sh.
#
# Every measurement alternates a native run and a run under
# "hrt-exec --cores 0-1", RUNS times each, and prints one line per run:
#
#   RUN NAME native|hrt INDEX NS
#
# (the host driver takes the medians).  Also "INFO ..." lines, the hvm-prof
# report between "PROF BEGIN" and "PROF END", and "FAIL ..." for each run
# that failed or whose output differs from the native one; the exit status
# is 1 after any FAIL.  Timing: bash's $EPOCHREALTIME (the clock that
# date +%s%N reads, without forking date inside the timed window), except
# the start-up loops, timed with date +%s%N around all STARTS runs.
set -u
BIN=${1:?usage: exec-guest.sh BIN RUNS OMP_N OMP_ITERS FILES STARTS}
RUNS=${2:-5}
OMP_N=${3:-512}
OMP_ITERS=${4:-100}
FILES=${5:-300}
STARTS=${6:-20}
HX=(hrt-exec --cores 0-1)
W=/tmp/exec-bench
FAILED=0
export OMP_NUM_THREADS=2

fail() {
	FAILED=1
	echo "FAIL $*"
}

# now: NOW = the time in ns (microsecond resolution), with no fork.
now() {
	local t=${EPOCHREALTIME//[.,]/}

	NOW=$((10#$t * 1000))
}

# show FILE: its first lines as INFO evidence.
show() {
	head -n 5 "$1" | sed "s|^|INFO   ${1##*/}: |"
}

# timed NAME MODE I OUT CMD...: runs CMD (under hrt-exec when MODE is hrt)
# with stdout in OUT, stderr in OUT.err; prints its RUN line; 0 or failure.
timed() {
	local name=$1 mode=$2 i=$3 out=$4 t0 rc
	shift 4
	[ "$mode" = hrt ] && set -- "${HX[@]}" "$@"
	now
	t0=$NOW
	"$@" >"$out" 2>"$out.err" </dev/null
	rc=$?
	now
	if [ "$rc" -ne 0 ]; then
		fail "$name $mode run $i: exit $rc: $*"
		show "$out.err"
		return 1
	fi
	echo "RUN $name $mode $i $((NOW - t0))"
}

# prof_ring_summary RING WALL_NS: the forwarded calls in an hvm-prof ring
# (layout: include/hvm_prof.h, docs/hvm-prof.md), one record a line.  Two
# stages per forwarded call: "ROS serves" (request seen by the ROS to reply
# posted) and "HRT side" (reply posted to the same invocation's next request
# seen: the HRT's return to the program, the program's own work until its
# next system call or fault, and both channel crossings).
prof_ring_summary() {
	od -An -v -t u8 -w128 "$1" | awk -v wall="$2" '
	function name(nr) {
		if (nr > 1e18)
			return "page fault"
		return (nr in sys) ? sys[nr] : "syscall " nr
	}
	BEGIN {
		nw = split("0 read 1 write 2 open 3 close 4 stat 5 fstat 6 lstat " \
		      "8 lseek 9 mmap 10 mprotect 11 munmap 12 brk " \
		      "13 rt_sigaction 14 rt_sigprocmask 16 ioctl 17 pread64 " \
		      "20 writev 21 access 39 getpid 41 socket 42 connect " \
		      "56 clone 63 uname 72 fcntl 85 creat " \
		      "79 getcwd 89 readlink 102 getuid 104 getgid 107 geteuid " \
		      "108 getegid 158 arch_prctl 186 gettid 202 futex " \
		      "217 getdents64 218 set_tid_address 221 fadvise64 " \
		      "228 clock_gettime 231 exit_group 257 openat " \
		      "262 newfstatat 273 set_robust_list 302 prlimit64 " \
		      "318 getrandom 332 statx 334 rseq 435 clone3", w, " ")
		for (i = 1; i < nw; i += 2)
			sys[w[i]] = w[i + 1]
	}
	NR == 1 { tsc_khz = $4; head = $5; next }
	NR <= 32 { next }                      # rest of the 4096-byte header
	{
		if ($1 == 0 || $2 != 2)        # incomplete, or not a forward
			next
		n++
		id[n] = $3; nr[n] = $4; seen[n] = $5; reply[n] = $6
	}
	END {
		if (!tsc_khz) { print "  not a ring"; exit }
		ns = 1e6 / tsc_khz             # ns per TSC cycle
		for (i = 1; i <= n; i++) {
			d = (reply[i] - seen[i]) * ns
			k = name(nr[i])
			cnt[k]++; tot[k] += d; ros += d
		}
		# HRT side: consecutive forwards of one invocation, in time order.
		m = 0
		for (i = 1; i <= n; i++) ord[++m] = i
		for (i = 2; i <= m; i++) {     # insertion sort by t_seen
			v = ord[i]
			for (j = i - 1; j > 0 && seen[ord[j]] > seen[v]; j--)
				ord[j + 1] = ord[j]
			ord[j + 1] = v
		}
		for (i = 2; i <= m; i++) {
			a = ord[i - 1]; b = ord[i]
			if (id[a] == id[b] && seen[b] >= reply[a]) {
				gap += (seen[b] - reply[a]) * ns; ngap++
			}
		}
		span = m ? (seen[ord[m]] - seen[ord[1]]) * ns : 0
		printf "  %d records written, %d forwarded calls read, tsc %d kHz\n", head, n, tsc_khz
		printf "  whole hvm-prof run %.1f ms; first to last forwarded call %.1f ms\n", wall / 1e6, span / 1e6
		printf "  stage                            count   total ms   mean us\n"
		printf "  %-30s %7d %10.1f %9.1f\n", "ROS serves (seen -> reply)", n, ros / 1e6, n ? ros / n / 1e3 : 0
		printf "  %-30s %7d %10.1f %9.1f\n", "HRT side (reply -> next seen)", ngap, gap / 1e6, ngap ? gap / ngap / 1e3 : 0
		printf "  ROS-served calls by kind (top 12 by total time):\n"
		printf "    %-20s %7s %10s %9s\n", "call", "count", "total ms", "mean us"
		for (k in cnt) line[k] = sprintf("%015.0f %s", tot[k], k)
		nk = 0
		for (k in line) keys[++nk] = line[k]
		for (i = 2; i <= nk; i++) {
			v = keys[i]
			for (j = i - 1; j > 0 && keys[j] < v; j--) keys[j + 1] = keys[j]
			keys[j + 1] = v
		}
		for (i = 1; i <= nk && i <= 12; i++) {
			k = substr(keys[i], 17)
			printf "    %-20s %7d %10.2f %9.1f\n", k, cnt[k], tot[k] / 1e6, tot[k] / cnt[k] / 1e3
		}
	}'
}

rm -rf "$W"
mkdir -p "$W" || exit 1
cd "$W" || exit 1
echo "INFO kernel $(uname -r), ROS cpus $(nproc), OMP_NUM_THREADS=$OMP_NUM_THREADS"
if ! command -v hrt-exec >/dev/null; then
	fail "no hrt-exec on PATH ($PATH)"
	exit 1
fi

# The tar tree: FILES small files in 10 folders of the guest's /tmp.
tree=$W/tree
for ((f = 0; f < FILES; f++)); do
	d=$tree/d$((f % 10))
	[ -d "$d" ] || mkdir -p "$d"
	printf "file %d %*s\n" "$f" $((100 + (f * 37) % 900)) x >"$d/f$f.txt"
done
echo "INFO tar tree: $(find "$tree" -type f | wc -l) files, $(du -sk "$tree" | cut -f1) KiB"

# Untimed warm-up, once each way: the first run of a program reads it and
# its libraries (hrt-exec's runtime, libgomp) through the host root.
for mode in native hrt; do
	timed warmup-omp "$mode" 0 "$W/warm.out" "$BIN/exec-omp" 64 1
	timed warmup-tar "$mode" 0 "$W/warm.out" \
		tar -cf "$W/out.tar" -C "$W" tree
	timed warmup-true "$mode" 0 "$W/warm.out" "$(type -P true)"
done

# ---- 1. OpenMP kernel: its own sweep time, and the process's wall time.
ref=
for i in $(seq 1 "$RUNS"); do
	for mode in native hrt; do
		timed omp-wall "$mode" "$i" "$W/omp.out" \
			"$BIN/exec-omp" "$OMP_N" "$OMP_ITERS" || continue
		threads='' ns='' sum=''
		read -r _ _ _ _ _ _ threads _ ns _ sum _ <"$W/omp.out"
		if [ -z "${ns:-}" ] || [ -z "${sum:-}" ]; then
			fail "omp $mode run $i: no result line"
			show "$W/omp.out"
			continue
		fi
		echo "RUN omp $mode $i $ns"
		echo "INFO omp $mode $i: $(cat "$W/omp.out")"
		[ "$threads" = 2 ] || fail "omp $mode run $i: $threads threads, want 2"
		if [ -z "$ref" ]; then
			ref=$sum
		elif [ "$sum" != "$ref" ]; then
			fail "omp $mode run $i: checksum $sum, the first run gave $ref"
		fi
	done
done

# ---- 2. tar over the tree, into a file, not /dev/null: GNU tar does not
# read the files' data when the archive is /dev/null.  The archives must be
# byte-identical.
ref=
tar_ref=
for i in $(seq 1 "$RUNS"); do
	for mode in native hrt; do
		rm -f "$W/out.tar"
		timed tar "$mode" "$i" "$W/tar.out" \
			tar -cf "$W/out.tar" -C "$W" tree || continue
		sum=$(cksum <"$W/out.tar")
		if [ -z "$ref" ]; then
			ref=$sum
			tar_ref=$sum
			echo "INFO tar archive: cksum, bytes: $sum"
		elif [ "$sum" != "$ref" ]; then
			fail "tar $mode run $i: archive cksum $sum, first gave $ref"
		fi
	done
done

# ---- 3. Start-up: STARTS runs of true (the program, not bash's builtin),
# and for reference STARTS runs of env true: two execs, as hrt-exec makes
# (the launcher execs the program with its runtime preloaded).
TRUE=$(type -P true)
[ -x "${TRUE:-}" ] || TRUE=/bin/true
ENV=$(type -P env)
echo "INFO start-up: $TRUE natively, ${HX[*]} true; reference: $ENV $TRUE"
for i in $(seq 1 "$RUNS"); do
	for mode in native hrt env; do
		bad=0
		t0=$(date +%s%N)
		for ((k = 0; k < STARTS; k++)); do
			case $mode in
			hrt) "${HX[@]}" true || bad=$? ;;
			env) "$ENV" "$TRUE" || bad=$? ;;
			*) "$TRUE" || bad=$? ;;
			esac
		done
		t1=$(date +%s%N)
		if [ "$bad" -ne 0 ]; then
			fail "start-up $mode round $i: a run exited $bad"
			continue
		fi
		if [ "$mode" = env ]; then
			echo "RUN start-env native $i $((t1 - t0))"
		else
			echo "RUN start $mode $i $((t1 - t0))"
		fi
	done
done

# ---- tar once more, under hvm-prof: hrt-exec's runtime carries libhvm,
# which records into the ring HVM_PROF names.  hvm-prof needs libhvm.so,
# which a --host-root guest has in /run/hvm/lib, off the loader's path.
# hvm-prof analyses only complete invocations, and hrt-exec's one (main)
# never completes (the program's exit() ends the process on the HRT), so
# the ring is kept and its forwarded-call records summarised here too.
echo "PROF BEGIN"
rm -f "$W/out.tar" "$W/prof.ring"
hvmctl stats >"$W/stats0" 2>&1
now
t0=$NOW
LD_LIBRARY_PATH=/run/hvm/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	hvm-prof --ring "$W/prof.ring" --records 16384 -- \
	"${HX[@]}" tar -cf "$W/out.tar" -C "$W" tree \
	</dev/null >"$W/prof.out" 2>"$W/prof.err"
rc=$?
now
hvmctl stats >"$W/stats1" 2>&1
echo "\$ hvm-prof --ring FILE -- ${HX[*]} tar -cf FILE -C $W tree" \
	"(status $rc, $(((NOW - t0) / 1000000)) ms)"
cat "$W/prof.out" "$W/prof.err"
# hvm-prof: 3 when the program failed (2, nothing to analyse, is expected).
[ "$rc" -ne 3 ] || fail "hvm-prof run of hrt-exec tar: the program failed"
[ "$(cksum <"$W/out.tar")" = "${tar_ref:-}" ] ||
	fail "hvm-prof run of hrt-exec tar: archive differs from the first run's"
if [ -s "$W/prof.ring" ]; then
	echo "--- the ring's records (summarised by exec-guest.sh):"
	prof_ring_summary "$W/prof.ring" $((NOW - t0))
	# The HRT's counters over the run (hvmctl stats, before and after).
	awk '$1 ~ /^hrt\./ && NR == FNR { v[$1] = $2; next }
	     $1 ~ /^hrt\./ { k = $1; sub(/:$/, "", k)
		s = s sprintf(" %s +%d", k, $2 - v[$1]) }
	     END { print "  hvmctl stats over the run:" s }' \
		"$W/stats0" "$W/stats1"
else
	echo "--- no ring file"
fi
echo "PROF END status $rc"

echo "INFO done, failed=$FAILED"
exit "$FAILED"
