/* SPDX-License-Identifier: MIT */
/* logs.h - the guest's kernel console and HRT log: kept, shown (-v), saved. */
#ifndef HVM_LOGS_H
#define HVM_LOGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "console.h"

/* A line being assembled, so that lines of two logs never mix. */
struct line_buf {
	char line[512];
	size_t len;
};

/*
 * Appends (len) bytes to (lb) and writes every completed line to (out) after
 * (prefix); carriage returns are dropped and an overlong line is cut.
 */
void line_buf_feed(struct line_buf *lb, FILE *out, const char *prefix,
		   const char *data, size_t len);

struct logs {
	struct console_tail tail; /* the kernel console's end, for errors */
	int verbose;		  /* > 0: both logs stream to (out) */
	FILE *out;		  /* stderr */
	FILE *hrt_file;		  /* --hrt-log, or NULL */
	uint64_t hrt_pos;	  /* HRT log bytes consumed */
	struct line_buf klog, hrt;
};

void logs_init(struct logs *l, FILE *out, int verbose, FILE *hrt_file);

/* Kernel console bytes: kept for error reports, shown with -v. */
void logs_klog(struct logs *l, const char *buf, size_t n);

/* Copies new HRT log bytes from the region at (base) to -v and --hrt-log. */
void logs_hrt(struct logs *l, void *base);

/* Writes the console's last 15 lines, when there are any, to (out). */
void logs_print_tail(const struct logs *l, FILE *out);

void logs_close(struct logs *l);

#endif
