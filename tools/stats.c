// SPDX-License-Identifier: MIT
/* stats.c - nearest-rank percentiles and power-of-two histograms. */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t stats_percentile(const uint64_t *v, size_t n, double pct)
{
	size_t rank;

	if (!n)
		return 0;
	if (pct <= 0)
		return v[0];
	/* Nearest rank: ceil(pct/100 * n), 1-based. */
	rank = (size_t)ceil(pct / 100.0 * (double)n - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

int stats_summarize(uint64_t *v, size_t n, struct stats_summary *s)
{
	long double sum = 0;
	size_t i;

	if (!n)
		return -EINVAL;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	s->count = n;
	s->min = v[0];
	s->max = v[n - 1];
	s->p50 = stats_percentile(v, n, 50);
	s->p90 = stats_percentile(v, n, 90);
	s->p99 = stats_percentile(v, n, 99);
	s->mean = (double)(sum / n);
	return 0;
}

static unsigned int bucket_of(uint64_t x)
{
	return x ? 64 - (unsigned int)__builtin_clzll(x) : 0;
}

int stats_histogram(const uint64_t *v, size_t n, unsigned int width, FILE *out)
{
	size_t counts[65] = { 0 }, most = 0, i;
	unsigned int b, lines = 0;

	for (i = 0; i < n; i++)
		counts[bucket_of(v[i])]++;
	for (b = 0; b < 65; b++)
		if (counts[b] > most)
			most = counts[b];
	for (b = 0; b < 65; b++) {
		uint64_t lo = b ? 1ull << (b - 1) : 0;
		uint64_t hi = b == 0	? 0
			      : b == 64 ? UINT64_MAX
					: (1ull << b) - 1;
		size_t bar;

		if (!counts[b])
			continue;
		bar = most ? (counts[b] * width + most - 1) / most : 0;
		fprintf(out, "%12llu .. %-12llu %8zu ", (unsigned long long)lo,
			(unsigned long long)hi, counts[b]);
		while (bar--)
			fputc('#', out);
		fputc('\n', out);
		lines++;
	}
	return (int)lines;
}
