// SPDX-License-Identifier: MIT
/* baseline.c - the Linux futex hand-off the benchmarks and the demo measure HRT calls against. */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "baseline.h"

void baseline_futex_wait(uint32_t *w, uint32_t v)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == v)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

void baseline_futex_wake(uint32_t *w)
{
	__atomic_add_fetch(w, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void baseline_futex_call(struct baseline_futex *f, long k)
{
	baseline_futex_wake(&f->req);
	baseline_futex_wait(&f->ack, (uint32_t)k);
}

void baseline_futex_serve(struct baseline_futex *f, long n,
			  long (*work)(void *, unsigned int))
{
	for (long k = 0; k < n; k++) {
		baseline_futex_wait(&f->req, (uint32_t)k);
		if (work)
			work(NULL, 0);
		baseline_futex_wake(&f->ack);
	}
}
