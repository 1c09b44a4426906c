// SPDX-License-Identifier: MIT
/* sysmounts.c - the ROS's API filesystems and /run folders, as a systemd-booted Debian has them. */
#include "sysmounts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostroot.h"

struct sysmount {
	const char *type, *dir;
	unsigned long flags;
	const char *data;
};

#define NSD  (MS_NOSUID | MS_NODEV)
#define NSDX (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* systemd's mount-setup.c table, the part a Debian program relies on. */
static const struct sysmount dev_mounts[] = {
	{ "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
	  "gid=5,mode=620,ptmxmode=000" },
	{ "tmpfs", "/dev/shm", NSD, "mode=1777" },
	{ "mqueue", "/dev/mqueue", NSDX, NULL },
	{ "hugetlbfs", "/dev/hugepages", NSD, NULL },
};

static const struct sysmount sys_mounts[] = {
	/* memory_recursiveprot needs 5.7: retried without below. */
	{ "cgroup2", "/sys/fs/cgroup", NSDX,
	  "nsdelegate,memory_recursiveprot" },
	{ "debugfs", "/sys/kernel/debug", NSDX, NULL },
	{ "tracefs", "/sys/kernel/tracing", NSDX, NULL },
};

static const struct {
	const char *dir;
	mode_t mode;
} run_dirs[] = { { "/run/lock", 01777 },
		 { "/run/user", 0755 },
		 { "/run/log", 0755 } };

static const struct {
	const char *path, *target;
} dev_links[] = { { "/dev/fd", "/proc/self/fd" },
		  { "/dev/stdin", "/proc/self/fd/0" },
		  { "/dev/stdout", "/proc/self/fd/1" },
		  { "/dev/stderr", "/proc/self/fd/2" } };

static int failed(const char *what, const char *path)
{
	fprintf(stderr, "hvm-init: %s %s: %s (the ROS carries on without it)\n",
		what, path, strerror(errno));
	return 1;
}

static int mount_one(const char *root, const struct sysmount *m)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s%s", root, m->dir);
	mkdirs(dir);
	if (!mount(m->type, dir, m->type, m->flags, m->data))
		return 0;
	if (errno == EINVAL && m->data && !strcmp(m->type, "cgroup2") &&
	    !mount(m->type, dir, m->type, m->flags, "nsdelegate"))
		return 0;
	return failed(m->type, dir);
}

int sysmounts_dev(void)
{
	unsigned int i;
	int bad = 0;

	for (i = 0; i < sizeof(dev_mounts) / sizeof(dev_mounts[0]); i++)
		bad += mount_one("", &dev_mounts[i]);
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlink(dev_links[i].target, dev_links[i].path) &&
		    errno != EEXIST)
			bad += failed("linking", dev_links[i].path);
	return bad;
}

int sysmounts_sys_run(const char *root)
{
	char dir[PATH_MAX];
	unsigned int i;
	int bad = 0;

	for (i = 0; i < sizeof(sys_mounts) / sizeof(sys_mounts[0]); i++)
		bad += mount_one(root, &sys_mounts[i]);
	for (i = 0; i < sizeof(run_dirs) / sizeof(run_dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s%s", root, run_dirs[i].dir);
		/* mkdir's mode passes through the umask: set it exactly. */
		if ((mkdir(dir, 0755) && errno != EEXIST) ||
		    chmod(dir, run_dirs[i].mode))
			bad += failed("making", dir);
	}
	return bad;
}
