/* SPDX-License-Identifier: MIT */
/* stats.h - latency samples: percentiles and a text histogram for hvm-prof. */
#ifndef HVM_STATS_H
#define HVM_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct stats_summary {
	size_t count;
	uint64_t min;
	uint64_t p50;
	uint64_t p90;
	uint64_t p99;
	uint64_t max;
	double mean;
};

/*
 * Summarises (n) samples in (v), which it sorts in place.  Percentiles use
 * the nearest-rank method: pXX is the smallest sample with at least XX% of
 * the samples at or below it.  Returns 0, or -EINVAL for n == 0.
 */
int stats_summarize(uint64_t *v, size_t n, struct stats_summary *s);

/* The nearest-rank (pct) percentile (0 < pct <= 100) of sorted (v). */
uint64_t stats_percentile(const uint64_t *v, size_t n, double pct);

/*
 * Prints a histogram of sorted (v) with power-of-two buckets, one line
 * per non-empty bucket: range, count and a bar up to (width) characters.
 * Returns the number of lines printed.
 */
int stats_histogram(const uint64_t *v, size_t n, unsigned int width, FILE *out);

#endif
