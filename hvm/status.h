/* SPDX-License-Identifier: MIT */
/* status.h - one terminal line that follows the boot until the command runs. */
#ifndef HVM_STATUS_H
#define HVM_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct status {
	FILE *out;
	bool on;	    /* drawing at all (a terminal, not -v or -q) */
	bool shown;	    /* the line is on the screen now */
	long long start_ms; /* when hvm-run started */
	long long drawn_ms; /* last redraw */
	char stage[64];
};

/* Sets (s) up for (out); it draws nothing unless (on). */
void status_init(struct status *s, FILE *out, bool on, long long now_ms);

/* Formats "hvm-run: STAGE ... 1.2 s" into (buf).  Returns its length. */
size_t status_format(char *buf, size_t len, const char *stage,
		     long long elapsed_ms);

/* Moves to (stage) and redraws; the same stage again only ticks. */
void status_stage(struct status *s, const char *stage, long long now_ms);

/* Redraws the elapsed time, at most ten times a second. */
void status_tick(struct status *s, long long now_ms);

/* Removes the line (before other output, and when the command starts). */
void status_clear(struct status *s);

#endif
