// SPDX-License-Identifier: MIT
/* thread-test.c - in-guest tests: threads, processes, FP state, big stacks. */
/*
 * usage: hvm-thread-test [TEST...]   (no argument: every test)
 *
 * Every offloaded function goes through run_on_hrt(); with
 * HVM_TEST_NATIVE=1 it calls the function directly in the calling thread
 * instead, so the test logic can be checked on a host without /dev/hvm
 * (then CPL 3 is expected where the HRT gives CPL 0).  Each test runs
 * under alarm(120): a hang prints "not ok - NAME # timed out" and exits.
 */
#include <alloca.h>
#include <errno.h>
#include <fcntl.h>
#include <fenv.h>
#include <omp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "hvm.h"
#include "hvm_uapi.h"
#include <linux/futex.h>
#include <sys/ioctl.h>

/* thread-test-cxx.cpp: std::thread x 4; (arg) points to the expected CPL. */
extern long cxx_threads(void *arg, unsigned int core);

#define CALL_TIMEOUT_MS 60000u /* every offloaded call */
#define TEST_ALARM_S	120    /* every test */
#define WAIT_MS		30000  /* bound of every wait between threads */

static int native; /* HVM_TEST_NATIVE=1: no HRT, functions run in place */

/* The privilege level this code runs at: 0 on the HRT, 3 natively. */
static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs,%0" : "=r"(cs));
	return cs & 3;
}

static int want_cpl(void)
{
	return native ? 3 : 0;
}

/* ------------------------------------------------------------ helpers */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&d, &d) && errno == EINTR)
		;
}

/* An absolute CLOCK_MONOTONIC time (ms) from now, for timed waits. */
static struct timespec deadline_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void cond_init(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

/*
 * The one way offloaded work is started: hrt_invoke_opts() on (core) (-1:
 * any) with a timeout, or fn(arg, 0) in place in native mode.
 */
static int run_on_hrt_at(hrt_fn fn, void *arg, long *ret, int core,
			 unsigned int timeout_ms)
{
	struct hvm_fault fault;
	struct hrt_opts o = { .core = core,
			      .timeout_ms = timeout_ms,
			      .fault = &fault };
	long r = 0;
	int rc;

	if (native) {
		r = fn(arg, 0);
		if (ret)
			*ret = r;
		return 0;
	}
	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(fn, arg, &r, &o);
	if (ret)
		*ret = r;
	if (rc == -EFAULT)
		diag("offloaded function faulted: vector %u error %#x address "
		     "%#lx rip %#lx rsp %#lx",
		     fault.vector, fault.error_code,
		     (unsigned long)fault.address, (unsigned long)fault.rip,
		     (unsigned long)fault.rsp);
	else if (rc)
		diag("hrt_invoke_opts: %s (%d), result %ld", strerror(-rc), rc,
		     r);
	return rc;
}

static int run_on_hrt(hrt_fn fn, void *arg, long *ret)
{
	return run_on_hrt_at(fn, arg, ret, -1, CALL_TIMEOUT_MS);
}

/* waitpid() bounded by (ms); on expiry the child is killed: -ETIMEDOUT. */
static int wait_child(pid_t pid, long ms, int *status)
{
	double end = now_s() + ms / 1000.0;
	pid_t w;

	*status = -1;
	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0)
			return -errno;
		if (now_s() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
		sleep_ms(10);
	}
}

/* Reads (fd) to EOF or (ms) into buf (NUL-terminated); returns the length. */
static int read_all(int fd, char *buf, int size, long ms)
{
	double end = now_s() + ms / 1000.0;
	int n = 0;
	ssize_t k;

	while (n < size - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)((end - now_s()) * 1000);

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		k = read(fd, buf + n, size - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += k;
	}
	buf[n] = 0;
	return n;
}

/* A start/arrival gate: threads arrive, the creator waits, then opens. */
struct gate {
	pthread_mutex_t m;
	pthread_cond_t c;
	int arrived;
	int open;
};

static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->m, NULL);
	cond_init(&g->c);
	g->arrived = 0;
	g->open = 0;
}

static void gate_arrive(struct gate *g)
{
	pthread_mutex_lock(&g->m);
	g->arrived++;
	pthread_cond_broadcast(&g->c);
	pthread_mutex_unlock(&g->m);
}

/* Waits (at most ms) for (n) arrivals; returns how many arrived. */
static int gate_wait_arrived(struct gate *g, int n, long ms)
{
	struct timespec dl = deadline_ms(ms);
	int got;

	pthread_mutex_lock(&g->m);
	while (g->arrived < n)
		if (pthread_cond_timedwait(&g->c, &g->m, &dl) == ETIMEDOUT)
			break;
	got = g->arrived;
	pthread_mutex_unlock(&g->m);
	return got;
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->m);
	g->open = 1;
	pthread_cond_broadcast(&g->c);
	pthread_mutex_unlock(&g->m);
}

/* Waits (at most ms) for the gate to open; returns 1 if it did. */
static int gate_wait_open(struct gate *g, long ms)
{
	struct timespec dl = deadline_ms(ms);
	int open;

	pthread_mutex_lock(&g->m);
	while (!g->open)
		if (pthread_cond_timedwait(&g->c, &g->m, &dl) == ETIMEDOUT)
			break;
	open = g->open;
	pthread_mutex_unlock(&g->m);
	return open;
}

/* Condition-variable ping-pong: player (me) plays when turn == me. */
struct pingpong {
	pthread_mutex_t m;
	pthread_cond_t c;
	int turn;
	int total;
};

static void pp_init(struct pingpong *pp)
{
	pthread_mutex_init(&pp->m, NULL);
	cond_init(&pp->c);
	pp->turn = 0;
	pp->total = 0;
}

/* Plays (rounds) rounds, each bounded; returns how many it played. */
static int pp_play(struct pingpong *pp, int me, int rounds)
{
	int done = 0;

	pthread_mutex_lock(&pp->m);
	while (done < rounds) {
		struct timespec dl = deadline_ms(WAIT_MS);
		int timed_out = 0;

		while (pp->turn != me && !timed_out)
			timed_out = pthread_cond_timedwait(&pp->c, &pp->m,
							   &dl) == ETIMEDOUT;
		if (pp->turn != me)
			break;
		pp->total++;
		pp->turn = !me;
		done++;
		pthread_cond_broadcast(&pp->c);
	}
	pthread_mutex_unlock(&pp->m);
	return done;
}

struct pp_arg {
	struct pingpong *pp;
	int me;
	int rounds;
	int done;
};

static void *pp_thread(void *arg)
{
	struct pp_arg *a = arg;

	a->done = pp_play(a->pp, a->me, a->rounds);
	return NULL;
}

/* Mutex-protected counter; workers start when the gate opens. */
struct counter {
	pthread_mutex_t m;
	long value;
	int iters;
	struct gate g;
};

static void counter_init(struct counter *c, int iters)
{
	pthread_mutex_init(&c->m, NULL);
	c->value = 0;
	c->iters = iters;
	gate_init(&c->g);
}

static void *counter_thread(void *arg)
{
	struct counter *c = arg;

	gate_wait_open(&c->g, WAIT_MS / 3);
	for (int k = 0; k < c->iters; k++) {
		pthread_mutex_lock(&c->m);
		c->value++;
		pthread_mutex_unlock(&c->m);
	}
	return NULL;
}

/* Creates (n) counter threads, opens the gate, joins: returns the joins. */
static int run_counter_threads(struct counter *c, int n)
{
	pthread_t th[8];
	int ok[8], joined = 0;

	for (int i = 0; i < n; i++)
		ok[i] = !pthread_create(&th[i], NULL, counter_thread, c);
	gate_open(&c->g);
	for (int i = 0; i < n; i++)
		if (ok[i] && !pthread_join(th[i], NULL))
			joined++;
	return joined;
}

/* ------------------------------------------------------------ 1 threads_basic */

#define TB_N 4

struct tb_shared;

struct tb_thread {
	struct tb_shared *sh;
	int idx;
	int cpl;
	pid_t tid;
	int task_self; /* /proc/self/task/TID seen by the thread itself */
	long sum;
};

struct tb_shared {
	struct gate g;
	struct tb_thread t[TB_N];
	pid_t fn_tid;
	int fn_cpl;
	int created;
	int arrived;
	int task_seen; /* /proc/self/task/TID seen by the function */
	int joined;
	void *rets[TB_N];
};

static long tb_expected(int idx)
{
	long n = 1000L * (idx + 1);

	return n * (n + 1) / 2;
}

static void *tb_thread(void *arg)
{
	struct tb_thread *t = arg;
	volatile long sum = 0;
	char path[64];

	t->cpl = cpl();
	t->tid = gettid();
	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)t->tid);
	t->task_self = access(path, F_OK) == 0;
	for (long k = 1; k <= 1000L * (t->idx + 1); k++)
		sum += k;
	t->sum = sum;
	gate_arrive(&t->sh->g);
	gate_wait_open(&t->sh->g, WAIT_MS);
	if (t->idx & 1)
		pthread_exit((void *)t->sum);
	return (void *)t->sum;
}

static long f_threads_basic(void *arg, unsigned int core)
{
	struct tb_shared *s = arg;
	pthread_t th[TB_N];
	int ok[TB_N];
	char path[64];

	(void)core;
	s->fn_tid = gettid();
	s->fn_cpl = cpl();
	for (int i = 0; i < TB_N; i++) {
		s->t[i].sh = s;
		s->t[i].idx = i;
		ok[i] = !pthread_create(&th[i], NULL, tb_thread, &s->t[i]);
		s->created += ok[i];
	}
	/* All alive and parked: their tasks must be visible now. */
	s->arrived = gate_wait_arrived(&s->g, s->created, WAIT_MS);
	for (int i = 0; i < TB_N; i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d",
			 (int)s->t[i].tid);
		if (ok[i] && s->t[i].tid > 0 && access(path, F_OK) == 0)
			s->task_seen++;
	}
	gate_open(&s->g);
	for (int i = 0; i < TB_N; i++)
		if (ok[i] && !pthread_join(th[i], &s->rets[i]))
			s->joined++;
	return s->created;
}

GUEST_TEST(threads_basic)
{
	struct tb_shared s;
	int rc, good_ret = 1, good_cpl, distinct = 1, self_task = 1;
	long r = -1;

	memset(&s, 0, sizeof(s));
	gate_init(&s.g);
	for (int i = 0; i < TB_N; i++)
		s.t[i].cpl = -1;
	rc = run_on_hrt(f_threads_basic, &s, &r);
	check(rc == 0 && r == TB_N && s.arrived == TB_N && s.joined == TB_N,
	      "4 pthreads created, run and joined inside the offloaded "
	      "function",
	      "rc %d created %ld arrived %d joined %d", rc, r, s.arrived,
	      s.joined);
	for (int i = 0; i < TB_N; i++)
		if ((long)s.rets[i] != tb_expected(i) ||
		    s.t[i].sum != tb_expected(i))
			good_ret = 0;
	check(good_ret,
	      "results by return (threads 0, 2) and pthread_exit (1, 3)",
	      "got %ld %ld %ld %ld, want %ld %ld %ld %ld", (long)s.rets[0],
	      (long)s.rets[1], (long)s.rets[2], (long)s.rets[3], tb_expected(0),
	      tb_expected(1), tb_expected(2), tb_expected(3));
	good_cpl = s.fn_cpl == want_cpl();
	for (int i = 0; i < TB_N; i++)
		good_cpl &= s.t[i].cpl == want_cpl();
	check(good_cpl, "function and every thread run at the expected CPL",
	      "want %d: function %d threads %d %d %d %d", want_cpl(), s.fn_cpl,
	      s.t[0].cpl, s.t[1].cpl, s.t[2].cpl, s.t[3].cpl);
	for (int i = 0; i < TB_N; i++) {
		if (s.t[i].tid <= 0 || s.t[i].tid == s.fn_tid)
			distinct = 0;
		for (int j = 0; j < i; j++)
			if (s.t[i].tid == s.t[j].tid)
				distinct = 0;
		self_task &= s.t[i].task_self;
	}
	check(distinct,
	      "gettid() of the threads distinct, none the function's own",
	      "function %d threads %d %d %d %d", (int)s.fn_tid, (int)s.t[0].tid,
	      (int)s.t[1].tid, (int)s.t[2].tid, (int)s.t[3].tid);
	check(s.task_seen == TB_N && self_task,
	      "each thread is a task in /proc/self/task/TID",
	      "seen by the function %d of 4, by the threads themselves %s",
	      s.task_seen, self_task ? "all" : "not all");
	return 0;
}

/* ------------------------------------------------------------ 2 threads_sync */

static long f_mutex_counter(void *arg, unsigned int core)
{
	(void)core;
	return run_counter_threads(arg, 4);
}

static long f_pingpong(void *arg, unsigned int core)
{
	struct pp_arg *a = arg; /* two players */
	pthread_t th[2];
	int ok[2], joined = 0;

	(void)core;
	for (int i = 0; i < 2; i++)
		ok[i] = !pthread_create(&th[i], NULL, pp_thread, &a[i]);
	for (int i = 0; i < 2; i++)
		if (ok[i] && !pthread_join(th[i], NULL))
			joined++;
	return joined;
}

#define BAR_N	   4
#define BAR_ROUNDS 100

struct bar_ctx {
	pthread_barrier_t b;
	atomic_int phase;
	atomic_int bad;
	atomic_int rounds;
	struct gate g;
	int abort;
};

static void *bar_thread(void *arg)
{
	struct bar_ctx *c = arg;

	if (!gate_wait_open(&c->g, WAIT_MS) || c->abort)
		return NULL;
	for (int r = 0; r < BAR_ROUNDS; r++) {
		atomic_fetch_add(&c->phase, 1);
		pthread_barrier_wait(&c->b);
		if (atomic_load(&c->phase) != BAR_N * (r + 1))
			atomic_fetch_add(&c->bad, 1);
		atomic_fetch_add(&c->rounds, 1);
		pthread_barrier_wait(&c->b);
	}
	return NULL;
}

static long f_barrier(void *arg, unsigned int core)
{
	struct bar_ctx *c = arg;
	pthread_t th[BAR_N];
	int ok[BAR_N], created = 0, joined = 0;

	(void)core;
	for (int i = 0; i < BAR_N; i++) {
		ok[i] = !pthread_create(&th[i], NULL, bar_thread, c);
		created += ok[i];
	}
	c->abort = created != BAR_N; /* a short barrier would never open */
	gate_open(&c->g);
	for (int i = 0; i < BAR_N; i++)
		if (ok[i] && !pthread_join(th[i], NULL))
			joined++;
	return joined;
}

GUEST_TEST(threads_sync)
{
	struct counter c;
	struct pingpong pp;
	struct pp_arg pa[2] = { { &pp, 0, 1000, 0 }, { &pp, 1, 1000, 0 } };
	struct bar_ctx bc;
	long r = -1;
	int rc;

	counter_init(&c, 10000);
	rc = run_on_hrt(f_mutex_counter, &c, &r);
	check(rc == 0 && r == 4 && c.value == 40000,
	      "mutex counter, 4 threads x 10000", "rc %d joined %ld value %ld",
	      rc, r, c.value);

	pp_init(&pp);
	r = -1;
	rc = run_on_hrt(f_pingpong, pa, &r);
	check(rc == 0 && r == 2 && pa[0].done == 1000 && pa[1].done == 1000 &&
		      pp.total == 2000,
	      "condition-variable ping-pong, 2 threads x 1000 rounds",
	      "rc %d joined %ld rounds %d %d total %d", rc, r, pa[0].done,
	      pa[1].done, pp.total);

	memset(&bc, 0, sizeof(bc));
	pthread_barrier_init(&bc.b, NULL, BAR_N);
	gate_init(&bc.g);
	r = -1;
	rc = run_on_hrt(f_barrier, &bc, &r);
	check(rc == 0 && r == BAR_N && !bc.abort &&
		      atomic_load(&bc.rounds) == BAR_N * BAR_ROUNDS &&
		      atomic_load(&bc.bad) == 0 &&
		      atomic_load(&bc.phase) == BAR_N * BAR_ROUNDS,
	      "pthread_barrier, 4 threads x 100 rounds, phase counter",
	      "rc %d joined %ld abort %d rounds %d bad %d phase %d", rc, r,
	      bc.abort, atomic_load(&bc.rounds), atomic_load(&bc.bad),
	      atomic_load(&bc.phase));
	pthread_barrier_destroy(&bc.b);
	return 0;
}

/* ------------------------------------------------------------ 3 threads_200 */

#define T200_N	  200
#define T200_WAVE 50

struct t200 {
	int created;
	int joined;
	int right;
	int create_err;
};

static void *t200_thread(void *arg)
{
	return (void *)((long)arg + 1);
}

static long f_threads_200(void *arg, unsigned int core)
{
	struct t200 *t = arg;

	(void)core;
	for (int base = 0; base < T200_N; base += T200_WAVE) {
		pthread_t th[T200_WAVE];
		int ok[T200_WAVE], e;
		void *ret;

		for (int i = 0; i < T200_WAVE; i++) {
			e = pthread_create(&th[i], NULL, t200_thread,
					   (void *)(long)(base + i));
			ok[i] = !e;
			t->created += ok[i];
			if (e && !t->create_err)
				t->create_err = e;
		}
		for (int i = 0; i < T200_WAVE; i++) {
			if (!ok[i] || pthread_join(th[i], &ret))
				continue;
			t->joined++;
			t->right += (long)ret == base + i + 1;
		}
	}
	return t->right;
}

GUEST_TEST(threads_200)
{
	struct t200 t = { 0, 0, 0, 0 };
	long r = -1;
	int rc;

	rc = run_on_hrt(f_threads_200, &t, &r);
	diag("%d of %d threads created, %d joined, %d right results", t.created,
	     T200_N, t.joined, t.right);
	check(rc == 0 && r == T200_N && t.created == T200_N &&
		      t.joined == T200_N,
	      "200 threads in waves of 50 in one invocation",
	      "rc %d created %d joined %d right %ld, first error %s", rc,
	      t.created, t.joined, r, strerror(t.create_err));
	return 0;
}

/* ------------------------------------------------------------ 4 openmp */

#define OMP_N 100000L

struct omp_res {
	long sum[2];
	int nthreads[2][4];
	int cpl[2][4];
	pid_t tid[2][4];
	int bad_index;
};

static long f_openmp(void *arg, unsigned int core)
{
	struct omp_res *o = arg;

	(void)core;
	for (int region = 0; region < 2; region++) {
		long sum = 0;

#pragma omp parallel num_threads(4) reduction(+ : sum)
		{
			int t = omp_get_thread_num();

			if (t >= 0 && t < 4) {
				o->nthreads[region][t] = omp_get_num_threads();
				o->cpl[region][t] = cpl();
				o->tid[region][t] = gettid();
			} else {
				o->bad_index = 1;
			}
#pragma omp for
			for (long i = 1; i <= OMP_N; i++)
				sum += i;
		}
		o->sum[region] = sum;
	}
	return 0;
}

GUEST_TEST(openmp)
{
	struct omp_res o;
	long r = -1, want = OMP_N * (OMP_N + 1) / 2;
	int rc, reused = 0;

	memset(&o, 0, sizeof(o));
	memset(o.cpl, 0xff, sizeof(o.cpl));
	rc = run_on_hrt(f_openmp, &o, &r);
	for (int region = 0; region < 2; region++) {
		int nt = 1, cp = 1;
		char name[96];

		for (int t = 0; t < 4; t++) {
			nt &= o.nthreads[region][t] == 4;
			cp &= o.cpl[region][t] == want_cpl();
		}
		snprintf(name, sizeof(name),
			 "%s parallel region: reduction over 1..100000",
			 region ? "second (pool reuse)" : "first");
		check(rc == 0 && r == 0 && o.sum[region] == want, name,
		      "rc %d sum %ld want %ld", rc, o.sum[region], want);
		snprintf(name, sizeof(name),
			 "%s parallel region: omp_get_num_threads() == 4",
			 region ? "second" : "first");
		check(nt && !o.bad_index, name, "got %d %d %d %d%s",
		      o.nthreads[region][0], o.nthreads[region][1],
		      o.nthreads[region][2], o.nthreads[region][3],
		      o.bad_index ? ", a thread number out of 0..3" : "");
		snprintf(name, sizeof(name),
			 "%s parallel region: every thread at the expected CPL",
			 region ? "second" : "first");
		check(cp, name, "want %d got %d %d %d %d", want_cpl(),
		      o.cpl[region][0], o.cpl[region][1], o.cpl[region][2],
		      o.cpl[region][3]);
	}
	for (int t = 0; t < 4; t++)
		reused += o.tid[0][t] == o.tid[1][t];
	diag("%d of 4 OpenMP threads reused by the second region", reused);
	return 0;
}

/* ------------------------------------------------------------ 5 cxx_threads */

GUEST_TEST(cxx_threads)
{
	int want = want_cpl();
	long r = -1;
	int rc;

	rc = run_on_hrt(cxx_threads, &want, &r);
	check(rc == 0 && r == 0,
	      "std::thread x 4 with std::mutex, std::atomic and an exception",
	      "rc %d result %ld (<0: -errno of std::thread; bits: 1 mutex "
	      "count, 2 atomic count, 4 CPL, 8 tids, 16 exception)",
	      rc, r);
	return 0;
}

/* ------------------------------------------------------------ 6 mixed_mutex */

#define MIX_ITERS  20000
#define MIX_ROUNDS 200

struct mixed {
	struct counter c;
	struct pingpong pp;
	struct pp_arg native_player, hrt_player;
	int hrt_joined;
	int hrt_pp_joined;
};

static void *mixed_native_thread(void *arg)
{
	struct mixed *mx = arg;

	counter_thread(&mx->c);
	pp_thread(&mx->native_player);
	return NULL;
}

static long f_mixed(void *arg, unsigned int core)
{
	struct mixed *mx = arg;
	pthread_t th;

	(void)core;
	/* Opens the gate the native thread waits at too. */
	mx->hrt_joined = run_counter_threads(&mx->c, 2);
	if (!pthread_create(&th, NULL, pp_thread, &mx->hrt_player) &&
	    !pthread_join(th, NULL))
		mx->hrt_pp_joined = 1;
	return 0;
}

GUEST_TEST(mixed_mutex)
{
	struct mixed mx;
	pthread_t nat;
	long r = -1;
	int rc, created;

	memset(&mx, 0, sizeof(mx));
	counter_init(&mx.c, MIX_ITERS);
	pp_init(&mx.pp);
	mx.native_player = (struct pp_arg){ &mx.pp, 0, MIX_ROUNDS, 0 };
	mx.hrt_player = (struct pp_arg){ &mx.pp, 1, MIX_ROUNDS, 0 };
	created = !pthread_create(&nat, NULL, mixed_native_thread, &mx);
	check(created, "native thread created outside the invocation", " ");
	if (!created)
		return 0;
	rc = run_on_hrt(f_mixed, &mx, &r);
	pthread_join(nat, NULL);
	check(rc == 0 && mx.hrt_joined == 2 && mx.c.value == 3 * MIX_ITERS,
	      "one mutex, 1 native + 2 HRT threads x 20000 increments",
	      "rc %d HRT threads joined %d counter %ld want %d", rc,
	      mx.hrt_joined, mx.c.value, 3 * MIX_ITERS);
	check(rc == 0 && mx.hrt_pp_joined &&
		      mx.native_player.done == MIX_ROUNDS &&
		      mx.hrt_player.done == MIX_ROUNDS &&
		      mx.pp.total == 2 * MIX_ROUNDS,
	      "condition-variable ping-pong native <-> HRT thread, 200 rounds",
	      "rc %d joined %d rounds native %d HRT %d total %d", rc,
	      mx.hrt_pp_joined, mx.native_player.done, mx.hrt_player.done,
	      mx.pp.total);
	return 0;
}

/* ------------------------------------------------------------ 7 fork_wait */

struct fork_res {
	int err; /* errno of a failed step, step in err_step */
	int err_step;
	pid_t pid;
	int status;
	char buf[32];
	pid_t vpid;
	int vstatus;
};

static __attribute__((noinline)) pid_t vfork_exit7(void)
{
	pid_t p = vfork();

	if (p == 0)
		_exit(7);
	return p;
}

static long f_fork_wait(void *arg, unsigned int core)
{
	struct fork_res *f = arg;
	int fd[2], n = 0;
	ssize_t k;

	(void)core;
	if (pipe(fd)) {
		f->err = errno;
		f->err_step = 1;
		return -1;
	}
	f->pid = fork();
	if (f->pid == 0) {
		close(fd[0]);
		if (write(fd[1], "child\n", 6) != 6)
			_exit(1);
		_exit(42);
	}
	close(fd[1]);
	if (f->pid < 0) {
		f->err = errno;
		f->err_step = 2;
		close(fd[0]);
		return -1;
	}
	while (n < (int)sizeof(f->buf) - 1 &&
	       (k = read(fd[0], f->buf + n, sizeof(f->buf) - 1 - n)) > 0)
		n += k;
	close(fd[0]);
	if (waitpid(f->pid, &f->status, 0) != f->pid) {
		f->err = errno;
		f->err_step = 3;
	}
	f->vpid = vfork_exit7();
	if (f->vpid < 0) {
		f->err = errno;
		f->err_step = 4;
		return -1;
	}
	if (waitpid(f->vpid, &f->vstatus, 0) != f->vpid) {
		f->err = errno;
		f->err_step = 5;
	}
	return 0;
}

GUEST_TEST(fork_wait)
{
	struct fork_res f;
	long r = -1;
	int rc;

	memset(&f, 0, sizeof(f));
	f.status = f.vstatus = -1;
	fflush(stdout);
	rc = run_on_hrt(f_fork_wait, &f, &r);
	check(rc == 0 && f.pid > 0 && WIFEXITED(f.status) &&
		      WEXITSTATUS(f.status) == 42,
	      "fork in the function, child _exit(42), waitpid sees 42",
	      "rc %d r %ld pid %d status %#x; step %d: %s", rc, r, (int)f.pid,
	      f.status, f.err_step, strerror(f.err));
	check(rc == 0 && !strcmp(f.buf, "child\n"),
	      "the forked child's pipe write arrives", "read '%s'", f.buf);
	check(rc == 0 && f.vpid > 0 && WIFEXITED(f.vstatus) &&
		      WEXITSTATUS(f.vstatus) == 7,
	      "vfork in the function, child _exit(7), waitpid sees 7",
	      "rc %d pid %d status %#x; step %d: %s", rc, (int)f.vpid,
	      f.vstatus, f.err_step, strerror(f.err));
	return 0;
}

/* ------------------------------------------------------------ 8 system_popen */

struct sys_res {
	int sys_status;
	char line[32];
	int pclose_status;
	int spawn_err;
	pid_t spawn_pid;
	int spawn_status;
};

static long f_system_popen(void *arg, unsigned int core)
{
	struct sys_res *s = arg;
	char *argv[] = { "sh", "-c", "exit 5", NULL };
	FILE *p;

	(void)core;
	s->sys_status = system("exit 3");
	p = popen("echo hello", "r");
	if (p) {
		if (!fgets(s->line, sizeof(s->line), p))
			s->line[0] = 0;
		s->pclose_status = pclose(p);
	}
	s->spawn_err = posix_spawn(&s->spawn_pid, "/bin/sh", NULL, NULL, argv,
				   environ);
	if (!s->spawn_err &&
	    waitpid(s->spawn_pid, &s->spawn_status, 0) != s->spawn_pid)
		s->spawn_err = errno;
	return 0;
}

GUEST_TEST(system_popen)
{
	struct sys_res s;
	long r = -1;
	int rc;

	memset(&s, 0, sizeof(s));
	s.sys_status = s.pclose_status = s.spawn_status = -1;
	fflush(stdout);
	rc = run_on_hrt(f_system_popen, &s, &r);
	check(rc == 0 && s.sys_status != -1 && WIFEXITED(s.sys_status) &&
		      WEXITSTATUS(s.sys_status) == 3,
	      "system(\"exit 3\") gives exit status 3", "rc %d status %#x", rc,
	      s.sys_status);
	check(rc == 0 && !strcmp(s.line, "hello\n") && s.pclose_status == 0,
	      "popen(\"echo hello\") reads hello, pclose 0",
	      "rc %d read '%s' pclose %#x", rc, s.line, s.pclose_status);
	check(rc == 0 && !s.spawn_err && WIFEXITED(s.spawn_status) &&
		      WEXITSTATUS(s.spawn_status) == 5,
	      "posix_spawn of sh -c 'exit 5', waitpid gives 5",
	      "rc %d spawn %s status %#x", rc, strerror(s.spawn_err),
	      s.spawn_status);
	return 0;
}

/* ------------------------------------------------------------ 9 rounding */

/* MXCSR without the sticky exception flags (bits 0-5). */
#define MXCSR_CONTROL(x) ((x) & ~0x3fu)

struct fp_state {
	int round;
	unsigned int mxcsr;
	unsigned short x87cw;
	uint64_t bits; /* of 1.0 / 3.0 */
};

static void fp_sample(struct fp_state *s)
{
	volatile double a = 1.0, b = 3.0;
	double q;

	__asm__ volatile("stmxcsr %0" : "=m"(s->mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(s->x87cw));
	s->round = fegetround();
	q = a / b;
	memcpy(&s->bits, &q, sizeof(q));
}

static long f_fp_sample(void *arg, unsigned int core)
{
	(void)core;
	fp_sample(arg);
	return 0;
}

static long f_set_downward(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	fesetround(FE_DOWNWARD);
	return fegetround();
}

static const char *round_name(int r)
{
	switch (r) {
	case FE_TONEAREST:
		return "to-nearest";
	case FE_UPWARD:
		return "upward";
	case FE_DOWNWARD:
		return "downward";
	case FE_TOWARDZERO:
		return "toward-zero";
	}
	return "?";
}

static void fp_check(const char *what, int rc, const struct fp_state *in,
		     const struct fp_state *caller)
{
	int same_ctl = MXCSR_CONTROL(in->mxcsr) == MXCSR_CONTROL(caller->mxcsr);
	char name[128];

	snprintf(name, sizeof(name), "%s: fegetround() inside is the caller's",
		 what);
	check(rc == 0 && in->round == caller->round, name,
	      "rc %d inside %s, caller %s", rc, round_name(in->round),
	      round_name(caller->round));
	snprintf(name, sizeof(name), "%s: 1.0/3.0 rounds like the caller's",
		 what);
	check(rc == 0 && in->bits == caller->bits, name,
	      "inside %#llx, natively %#llx", (unsigned long long)in->bits,
	      (unsigned long long)caller->bits);
	snprintf(name, sizeof(name),
		 "%s: MXCSR and x87 control word inside are the caller's",
		 what);
	check(rc == 0 && same_ctl && in->x87cw == caller->x87cw, name,
	      "MXCSR inside %#x caller %#x, x87 CW inside %#x caller %#x",
	      in->mxcsr, caller->mxcsr, in->x87cw, caller->x87cw);
}

GUEST_TEST(rounding)
{
	struct fp_state up, nearest, in;
	long r = -1;
	int rc;

	fesetround(FE_TONEAREST);
	fp_sample(&nearest);
	fesetround(FE_UPWARD);
	fp_sample(&up);
	check(up.bits != nearest.bits && up.round == FE_UPWARD,
	      "natively, 1.0/3.0 upward differs from to-nearest",
	      "up %#llx nearest %#llx", (unsigned long long)up.bits,
	      (unsigned long long)nearest.bits);

	memset(&in, 0xff, sizeof(in));
	rc = run_on_hrt(f_fp_sample, &in, &r);
	fp_check("caller FE_UPWARD", rc, &in, &up);

	rc = run_on_hrt(f_set_downward, NULL, &r);
	check(rc == 0 && r == FE_DOWNWARD,
	      "fesetround(FE_DOWNWARD) inside takes effect there",
	      "rc %d fegetround %s", rc, round_name((int)r));
	diag("after the offloaded fesetround(FE_DOWNWARD) the caller's mode "
	     "is %s",
	     round_name(fegetround()));

	fesetround(FE_TONEAREST);
	fp_sample(&nearest);
	memset(&in, 0xff, sizeof(in));
	rc = run_on_hrt(f_fp_sample, &in, &r);
	fp_check("caller back to FE_TONEAREST (nothing leaks)", rc, &in,
		 &nearest);
	return 0;
}

/* ------------------------------------------------------------ 10 big_stack */

#define BIG_ARRAY  (2L << 20)
#define BIG_ALLOCA (256L << 10)

static long page_sum(long bytes)
{
	long sum = 0;

	for (long i = 0; i < bytes; i += 4096)
		sum += (unsigned char)(i >> 12);
	return sum;
}

/* Touched top down, from next to the frame to the far end. */
static __attribute__((noinline)) long f_big_array(void *arg, unsigned int core)
{
	volatile unsigned char buf[BIG_ARRAY];
	long sum = 0;

	(void)arg;
	(void)core;
	for (long i = BIG_ARRAY - 4096; i >= 0; i -= 4096)
		buf[i] = (unsigned char)(i >> 12);
	for (long i = 0; i < BIG_ARRAY; i += 4096)
		sum += buf[i];
	return sum;
}

static __attribute__((noinline)) long f_big_alloca(void *arg, unsigned int core)
{
	volatile unsigned char *p = alloca(BIG_ALLOCA);
	long sum = 0;

	(void)arg;
	(void)core;
	for (long i = BIG_ALLOCA - 4096; i >= 0; i -= 4096)
		p[i] = (unsigned char)(i >> 12);
	for (long i = 0; i < BIG_ALLOCA; i += 4096)
		sum += p[i];
	return sum;
}

static void *big_array_thread(void *arg)
{
	return (void *)f_big_array(arg, 0);
}

static long f_big_array_in_thread(void *arg, unsigned int core)
{
	pthread_t th;
	void *ret = NULL;

	(void)arg;
	(void)core;
	if (pthread_create(&th, NULL, big_array_thread, NULL))
		return -1;
	if (pthread_join(th, &ret))
		return -2;
	return (long)ret;
}

GUEST_TEST(big_stack)
{
	long r = -1;
	int rc;

	rc = run_on_hrt(f_big_array, NULL, &r);
	check(rc == 0 && r == page_sum(BIG_ARRAY),
	      "2 MiB local array, every page touched", "rc %d sum %ld want %ld",
	      rc, r, page_sum(BIG_ARRAY));
	r = -1;
	rc = run_on_hrt(f_big_alloca, NULL, &r);
	check(rc == 0 && r == page_sum(BIG_ALLOCA),
	      "256 KiB alloca, every page touched", "rc %d sum %ld want %ld",
	      rc, r, page_sum(BIG_ALLOCA));
	r = -1;
	rc = run_on_hrt(f_big_array_in_thread, NULL, &r);
	check(rc == 0 && r == page_sum(BIG_ARRAY),
	      "2 MiB local array in a thread created inside",
	      "rc %d sum %ld want %ld", rc, r, page_sum(BIG_ARRAY));
	return 0;
}

/* ------------------------------------------------------------ 11 blocked_read */

#define BR_BLOCK_MS 3000
#define BR_DELAY_MS 300

struct br_arg {
	int ready_fd; /* written just before the blocking read */
	int data_fd;
	char buf[16];
	ssize_t n;
};

static long f_blocked_read(void *arg, unsigned int core)
{
	struct br_arg *b = arg;

	(void)core;
	if (write(b->ready_fd, "R", 1) != 1)
		return -1;
	b->n = read(b->data_fd, b->buf, sizeof(b->buf) - 1);
	return b->n;
}

static long f_double(void *arg, unsigned int core)
{
	(void)core;
	return (long)arg * 2;
}

GUEST_TEST(blocked_read)
{
	int ready[2], data[2], st = -1, wrc, got_ready;
	char c[4];
	double t_ready, t0, t1;
	long r = -1;
	int rc;
	pid_t pid;

	if (pipe(ready) || pipe(data)) {
		check(0, "pipes", "%s", strerror(errno));
		return 0;
	}
	if (!native)
		hrt_open(); /* the parent's binding is not part of the timing */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Nothing offloaded yet in this process. */
		struct br_arg b = { ready[1], data[0], "", -1 };

		close(ready[0]);
		close(data[1]);
		rc = run_on_hrt_at(f_blocked_read, &b, &r, 0, CALL_TIMEOUT_MS);
		if (rc)
			_exit(1);
		if (r != 4 || strcmp(b.buf, "data"))
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(data[0]);
	if (pid < 0) {
		check(0, "fork", "%s", strerror(errno));
		close(ready[0]);
		close(data[1]);
		return 0;
	}
	got_ready = read_all(ready[0], c, sizeof(c), WAIT_MS) == 1 &&
		    c[0] == 'R';
	t_ready = now_s();
	check(got_ready,
	      "the child's function on core 0 is about to block in read()",
	      "no ready byte from the child");
	sleep_ms(BR_DELAY_MS);
	t0 = now_s();
	rc = run_on_hrt_at(f_double, (void *)21L, &r, 0, 2000);
	t1 = now_s();
	check(rc == 0 && r == 42 && t1 - t0 < 1.0,
	      "another process's call on core 0 runs while it is blocked",
	      "rc %d result %ld in %.3f s", rc, r, t1 - t0);
	/* Nobody writes for 3 s after the child started its read. */
	if (now_s() - t_ready < BR_BLOCK_MS / 1000.0)
		sleep_ms((long)((BR_BLOCK_MS / 1000.0 - (now_s() - t_ready)) *
				1000));
	if (write(data[1], "data", 4) != 4)
		diag("write to the pipe: %s", strerror(errno));
	wrc = wait_child(pid, WAIT_MS, &st);
	check(wrc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the blocked read returns the data, the child exits 0",
	      "wait %d status %#x (exit 1: invoke failed, 2: wrong data)", wrc,
	      st);
	close(ready[0]);
	close(data[1]);
	return 0;
}

/* ------------------------------------------------------------ 12 siglongjmp */

static sigjmp_buf sj_env;
static volatile int spin_flag;
static volatile sig_atomic_t sj_jumped;
static int sj_rc;
static long sj_ret;

static void on_sigalrm_jump(int sig)
{
	(void)sig;
	sj_jumped = 1;
	siglongjmp(sj_env, 1);
}

/* Spins while the flag is set, at most 10 s. */
static long f_spin(void *arg, unsigned int core)
{
	double end = now_s() + 10.0;
	long n = 0;

	(void)arg;
	(void)core;
	while (spin_flag) {
		if ((++n & 1023) == 0 && now_s() > end)
			return -1;
		__asm__ volatile("pause" ::: "memory");
	}
	return 1;
}

/* Three calls of f_double from this thread: all right, status 0? */
static int three_calls(void)
{
	int good = 1;

	for (long k = 1; k <= 3; k++) {
		long r = -1;
		int rc = run_on_hrt_at(f_double, (void *)k, &r, -1, 20000);

		if (rc || r != 2 * k) {
			good = 0;
			diag("call %ld after the jump: rc %d result %ld", k, rc,
			     r);
		}
	}
	return good;
}

GUEST_TEST(siglongjmp)
{
	static struct sigaction sa, old;
	static const struct itimerval it = { { 0, 0 }, { 0, 200 * 1000 } };
	static const struct itimerval off = { { 0, 0 }, { 0, 0 } };

	/* SIGALRM is ours here: no alarm guard, bounds of our own. */
	alarm(0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigalrm_jump;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	spin_flag = 1;
	sj_jumped = 0;
	sj_rc = -1;
	sj_ret = 0;
	if (sigsetjmp(sj_env, 1) == 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		sj_rc = run_on_hrt(f_spin, NULL, &sj_ret);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	check(sj_jumped, "a SIGALRM handler siglongjmps out of a running call",
	      "the call returned: rc %d result %ld", sj_rc, sj_ret);
	check(three_calls(),
	      "three calls after the jump return arg * 2, status 0",
	      "see above");
	spin_flag = 0; /* the abandoned call ends */
	sleep_ms(100);
	sigaction(SIGALRM, &old, NULL);
	return 0;
}

/* ------------------------------------------------------------ 13 exit_codes */

static long f_exit7(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	exit(7);
}

static void *pthread_exit5(void *arg)
{
	(void)arg;
	pthread_exit((void *)5);
}

static long f_thread_exit5(void *arg, unsigned int core)
{
	pthread_t th;
	void *ret = NULL;

	(void)arg;
	(void)core;
	if (pthread_create(&th, NULL, pthread_exit5, NULL))
		return -1;
	if (pthread_join(th, &ret))
		return -2;
	return (long)ret == 5 ? 0 : -3;
}

GUEST_TEST(exit_codes)
{
	int st = -1, wrc, out[2];
	char buf[512];
	long r = -1;
	int rc;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		rc = run_on_hrt(f_exit7, NULL, &r);
		diag("child: the call returned rc %d result %ld", rc, r);
		_exit(100);
	}
	wrc = pid < 0 ? -errno : wait_child(pid, WAIT_MS * 2, &st);
	check(wrc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "exit(7) in the function: the process exits with 7",
	      "wait %d status %#x (exit 100: the call returned)", wrc, st);

	if (pipe(out)) {
		check(0, "pipe", "%s", strerror(errno));
		return 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(out[0]);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[1]);
		rc = run_on_hrt(f_thread_exit5, NULL, &r);
		if (rc || r) {
			printf("child: rc %d result %ld\n", rc, r);
			fflush(stdout);
			_exit(1);
		}
		exit(0);
	}
	close(out[1]);
	buf[0] = 0;
	if (pid > 0)
		read_all(out[0], buf, sizeof(buf), WAIT_MS * 2);
	close(out[0]);
	wrc = pid < 0 ? -errno : wait_child(pid, WAIT_MS, &st);
	check(wrc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !buf[0],
	      "pthread_exit((void *)5) joined with 5, the child exits 0 "
	      "silently",
	      "wait %d status %#x output '%.200s'", wrc, st, buf);
	return 0;
}

/* ------------------------------------------------------------ 14 bad_clone */

struct clone_res {
	long r[2];
	int err[2];
};

static void bad_clones(struct clone_res *c)
{
	static const unsigned long flags[2] = { CLONE_THREAD, CLONE_SIGHAND };

	for (int i = 0; i < 2; i++) {
		errno = 0;
		c->r[i] = syscall(SYS_clone, flags[i], 0, 0, 0, 0);
		if (c->r[i] == 0) /* accepted after all: the child leaves */
			syscall(SYS_exit, 0);
		c->err[i] = errno;
	}
}

static long f_bad_clones(void *arg, unsigned int core)
{
	(void)core;
	bad_clones(arg);
	return 0;
}

GUEST_TEST(bad_clone)
{
	struct clone_res nat, in;
	long r = -1;
	int rc;

	bad_clones(&nat);
	memset(&in, 0, sizeof(in));
	rc = run_on_hrt(f_bad_clones, &in, &r);
	check(rc == 0 && in.r[0] == -1 && in.err[0] == EINVAL &&
		      in.err[0] == nat.err[0] && nat.r[0] == -1,
	      "raw clone(CLONE_THREAD) without CLONE_SIGHAND: EINVAL as "
	      "natively",
	      "rc %d inside %ld/%s, natively %ld/%s", rc, in.r[0],
	      strerror(in.err[0]), nat.r[0], strerror(nat.err[0]));
	check(rc == 0 && in.r[1] == -1 && in.err[1] == EINVAL &&
		      in.err[1] == nat.err[1] && nat.r[1] == -1,
	      "raw clone(CLONE_SIGHAND) without CLONE_VM: EINVAL as natively",
	      "rc %d inside %ld/%s, natively %ld/%s", rc, in.r[1],
	      strerror(in.err[1]), nat.r[1], strerror(nat.err[1]));
	return 0;
}

/* ------------------------------------------------ 15: beyond HRT memory */

/*
 * Run by name only, on a VM with a small HRT (tests/vm/thread.sh boots one
 * with 16 MiB): threads that all stay alive until pthread_create fails.
 */
#define EA_MAX 4000

static pthread_mutex_t ea_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ea_cv = PTHREAD_COND_INITIALIZER;
static int ea_go;

struct ea_res {
	int created, err, joined;
};

static void *ea_thread(void *a)
{
	pthread_mutex_lock(&ea_lock);
	while (!ea_go)
		pthread_cond_wait(&ea_cv, &ea_lock);
	pthread_mutex_unlock(&ea_lock);
	return a;
}

static long f_eagain(void *arg, unsigned int core)
{
	struct ea_res *r = arg;
	pthread_t *th = malloc(EA_MAX * sizeof(*th));
	pthread_attr_t at;
	int n, e;

	(void)core;
	if (!th)
		return -1;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 << 10);
	ea_go = 0;
	for (n = 0; n < EA_MAX; n++) {
		e = pthread_create(&th[n], &at, ea_thread, (void *)(long)n);
		if (e) {
			r->err = e;
			break;
		}
	}
	r->created = n;
	pthread_mutex_lock(&ea_lock);
	ea_go = 1;
	pthread_cond_broadcast(&ea_cv);
	pthread_mutex_unlock(&ea_lock);
	for (int k = 0; k < n; k++) {
		void *v;

		if (!pthread_join(th[k], &v) && (long)v == k)
			r->joined++;
	}
	pthread_attr_destroy(&at);
	free(th);
	return 0;
}

GUEST_TEST_NAMED(threads_eagain)
{
	struct ea_res a = { 0, 0, 0 }, b = { 0, 0, 0 };
	long ret = -1;
	int rc;

	rc = run_on_hrt(f_eagain, &a, &ret);
	diag("%d threads alive at once, then error %d (%s)", a.created, a.err,
	     strerror(a.err));
	check(rc == 0 && ret == 0 && a.created > 0 && a.err == EAGAIN,
	      "creation beyond the HRT's memory fails with "
	      "EAGAIN",
	      "rc %d created %d err %d", rc, a.created, a.err);
	check(a.joined == a.created, "every thread created before it joins",
	      "%d of %d", a.joined, a.created);
	rc = run_on_hrt(f_eagain, &b, &ret);
	check(rc == 0 && b.err == EAGAIN &&
		      b.created >= a.created - a.created / 10,
	      "a second round creates as many (memory came "
	      "back)",
	      "first %d, second %d (err %d)", a.created, b.created, b.err);
	return 0;
}

/* ------------------------------------------------- 16: HRT-local futexes */

#define FX_ROUNDS 500

static _Atomic uint32_t fx_word;

static long fx_futex(uint32_t op, uint32_t val)
{
	return syscall(SYS_futex, &fx_word, op | FUTEX_PRIVATE_FLAG, val, NULL,
		       NULL, 0);
}

/* Strict alternation on one word: 0 = ping's turn, 1 = pong's. */
static void *fx_player(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;

	for (int i = 0; i < FX_ROUNDS; i++) {
		while (atomic_load(&fx_word) != me)
			fx_futex(FUTEX_WAIT, !me);
		atomic_store(&fx_word, !me);
		fx_futex(FUTEX_WAKE, 1);
	}
	return NULL;
}

static long f_futex_pingpong(void *arg, unsigned int core)
{
	pthread_t a, b;

	(void)arg;
	(void)core;
	atomic_store(&fx_word, 0);
	if (pthread_create(&a, NULL, fx_player, (void *)0))
		return -1;
	if (pthread_create(&b, NULL, fx_player, (void *)1))
		return -2;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}

static int fx_stats(struct hvm_stats *st)
{
	int fd = open(HVM_DEV_PATH, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = ioctl(fd, HVM_IOC_STATS, st);
	close(fd);
	return rc;
}

GUEST_TEST(futex_local)
{
	struct hvm_stats s0, s1;
	unsigned long long local, fwd;
	long ret = -1;
	int rc;

	if (!native && fx_stats(&s0)) {
		check(0, "HVM_IOC_STATS", "%s", strerror(errno));
		return 0;
	}
	rc = run_on_hrt(f_futex_pingpong, NULL, &ret);
	check(rc == 0 && ret == 0, "futex ping-pong between two HRT threads",
	      "rc %d ret %ld", rc, ret);
	if (native || fx_stats(&s1))
		return 0;
	local = s1.hrt.futex_local_wakes - s0.hrt.futex_local_wakes;
	fwd = s1.hrt.futex_forwarded - s0.hrt.futex_forwarded;
	diag("%llu wakes handed over on the HRT, %llu futex calls "
	     "forwarded, %d rounds",
	     local, fwd, FX_ROUNDS);
	check(local >= FX_ROUNDS / 4,
	      "HRT threads wake each other without Linux",
	      "only %llu of %d wakes local", local, 2 * FX_ROUNDS);
	check(s1.hrt.threads_created - s0.hrt.threads_created == 2,
	      "the HRT counted the two threads it made", "%llu",
	      (unsigned long long)(s1.hrt.threads_created -
				   s0.hrt.threads_created));
	return 0;
}

/* ------------------------------------------------------------ main */

/* -------------------------------------------- partner_pool, pool_robust */

/*
 * Partners come from a pool made ahead of time (libhvm's filler): each
 * must still be its thread's own, with the tid Linux's clone would have
 * written (CLONE_PARENT_SETTID: glibc's pthread struct, seen here through
 * pthread_getcpuclockid, which encodes it) and its exit clearing the
 * CLONE_CHILD_CLEARTID word (pthread_join returns).
 */
#define PP_SERIAL 40
#define PP_ALIVE  8

struct pp_shared {
	struct gate g;
	pid_t tid[PP_SERIAL + PP_ALIVE];    /* gettid() in the thread */
	pid_t settid[PP_SERIAL + PP_ALIVE]; /* the tid glibc got from clone */
	int joined;
	pid_t fn_tid;
};

struct pl_arg {
	struct pp_shared *s;
	int idx;
	int park;
	atomic_int seen; /* the creator has read the tid: may end now */
};

static void *pl_thread(void *arg)
{
	struct pl_arg *a = arg;

	a->s->tid[a->idx] = gettid();
	/* Alive until read: an ended thread's tid word is 0. */
	for (long k = 0; !atomic_load(&a->seen) && k < 100000000L; k++)
		sched_yield();
	if (a->park) {
		gate_arrive(&a->s->g);
		gate_wait_open(&a->s->g, WAIT_MS);
	}
	return NULL;
}

/* The tid in glibc's pthread struct: the clock id is built from it. */
static pid_t pp_settid(pthread_t th)
{
	clockid_t cid;

	if (pthread_getcpuclockid(th, &cid))
		return -1;
	return (pid_t) ~((long)cid >> 3);
}

static long f_partner_pool(void *arg, unsigned int core)
{
	struct pp_shared *s = arg;
	struct pl_arg a[PP_SERIAL + PP_ALIVE];
	pthread_t th[PP_ALIVE];
	int i, n = 0;

	(void)core;
	s->fn_tid = gettid();
	for (i = 0; i < PP_SERIAL; i++) {
		pthread_t t;

		a[i] = (struct pl_arg){ s, i, 0, 0 };
		if (pthread_create(&t, NULL, pl_thread, &a[i]))
			return -1;
		s->settid[i] = pp_settid(t);
		atomic_store(&a[i].seen, 1);
		if (!pthread_join(t, NULL))
			s->joined++;
	}
	for (i = 0; i < PP_ALIVE; i++) {
		a[PP_SERIAL + i] = (struct pl_arg){ s, PP_SERIAL + i, 1, 0 };
		if (pthread_create(&th[i], NULL, pl_thread, &a[PP_SERIAL + i]))
			break;
		s->settid[PP_SERIAL + i] = pp_settid(th[i]);
		atomic_store(&a[PP_SERIAL + i].seen, 1);
		n++;
	}
	gate_wait_arrived(&s->g, n, WAIT_MS);
	gate_open(&s->g);
	for (i = 0; i < n; i++)
		if (!pthread_join(th[i], NULL))
			s->joined++;
	return n;
}

GUEST_TEST(partner_pool)
{
	struct pp_shared s;
	int rc, bad = -1, distinct = 1;
	long r = -1;

	memset(&s, 0, sizeof(s));
	gate_init(&s.g);
	rc = run_on_hrt(f_partner_pool, &s, &r);
	check(rc == 0 && r == PP_ALIVE && s.joined == PP_SERIAL + PP_ALIVE,
	      "48 threads (40 one after another, 8 alive at once) created "
	      "and joined",
	      "rc %d alive %ld joined %d", rc, r, s.joined);
	for (int i = 0; i < PP_SERIAL + PP_ALIVE; i++)
		if (bad < 0 && (s.tid[i] <= 0 || s.tid[i] != s.settid[i] ||
				s.tid[i] == s.fn_tid))
			bad = i;
	for (int i = PP_SERIAL; i < PP_SERIAL + PP_ALIVE; i++)
		for (int j = PP_SERIAL; j < i; j++)
			if (s.tid[i] == s.tid[j])
				distinct = 0;
	check(bad < 0,
	      "each thread's gettid() is the tid clone gave pthread_create",
	      "thread %d: gettid %d, pthread's %d", bad,
	      (int)s.tid[bad < 0 ? 0 : bad], (int)s.settid[bad < 0 ? 0 : bad]);
	check(distinct, "tids of the threads alive at once are distinct",
	      "%d %d %d ...", (int)s.tid[PP_SERIAL], (int)s.tid[PP_SERIAL + 1],
	      (int)s.tid[PP_SERIAL + 2]);
	return 0;
}

/*
 * set_robust_list is served on the HRT and registered by the partner at
 * its exit: a robust mutex whose owner thread ended holding it must come
 * back EOWNERDEAD, as natively.
 */
struct rb_shared {
	pthread_mutex_t m;
	int locked, after;
};

static void *rb_thread(void *arg)
{
	struct rb_shared *s = arg;

	s->locked = pthread_mutex_lock(&s->m);
	return NULL; /* ends holding it */
}

static long f_pool_robust(void *arg, unsigned int core)
{
	struct rb_shared *s = arg;
	pthread_mutexattr_t at;
	pthread_t t;

	(void)core;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&s->m, &at);
	if (pthread_create(&t, NULL, rb_thread, s) || pthread_join(t, NULL))
		return -1;
	s->after = pthread_mutex_lock(&s->m);
	if (s->after == EOWNERDEAD) {
		pthread_mutex_consistent(&s->m);
		pthread_mutex_unlock(&s->m);
	}
	return 0;
}

GUEST_TEST(pool_robust)
{
	struct rb_shared s;
	long r = -1;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = run_on_hrt(f_pool_robust, &s, &r);
	check(rc == 0 && r == 0 && s.locked == 0 && s.after == EOWNERDEAD,
	      "a robust mutex its thread died holding: EOWNERDEAD",
	      "rc %d r %ld lock %d, after the thread's end %d", rc, r, s.locked,
	      s.after);
	return 0;
}

/*
 * A process killed while partners wait in its pool (and threads of it
 * live on the HRT): nothing of it is left, every channel comes back.
 */
static long pk_chan_free(void)
{
	long v = -1;
	FILE *f = fopen("/sys/class/misc/hvm/hrt/chan_free", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void *pk_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static long f_pool_kill(void *arg, unsigned int core)
{
	int *fd = arg;
	pthread_t t;

	(void)core;
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, pk_thread, NULL))
			return -1;
	if (write(*fd, "x", 1) != 1)
		return -1;
	for (;;)
		pause();
	return 0;
}

static int pk_tasks(pid_t pid)
{
	char cmd[96];
	int n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls /proc/%d/task 2>/dev/null | wc -l",
		 (int)pid);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

GUEST_TEST(pool_kill)
{
	long free0 = pk_chan_free(), free1 = -1;
	int fds[2], st = 0, tasks = -1;
	char c;
	pid_t pid;

	if (pipe(fds))
		return 1;
	pid = fork();
	if (pid == 0) {
		long r;

		close(fds[0]);
		hrt_close(); /* a session of its own */
		_exit(run_on_hrt(f_pool_kill, &fds[1], &r) ? 2 : 3);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) == 1) {
		usleep(300000); /* the filler refills meanwhile */
		tasks = pk_tasks(pid);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(fds[0]);
	for (int k = 0; k < 100 && free1 != free0; k++) {
		free1 = pk_chan_free();
		if (free1 != free0)
			usleep(50000);
	}
	/* main + 3 threads + their 3 partners, the filler, the pool */
	check(tasks >= 8 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "a process with HRT threads and pooled partners is killed",
	      "tasks %d status %#x", tasks, st);
	check(free0 >= 0 && free1 == free0,
	      "every channel comes back after the kill",
	      "chan_free before %ld after %ld", free0, free1);
	check(kill(pid, 0) == -1 && errno == ESRCH,
	      "no task of the killed process is left", "pid %d", (int)pid);
	return 0;
}

static int setup(void)
{
	const char *env = getenv("HVM_TEST_NATIVE");
	struct hrt_info info;
	int rc;

	native = env && !strcmp(env, "1");
	if (native) {
		diag("HVM_TEST_NATIVE=1: functions run in the calling thread, "
		     "CPL %d expected",
		     want_cpl());
		return 0;
	}
	rc = hrt_open();
	if (rc) {
		guest_verdict(0, "hrt_open", "%s (%d)", strerror(-rc), rc);
		return rc;
	}
	rc = hrt_info(&info);
	if (!rc)
		diag("%u HRT cores", info.hrt_cores);
	if (getenv("HVM_STACK_SIZE"))
		diag("HVM_STACK_SIZE=%s (big_stack expects >= 8 MiB)",
		     getenv("HVM_STACK_SIZE"));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct guest_test_config cfg = {
		.mode = GUEST_SUITE,
		.alarm_s = TEST_ALARM_S,
		.setup = setup,
	};

	return guest_test_main(argc, argv, &cfg);
}
