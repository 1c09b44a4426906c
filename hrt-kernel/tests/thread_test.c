// SPDX-License-Identifier: MIT
/* thread_test.c - self-tests for thread life cycle, placement, migration and preemption. */
#include "parallel.h"
#include "sched.h"
#include "selftest.h"
#include "smp.h"
#include "sync.h"
#include "thread.h"
#include "timer.h"
#include "x86.h"

static long hrt_ret_arg(void *arg)
{
	return (long)arg * 2;
}

HRT_TEST(thread_create_join)
{
	struct hrt_thread *t[32];
	long i;

	for (i = 0; i < 32; i++) {
		t[i] = hrt_thread_create(hrt_ret_arg, (void *)i, "cj",
					 HRT_ANY_CPU, 0);
		HRT_EXPECT(t[i]);
	}
	for (i = 0; i < 32; i++)
		HRT_EXPECT(hrt_thread_join(t[i]) == i * 2);
	return 0;
}

static long hrt_report_cpu(void *arg)
{
	(void)arg;
	hrt_thread_yield();
	return hrt_cpu_id();
}

HRT_TEST(threads_on_every_cpu)
{
	struct hrt_thread *t[HRT_MAX_CPUS];
	u32 i;

	for (i = 0; i < hrt_ncpus; i++) {
		HRT_EXPECT(hrt_cpus[i].online);
		t[i] = hrt_thread_create(hrt_report_cpu, NULL, "percpu", i, 0);
		HRT_EXPECT(t[i]);
	}
	for (i = 0; i < hrt_ncpus; i++)
		HRT_EXPECT(hrt_thread_join(t[i]) == (long)i);
	HRT_EXPECT(hrt_thread_create(hrt_report_cpu, NULL, "bad",
				     (int)hrt_ncpus, 0) == NULL);
	return 0;
}

static long hrt_migrator(void *arg)
{
	u32 i, hops = 0;

	(void)arg;
	for (i = 0; i < 3 * hrt_ncpus; i++) {
		u32 cpu = i % hrt_ncpus;

		if (hrt_thread_pin(cpu))
			return -1;
		if (hrt_cpu_id() != cpu)
			return -2;
		hops++;
	}
	return hops;
}

HRT_TEST(thread_pin_migrates)
{
	struct hrt_thread *t =
		hrt_thread_create(hrt_migrator, NULL, "mig", HRT_ANY_CPU, 0);

	HRT_EXPECT(t);
	HRT_EXPECT(hrt_thread_join(t) == 3 * (long)hrt_ncpus);
	return 0;
}

static volatile int hrt_spin_stop, hrt_spin_started;

static long hrt_spinner(void *arg)
{
	u64 t0 = hrt_rdtsc();

	(void)arg;
	WRITE_ONCE(hrt_spin_started, 1);
	/* Never yields: only a timer preemption lets the setter run here. */
	while (!READ_ONCE(hrt_spin_stop))
		if (hrt_rdtsc() - t0 > hrt_tsc_khz * 5000)
			return -1;
	return 0;
}

static long hrt_setter(void *arg)
{
	(void)arg;
	WRITE_ONCE(hrt_spin_stop, 1);
	return 0;
}

HRT_TEST(preemption_interrupts_spinner)
{
	int cpu = hrt_ncpus > 1 ? 1 : 0;
	struct hrt_thread *a, *b;
	u64 t0;

	hrt_spin_stop = 0;
	hrt_spin_started = 0;
	a = hrt_thread_create(hrt_spinner, NULL, "spinner", cpu, 0);
	HRT_EXPECT(a);
	/* Let the spinner own the CPU first. */
	t0 = hrt_rdtsc();
	while (!READ_ONCE(hrt_spin_started) &&
	       hrt_rdtsc() - t0 < hrt_tsc_khz * 1000)
		hrt_thread_yield();
	b = hrt_thread_create(hrt_setter, NULL, "setter", cpu, 0);
	HRT_EXPECT(b);
	HRT_EXPECT(hrt_thread_join(b) == 0);
	HRT_EXPECT(hrt_thread_join(a) == 0);
	return 0;
}

static volatile u64 hrt_pf_sum[1024];

static void hrt_pf_body(u64 i, void *arg)
{
	(void)arg;
	hrt_pf_sum[i] = i * i + hrt_cpu_id() * 0;
}

static void hrt_pf_count(u64 i, void *arg)
{
	hrt_atomic_t *cpus = arg;

	(void)i;
	hrt_atomic_add(&cpus[hrt_cpu_id()], 1);
}

HRT_TEST(parallel_for_results)
{
	static hrt_atomic_t per_cpu[HRT_MAX_CPUS];
	u64 i, s = 0;
	u32 c;

	HRT_EXPECT(hrt_parallel_for(0, 1024, hrt_pf_body, NULL, 0) == 0);
	for (i = 0; i < 1024; i++)
		s += hrt_pf_sum[i] == i * i;
	HRT_EXPECT(s == 1024);
	for (c = 0; c < HRT_MAX_CPUS; c++)
		hrt_atomic_set(&per_cpu[c], 0);
	HRT_EXPECT(hrt_parallel_for(0, 4000, hrt_pf_count, per_cpu, 0) == 0);
	for (c = 0, s = 0; c < hrt_ncpus; c++) {
		/* Every core got its contiguous share. */
		HRT_EXPECT(hrt_atomic_read(&per_cpu[c]) == 4000 / hrt_ncpus ||
			   hrt_atomic_read(&per_cpu[c]) ==
				   4000 / hrt_ncpus + 1);
		s += hrt_atomic_read(&per_cpu[c]);
	}
	HRT_EXPECT(s == 4000);
	/* N cores: only the first one works. */
	for (c = 0; c < HRT_MAX_CPUS; c++)
		hrt_atomic_set(&per_cpu[c], 0);
	HRT_EXPECT(hrt_parallel_for(10, 110, hrt_pf_count, per_cpu, 1) == 0);
	HRT_EXPECT(hrt_atomic_read(&per_cpu[0]) == 100);
	return 0;
}
