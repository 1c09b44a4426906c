// SPDX-License-Identifier: MIT
/* test_console.c - the console tail: last lines, CR/ESC removal, overflow. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"

/* Prints the tail's last (lines) lines into a string the caller frees. */
static char *tail_text(const struct console_tail *t, int lines,
		       const char *prefix, int *written)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*written = console_tail_print(t, lines, f, prefix);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void tail_add_str(struct console_tail *t, const char *s)
{
	console_tail_add(t, s, strlen(s));
}

UNIT_TEST(console_tail_prints_last_lines)
{
	static struct console_tail t;
	char *s;
	int n;

	memset(&t, 0, sizeof(t));
	tail_add_str(&t, "one\ntwo\nthree\nfour\n");
	s = tail_text(&t, 2, "> ", &n);
	assert_int_equal(n, 2);
	assert_string_equal(s, "> three\n> four\n");
	free(s);

	s = tail_text(&t, 10, "", &n);
	assert_int_equal(n, 4);
	assert_string_equal(s, "one\ntwo\nthree\nfour\n");
	free(s);

	s = tail_text(&t, 1, "|", &n);
	assert_int_equal(n, 1);
	assert_string_equal(s, "|four\n");
	free(s);
}

UNIT_TEST(console_tail_trailing_newline_handling)
{
	static struct console_tail t;
	char *s;
	int n;

	/* No trailing newline: the partial last line counts as a line. */
	memset(&t, 0, sizeof(t));
	tail_add_str(&t, "a\nb\npartial");
	s = tail_text(&t, 2, "", &n);
	assert_int_equal(n, 2);
	assert_string_equal(s, "b\npartial\n");
	free(s);

	/* Several trailing newlines and CRs are ignored. */
	memset(&t, 0, sizeof(t));
	tail_add_str(&t, "a\nb\r\n\r\n\n");
	s = tail_text(&t, 1, "", &n);
	assert_int_equal(n, 1);
	assert_string_equal(s, "b\n");
	free(s);

	/* Empty tail prints nothing. */
	memset(&t, 0, sizeof(t));
	s = tail_text(&t, 5, "x", &n);
	assert_int_equal(n, 0);
	assert_string_equal(s, "");
	free(s);
}

UNIT_TEST(console_tail_strips_cr_and_esc)
{
	static struct console_tail t;
	char *s;
	int n;

	memset(&t, 0, sizeof(t));
	tail_add_str(&t, "boot\r\n\033[1mbold\033[0m\r\nbell\a\ttab\r\n");
	s = tail_text(&t, 3, "", &n);
	assert_int_equal(n, 3);
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, 0x1b));
	assert_null(strchr(s, '\a'));
	assert_non_null(strstr(s, "boot\n"));
	/* Whole CSI sequences (colours) go, not just the ESC byte. */
	assert_non_null(strstr(s, "\nbold\n"));
	assert_null(strstr(s, "[1m"));
	assert_null(strstr(s, "[0m"));
	/* Other control characters become '?', tabs stay. */
	assert_non_null(strstr(s, "bell?\ttab\n"));
	free(s);
}

UNIT_TEST(console_tail_escape_edge_cases)
{
	static struct console_tail t;
	char *s;
	int n;

	/* A lone ESC, an ESC ending the line and an unterminated CSI. */
	memset(&t, 0, sizeof(t));
	tail_add_str(&t, "a\033b\nc\033\nd\033[12;3Hx\ne\033[12\n");
	s = tail_text(&t, 10, "", &n);
	assert_int_equal(n, 4);
	assert_string_equal(s, "ab\nc\ndx\ne\n");
	free(s);
}

UNIT_TEST(console_tail_overflow_keeps_newest_bytes)
{
	static struct console_tail t;
	static char big[CONSOLE_TAIL + 1000];
	size_t i;
	char *s;
	int n;

	/* Small appends that together overflow the buffer. */
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 3000; i++) {
		char line[16];

		snprintf(line, sizeof(line), "L%04zu\n", i);
		tail_add_str(&t, line);
	}
	assert_int_equal(t.len, CONSOLE_TAIL);
	assert_memory_equal(t.buf + CONSOLE_TAIL - 6, "L2999\n", 6);
	s = tail_text(&t, 2, "", &n);
	assert_int_equal(n, 2);
	assert_string_equal(s, "L2998\nL2999\n");
	free(s);

	/* One append larger than the buffer keeps its last CONSOLE_TAIL bytes. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	console_tail_add(&t, big, sizeof(big));
	assert_int_equal(t.len, CONSOLE_TAIL);
	assert_memory_equal(t.buf, big + sizeof(big) - CONSOLE_TAIL,
			    CONSOLE_TAIL);

	/* A partial overflow drops exactly the oldest bytes. */
	memset(&t, 0, sizeof(t));
	memset(big, 'x', CONSOLE_TAIL - 10);
	console_tail_add(&t, big, CONSOLE_TAIL - 10);
	tail_add_str(&t, "0123456789ABCDEF");
	assert_int_equal(t.len, CONSOLE_TAIL);
	assert_memory_equal(t.buf + CONSOLE_TAIL - 16, "0123456789ABCDEF", 16);
	assert_int_equal(t.buf[CONSOLE_TAIL - 17], 'x');
}
