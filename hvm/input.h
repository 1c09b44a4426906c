/* SPDX-License-Identifier: MIT */
/* input.h - streams hvm-run's stdin to the guest, then signals its end. */
#ifndef HVM_INPUT_H
#define HVM_INPUT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define INPUT_BUF 65536

/*
 * Bytes go from (src) (hvm-run's stdin) to (dst) (the socket of the guest's
 * stdin port) through one buffer, so a command that reads slowly slows the
 * reading of stdin down: nothing is held whole.  At the end of (src), once
 * the buffer is written, (dst) is shut down for writing, which the guest
 * reads as end of file.
 */
struct input {
	int src, dst;
	char buf[INPUT_BUF];
	size_t off, len; /* pending bytes: buf[off .. off + len) */
	bool src_eof;	 /* (src) ended or failed */
	bool done; /* everything sent and (dst) shut down, or (dst) failed */
};

/* Sets (in) up; makes (dst) non-blocking.  (src) is only read when ready. */
void input_init(struct input *in, int src, int dst);

/* The poll entries for (src) and (dst): fd -1 when not wanted now. */
void input_pollfds(const struct input *in, struct pollfd *src_p,
		   struct pollfd *dst_p);

/*
 * Moves bytes after poll() reported (src_rev) and (dst_rev).  Returns 0, or
 * a negative errno when (dst) failed (the guest side went away; in->done).
 */
int input_pump(struct input *in, short src_rev, short dst_rev);

#endif
