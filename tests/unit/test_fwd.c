// SPDX-License-Identifier: MIT
/* test_fwd.c - the forwarding policy of include/hvm_fwd.h against docs/libhvm.md's table. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvm_fwd.h"

/* tests/build.mk passes the source tree's path: the docs are read from it. */
#ifndef HVM_SRC_DIR
#define HVM_SRC_DIR "."
#endif

#define FWD_DOC	     HVM_SRC_DIR "/docs/libhvm.md"
#define FWD_HEADER   "| call | nr | policy | why |"
#define FWD_MAX_ROWS 64

struct rows {
	char *v[FWD_MAX_ROWS];
	size_t n;
};

static void rows_add(struct rows *r, const char *row)
{
	if (r->n >= FWD_MAX_ROWS)
		fail_msg("more than %d forwarding rows", FWD_MAX_ROWS);
	r->v[r->n] = strdup(row);
	assert_non_null(r->v[r->n]);
	r->n++;
}

static void rows_free(struct rows *r)
{
	while (r->n)
		free(r->v[--r->n]);
}

/* (s) with every '|' written "\|", as a Markdown cell needs it. */
static void cell(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '|')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* The rows docs/libhvm.md must have, in the table's order. */
static void header_rows(struct rows *r)
{
	char row[512], why[256];

#define FWD_ROW(nr, name, policy, reason)                                      \
	cell(why, sizeof(why), reason);                                        \
	snprintf(row, sizeof(row), "| `%s` | %d | %s | %s |", #name, nr,       \
		 hvm_fwd_policy_name(policy), why);                            \
	rows_add(r, row);
	HVM_FWD_TABLE(FWD_ROW)
#undef FWD_ROW
	snprintf(row, sizeof(row), "| any number >= %u | >= %u | %s | %s |",
		 HVM_FWD_NR_LIMIT, HVM_FWD_NR_LIMIT,
		 hvm_fwd_policy_name(HVM_FWD_REFUSED), HVM_FWD_NR_LIMIT_WHY);
	rows_add(r, row);
}

/* The rows of the first table under FWD_HEADER in docs/libhvm.md. */
static void doc_rows(struct rows *r)
{
	FILE *f = fopen(FWD_DOC, "re");
	char line[1024];
	int table = 0;

	if (!f)
		fail_msg("cannot open %s", FWD_DOC);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!table) {
			table = !strcmp(line, FWD_HEADER);
			continue;
		}
		if (line[0] != '|')
			break;
		if (strncmp(line, "| ---", 5))
			rows_add(r, line);
	}
	fclose(f);
	if (!table)
		fail_msg("docs/libhvm.md: no \"%s\" table", FWD_HEADER);
}

UNIT_TEST(fwd_table_matches_docs)
{
	struct rows want = { 0 }, doc = { 0 };
	size_t i, bad = 0;

	header_rows(&want);
	doc_rows(&doc);
	for (i = 0; i < want.n || i < doc.n; i++) {
		const char *w = i < want.n ? want.v[i] : "(none)";
		const char *d = i < doc.n ? doc.v[i] : "(none)";

		if (strcmp(w, d)) {
			printf("# row %zu: hvm_fwd.h has %s\n#   docs/libhvm.md has %s\n",
			       i + 1, w, d);
			bad++;
		}
	}
	rows_free(&want);
	rows_free(&doc);
	if (bad)
		fail_msg("%zu rows of docs/libhvm.md's forwarding table differ "
			 "from HVM_FWD_TABLE (include/hvm_fwd.h)",
			 bad);
}

/* The policy lookup the HRT and libhvm use agrees with the table. */
UNIT_TEST(fwd_policy_lookup)
{
	assert_int_equal(hvm_fwd_policy(HVM_SYS_seccomp), HVM_FWD_REFUSED);
	assert_int_equal(hvm_fwd_policy(HVM_SYS_clone), HVM_FWD_HRT);
	assert_int_equal(hvm_fwd_policy(HVM_SYS_mmap), HVM_FWD_RESYNC);
	assert_int_equal(hvm_fwd_policy(0), HVM_FWD_FORWARD); /* read */
	assert_int_equal(hvm_fwd_policy(HVM_FWD_NR_LIMIT), HVM_FWD_REFUSED);
	assert_int_equal(hvm_fwd_policy(~0ull), HVM_FWD_REFUSED);
}
