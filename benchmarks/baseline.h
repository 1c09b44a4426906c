/* SPDX-License-Identifier: MIT */
/* baseline.h - the Linux futex hand-off the benchmarks and the demo measure HRT calls against. */
#ifndef HVM_BASELINE_H
#define HVM_BASELINE_H

#include <stdint.h>

/*
 * Two threads take turns through two futex words: the caller bumps
 * req and wakes the peer, the peer answers by bumping ack.  Round trip k
 * (0, 1, 2, ...) of one struct is baseline_futex_call(f, k) on one side
 * and the k-th turn of baseline_futex_serve() on the other.  Zero it
 * before the first round trip.
 */
struct baseline_futex {
	_Alignas(64) uint32_t req;
	uint32_t ack;
};

/* Waits until *w is no longer (v). */
void baseline_futex_wait(uint32_t *w, uint32_t v);

/* Bumps *w (release) and wakes one waiter. */
void baseline_futex_wake(uint32_t *w);

/* The caller's side of round trip (k): request, then wait for the answer. */
void baseline_futex_call(struct baseline_futex *f, long k);

/*
 * The peer's side of (n) round trips: waits for each request, runs
 * (work)(NULL, 0) when not NULL, and answers.
 */
void baseline_futex_serve(struct baseline_futex *f, long n,
			  long (*work)(void *, unsigned int));

#endif /* HVM_BASELINE_H */
