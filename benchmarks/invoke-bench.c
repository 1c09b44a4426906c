// SPDX-License-Identifier: MIT
/* invoke-bench.c - in-guest benchmark: hrt_invoke round trips against the in-VM floor and Linux hand-offs, forwarded vs native syscalls, events per call, all-core offload vs pthreads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "hvm.h"
#include "hvm_uapi.h"

/* Batches per measurement; each result is the median batch. */
#define BATCHES 9

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void report(const char *what, uint64_t ns, long n)
{
	printf("%-46s %10.0f ns/op  (%ld ops)\n", what, (double)ns / n, n);
	fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Runs (fn)(n) BATCHES times after one untimed warm-up batch of n / 10;
 * prints and returns the median ns per operation, (*best) gets the best
 * batch's.  (fn) returns ns spent on n operations (it may time only part
 * of its work).
 */
static double median_of(const char *what, uint64_t (*fn)(long), long n,
			double *best)
{
	double v[BATCHES];
	int b;

	fn(n / 10 ? n / 10 : 1);
	for (b = 0; b < BATCHES; b++)
		v[b] = (double)fn(n) / (double)n;
	qsort(v, BATCHES, sizeof(v[0]), cmp_double);
	*best = v[0];
	printf("%-46s %10.0f ns/op  (median of %d x %ld; %.0f .. %.0f)\n", what,
	       v[BATCHES / 2], BATCHES, n, v[0], v[BATCHES - 1]);
	fflush(stdout);
	return v[BATCHES / 2];
}

static long f_null(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return 0;
}

__attribute__((noinline)) static long plain_call(void *arg, unsigned int i)
{
	__asm__ volatile("" ::"r"(arg), "r"(i) : "memory");
	return 0;
}

/*
 * getppid: the cheapest call that still reaches Linux (getpid is served on
 * the HRT, hvm_fwd.h).
 */
static long f_getppid_loop(void *arg, unsigned int i)
{
	long n = (long)arg;

	(void)i;
	for (long k = 0; k < n; k++)
		syscall(SYS_getppid);
	return 0;
}

static long f_work(void *arg, unsigned int i)
{
	long n = (long)arg, s = 0;

	for (long k = 0; k < n; k++)
		s += (k ^ i) * 3;
	return s;
}

/* ---- Linux hand-off baselines: a server thread answers each request. */

static struct baseline_futex fx;

static long n_iter;

static void *fx_server(void *p)
{
	(void)p;
	baseline_futex_serve(&fx, n_iter, plain_call);
	return NULL;
}

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_req = PTHREAD_COND_INITIALIZER,
		      cv_ack = PTHREAD_COND_INITIALIZER;
static long cv_r, cv_a;

static void *cv_server(void *p)
{
	(void)p;
	for (long k = 0; k < n_iter; k++) {
		pthread_mutex_lock(&cv_lock);
		while (cv_r == k)
			pthread_cond_wait(&cv_req, &cv_lock);
		cv_a++;
		pthread_cond_signal(&cv_ack);
		pthread_mutex_unlock(&cv_lock);
	}
	return NULL;
}

static int efd_req, efd_ack, pipe_req[2], pipe_ack[2];
static void *efd_server(void *p);

/* ---- The in-VM floor: one cache line each way, ROS thread <-> HRT. */

static struct {
	volatile uint64_t ping __attribute__((aligned(64)));
	volatile uint64_t pong __attribute__((aligned(64)));
} pp;

/* On the HRT: answers each ping (1, 2, ...) n times, then returns. */
static long f_pingpong(void *arg, unsigned int i)
{
	long n = (long)arg;

	(void)i;
	for (long k = 1; k <= n; k++) {
		while (__atomic_load_n(&pp.ping, __ATOMIC_ACQUIRE) !=
		       (uint64_t)k)
			__asm__ volatile("pause" ::: "memory");
		__atomic_store_n(&pp.pong, (uint64_t)k, __ATOMIC_RELEASE);
	}
	return 0;
}

/* One hrt_invoke starts the HRT side; only the ping-pongs are timed. */
static uint64_t b_floor(long n)
{
	struct hrt_opts o = { .core = 0, .wait = HRT_WAIT_BLOCK };
	struct hrt_call *call;
	uint64_t t;
	long r;

	pp.ping = pp.pong = 0;
	if (hrt_invoke_async(f_pingpong, (void *)n, &o, &call))
		return 0;
	/* The first round trip includes the start: leave it out. */
	__atomic_store_n(&pp.ping, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&pp.pong, __ATOMIC_ACQUIRE) != 1)
		__asm__ volatile("pause" ::: "memory");
	t = now_ns();
	for (long k = 2; k <= n; k++) {
		__atomic_store_n(&pp.ping, (uint64_t)k, __ATOMIC_RELEASE);
		while (__atomic_load_n(&pp.pong, __ATOMIC_ACQUIRE) !=
		       (uint64_t)k)
			__asm__ volatile("pause" ::: "memory");
	}
	t = now_ns() - t;
	hrt_wait(call, &r);
	return n > 1 ? t * (uint64_t)n / (uint64_t)(n - 1) : t;
}

static struct hrt_opts o_poll = { .core = 0, .wait = HRT_WAIT_POLL };
static struct hrt_opts o_block = { .core = 0, .wait = HRT_WAIT_BLOCK };
static struct hrt_opts o_default = { .core = 0, .wait = HRT_WAIT_DEFAULT };

static uint64_t invoke_n(const struct hrt_opts *o, long n)
{
	uint64_t t = now_ns();
	long r;

	for (long k = 0; k < n; k++)
		if (hrt_invoke_opts(f_null, NULL, &r, o))
			return 0;
	return now_ns() - t;
}

static uint64_t b_poll(long n)
{
	return invoke_n(&o_poll, n);
}

static uint64_t b_block(long n)
{
	return invoke_n(&o_block, n);
}

static uint64_t b_default(long n)
{
	return invoke_n(&o_default, n);
}

static uint64_t b_futex(long n)
{
	pthread_t th;
	uint64_t t;

	memset(&fx, 0, sizeof(fx));
	n_iter = n;
	pthread_create(&th, NULL, fx_server, NULL);
	t = now_ns();
	for (long k = 0; k < n; k++)
		baseline_futex_call(&fx, k);
	t = now_ns() - t;
	pthread_join(th, NULL);
	return t;
}

static uint64_t b_eventfd(long n)
{
	pthread_t th;
	uint64_t t, v = 1;

	n_iter = n;
	pthread_create(&th, NULL, efd_server, NULL);
	t = now_ns();
	for (long k = 0; k < n; k++)
		if (write(efd_req, &v, 8) != 8 || read(efd_ack, &v, 8) != 8)
			break;
	t = now_ns() - t;
	pthread_join(th, NULL);
	return t;
}

static uint64_t b_native_getppid(long n)
{
	uint64_t t = now_ns();

	for (long k = 0; k < n; k++)
		syscall(SYS_getppid);
	return now_ns() - t;
}

/* n getppids forwarded from one polling invocation (its start included). */
static uint64_t b_fwd_getppid(long n)
{
	uint64_t t = now_ns();
	long r;

	hrt_invoke_opts(f_getppid_loop, (void *)n, &r, &o_poll);
	return now_ns() - t;
}

/* ---- Events per operation: the HRT's global counters around a batch. */

static int stats_fd = -1;

static int hrt_counters(struct hvm_hrt_counters *c)
{
	struct hvm_stats s;

	if (stats_fd < 0 || ioctl(stats_fd, HVM_IOC_STATS, &s))
		return -1;
	*c = s.hrt;
	return 0;
}

#define NEV 10
static const char *const ev_names[NEV] = {
	"cr3",	    "pml4",    "tlb",	   "msr",	"hrt_irq",
	"kick_ipi", "ros_irq", "fwd_call", "fwd_fault", "fwd_sleep",
};

/* Untimed: (fn)(n) once; prints the HRT's events per operation. */
static void events_of(const char *what, uint64_t (*fn)(long), long n)
{
	struct hvm_hrt_counters a, b;
	uint64_t d[NEV];
	int i;

	if (hrt_counters(&a))
		return;
	fn(n);
	if (hrt_counters(&b))
		return;
	d[0] = b.cr3_loads - a.cr3_loads;
	d[1] = b.pml4_syncs - a.pml4_syncs;
	d[2] = b.tlb_flushes - a.tlb_flushes;
	d[3] = b.msr_writes - a.msr_writes;
	d[4] = b.irqs - a.irqs;
	d[5] = b.kick_ipis - a.kick_ipis;
	d[6] = b.ros_irqs - a.ros_irqs;
	d[7] = b.fwd_calls - a.fwd_calls;
	d[8] = b.fwd_faults - a.fwd_faults;
	d[9] = b.fwd_sleeps - a.fwd_sleeps;
	printf("%-24s", what);
	for (i = 0; i < NEV; i++)
		printf(" %9.3f", (double)d[i] / (double)n);
	printf("\n");
}

/*
 * One target line: the ratio of medians against (limit), met when within
 * it; then the ratio of the best batches, which a busy host disturbs less.
 */
static void target(const char *what, double ratio, double best_ratio,
		   const char *cmp, double limit)
{
	bool met = cmp[0] == '>' ? ratio >= limit : ratio <= limit;

	printf("%-40s %8.2f  target %s %-3g %-7s (best batches: %.2f)\n", what,
	       ratio, cmp, limit, met ? "met" : "NOT MET", best_ratio);
}

static void *efd_server(void *p)
{
	uint64_t v;

	(void)p;
	for (long k = 0; k < n_iter; k++) {
		if (read(efd_req, &v, 8) != 8)
			break;
		v = 1;
		if (write(efd_ack, &v, 8) != 8)
			break;
	}
	return NULL;
}

static void *pipe_server(void *p)
{
	char c;

	(void)p;
	for (long k = 0; k < n_iter; k++) {
		if (read(pipe_req[0], &c, 1) != 1)
			break;
		if (write(pipe_ack[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void *pt_work(void *arg)
{
	long *a = arg;

	a[1] = f_work((void *)a[0], (unsigned int)a[2]);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, r, rets[HVM_MAX_HRT_CPUS];
	struct hrt_info info;
	pthread_t th[HVM_MAX_HRT_CPUS];
	double floor, poll, block, dflt, futex, efd, native, fwd;
	double b_fl, b_po, b_bl, b_df, b_fx, b_ef, b_na, b_fw;
	uint64_t t;
	long k, work = 2000000;
	char c = 'x';
	int rc;

	rc = hrt_info(&info);
	if (rc) {
		fprintf(stderr, "invoke-bench: hrt_info: %s\n", strerror(-rc));
		return 1;
	}
	printf("# %ld iterations per batch, %u HRT core(s), %ld ROS CPU(s)\n",
	       n, info.hrt_cores, sysconf(_SC_NPROCESSORS_ONLN));
	stats_fd = open(HVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	efd_req = eventfd(0, 0);
	efd_ack = eventfd(0, 0);

	/* warm up: channels, stacks, partner threads */
	for (k = 0; k < 20; k++)
		hrt_invoke_opts(f_null, NULL, &r, &o_poll);
	hrt_invoke_all(f_null, NULL, 0, rets, NULL);

	floor = median_of("floor: ROS <-> HRT cache-line ping-pong", b_floor, n,
			  &b_fl);
	poll = median_of("hrt_invoke null, polling", b_poll, n, &b_po);
	block = median_of("hrt_invoke null, blocking (HRT interrupt)", b_block,
			  n, &b_bl);
	dflt = median_of("hrt_invoke null, default (spin, then block)",
			 b_default, n, &b_df);
	futex = median_of("futex hand-off round trip (thread)", b_futex, n,
			  &b_fx);
	efd = median_of("eventfd round trip (thread)", b_eventfd, n, &b_ef);
	native = median_of("native getppid", b_native_getppid, n, &b_na);
	fwd = median_of("forwarded getppid (in one invocation, polling)",
			b_fwd_getppid, n, &b_fw);

	printf("\n# ratios (medians above)\n");
	target("futex hand-off / polling invoke", futex / poll, b_fx / b_po,
	       ">=", 10);
	target("polling invoke / floor", poll / floor, b_po / b_fl, "<=", 5);
	target("blocking invoke / eventfd round trip", block / efd, b_bl / b_ef,
	       "<=", 1);
	target("forwarded getppid / native getppid", fwd / native, b_fw / b_na,
	       "<=", 2);
	printf("%-40s %8.2f  (best batches: %.2f)\n",
	       "default invoke / polling invoke", dflt / poll, b_df / b_po);

	printf("\n# HRT events per operation (hvm_hrt_counters, untimed batch "
	       "of %ld)\n%-24s",
	       n, "operation");
	for (int i = 0; i < NEV; i++)
		printf(" %9s", ev_names[i]);
	printf("\n");
	events_of("floor (per ping-pong)", b_floor, n);
	events_of("invoke, polling", b_poll, n);
	events_of("invoke, blocking", b_block, n);
	events_of("invoke, default", b_default, n);
	events_of("forwarded getppid", b_fwd_getppid, n);
	printf("\n# other hand-offs\n");

	t = now_ns();
	for (k = 0; k < n; k++)
		plain_call(NULL, 0);
	report("plain function call", now_ns() - t, n);

	n_iter = n;
	cv_r = cv_a = 0;
	pthread_create(&th[0], NULL, cv_server, NULL);
	t = now_ns();
	for (k = 0; k < n; k++) {
		pthread_mutex_lock(&cv_lock);
		cv_r++;
		pthread_cond_signal(&cv_req);
		while (cv_a == k)
			pthread_cond_wait(&cv_ack, &cv_lock);
		pthread_mutex_unlock(&cv_lock);
	}
	report("condvar hand-off round trip (thread)", now_ns() - t, n);
	pthread_join(th[0], NULL);

	if (pipe(pipe_req) || pipe(pipe_ack))
		return 1;
	pthread_create(&th[0], NULL, pipe_server, NULL);
	t = now_ns();
	for (k = 0; k < n; k++) {
		if (write(pipe_req[1], &c, 1) != 1 ||
		    read(pipe_ack[0], &c, 1) != 1)
			break;
	}
	report("pipe round trip (thread)", now_ns() - t, n);
	pthread_join(th[0], NULL);

	for (int round = 0; round < 2; round++) {
		t = now_ns();
		rc = hrt_invoke_all(f_work, (void *)work, 0, rets, NULL);
		t = now_ns() - t;
		if (round)
			printf("%-46s %10.2f ms  (%u cores, rc %d)\n",
			       "hrt_invoke_all, 2M-iteration loop per core",
			       t / 1e6, info.hrt_cores, rc);
	}
	{
		long args[HVM_MAX_HRT_CPUS][3];

		t = now_ns();
		for (unsigned int i = 0; i < info.hrt_cores; i++) {
			args[i][0] = work;
			args[i][2] = i;
			pthread_create(&th[i], NULL, pt_work, args[i]);
		}
		for (unsigned int i = 0; i < info.hrt_cores; i++)
			pthread_join(th[i], NULL);
		t = now_ns() - t;
		printf("%-46s %10.2f ms  (%u threads on %ld ROS CPU(s))\n",
		       "pthreads, same loop, same count", t / 1e6,
		       info.hrt_cores, sysconf(_SC_NPROCESSORS_ONLN));
		for (unsigned int i = 0; i < info.hrt_cores; i++)
			if (args[i][1] != rets[i])
				printf("# result mismatch on %u\n", i);
	}
	return 0;
}
