/* SPDX-License-Identifier: MIT */
/* prof_file.h - reads libhvm's profile ring file into prof_call/prof_fwd arrays. */
#ifndef HVM_TOOLS_PROF_FILE_H
#define HVM_TOOLS_PROF_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* What one ring file held. */
struct prof_data {
	uint64_t tsc_khz;
	uint64_t head;	   /* records ever written */
	uint32_t capacity; /* records the ring holds */
	uint64_t lost;	   /* overwritten before they were read */
	uint64_t torn;	   /* slots not (or not fully) written: skipped */
	struct prof_call *calls;
	size_t ncalls;
	struct prof_fwd *fwd;
	size_t nfwd;
};

/*
 * Parses the ring image (buf, len), taking records numbered (from) and up
 * (0: all).  Returns 0, -EINVAL (not a ring, or truncated), -EPROTO (other
 * version or record size) or -ENOMEM.  prof_data_free() releases (d).
 */
int prof_ring_parse(const void *buf, size_t len, uint64_t from,
		    struct prof_data *d);

/* prof_ring_parse() on the file (path); also -errno from reading it. */
int prof_ring_load(const char *path, uint64_t from, struct prof_data *d);

/* The ring's head (records written so far) from the file, or -errno. */
int64_t prof_ring_head(const char *path);

void prof_data_free(struct prof_data *d);

#endif
