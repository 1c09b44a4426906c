/* SPDX-License-Identifier: MIT */
/* initramfs.h - composes the ROS initramfs as a cpio newc archive. */
#ifndef HVM_INITRAMFS_H
#define HVM_INITRAMFS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "cpio.h"
#include "options.h"
#include "strv.h"

/*
 * Appends to (deps) the host paths of the ELF interpreter and every shared
 * library (host) needs, transitively, each once, found as the host's ld.so
 * finds them (ldso.h; LD_LIBRARY_PATH left out).  A static or non-ELF file
 * adds nothing.  Returns 0, or -ENOENT when a library cannot be found (its
 * name is put into (missing)), or another negative errno.
 */
int elf_deps(const char *host, struct strv *deps, char *missing, size_t len);

/*
 * elf_deps() that first looks for each library under (root) (the guest
 * tree: root/usr/lib/NAME, ...), so project libraries such as libhvm.so
 * resolve without being installed on the host.  (root) may be NULL.
 */
int elf_deps_in(const char *host, const char *root, struct strv *deps,
		char *missing, size_t len);

/*
 * Appends to (out), in load order, the paths (relative to the modules
 * directory) of module (name) and everything it depends on per
 * (modules_dep), the text of a modules.dep file.  Returns 0 or -ENOENT.
 */
int modules_resolve(const char *modules_dep, const char *name,
		    struct strv *out);

/* Everything that goes into one ROS initramfs. */
struct compose {
	const char *busybox;	 /* host path of a static busybox */
	const char *init;	 /* host path of the static hvm-init */
	const char *modules_dir; /* unpacked /lib/modules/<release> */
	const char *guest_tree;	 /* $(O)/guest: project files, copied as is */
	const struct options *opt;
	const char *const *share_tags; /* 9p mount tags, opt->nr_shares */
	bool interactive;	       /* a shell on the ttyS1 terminal */
	bool onlcr; /* that terminal turns \n into \r\n (stdout is a tty) */
	bool stdin_port;	 /* the command reads the "hvm.stdin" port */
	const char *hostname;	 /* the ROS's host name (NULL: "hvm") */
	const char *cluster_dir; /* --cluster: its keys' folder, or NULL */
	const char *ld_library_path; /* the host's, for --add (may be NULL) */
	const char *ld_cache;	     /* the host's ld.so.cache (NULL: none) */
	struct strv *warnings; /* non-fatal problems, one line each, or NULL */
};

/*
 * Modules the ROS init loads (with their dependencies); virtio_console only
 * with a stdin port, virtio_net only with --net user.
 */
extern const char *const initramfs_modules[];

/*
 * Writes the whole initramfs for (c) to (out).  Returns 0 or a negative
 * errno with a one-line reason in (err).
 */
int initramfs_compose(const struct compose *c, FILE *out, char *err,
		      size_t errlen);

#endif
