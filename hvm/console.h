/* SPDX-License-Identifier: MIT */
/* console.h - keeps the tail of the guest console for error reports. */
#ifndef HVM_CONSOLE_H
#define HVM_CONSOLE_H

#include <stddef.h>
#include <stdio.h>

#define CONSOLE_TAIL 8192

struct console_tail {
	char buf[CONSOLE_TAIL];
	size_t len; /* bytes held, at most CONSOLE_TAIL */
};

/* Appends (len) bytes of console output, dropping the oldest. */
void console_tail_add(struct console_tail *t, const char *data, size_t len);

/* Writes the last (lines) lines to (out), each prefixed by (prefix),
 * without carriage returns or escape sequences.  Returns lines written. */
int console_tail_print(const struct console_tail *t, int lines, FILE *out,
		       const char *prefix);

#endif
