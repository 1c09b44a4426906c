// SPDX-License-Identifier: MIT
/* console.c - the last few kilobytes of the guest console, printable. */
#include "console.h"

#include <string.h>

void console_tail_add(struct console_tail *t, const char *data, size_t len)
{
	if (len >= CONSOLE_TAIL) {
		memcpy(t->buf, data + len - CONSOLE_TAIL, CONSOLE_TAIL);
		t->len = CONSOLE_TAIL;
		return;
	}
	if (t->len + len > CONSOLE_TAIL) {
		size_t drop = t->len + len - CONSOLE_TAIL;

		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, data, len);
	t->len += len;
}

int console_tail_print(const struct console_tail *t, int lines, FILE *out,
		       const char *prefix)
{
	size_t end = t->len, start, i;
	int n = 0;

	/* Ignore a trailing newline so the last line counts as one. */
	while (end && (t->buf[end - 1] == '\n' || t->buf[end - 1] == '\r'))
		end--;
	start = end;
	while (start && n < lines) {
		start--;
		if (t->buf[start] == '\n' && ++n == lines) {
			start++;
			break;
		}
	}
	n = 0;
	while (start < end) {
		const char *nl = memchr(t->buf + start, '\n', end - start);
		size_t stop = nl ? (size_t)(nl - t->buf) : end;

		fputs(prefix, out);
		for (i = start; i < stop; i++) {
			unsigned char ch = (unsigned char)t->buf[i];

			/* ESC [ params final: a CSI sequence (colours) goes
			 * whole. */
			if (ch == 0x1b && i + 1 < stop &&
			    t->buf[i + 1] == '[') {
				for (i += 2; i < stop; i++)
					if (t->buf[i] >= 0x40 &&
					    t->buf[i] <= 0x7e)
						break;
				continue;
			}
			if (ch == '\r' || ch == 0x1b)
				continue;
			fputc(ch >= 0x20 || ch == '\t' ? ch : '?', out);
		}
		fputc('\n', out);
		n++;
		start = stop + 1;
	}
	return n;
}
