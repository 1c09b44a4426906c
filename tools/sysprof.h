/* SPDX-License-Identifier: MIT */
/* sysprof.h - a whole program's forwarded calls and faults, per system call, as strace -c sums them. */
#ifndef HVM_TOOLS_SYSPROF_H
#define HVM_TOOLS_SYSPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

/* One system call's (or the page faults') forwarded records. */
struct sysprof_row {
	uint64_t nr; /* system call number, or PROF_FWD_FAULT */
	uint64_t calls;
	double total_ns, mean_ns, p50_ns, p99_ns; /* Linux's serve time */
};

/*
 * Sums (fwd) (n records, of every thread and process that wrote the ring,
 * inside an invocation or not) by call into (*rows), sorted by total time,
 * largest first; (*nrows) rows.  Returns 0 or -ENOMEM; free (*rows).
 */
int sysprof_build(const struct prof_fwd *fwd, size_t n, uint64_t tsc_khz,
		  struct sysprof_row **rows, size_t *nrows);

/* The name of system call (nr) ("page fault" for PROF_FWD_FAULT). */
const char *sysprof_name(uint64_t nr, char *buf, size_t len);

/* The table, like strace -c: % time, seconds, us/call, p50, p99, calls. */
void sysprof_print_text(const struct sysprof_row *rows, size_t nrows,
			FILE *out);

/* The same rows as CSV (a header line, then one line a call). */
void sysprof_print_csv(const struct sysprof_row *rows, size_t nrows, FILE *out);

/* The same rows as one JSON object: {"syscalls": [{...}, ...]}. */
void sysprof_print_json(const struct sysprof_row *rows, size_t nrows,
			FILE *out);

#endif
