/* SPDX-License-Identifier: MIT */
/* cpio.h - a cpio (newc) archive writer that creates parent folders. */
#ifndef HVM_CPIO_H
#define HVM_CPIO_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "strv.h"

/* A cpio newc writer that creates parent directories on demand. */
struct cpio {
	FILE *out;
	unsigned long ino;
	struct strv dirs;  /* directories already emitted */
	struct strv files; /* regular files and links already emitted */
	int err;	   /* first error, sticky (negative errno) */
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

#endif
