// SPDX-License-Identifier: MIT
/* bench.c - microbenchmarks inside the HRT, reported in ns from the TSC. */
#include "bench.h"
#include "apic.h"
#include "idt.h"
#include "log.h"
#include "smp.h"
#include "sync.h"
#include "thread.h"
#include "timer.h"
#include "x86.h"

const char *hrt_bench_accel(void)
{
	u32 a, b, c, d;
	char sig[13];

	hrt_cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))
		return "native-or-tcg";
	hrt_cpuid(0x40000000, 0, &a, (u32 *)&sig[0], (u32 *)&sig[4],
		  (u32 *)&sig[8]);
	sig[12] = 0;
	if (sig[0] == 'K' && sig[1] == 'V' && sig[2] == 'M')
		return "kvm";
	if (sig[0] == 'T' && sig[1] == 'C' && sig[2] == 'G')
		return "tcg";
	return "tcg";
}

static void hrt_bench_report(const char *name, u64 tsc, u64 iters)
{
	u64 ns = iters ? hrt_tsc_to_ns(tsc) / iters : 0;

	hrt_printf("bench: %-28s %8lu ns/op  (%lu ops, accel %s, %u cpus)\n",
		   name, ns, iters, hrt_bench_accel(), hrt_online_cpus);
}

static long hrt_bench_nop(void *arg)
{
	(void)arg;
	return 0;
}

static void hrt_bench_create_join(void)
{
	const u64 n = 200;
	u64 i, t0 = hrt_rdtsc_ordered();

	for (i = 0; i < n; i++)
		hrt_thread_join(hrt_thread_create(hrt_bench_nop, NULL, "b",
						  hrt_cpu_id(), 0));
	hrt_bench_report("thread create+join", hrt_rdtsc_ordered() - t0, n);
}

static long hrt_bench_yielder(void *arg)
{
	u64 i, n = (u64)arg;

	for (i = 0; i < n; i++)
		hrt_thread_yield();
	return 0;
}

static void hrt_bench_switch(void)
{
	const u64 n = 2000;
	struct hrt_thread *a, *b;
	int cpu = hrt_online_cpus > 1 ? 1 : 0;
	u64 t0 = hrt_rdtsc_ordered();

	/* Two threads ping-ponging on one CPU: each yield is one switch. */
	a = hrt_thread_create(hrt_bench_yielder, (void *)n, "ya", cpu, 0);
	b = hrt_thread_create(hrt_bench_yielder, (void *)n, "yb", cpu, 0);
	if (!a || !b)
		return;
	hrt_thread_join(a);
	hrt_thread_join(b);
	hrt_bench_report("context switch (yield)", hrt_rdtsc_ordered() - t0,
			 2 * n);
}

static struct hrt_mutex hrt_bm;
static struct hrt_cond hrt_bc;
static volatile u64 hrt_b_seq, hrt_b_ack, hrt_b_signal_tsc, hrt_b_sum;
static u64 hrt_b_samples[200];

static long hrt_bench_cond_waiter(void *arg)
{
	u64 i, n = (u64)arg;

	for (i = 1; i <= n; i++) {
		hrt_mutex_lock(&hrt_bm);
		while (hrt_b_seq < i)
			hrt_cond_wait(&hrt_bc, &hrt_bm);
		hrt_b_samples[i - 1] = hrt_rdtsc() - hrt_b_signal_tsc;
		hrt_b_sum += hrt_b_samples[i - 1];
		hrt_mutex_unlock(&hrt_bm);
		__atomic_store_n(&hrt_b_ack, i, __ATOMIC_RELEASE);
	}
	return 0;
}

static void hrt_bench_cond(void)
{
	const u64 n = 200;
	struct hrt_thread *w;
	u64 i;

	if (hrt_online_cpus < 2) {
		hrt_printf("bench: condvar wake across cores: needs 2 cpus\n");
		return;
	}
	hrt_mutex_init(&hrt_bm);
	hrt_cond_init(&hrt_bc);
	hrt_b_seq = hrt_b_ack = hrt_b_sum = 0;
	w = hrt_thread_create(hrt_bench_cond_waiter, (void *)n, "cw", 1, 0);
	if (!w)
		return;
	for (i = 1; i <= n; i++) {
		/* Give the waiter time to block so each round is a real wake-up. */
		hrt_udelay(200);
		hrt_mutex_lock(&hrt_bm);
		hrt_b_seq = i;
		hrt_b_signal_tsc = hrt_rdtsc();
		hrt_cond_signal(&hrt_bc);
		hrt_mutex_unlock(&hrt_bm);
		while (__atomic_load_n(&hrt_b_ack, __ATOMIC_ACQUIRE) < i)
			hrt_pause();
	}
	hrt_thread_join(w);
	/* Median as well: host scheduling of TCG vCPU threads adds outliers. */
	for (i = 1; i < n; i++) {
		u64 v = hrt_b_samples[i], j = i;

		for (; j > 0 && hrt_b_samples[j - 1] > v; j--)
			hrt_b_samples[j] = hrt_b_samples[j - 1];
		hrt_b_samples[j] = v;
	}
	hrt_bench_report("condvar signal->wake (mean)", hrt_b_sum, n);
	hrt_bench_report("condvar signal->wake (median)", hrt_b_samples[n / 2],
			 1);
}

static struct hrt_barrier hrt_bb;

static long hrt_bench_barrier_worker(void *arg)
{
	u64 i, n = (u64)arg;

	for (i = 0; i < n; i++)
		hrt_barrier_wait(&hrt_bb);
	return 0;
}

static void hrt_bench_barrier(void)
{
	const u64 n = 500;
	struct hrt_thread *t[HRT_MAX_CPUS];
	u32 i, k = 0;
	u64 t0;

	hrt_barrier_init(&hrt_bb, hrt_online_cpus);
	t0 = hrt_rdtsc_ordered();
	for (i = 0; i < hrt_ncpus; i++)
		if (hrt_cpus[i].online)
			t[k++] = hrt_thread_create(hrt_bench_barrier_worker,
						   (void *)n, "bar", i, 0);
	for (i = 0; i < k; i++)
		if (t[i])
			hrt_thread_join(t[i]);
	hrt_bench_report("barrier round (all cores)", hrt_rdtsc_ordered() - t0,
			 n);
}

static volatile u64 hrt_ipi_pongs;
static volatile u32 hrt_ipi_origin;

static void hrt_bench_ipi_handler(struct hrt_regs *r)
{
	struct hrt_cpu *c = hrt_this_cpu();

	(void)r;
	/* Ping on the far core answers with a pong; the pong is counted. */
	if (c->id == hrt_ipi_origin)
		__atomic_add_fetch(&hrt_ipi_pongs, 1, __ATOMIC_RELEASE);
	else
		hrt_apic_send_ipi(hrt_cpus[hrt_ipi_origin].apic_id,
				  HRT_VEC_CALL);
}

static long hrt_bench_ipi_thread(void *arg)
{
	const u64 n = 1000;
	u64 i, t0;
	u32 peer = (u32)(u64)arg;

	hrt_ipi_origin = hrt_cpu_id();
	hrt_ipi_pongs = 0;
	t0 = hrt_rdtsc_ordered();
	for (i = 1; i <= n; i++) {
		hrt_apic_send_ipi(hrt_cpus[peer].apic_id, HRT_VEC_CALL);
		while (__atomic_load_n(&hrt_ipi_pongs, __ATOMIC_ACQUIRE) < i)
			hrt_pause();
	}
	hrt_bench_report("IPI round trip", hrt_rdtsc_ordered() - t0, n);
	return 0;
}

static void hrt_bench_ipi(void)
{
	struct hrt_thread *t;

	if (hrt_online_cpus < 2) {
		hrt_printf("bench: IPI round trip: needs 2 cpus\n");
		return;
	}
	hrt_irq_register(HRT_VEC_CALL, hrt_bench_ipi_handler);
	t = hrt_thread_create(hrt_bench_ipi_thread, (void *)1, "ipi", 0, 0);
	if (t)
		hrt_thread_join(t);
}

void hrt_bench_run(void)
{
	hrt_printf("bench: start (accelerator %s, tsc %lu kHz, %u cpus)\n",
		   hrt_bench_accel(), hrt_tsc_khz, hrt_online_cpus);
	hrt_bench_create_join();
	hrt_bench_switch();
	hrt_bench_cond();
	hrt_bench_barrier();
	hrt_bench_ipi();
	hrt_printf("bench: done\n");
}
