// SPDX-License-Identifier: MIT
/* test_strv.c - string vectors: add, addf, join, free. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

UNIT_TEST(strv_add_keeps_copies_and_null_terminates)
{
	struct strv s = { 0 };
	char word[] = "alpha";

	strv_add(&s, word);
	word[0] = 'X'; /* the vector owns a copy */
	strv_add(&s, "beta");
	assert_int_equal(s.n, 2);
	assert_int_equal(s.oom, 0);
	assert_string_equal(s.v[0], "alpha");
	assert_string_equal(s.v[1], "beta");
	assert_null(s.v[2]);
	strv_free(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
}

UNIT_TEST(strv_addf_formats)
{
	struct strv s = { 0 };

	strv_addf(&s, "%s=%d,%#x", "n", 42, 0x70000);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.v[0], "n=42,0x70000");
	strv_free(&s);
}

UNIT_TEST(strv_grows_past_initial_capacity)
{
	struct strv s = { 0 };
	unsigned int i;
	char buf[16];

	for (i = 0; i < 100; i++)
		strv_addf(&s, "%u", i);
	assert_int_equal(s.n, 100);
	assert_true(s.cap >= 101);
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "%u", i);
		assert_string_equal(s.v[i], buf);
	}
	assert_null(s.v[100]);
	strv_free(&s);
}

UNIT_TEST(strv_join_uses_separator_between_items)
{
	struct strv s = { 0 };
	char *j;

	j = strv_join(&s, " ");
	assert_non_null(j);
	assert_string_equal(j, "");
	free(j);

	strv_add(&s, "one");
	j = strv_join(&s, ", ");
	assert_string_equal(j, "one");
	free(j);

	strv_add(&s, "");
	strv_add(&s, "three");
	j = strv_join(&s, ", ");
	assert_string_equal(j, "one, , three");
	free(j);
	j = strv_join(&s, "");
	assert_string_equal(j, "onethree");
	free(j);
	strv_free(&s);
}
