// SPDX-License-Identifier: MIT
/* hostroot.c - the ROS's shares, --host-root tree and /etc network files. */
#include "hostroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcfg.h"

void mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

int mount_9p(const char *tag, const char *dir, unsigned long flags)
{
	mkdirs(dir);
	if (mount(tag, dir, "9p", flags,
		  "trans=virtio,version=9p2000.L,msize=512000,cache=loose"))
		return -errno;
	return 0;
}

/* The host root's folders that get a tmpfs: writable, empty at start. */
static const char *const tmpfs_dirs[] = { "/tmp", "/run", "/var/tmp", "/root",
					  NULL };

int hostroot_mount(const char *tag)
{
	char d[64];
	int i, err;

	err = mount_9p(tag, HOSTROOT_DIR, MS_RDONLY);
	if (err)
		return err;
	mount("proc", HOSTROOT_DIR "/proc", "proc", 0, NULL);
	mount("sysfs", HOSTROOT_DIR "/sys", "sysfs", 0, NULL);
	mount("/dev", HOSTROOT_DIR "/dev", NULL, MS_BIND | MS_REC, NULL);
	for (i = 0; tmpfs_dirs[i]; i++) {
		snprintf(d, sizeof(d), HOSTROOT_DIR "%s", tmpfs_dirs[i]);
		mount("tmpfs", d, "tmpfs", 0, "mode=1777");
	}
	return 0;
}

int hostroot_tools(void)
{
	mkdirs(HOSTROOT_DIR "/run/hvm/bin");
	mkdirs(HOSTROOT_DIR "/run/hvm/lib");
	if (mount("/usr/bin", HOSTROOT_DIR "/run/hvm/bin", NULL, MS_BIND,
		  NULL) ||
	    mount("/usr/lib", HOSTROOT_DIR "/run/hvm/lib", NULL, MS_BIND, NULL))
		return -errno;
	return 0;
}

int hostroot_share(const char *tag, const char *dir)
{
	static bool mnt_tmpfs;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), HOSTROOT_DIR "%s", dir);
	err = mount_9p(tag, path, 0);
	/* /mnt/NAME with no such folder on the host: a tmpfs /mnt holds it. */
	if (err == -ENOENT && !mnt_tmpfs && !strncmp(dir, "/mnt/", 5)) {
		if (mount("tmpfs", HOSTROOT_DIR "/mnt", "tmpfs", 0, "mode=755"))
			return -errno;
		mnt_tmpfs = true;
		err = mount_9p(tag, path, 0);
	}
	return err;
}

/* Writes (text) to (path) unless it exists.  Returns 0 or -errno. */
static int write_new(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	int err = 0;

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -EIO;
	close(fd);
	return err;
}

int etc_files(const char *etc, const char *hostname, const char *nodes,
	      bool dns)
{
	char path[PATH_MAX], text[4096];
	int err;

	mkdirs(etc);
	netcfg_hosts_text(hostname, nodes, text, sizeof(text));
	snprintf(path, sizeof(path), "%s/hosts", etc);
	err = write_new(path, text);
	snprintf(path, sizeof(path), "%s/hostname", etc);
	snprintf(text, sizeof(text), "%s\n", hostname);
	err = err ?: write_new(path, text);
	snprintf(path, sizeof(path), "%s/resolv.conf", etc);
	if (dns)
		err = err
			      ?: write_new(path,
					   "nameserver " NETCFG_USER_DNS "\n");
	return err;
}

/*
 * Binds (file) over (target) of the host root; when (target) is a symlink
 * into one of its tmpfs folders (e.g. /run), the file goes to its end.
 */
static int bind_over(const char *file, const char *target)
{
	char link[PATH_MAX], end[PATH_MAX + 64], *slash;
	ssize_t n;
	int err;

	if (!mount(file, target, NULL, MS_BIND, NULL))
		return 0;
	n = readlink(target, link, sizeof(link) - 1);
	if (n <= 0)
		return -errno;
	link[n] = '\0';
	snprintf(end, sizeof(end), "%s%s%s", HOSTROOT_DIR,
		 link[0] == '/' ? "" : "/etc/", link);
	slash = strrchr(end, '/');
	*slash = '\0';
	mkdirs(end);
	*slash = '/';
	err = write_new(end, "");
	if (!err && mount(file, end, NULL, MS_BIND, NULL))
		err = -errno;
	return err;
}

int hostroot_etc(const char *hostname, const char *nodes, bool dns)
{
	char buf[65536], line[300];
	int fd, err = 0;
	ssize_t n = 0;

	/* The host's hosts file, plus our name (first match wins: ours). */
	fd = open(HOSTROOT_DIR "/etc/hosts", O_RDONLY | O_CLOEXEC);
	if (nodes)
		snprintf(buf, sizeof(buf), "%s", nodes);
	else
		snprintf(buf, sizeof(buf), "127.0.1.1\t%s\n", hostname);
	if (fd >= 0) {
		size_t used = strlen(buf);

		n = read(fd, buf + used, sizeof(buf) - used - 1);
		buf[used + (n > 0 ? (size_t)n : 0)] = '\0';
		close(fd);
		mkdirs("/run/hvm/etc");
		unlink("/run/hvm/etc/hosts");
		err = write_new("/run/hvm/etc/hosts", buf)
			      ?: bind_over("/run/hvm/etc/hosts",
					   HOSTROOT_DIR "/etc/hosts");
	}
	if (dns) {
		snprintf(line, sizeof(line), "nameserver %s\n",
			 NETCFG_USER_DNS);
		mkdirs("/run/hvm/etc");
		unlink("/run/hvm/etc/resolv.conf");
		err = write_new("/run/hvm/etc/resolv.conf", line) ?:
		      bind_over("/run/hvm/etc/resolv.conf",
				HOSTROOT_DIR "/etc/resolv.conf") ?:
		      err;
	}
	return err;
}
