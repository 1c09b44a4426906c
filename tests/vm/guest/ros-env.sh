#!/bin/sh
# SPDX-License-Identifier: MIT
# ros-env.sh - in the ROS: the mounts, /run folders and /dev links a systemd-booted Debian has, each used for real.
#
#   sh ros-env.sh [full]
#
# Runs under busybox sh (the initramfs) and the host's shell (--host-root).
# "full" (--host-root, where Debian's python3 and util-linux are) adds
# POSIX semaphores and shared memory through python3's multiprocessing,
# and a pseudo-terminal through script(1), each natively and under
# hrt-exec.  Prints "ok - NAME" or "not ok - NAME # why", then
# "N passed, N failed".
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
check() {
	if eval "$2"; then ok "$1"; else not_ok "$1" "${3:-}"; fi
}

# fstype DIR: the type of the mount on DIR, from /proc/self/mounts.
fstype() {
	awk -v d="$1" '$2 == d { t = $3 } END { print t }' /proc/self/mounts
}

for m in /dev/pts:devpts /dev/shm:tmpfs /dev/mqueue:mqueue \
	/dev/hugepages:hugetlbfs /sys/fs/cgroup:cgroup2 \
	/sys/kernel/debug:debugfs /sys/kernel/tracing:tracefs /run:tmpfs; do
	d=${m%%:*}
	t=${m#*:}
	got=$(fstype "$d")
	check "$t on $d" '[ "$got" = "$t" ]' "mounted: '${got:-nothing}'"
done

check "/dev/shm takes a file" \
	'echo shm-$$ >/dev/shm/t.$$ && [ "$(cat /dev/shm/t.$$)" = shm-$$ ]'
rm -f /dev/shm/t.$$
check "/dev/shm is world-writable and sticky" \
	'[ "$(stat -c %a /dev/shm)" = 1777 ]' "mode $(stat -c %a /dev/shm)"
# Opening /dev/ptmx makes a terminal in the devpts instance on /dev/pts.
n_before=$(ls /dev/pts | wc -l)
exec 3<>/dev/ptmx
n_after=$(ls /dev/pts | wc -l)
exec 3>&-
check "/dev/ptmx makes a /dev/pts terminal" '[ "$n_after" -gt "$n_before" ]' \
	"$n_before entries before, $n_after after"
check "cgroup2: controllers listed, a child group made" \
	'[ -r /sys/fs/cgroup/cgroup.controllers ] && mkdir /sys/fs/cgroup/t$$ &&
	 [ -e /sys/fs/cgroup/t$$/cgroup.procs ] && rmdir /sys/fs/cgroup/t$$'
check "tracefs: the trace buffer is there" '[ -r /sys/kernel/tracing/trace ]'
check "debugfs: readable" '[ -n "$(ls /sys/kernel/debug)" ]'
check "/run/lock is 1777" '[ "$(stat -c %a /run/lock)" = 1777 ]' \
	"mode $(stat -c %a /run/lock 2>&1)"
check "/run/user is there" '[ -d /run/user ]'
check "/dev/fd is this process's descriptors" \
	'[ "$(readlink /dev/fd)" = /proc/self/fd ] && [ -e /dev/fd/1 ]'
check "/dev/stdin, stdout, stderr" \
	'[ -L /dev/stdin ] && [ -L /dev/stdout ] && [ -L /dev/stderr ]'

if [ "${1:-}" = full ]; then
	# multiprocessing.Pool: SemLock is a POSIX semaphore in /dev/shm.
	pool='import multiprocessing as m
with m.Pool(2) as p: print(sum(p.map(abs, range(-50, 50))))
s = m.Semaphore(1); s.acquire(); s.release(); print("sem")'
	for how in native hrt-exec; do
		run=""
		[ "$how" = hrt-exec ] && run="hrt-exec"
		got=$($run python3 -c "$pool" 2>&1 | tr '\n' ' ')
		check "$how: python3 multiprocessing.Pool and Semaphore" \
			'[ "$got" = "2500 sem " ]' "got: $got"
		got=$($run script -qec tty /dev/null 2>&1 | tr -d '\r')
		check "$how: script -c gets a pseudo-terminal" \
			'case "$got" in /dev/pts/[0-9]*) true ;; *) false ;; esac' \
			"got: $got"
	done
fi
echo "$PASS passed, $FAIL failed"
