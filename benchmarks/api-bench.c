// SPDX-License-Identifier: MIT
/* api-bench.c - hrt.h's native threads, events and barriers on the HRT cores against pthreads on the ROS cores, in one VM run. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hrt.h"
#include "hvm.h"

#define REPS 5

static long iters = 2000;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* One counter of hvmctl stats. */
static long stat_of(const char *name)
{
	char cmd[128], line[128];
	long v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "hvmctl stats | grep '^%s:'", name);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(line, sizeof(line), p))
		sscanf(strchr(line, ':') + 1, "%ld", &v);
	pclose(p);
	return v;
}

static const char *const stat_names[] = { "hrt.resched_ipis", "hrt.cr3_loads",
					  "hrt.irqs", "hrt.fwd_calls" };
#define NSTATS 4

static void stats_now(long *v)
{
	int i;

	for (i = 0; i < NSTATS; i++)
		v[i] = stat_of(stat_names[i]);
}

/* --- create + join ---------------------------------------------------- */

static void *p_nop(void *arg)
{
	return arg;
}

static long h_nop(void *arg)
{
	return (long)arg;
}

static long run_pthread_create(void *arg)
{
	pthread_t t;
	long i;

	(void)arg;
	for (i = 0; i < iters; i++) {
		if (pthread_create(&t, NULL, p_nop, NULL))
			return -1;
		pthread_join(t, NULL);
	}
	return 0;
}

static long run_native_create(void *arg)
{
	struct hrt_thread *t;
	long i, r;

	(void)arg;
	for (i = 0; i < iters; i++) {
		if (hrt_thread_create(&t, h_nop, NULL, -1, HRT_THREAD_NOSYS))
			return -1;
		hrt_thread_join(t, &r);
	}
	return 0;
}

/* --- ping-pong ---------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long turn;

static void *p_pong(void *arg)
{
	long i;

	(void)arg;
	for (i = 0; i < iters; i++) {
		pthread_mutex_lock(&mu);
		while (turn != 2 * i + 1)
			pthread_cond_wait(&cv, &mu);
		turn++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static long run_condvar(void *arg)
{
	pthread_t t;
	long i;

	(void)arg;
	turn = 0;
	if (pthread_create(&t, NULL, p_pong, NULL))
		return -1;
	for (i = 0; i < iters; i++) {
		pthread_mutex_lock(&mu);
		turn++;
		pthread_cond_broadcast(&cv);
		while (turn != 2 * i + 2)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	pthread_join(t, NULL);
	return 0;
}

static struct hrt_event *ping, *pong;

static long h_pong(void *arg)
{
	long i;

	(void)arg;
	for (i = 0; i < iters; i++) {
		if (hrt_event_wait(ping, (uint64_t)i, HRT_FOREVER) < 0)
			return -1;
		hrt_event_notify(pong);
	}
	return 0;
}

static long run_events(void *arg)
{
	struct hrt_thread *t;
	long i, r;
	int other = (hrt_core() + 1) % hrt_ncores();

	(void)arg;
	if (hrt_event_create(&ping) || hrt_event_create(&pong))
		return -1;
	if (hrt_thread_create(&t, h_pong, NULL, other, HRT_THREAD_NOSYS))
		return -2;
	for (i = 0; i < iters; i++) {
		hrt_event_notify(ping);
		if (hrt_event_wait(pong, (uint64_t)i, HRT_FOREVER) < 0)
			break;
	}
	hrt_thread_join(t, &r);
	hrt_event_destroy(ping);
	hrt_event_destroy(pong);
	return i == iters ? 0 : -3;
}

/* --- barrier ------------------------------------------------------------ */

static pthread_barrier_t pb;
static struct hrt_barrier *hb;

static void *p_bar(void *arg)
{
	long i;

	(void)arg;
	for (i = 0; i < iters; i++)
		pthread_barrier_wait(&pb);
	return NULL;
}

static long run_pbarrier(void *arg)
{
	pthread_t t;

	(void)arg;
	pthread_barrier_init(&pb, NULL, 2);
	if (pthread_create(&t, NULL, p_bar, NULL))
		return -1;
	p_bar(NULL);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&pb);
	return 0;
}

static long h_bar(void *arg)
{
	long i;

	(void)arg;
	for (i = 0; i < iters; i++)
		if (hrt_barrier_wait(hb) < 0)
			return -1;
	return 0;
}

static long run_hbarrier(void *arg)
{
	struct hrt_thread *t;
	long r;
	int other = (hrt_core() + 1) % hrt_ncores();

	(void)arg;
	if (hrt_barrier_create(&hb, 2))
		return -1;
	if (hrt_thread_create(&t, h_bar, NULL, other, HRT_THREAD_NOSYS))
		return -2;
	r = h_bar(NULL);
	hrt_thread_join(t, &r);
	hrt_barrier_destroy(hb);
	return r;
}

/* --- memory: random reads, HRT memory against malloc'd, both on the HRT */

#define MEM_BYTES (192ul << 20)
#define MEM_READS 200000l
static char *mem_malloc, *mem_hrt;

static long reads(const char *p)
{
	uint64_t x = 88172645463325252ull, s = 0;
	long i;

	for (i = 0; i < MEM_READS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s += (unsigned char)p[x % MEM_BYTES];
	}
	return (long)(s & 0);
}

static long run_read_malloc(void *arg)
{
	(void)arg;
	return reads(mem_malloc);
}

static long run_read_hrt(void *arg)
{
	(void)arg;
	return reads(mem_hrt);
}

/* Inside an invocation: hrt_mem_alloc's first call reserves its region. */
static long alloc_hrt(void *arg)
{
	(void)arg;
	return hrt_mem_alloc((void **)&mem_hrt, MEM_BYTES, 0);
}

/* --- Appel and Li's prot1 + trap + unprot, and dirty-page scans ---------- */

static char *wp_page_linux;

static void segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	mprotect((void *)((uintptr_t)si->si_addr & ~4095ul), 4096,
		 PROT_READ | PROT_WRITE);
}

static long run_prot_linux(void *arg)
{
	volatile char *p = (volatile char *)wp_page_linux;
	long i;

	(void)arg;
	for (i = 0; i < iters; i++) {
		mprotect((void *)p, 4096, PROT_READ);
		p[0] = (char)i; /* SIGSEGV, the handler unprotects */
	}
	return 0;
}

static int wp_unprot(void *fault_addr, void *arg)
{
	(void)fault_addr;
	(void)arg;
	return 0; /* the HRT makes the page writable and retries */
}

static long run_prot_hrt(void *arg)
{
	volatile char *p = (volatile char *)mem_hrt;
	long i;

	(void)arg;
	for (i = 0; i < iters; i++) {
		if (hrt_wprotect((void *)p, 4096, wp_unprot, NULL))
			return -1;
		p[0] = (char)i;
		hrt_wunprotect((void *)p, 4096);
	}
	return 0;
}

/* Scans of MEM_BYTES after writing 64 scattered pages. */
#define SCAN_ITERS 5
static uint64_t scan_bits[MEM_BYTES / 4096 / 64];

static void touch64(char *p, long round)
{
	long k;

	for (k = 0; k < 64; k++)
		p[((k * 7919 + round) % (long)(MEM_BYTES / 4096)) * 4096] = 1;
}

static long run_scan_linux(void *arg)
{
	static uint64_t pm[MEM_BYTES / 4096];
	long i, k, dirty = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY),
	    cr = open("/proc/self/clear_refs", O_WRONLY);

	(void)arg;
	if (fd < 0 || cr < 0)
		return -1;
	for (i = 0; i < SCAN_ITERS; i++) {
		if (write(cr, "4", 1) != 1)
			return -2;
		touch64(mem_malloc, i);
		if (pread(fd, pm, sizeof(pm),
			  (off_t)((uintptr_t)mem_malloc / 4096 * 8)) !=
		    (ssize_t)sizeof(pm))
			return -3;
		for (k = 0; k < (long)(MEM_BYTES / 4096); k++)
			dirty += (pm[k] >> 55) & 1;
	}
	close(fd);
	close(cr);
	return dirty >= 64 * SCAN_ITERS ? 0 : -4;
}

static long run_scan_hrt(void *arg)
{
	long i, dirty = 0, r;

	(void)arg;
	for (i = 0; i < SCAN_ITERS; i++) {
		r = hrt_dirty_scan(mem_hrt, MEM_BYTES, scan_bits, 1);
		if (r < 0)
			return r;
		touch64(mem_hrt, i);
		r = hrt_dirty_scan(mem_hrt, MEM_BYTES, scan_bits, 0);
		if (r < 0)
			return r;
		dirty += r;
	}
	return dirty >= 64 * SCAN_ITERS ? 0 : -4;
}

/* Median ns per iteration of (fn) natively or (on_hrt) through hrt_invoke. */
static double measure(long (*fn)(void *), int on_hrt, long *ev)
{
	uint64_t t[REPS], t0;
	long before[NSTATS], after[NSTATS], r = 0;
	int i, k;

	if (on_hrt)
		stats_now(before);
	for (i = 0; i < REPS; i++) {
		t0 = now_ns();
		if (on_hrt) {
			if (hrt_invoke((hrt_fn)(void *)fn, NULL, &r) || r) {
				fprintf(stderr,
					"api-bench: invoke failed (%ld)\n", r);
				exit(1);
			}
		} else if (fn(NULL)) {
			fprintf(stderr, "api-bench: native run failed\n");
			exit(1);
		}
		t[i] = now_ns() - t0;
	}
	if (on_hrt) {
		stats_now(after);
		for (k = 0; k < NSTATS; k++)
			ev[k] = after[k] - before[k];
	}
	return (double)median(t, REPS) / (double)iters;
}

static void row(const char *name, long (*lin)(void *), long (*hrt)(void *),
		long scale)
{
	long ev[NSTATS] = { 0 }, ops = REPS * iters * scale;
	double l = measure(lin, 0, NULL), h = measure(hrt, 1, ev);

	printf("%-16s linux %10.0f ns  hrt %10.0f ns  ratio %6.1fx  per op: ipis %.2f cr3 %.2f irqs %.2f fwd %.2f\n",
	       name, l, h, l / h, (double)ev[0] / ops, (double)ev[1] / ops,
	       (double)ev[2] / ops, (double)ev[3] / ops);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct hrt_info info;
	long r = 0;
	int rc;

	if (argc > 2 && !strcmp(argv[1], "-n"))
		iters = atol(argv[2]);
	rc = hrt_open();
	if (rc || hrt_info(&info)) {
		fprintf(stderr, "api-bench: hrt_open: %s\n", strerror(-rc));
		return 1;
	}
	printf("# %ld iterations, median of %d runs; linux: pthreads on the ROS cores, hrt: hrt.h inside hrt_invoke on %u HRT cores\n",
	       iters, REPS, info.hrt_cores);
	row("create+join", run_pthread_create, run_native_create, 1);
	row("pingpong", run_condvar, run_events, 1);
	row("barrier", run_pbarrier, run_hbarrier, 1);
	/* Random reads, both on the HRT: Linux's 4 KiB pages against 2 MiB. */
	mem_malloc = malloc(MEM_BYTES);
	if (mem_malloc && !hrt_invoke((hrt_fn)(void *)alloc_hrt, NULL, &r) &&
	    !r) {
		long ev[NSTATS], it = iters;
		double m, h;

		memset(mem_malloc, 1, MEM_BYTES);
		iters = MEM_READS;
		m = measure(run_read_malloc, 1, ev);
		h = measure(run_read_hrt, 1, ev);
		iters = it;
		printf("%-16s malloc %9.1f ns  hrt %10.1f ns  ratio %6.2fx  per read, 192 MiB, both on the HRT (TLB misses: no PMU counters here)\n",
		       "random-read", m, h, m / h);
		/* Appel and Li: Linux natively, hrt.h inside hrt_invoke. */
		wp_page_linux = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		{
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_sigaction = segv;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGSEGV, &sa, NULL);
		}
		row("prot1+trap+unprot", run_prot_linux, run_prot_hrt, 1);
		/* 192 MiB dirty scans: soft-dirty + pagemap against D bits. */
		iters = SCAN_ITERS;
		m = measure(run_scan_linux, 0, NULL);
		h = measure(run_scan_hrt, 1, ev);
		iters = it;
		printf("%-16s linux %10.0f ns  hrt %10.0f ns  ratio %6.1fx  per scan of 192 MiB (clear, 64 writes, scan); linux: clear_refs + pagemap\n",
		       "dirty-scan", m, h, m / h);
	} else {
		printf("random-read      skipped: no memory (malloc or hrt_mem_alloc: %ld)\n",
		       r);
	}
	/* pthreads on the HRT today, for reference: the ratio hrt.h answers. */
	row("pthread-on-hrt", run_pthread_create, run_pthread_create, 1);
	return 0;
}
