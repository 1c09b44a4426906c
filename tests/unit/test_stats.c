// SPDX-License-Identifier: MIT
/* test_stats.c - percentile and histogram maths of tools/stats.c on known inputs. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/stats.h"

UNIT_TEST(stats_nearest_rank_on_1_to_100)
{
	uint64_t v[100];
	struct stats_summary s;

	/* Shuffled 1..100: summarize must sort. */
	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)((i * 37) % 100 + 1);
	assert_int_equal(stats_summarize(v, 100, &s), 0);
	assert_int_equal(s.count, 100);
	assert_int_equal(s.min, 1);
	assert_int_equal(s.p50, 50);
	assert_int_equal(s.p90, 90);
	assert_int_equal(s.p99, 99);
	assert_int_equal(s.max, 100);
	assert_true(s.mean > 50.49 && s.mean < 50.51);
}

UNIT_TEST(stats_small_and_skewed_sets)
{
	uint64_t one[] = { 7 }, two[] = { 10, 20 }, skew[10];
	struct stats_summary s;

	assert_int_equal(stats_summarize(one, 1, &s), 0);
	assert_int_equal(s.p50, 7);
	assert_int_equal(s.p99, 7);
	assert_int_equal(stats_summarize(two, 2, &s), 0);
	assert_int_equal(s.p50, 10); /* rank ceil(0.5*2) = 1 */
	assert_int_equal(s.p90, 20); /* rank ceil(1.8) = 2 */
	/* Nine fast, one slow: p90 still fast, p99 catches the outlier. */
	for (int i = 0; i < 9; i++)
		skew[i] = 100;
	skew[9] = 100000;
	assert_int_equal(stats_summarize(skew, 10, &s), 0);
	assert_int_equal(s.p50, 100);
	assert_int_equal(s.p90, 100);
	assert_int_equal(s.p99, 100000);
	assert_int_equal(s.max, 100000);
	assert_int_equal(stats_summarize(skew, 0, &s), -EINVAL);
}

UNIT_TEST(stats_percentile_edges)
{
	uint64_t v[] = { 1, 2, 3, 4 };

	assert_int_equal(stats_percentile(v, 4, 0), 1);
	assert_int_equal(stats_percentile(v, 4, 25), 1);
	assert_int_equal(stats_percentile(v, 4, 25.1), 2);
	assert_int_equal(stats_percentile(v, 4, 100), 4);
	assert_int_equal(stats_percentile(v, 0, 50), 0);
}

UNIT_TEST(stats_histogram_buckets)
{
	uint64_t v[] = { 0, 1, 2, 3, 4, 5, 6, 7, 1000 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	/* Buckets: [0], [1], [2..3], [4..7], [512..1023] */
	assert_int_equal(stats_histogram(v, 9, 8, f), 5);
	fclose(f);
	assert_non_null(strstr(
		buf, "           4 .. 7                   4 ########\n"));
	assert_non_null(
		strstr(buf, "         512 .. 1023                1 ##\n"));
	free(buf);
}
