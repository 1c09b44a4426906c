// SPDX-License-Identifier: MIT
/* fault_test.c - an exception in an isolated thread is reported and the kernel lives on. */
#include "selftest.h"
#include "thread.h"

static long hrt_fault_null(void *arg)
{
	volatile long *p = arg;

	/* arg is 8: the lower half is unmapped, so this takes a #PF. */
	return *p;
}

static long hrt_fault_ud(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
	return 0;
}

HRT_TEST(exception_in_thread_is_contained)
{
	struct hrt_thread *t;
	long r;
	int i;

	for (i = 0; i < 2; i++) {
		t = hrt_thread_create(i ? hrt_fault_ud : hrt_fault_null,
				      (void *)8, "faulty", HRT_ANY_CPU,
				      HRT_THREAD_ISOLATE_FAULTS);
		HRT_EXPECT(t);
		/* Peek at the report before join frees the thread. */
		while (!READ_ONCE(t->exited))
			hrt_thread_yield();
		HRT_EXPECT(t->faulted);
		HRT_EXPECT(t->fault_vector == (i ? 6u : 14u));
		if (!i)
			HRT_EXPECT(t->fault_addr == 8);
		r = hrt_thread_join(t);
		HRT_EXPECT(r == -EFAULT);
	}
	return 0;
}

HRT_TEST_BROKEN(deliberately_broken)
{
	/* Enabled by selftest.broken=1: proves a failing test fails the suite. */
	HRT_EXPECT(1 + 1 == 3);
	return 0;
}
