// SPDX-License-Identifier: MIT
/* test_options_table.c - hvm-run's option table: --help, README.md. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* tests/build.mk passes the source tree's path: README.md is read from it. */
#ifndef HVM_SRC_DIR
#define HVM_SRC_DIR "."
#endif

#define MAX_NAMES 128

struct names {
	char *v[MAX_NAMES];
	size_t n;
};

static void names_add(struct names *s, const char *name, size_t len)
{
	if (s->n >= MAX_NAMES)
		fail_msg("more than %d option names", MAX_NAMES);
	s->v[s->n] = strndup(name, len);
	assert_non_null(s->v[s->n]);
	s->n++;
}

static int names_has(const struct names *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return 1;
	return 0;
}

static void names_free(struct names *s)
{
	while (s->n)
		free(s->v[--s->n]);
}

/* "-i" and "--stdin" for each entry of options_table[]. */
static void table_names(struct names *s)
{
	char buf[64];
	size_t i;

	for (i = 0; i < options_table_len; i++) {
		if (options_table[i].short_name) {
			snprintf(buf, sizeof(buf), "-%c",
				 options_table[i].short_name);
			names_add(s, buf, strlen(buf));
		}
		snprintf(buf, sizeof(buf), "--%s", options_table[i].name);
		names_add(s, buf, strlen(buf));
	}
}

/*
 * The option names of README.md's hvm-run option table: the first table
 * with a "| option | meaning |" header after "## hvm-run".  Each row's first
 * cell holds one or more `-x ARG` spans (`-i`, `--stdin`); a span's first
 * word is an option name.  "\|" inside a span is not a cell boundary.
 */
static void readme_names(struct names *s)
{
	FILE *f = fopen(HVM_SRC_DIR "/README.md", "re");
	char line[1024];
	int section = 0, table = 0;

	if (!f)
		fail_msg("cannot open %s", HVM_SRC_DIR "/README.md");
	while (fgets(line, sizeof(line), f)) {
		const char *p, *span = NULL;

		if (!strncmp(line, "## ", 3)) {
			if (table)
				break;
			section = !strcmp(line, "## hvm-run\n");
			continue;
		}
		if (!section)
			continue;
		if (!table) {
			table = !strncmp(line, "| option | meaning |", 20);
			continue;
		}
		if (line[0] != '|')
			break;
		if (!strncmp(line, "| ---", 5))
			continue;
		for (p = line + 1; *p && *p != '\n'; p++) {
			if (*p == '`' && !span) {
				span = p + 1;
			} else if (*p == '`') {
				if (*span != '-')
					fail_msg("README.md: `%.*s` is not an "
						 "option",
						 (int)(p - span), span);
				names_add(s, span, strcspn(span, " `"));
				span = NULL;
			} else if (*p == '|' && !span && p[-1] != '\\') {
				break; /* end of the first cell */
			}
		}
	}
	fclose(f);
	if (!table)
		fail_msg("README.md: no \"| option | meaning |\" table under "
			 "\"## hvm-run\"");
}

UNIT_TEST(options_table_matches_readme)
{
	struct names table = { 0 }, readme = { 0 };
	int missing = 0;
	size_t i;

	table_names(&table);
	readme_names(&readme);
	for (i = 0; i < table.n; i++)
		if (!names_has(&readme, table.v[i])) {
			print_error(
				"%s: in options_table[], not in README.md's "
				"hvm-run option table\n",
				table.v[i]);
			missing++;
		}
	for (i = 0; i < readme.n; i++)
		if (!names_has(&table, readme.v[i])) {
			print_error("%s: in README.md's hvm-run option table, "
				    "not in options_table[] (hvm/options.c)\n",
				    readme.v[i]);
			missing++;
		}
	names_free(&table);
	names_free(&readme);
	assert_int_equal(missing, 0);
}

UNIT_TEST(options_table_names_are_unique)
{
	size_t i, j;

	for (i = 0; i < options_table_len; i++) {
		const struct option_desc *a = &options_table[i];

		assert_non_null(a->set);
		assert_non_null(a->help);
		for (j = i + 1; j < options_table_len; j++) {
			const struct option_desc *b = &options_table[j];

			if (!strcmp(a->name, b->name))
				fail_msg("--%s listed twice", a->name);
			if (a->short_name && a->short_name == b->short_name)
				fail_msg("-%c listed twice", a->short_name);
		}
	}
}

/* --help is read on terminals and becomes the man page: 79 columns. */
UNIT_TEST(options_help_lists_every_option_in_79_columns)
{
	char *text = NULL, *line, *save = NULL, want[64];
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	options_help(f);
	fclose(f);
	for (i = 0; i < options_table_len; i++) {
		const char *p = text;

		/* "--qemu" must not be found as the start of "--qemu-arg". */
		snprintf(want, sizeof(want), "--%s", options_table[i].name);
		while ((p = strstr(p, want)) && !strchr(" \n", p[strlen(want)]))
			p++;
		if (!p)
			fail_msg("--help lacks %s", want);
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > 79)
			fail_msg("--help line over 79 columns: %s", line);
	free(text);
}
