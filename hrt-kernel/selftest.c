// SPDX-License-Identifier: MIT
/* selftest.c - runs the registered self-tests, one fault-isolated thread each. */
#include "selftest.h"
#include "boot.h"
#include "cmdline.h"
#include "slab.h"
#include "smp.h"
#include "thread.h"
#include "timer.h"

extern const struct hrt_test hrt_tests_start[], hrt_tests_end[];

static long hrt_selftest_thread(void *arg)
{
	const struct hrt_test *t = arg;

	return t->fn();
}

int hrt_selftest_run(void)
{
	bool broken = hrt_cmdline_has("selftest.broken");
	const struct hrt_test *t;
	int planned = 0, passed = 0, failed = 0;

	for (t = hrt_tests_start; t < hrt_tests_end; t++)
		if (!t->broken || broken)
			planned++;
	hrt_printf("selftest: plan %d (cpus %u)\n", planned, hrt_online_cpus);
	for (t = hrt_tests_start; t < hrt_tests_end; t++) {
		struct hrt_thread *th;
		u64 t0 = hrt_rdtsc_ns();
		long r;

		if (t->broken && !broken)
			continue;
		th = hrt_thread_create(hrt_selftest_thread, (void *)t, t->name,
				       HRT_ANY_CPU, HRT_THREAD_ISOLATE_FAULTS);
		r = th ? hrt_thread_join(th) : -ENOMEM;
		if (r == 0)
			passed++;
		else
			failed++;
		hrt_printf("%s - %s (%lu ms)\n", r == 0 ? "ok" : "not ok",
			   t->name, (hrt_rdtsc_ns() - t0) / 1000000);
	}
	hrt_printf("%d passed, %d failed\n", passed, failed);
	return failed;
}
