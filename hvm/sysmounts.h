/* SPDX-License-Identifier: MIT */
/* sysmounts.h - the ROS's API filesystems and /run folders, as a systemd-booted Debian has them. */
#ifndef HVM_SYSMOUNTS_H
#define HVM_SYSMOUNTS_H

/*
 * On /dev (the initramfs's devtmpfs, which a host root binds recursively):
 * devpts on /dev/pts (gid 5, mode 620, so /dev/ptmx gives pseudo-terminals),
 * tmpfs on /dev/shm (POSIX shared memory and semaphores), mqueue on
 * /dev/mqueue, hugetlbfs on /dev/hugepages, and the /dev/fd, /dev/stdin,
 * /dev/stdout and /dev/stderr links.  Each failure is reported on stderr
 * by name; returns how many failed.
 */
int sysmounts_dev(void);

/*
 * Under (root) ("" for the initramfs, HOSTROOT_DIR for a host root), on its
 * sysfs and /run: cgroup2 on /sys/fs/cgroup, debugfs on /sys/kernel/debug,
 * tracefs on /sys/kernel/tracing, and /run/lock (1777), /run/user,
 * /run/log.  Each failure is reported on stderr; returns how many failed.
 */
int sysmounts_sys_run(const char *root);

#endif
