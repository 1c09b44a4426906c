/* initramfs.h - composes the ROS initramfs as a cpio newc archive. */
#ifndef HVM_INITRAMFS_H
#define HVM_INITRAMFS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "options.h"
#include "strv.h"

/* A cpio newc writer that creates parent directories on demand. */
struct cpio {
	FILE *out;
	unsigned long ino;
	struct strv dirs; /* directories already emitted */
	struct strv files; /* regular files and links already emitted */
	int err; /* first error, sticky (negative errno) */
};

void cpio_init(struct cpio *c, FILE *out);
/* Each returns 0 or a negative errno; errors are also kept in c->err. */
int cpio_dir(struct cpio *c, const char *path, mode_t mode);
int cpio_data(struct cpio *c, const char *path, mode_t mode, const void *data,
	      size_t len);
int cpio_host_file(struct cpio *c, const char *path, const char *host);
int cpio_symlink(struct cpio *c, const char *path, const char *target);
/* True when (path) was already added as a file or link. */
bool cpio_has(const struct cpio *c, const char *path);
/* Writes the trailer and flushes; returns the sticky error or 0. */
int cpio_finish(struct cpio *c);
void cpio_free(struct cpio *c);

/*
 * Appends to (deps) the host paths of the ELF interpreter and every shared
 * library (host) needs, transitively, each once.  A static or non-ELF file
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
	const char *busybox; /* host path of a static busybox */
	const char *init; /* host path of the static hvm-init */
	const char *modules_dir; /* unpacked /lib/modules/<release> */
	const char *guest_tree; /* $(O)/guest: project files, copied as is */
	const struct options *opt;
	const char *const *share_tags; /* 9p mount tags, opt->nr_shares */
	bool interactive;
};

/* Modules the ROS init loads (with their dependencies). */
extern const char *const initramfs_modules[];

/*
 * Writes the whole initramfs for (c) to (out).  Returns 0 or a negative
 * errno with a one-line reason in (err).
 */
int initramfs_compose(const struct compose *c, FILE *out, char *err,
		      size_t errlen);

#endif
