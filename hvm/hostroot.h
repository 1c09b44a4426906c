/* SPDX-License-Identifier: MIT */
/* hostroot.h - the ROS's mounts: 9p shares and the --host-root tree. */
#ifndef HVM_HOSTROOT_H
#define HVM_HOSTROOT_H

#include <stdbool.h>

/* Where /init mounts the host's root for --host-root (the command's /). */
#define HOSTROOT_DIR "/host"

/* Creates (path) and its parents, as mkdir -p; errors are left to the caller. */
void mkdirs(const char *path);

/* Mounts 9p tag (tag) on (dir), creating it.  Returns 0 or -errno. */
int mount_9p(const char *tag, const char *dir, unsigned long flags);

/*
 * Mounts the host root (tag) read-only on HOSTROOT_DIR with proc, sys, dev,
 * and tmpfs on /tmp, /run, /var/tmp and /root.  Returns 0 or -errno (the
 * host root itself failed).
 */
int hostroot_mount(const char *tag);

/*
 * The project's tools and runtime stay reachable in the host's tree:
 * /run/hvm/bin (on PATH) and /run/hvm/lib, bound on its tmpfs.  0 or -errno.
 */
int hostroot_tools(void);

/*
 * Mounts share (tag) at (dir) of the host root: on an existing folder, or
 * one created on the tmpfs folders; under /mnt, a tmpfs on /mnt holds it
 * when the host has no such folder.  Returns 0 or -errno.
 */
int hostroot_share(const char *tag, const char *dir);

/*
 * Writes hosts (with a cluster's (nodes) lines, or NULL) and hostname (and
 * resolv.conf pointing at QEMU's DNS when (dns)) into folder (etc), each
 * unless it exists.  Returns 0 or -errno.
 */
int etc_files(const char *etc, const char *hostname, const char *nodes,
	      bool dns);

/*
 * In the host root: its /etc/hosts with (hostname) added (or a cluster's
 * (nodes) lines, when not NULL) and, with (dns), a resolv.conf for QEMU's
 * DNS, bound over the read-only host files.  Returns 0 or -errno.
 */
int hostroot_etc(const char *hostname, const char *nodes, bool dns);

#endif
