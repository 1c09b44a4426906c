// SPDX-License-Identifier: MIT
/* api-test.c - hrt.h, the aerokernel API, from offloaded functions, native threads, hrt-exec programs and Linux code. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "hrt.h"
#include "hvm.h"
#include "hvm_api.h"

/*
 * HVM_API_EXEC=1: the program runs whole on the HRT under hrt-exec and
 * every test function is called directly; otherwise each runs through
 * hrt_invoke() from a Linux process.
 */
static int exec_mode;
static int ncores;
static long stat_of(const char *name);

static int cpl(void)
{
	uint16_t cs;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static long rflags(void)
{
	long f;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(f));
	return f;
}

/* Runs (fn)(arg) on the HRT; its result, or -1000 + the invoke error. */
static long on_hrt(long (*fn)(void *), void *arg)
{
	long r = 0;
	int rc;

	if (exec_mode)
		return fn(arg);
	rc = hrt_invoke((hrt_fn)(void *)fn, arg, &r);
	return rc ? -1000 + rc : r;
}

/* Raw syscall, no errno: a native thread without partner shares TLS. */
static long raw_getpid(void)
{
	long r;

	__asm__ __volatile__("syscall"
			     : "=a"(r)
			     : "a"((long)SYS_getpid)
			     : "rcx", "r11", "memory");
	return r;
}

/* --- threads --------------------------------------------------------- */

static long t_cpl(void *arg)
{
	(void)arg;
	return cpl() == 0 ? 100 + hrt_core() : -1;
}

static long t_getpid(void *arg)
{
	(void)arg;
	return raw_getpid();
}

static long t_fault(void *arg)
{
	return *(volatile long *)arg;
}

static long t_exit(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 42);
	return 0;
}

static long f_basics(void *arg)
{
	struct hrt_thread *t;
	long ret = -1, bad = 0;
	int i, rc;

	(void)arg;
	if (cpl() != 0 || hrt_on_hrt() != 1)
		return -1;
	if (hrt_core() < 0 || hrt_core() >= hrt_ncores())
		return -2;
	if (hrt_yield())
		return -3;
	/* One NOSYS thread per core, each proving CPL 0 on its core. */
	for (i = 0; i < hrt_ncores(); i++) {
		rc = hrt_thread_create(&t, t_cpl, NULL, i, HRT_THREAD_NOSYS);
		if (rc)
			return -10 - i;
		rc = hrt_thread_join(t, &ret);
		if (rc || ret != 100 + i)
			bad |= 1l << i;
	}
	return bad ? -100 - bad : 0;
}

GUEST_TEST(basics)
{
	long r = on_hrt(f_basics, NULL);

	check(r == 0, "cpl 0, hrt_core, hrt_ncores, yield, a thread per core",
	      "result %ld", r);
	return 0;
}

static long f_syscalls(void *arg)
{
	struct hrt_thread *t;
	long ret = 0;
	long *out = arg;
	int rc;

	rc = hrt_thread_create(&t, t_getpid, NULL, -1, 0);
	if (rc)
		return rc;
	rc = hrt_thread_join(t, &ret);
	out[0] = rc ? rc : ret;
	rc = hrt_thread_create(&t, t_getpid, NULL, -1, HRT_THREAD_NOSYS);
	if (rc)
		return rc;
	rc = hrt_thread_join(t, &ret);
	out[1] = rc ? rc : ret;
	rc = hrt_thread_create(&t, t_exit, NULL, -1, 0);
	if (rc)
		return rc;
	rc = hrt_thread_join(t, &ret);
	out[2] = rc ? rc : ret;
	return 0;
}

GUEST_TEST(thread_syscalls)
{
	long out[3] = { 0, 0, 0 }, r = on_hrt(f_syscalls, out);

	check(r == 0, "created", "result %ld", r);
	check(out[0] == getpid(), "with partner: getpid is the process's",
	      "%ld, want %d", out[0], getpid());
	check(out[1] == -ENOSYS, "HRT_THREAD_NOSYS: -ENOSYS", "%ld", out[1]);
	check(out[2] == 42, "exit(42) ends it with 42", "%ld", out[2]);
	return 0;
}

static long f_bad(void *arg)
{
	struct hrt_thread *t = NULL;
	struct hrt_event *e;
	struct hrt_barrier *b;
	long *out = arg, ret;
	void *kp = (void *)0xffff888000001000ul;
	int n = 0;

	out[n++] = hrt_thread_create(&t, t_cpl, NULL, 999, HRT_THREAD_NOSYS);
	out[n++] = hrt_thread_create(&t, t_cpl, NULL, -2, HRT_THREAD_NOSYS);
	out[n++] = hrt_thread_create(&t, t_cpl, NULL, -1, 0x80);
	out[n++] = hrt_thread_create(NULL, t_cpl, NULL, -1, HRT_THREAD_NOSYS);
	out[n++] = hrt_thread_create(kp, t_cpl, NULL, -1, HRT_THREAD_NOSYS);
	out[n++] = hrt_thread_create(&t, (long (*)(void *))kp, NULL, -1,
				     HRT_THREAD_NOSYS);
	out[n++] = hrt_thread_create(&t, NULL, NULL, -1, HRT_THREAD_NOSYS);
	out[n++] = hrt_thread_join(NULL, &ret);
	out[n++] = hrt_thread_join(kp, &ret);
	out[n++] = hrt_thread_join((struct hrt_thread *)&ret, &ret);
	out[n++] = hrt_event_wait((struct hrt_event *)kp, 0, 0);
	out[n++] = hrt_event_notify((struct hrt_event *)12345);
	out[n++] = hrt_barrier_wait(NULL);
	out[n++] = hrt_barrier_create(&b, 0);
	out[n++] = hrt_event_create(NULL);
	out[n++] = hrt_irq_limit(5000000000ull);
	/* A destroyed event is gone; a wait with timeout 0 and 1 ms times out. */
	if (hrt_event_create(&e))
		return -1;
	out[n++] = hrt_event_wait(e, 0, 0);
	out[n++] = hrt_event_wait(e, 0, 1000000);
	out[n++] = hrt_event_notify(e);
	out[n++] = hrt_event_wait(e, 0, 0);
	out[n++] = hrt_event_destroy(e);
	out[n++] = hrt_event_notify(e);
	out[n++] = hrt_event_destroy(e);
	return n;
}

GUEST_TEST(bad_input)
{
	static const struct {
		const char *what;
		long want;
	} want[] = {
		{ "core 999", -EINVAL },
		{ "core -2", -EINVAL },
		{ "unknown flag", -EINVAL },
		{ "NULL thread pointer", -EINVAL },
		{ "kernel thread pointer", -EFAULT },
		{ "kernel fn", -EFAULT },
		{ "NULL fn", -EFAULT },
		{ "join NULL", -EINVAL },
		{ "join kernel pointer", -EFAULT },
		{ "join garbage", -ESRCH },
		{ "event wait kernel pointer", -EINVAL },
		{ "event notify garbage", -EINVAL },
		{ "barrier wait NULL", -EINVAL },
		{ "barrier of 0", -EINVAL },
		{ "event create NULL", -EINVAL },
		{ "irq limit 5 s", -EINVAL },
		{ "event wait, timeout 0", -ETIMEDOUT },
		{ "event wait, timeout 1 ms", -ETIMEDOUT },
		{ "event notify, nobody inside", 0 },
		{ "event wait after notify", 1 },
		{ "event destroy", 0 },
		{ "notify destroyed", -EINVAL },
		{ "destroy twice", -EINVAL },
	};
	long out[32], n = on_hrt(f_bad, out);
	size_t i;

	check(n == (long)(sizeof(want) / sizeof(want[0])), "ran", "%ld", n);
	for (i = 0;
	     n > 0 && i < (size_t)n && i < sizeof(want) / sizeof(want[0]); i++)
		check(out[i] == want[i].want, want[i].what, "%ld, want %ld",
		      out[i], want[i].want);
	return 0;
}

static long f_fault(void *arg)
{
	struct hrt_thread *t;
	long ret = 0, r;
	int rc;

	(void)arg;
	rc = hrt_thread_create(&t, t_fault, (void *)16, -1, HRT_THREAD_NOSYS);
	if (rc)
		return rc;
	r = hrt_thread_join(t, &ret);
	/* And the HRT still makes threads. */
	rc = hrt_thread_create(&t, t_cpl, NULL, -1, HRT_THREAD_NOSYS);
	if (rc || hrt_thread_join(t, &ret) || ret < 100)
		return -999;
	return r;
}

GUEST_TEST(thread_fault)
{
	long r = on_hrt(f_fault, NULL);

	check(r == -EFAULT, "a NOSYS thread reading address 16 ends: -EFAULT",
	      "%ld", r);
	return 0;
}

/*
 * 100,000 creations: up to the HRT's limit of native threads, -EAGAIN for
 * every one past it (nothing else), then all joined and, to show the
 * recovery is full, the same number made again.  Under hrt-exec, whose
 * run repeats the invoke run's, 5,000 (the suite's time).
 */
#define MANY_MAX 1024
static int many = 100000;
static struct hrt_event *many_go;

static long t_wait(void *arg)
{
	return hrt_event_wait(many_go, (uint64_t)(uintptr_t)arg, HRT_FOREVER);
}

/* One round; out: made, -EAGAINs, other errors, bad joins. */
static void many_round(long *out, uint64_t seen)
{
	static struct hrt_thread *ts[MANY_MAX + 1];
	long ret;
	int i, n = 0, rc;

	for (i = 0; i < many; i++) {
		rc = hrt_thread_create(&ts[n], t_wait, (void *)(uintptr_t)seen,
				       -1, HRT_THREAD_NOSYS);
		if (!rc && n < MANY_MAX + 1)
			n++;
		else if (rc == -EAGAIN)
			out[1]++;
		else
			out[2]++;
		if (n == MANY_MAX + 1)
			break;
	}
	out[0] = n;
	hrt_event_notify(many_go);
	for (i = 0; i < n; i++)
		if (hrt_thread_join(ts[i], &ret) || ret != (long)seen + 1)
			out[3]++;
}

static long f_many(void *arg)
{
	struct hrt_thread *t;
	long *out = arg, ret;

	if (hrt_event_create(&many_go))
		return -1;
	many_round(out, 0);
	many_round(out + 4, 1);
	out[8] = hrt_thread_create(&t, t_cpl, NULL, -1, HRT_THREAD_NOSYS);
	if (!out[8])
		out[8] = hrt_thread_join(t, &ret);
	hrt_event_destroy(many_go);
	return 0;
}

GUEST_TEST(thread_limit)
{
	long out[9] = { 0 }, r = on_hrt(f_many, out);

	check(r == 0, "ran", "%ld", r);
	/* One process gets HVM_API_PROC_THREADS of the HRT's 1024. */
	check(out[0] > HVM_API_PROC_THREADS - 16 &&
		      out[0] <= HVM_API_PROC_THREADS && out[0] + out[1] == many,
	      exec_mode
		      ? "5,000 creations: made up to the limit, -EAGAIN after"
		      : "100,000 creations: made up to the limit, -EAGAIN after",
	      "%ld made, %ld -EAGAIN", out[0], out[1]);
	check(out[2] == 0, "no other error", "%ld", out[2]);
	check(out[3] == 0, "every one joined with the event's count", "%ld bad",
	      out[3]);
	check(out[4] == out[0] && out[5] + out[4] == many && !out[6] && !out[7],
	      "full recovery: as many again, all joined",
	      "%ld made, %ld -EAGAIN, %ld other, %ld bad", out[4], out[5],
	      out[6], out[7]);
	check(out[8] == 0, "and a new thread after", "%ld", out[8]);
	return 0;
}

/*
 * Per-process quotas: one process fills its share of native threads and of
 * the handle table (-EAGAIN after), while another process can still make
 * both; everything comes back once freed.
 */
#define QUOTA_EVENTS (HVM_API_PROC_OBJECTS + 16)
static struct hrt_event *quota_go, *quota_evs[QUOTA_EVENTS];
static struct hrt_thread *quota_ts[HVM_API_PROC_THREADS + 16];
static int quota_pipe[2][2]; /* [0]: to the other process, [1]: back */

static long t_quota(void *arg)
{
	(void)arg;
	return hrt_event_wait(quota_go, 0, HRT_FOREVER);
}

/* In the other process: one event and one joined native thread. */
static long f_quota_other(void *arg)
{
	struct hrt_thread *t;
	struct hrt_event *e;
	long ret;
	int rc;

	(void)arg;
	rc = hrt_event_create(&e);
	if (rc)
		return rc;
	rc = hrt_thread_create(&t, t_cpl, NULL, -1, HRT_THREAD_NOSYS);
	if (!rc)
		rc = hrt_thread_join(t, &ret);
	hrt_event_destroy(e);
	return rc;
}

/* out: threads made, events made, other errors, the other's result, again. */
static long f_quota(void *arg)
{
	long *out = arg, ret, other = -1;
	int i, rc, nt = 0, ne = 0;
	char c = 1;

	if (hrt_event_create(&quota_go))
		return -1;
	for (i = 0; i < HVM_API_PROC_THREADS + 16; i++) {
		rc = hrt_thread_create(&quota_ts[nt], t_quota, NULL, -1,
				       HRT_THREAD_NOSYS);
		if (!rc)
			nt++;
		else if (rc != -EAGAIN)
			out[2]++;
	}
	for (i = 0; i < QUOTA_EVENTS; i++) {
		rc = hrt_event_create(&quota_evs[ne]);
		if (!rc)
			ne++;
		else if (rc != -EAGAIN)
			out[2]++;
	}
	/* The other process tries while this one is at its quota. */
	if (!exec_mode &&
	    (write(quota_pipe[0][1], &c, 1) != 1 ||
	     read(quota_pipe[1][0], &other, sizeof(other)) != sizeof(other)))
		other = -2;
	hrt_event_notify(quota_go);
	for (i = 0; i < nt; i++)
		if (hrt_thread_join(quota_ts[i], &ret) || ret != 1)
			out[2]++;
	for (i = 0; i < ne; i++)
		if (hrt_event_destroy(quota_evs[i]))
			out[2]++;
	hrt_event_destroy(quota_go);
	out[0] = nt;
	out[1] = ne;
	out[3] = other;
	/* All back: a thread and an event again. */
	out[4] = f_quota_other(NULL);
	return 0;
}

GUEST_TEST(quota)
{
	long out[5] = { 0 }, r, res = -1;
	pid_t pid = -1;
	char c;

	if (!exec_mode) {
		if (pipe(quota_pipe[0]) || pipe(quota_pipe[1]))
			return 1;
		pid = fork();
		if (pid == 0) {
			if (read(quota_pipe[0][0], &c, 1) == 1)
				res = on_hrt(f_quota_other, NULL);
			_exit(write(quota_pipe[1][1], &res, sizeof(res)) !=
			      sizeof(res));
		}
	}
	r = on_hrt(f_quota, out);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	check(r == 0, "ran", "%ld", r);
	check(out[0] > HVM_API_PROC_THREADS - 16 &&
		      out[0] <= HVM_API_PROC_THREADS,
	      "native threads: up to the per-process quota, then -EAGAIN",
	      "%ld made (quota %d)", out[0], HVM_API_PROC_THREADS);
	check(out[0] + out[1] + 1 > HVM_API_PROC_OBJECTS - 16 &&
		      out[0] + out[1] + 1 <= HVM_API_PROC_OBJECTS,
	      "objects: up to the per-process quota, then -EAGAIN",
	      "%ld threads + %ld events + 1 (quota %d)", out[0], out[1],
	      HVM_API_PROC_OBJECTS);
	check(out[2] == 0, "no other error, all joined and destroyed", "%ld",
	      out[2]);
	if (!exec_mode)
		check(out[3] == 0,
		      "another process makes an event and a thread meanwhile",
		      "%ld", out[3]);
	check(out[4] == 0, "full recovery: a thread and an event after", "%ld",
	      out[4]);
	return 0;
}

/* Events across cores: a ping-pong with a native thread. */
#define ROUNDS 2000
static struct hrt_event *ping, *pong;

static long t_pong(void *arg)
{
	uint64_t i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		if (hrt_event_wait(ping, i, 2000000000ull) != (int64_t)i + 1)
			return -1 - (long)i;
		hrt_event_notify(pong);
	}
	return cpl() == 0 ? ROUNDS : -2;
}

static long f_events(void *arg)
{
	struct hrt_thread *t;
	long ret = 0;
	uint64_t i;
	int rc, other = ncores > 1 ? (hrt_core() + 1) % ncores : 0;

	(void)arg;
	if (hrt_event_create(&ping) || hrt_event_create(&pong))
		return -1;
	rc = hrt_thread_create(&t, t_pong, NULL, other, HRT_THREAD_NOSYS);
	if (rc)
		return rc;
	for (i = 0; i < ROUNDS; i++) {
		hrt_event_notify(ping);
		if (hrt_event_wait(pong, i, 2000000000ull) != (int64_t)i + 1)
			break;
	}
	rc = hrt_thread_join(t, &ret);
	hrt_event_destroy(ping);
	hrt_event_destroy(pong);
	return rc ? rc : i == ROUNDS ? ret : -3;
}

GUEST_TEST(events)
{
	long r = on_hrt(f_events, NULL);

	check(r == ROUNDS, "2000 round trips with a native thread", "%ld", r);
	return 0;
}

/* A barrier of 3: exactly one 1 per round. */
#define BROUNDS 300
static struct hrt_barrier *bar;
static int ones[BROUNDS];

static long t_bar(void *arg)
{
	int i, r;

	(void)arg;
	for (i = 0; i < BROUNDS; i++) {
		r = hrt_barrier_wait(bar);
		if (r < 0)
			return r;
		if (r == 1)
			__atomic_add_fetch(&ones[i], 1, __ATOMIC_RELAXED);
		/* Nobody passes the next round's wait before all counted. */
		r = hrt_barrier_wait(bar);
		if (r < 0)
			return r;
	}
	return 0;
}

static long f_barrier(void *arg)
{
	struct hrt_thread *t[2];
	long ret, bad = 0;
	int i;

	(void)arg;
	if (hrt_barrier_create(&bar, 3))
		return -1;
	for (i = 0; i < 2; i++)
		if (hrt_thread_create(&t[i], t_bar, NULL, i % ncores,
				      HRT_THREAD_NOSYS))
			return -2;
	bad = t_bar(NULL);
	for (i = 0; i < 2; i++)
		if (hrt_thread_join(t[i], &ret) || ret)
			bad = -3;
	hrt_barrier_destroy(bar);
	for (i = 0; i < BROUNDS; i++)
		if (ones[i] != 1)
			bad = -4 - i;
	return bad;
}

GUEST_TEST(barrier)
{
	long r = on_hrt(f_barrier, NULL);

	check(r == 0, "3 threads, 300 rounds, one 1 each", "%ld", r);
	return 0;
}

static long f_irq(void *arg)
{
	unsigned long f;
	long *out = arg, in;

	f = hrt_irq_save();
	in = rflags();
	hrt_irq_restore(f);
	out[0] = (long)f;
	out[1] = in;
	out[2] = rflags();
	return 0;
}

GUEST_TEST(irq_section)
{
	long out[3] = { 0 }, r = on_hrt(f_irq, out);

	check(r == 0, "ran", "%ld", r);
	check((out[0] & 0x200) && !(out[1] & 0x200) && (out[2] & 0x200),
	      "IF off inside, on again after", "saved %lx inside %lx after %lx",
	      out[0], out[1], out[2]);
	return 0;
}

static long f_runaway(void *arg)
{
	(void)arg;
	hrt_irq_save();
	for (;;)
		__asm__ __volatile__("pause");
	return 0;
}

static long t_runaway(void *arg)
{
	return f_runaway(arg);
}

static long f_runaway_thread(void *arg)
{
	struct hrt_thread *t;
	long ret = 0;
	int rc;

	(void)arg;
	hrt_irq_limit(20000000); /* 20 ms, the thread inherits it */
	rc = hrt_thread_create(&t, t_runaway, NULL, -1, HRT_THREAD_NOSYS);
	if (rc)
		return rc;
	return hrt_thread_join(t, &ret);
}

GUEST_TEST(irq_runaway)
{
	struct timespec a, b;
	long r;

	clock_gettime(CLOCK_MONOTONIC, &a);
	r = on_hrt(f_runaway_thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	check(r == -ETIME, "a native thread's endless section ends: -ETIME",
	      "%ld", r);
	diag("ended after %ld ms", (long)((b.tv_sec - a.tv_sec) * 1000 +
					  (b.tv_nsec - a.tv_nsec) / 1000000));
	if (!exec_mode) {
		r = on_hrt(f_runaway, NULL);
		check(r == -1000 - ETIME,
		      "an invocation's endless section ends: hrt_invoke -ETIME",
		      "%ld", r);
	}
	r = on_hrt(f_basics, NULL);
	check(r == 0, "the HRT goes on", "%ld", r);
	return 0;
}

/* HRT memory: zeroed, 2 MiB pages, contiguous on request, quota, bad input. */
#define MIB (1ul << 20)
static long t_touch(void *arg)
{
	volatile long *q = arg;
	long i, s = 0;

	for (i = 0; i < (long)(MIB / sizeof(long)); i += 512) {
		q[i] = i;
		s += q[i];
	}
	return s;
}

static long f_mem(void *arg)
{
	long *out = arg, r;
	char *p = NULL, *c = NULL, *q[512];
	void *kp = (void *)0xffff888000001000ul;
	struct hrt_thread *t;
	int64_t ph, ph2;
	size_t i;
	int n = 0, k, bad = 0;

	r = hrt_mem_alloc((void **)&p, 5 * MIB, 0);
	out[n++] = r;
	if (r)
		return n;
	for (i = 0; i < 5 * MIB; i += 4096)
		bad += p[i] != 0 || p[i + 4095] != 0;
	for (i = 0; i < 5 * MIB; i += 4096)
		p[i] = (char)(i >> 12);
	for (i = 0; i < 5 * MIB; i += 4096)
		bad += p[i] != (char)(i >> 12);
	out[n++] = bad; /* zeroed, then holds what was written */
	ph = hrt_virt_to_phys(p);
	ph2 = hrt_virt_to_phys(p + 4096 + 5);
	out[n++] = ph > 0 && !(ph & (2 * MIB - 1)) && ph2 == ph + 4096 + 5;
	/* A native thread without partner uses it: mapped, no fault. */
	r = hrt_thread_create(&t, t_touch, p + 2 * MIB, -1, HRT_THREAD_NOSYS);
	out[n++] = r ? r : hrt_thread_join(t, &r) ? -1 : r > 0;
	r = hrt_mem_alloc((void **)&c, 3 * MIB, HRT_MEM_CONTIG);
	out[n++] = r;
	out[n++] = !r && hrt_virt_to_phys(c + 2 * MIB) ==
				 hrt_virt_to_phys(c) + (int64_t)(2 * MIB);
	if (!r)
		hrt_mem_free(c);
	out[n++] = hrt_mem_alloc((void **)&c, 5 * MIB, HRT_MEM_CONTIG);
	out[n++] = hrt_mem_alloc((void **)&c, 0, 0);
	out[n++] = hrt_mem_alloc((void **)&c, MIB, 0x10);
	out[n++] = hrt_mem_alloc(NULL, MIB, 0);
	out[n++] = hrt_mem_alloc(kp, MIB, 0);
	out[n++] = hrt_virt_to_phys(&r);
	out[n++] = hrt_virt_to_phys(kp);
	out[n++] = hrt_mem_free(p);
	out[n++] = hrt_mem_free(p);
	out[n++] = hrt_mem_free(p + 4096);
	out[n++] = hrt_virt_to_phys(p);
	/* The quota: half the HRT's memory; then all back. */
	for (k = 0; k < 512; k++)
		if (hrt_mem_alloc((void **)&q[k], 2 * MIB, 0))
			break;
	out[n++] = k;
	out[n++] = hrt_mem_alloc((void **)&p, 2 * MIB, 0);
	for (r = 0; r < k; r++)
		bad += hrt_mem_free(q[r]) != 0;
	out[n++] = bad;
	out[n++] = hrt_mem_alloc((void **)&p, 2 * MIB, 0);
	out[n++] = !p[0] && !p[2 * MIB - 1]; /* a reused page is zeroed */
	hrt_mem_free(p);
	return n;
}

GUEST_TEST(memory)
{
	static const struct {
		const char *what;
		long want;
	} want[] = {
		{ "5 MiB", 0 },
		{ "zeroed, then holds what was written (bad pages)", 0 },
		{ "hrt_virt_to_phys: 2 MiB aligned, offsets kept", 1 },
		{ "a NOSYS native thread uses it", 1 },
		{ "3 MiB contiguous", 0 },
		{ "contiguous across its 2 MiB pages", 1 },
		{ "contiguous 5 MiB", -EINVAL },
		{ "size 0", -EINVAL },
		{ "unknown flag", -EINVAL },
		{ "NULL pointer", -EINVAL },
		{ "kernel pointer", -EFAULT },
		{ "virt_to_phys of other memory", -EINVAL },
		{ "virt_to_phys of a kernel address", -EINVAL },
		{ "free", 0 },
		{ "free twice", -EINVAL },
		{ "free inside", -EINVAL },
		{ "virt_to_phys after free", -EINVAL },
		{ "", 0 },
		{ "past the quota", -ENOMEM },
		{ "freed them all", 0 },
		{ "a new allocation after", 0 },
		{ "a reused page is zeroed", 1 },
	};
	long out[32], n = on_hrt(f_mem, out);
	size_t i;

	check(n == (long)(sizeof(want) / sizeof(want[0])), "ran", "%ld", n);
	for (i = 0;
	     n > 0 && i < (size_t)n && i < sizeof(want) / sizeof(want[0]);
	     i++) {
		if (i == 17) {
			/* 128 MiB HRT: its half less the 2 contiguous MiB held */
			check(out[i] >= 8 && out[i] < 64,
			      "2 MiB allocations up to the quota", "%ld made",
			      out[i]);
			continue;
		}
		check(out[i] == want[i].want, want[i].what, "%ld, want %ld",
		      out[i], want[i].want);
	}
	/* Counts mapped memory: freed pages wait in the process's pool. */
	n = stat_of("hrt_mem_bytes");
	check(n == 0, "hvmctl stats: hrt_mem_bytes 0 after the frees", "%ld",
	      n);
	return 0;
}

/* Write protection and dirty scans of HRT memory. */
static volatile long wp_hits, wp_cpl;
static void *volatile wp_addr;

static int wp_allow(void *fault_addr, void *arg)
{
	wp_hits += (long)arg;
	wp_addr = fault_addr;
	wp_cpl = cpl();
	return 0;
}

static char *wp_mem;

static long t_wp_write(void *arg)
{
	wp_mem[(long)arg] = 7;
	return wp_mem[(long)arg];
}

static long f_wp(void *arg)
{
	long *out = arg, r;
	uint64_t bm[16];
	struct hrt_thread *t;
	volatile char *p;
	int n = 0, i;

	if (hrt_mem_alloc((void **)(void *)&p, 4 * MIB, 0))
		return -1;
	wp_mem = (char *)p;
	p[5] = 9; /* written before: kept */
	wp_hits = 0;
	out[n++] = hrt_wprotect((void *)p, 8 * 4096, wp_allow, (void *)1);
	p[0] = 1;
	out[n++] = wp_hits == 1 && wp_addr == (void *)p && wp_cpl == 0;
	p[1] = 2;
	out[n++] = wp_hits; /* same page: no second call */
	p[4096 + 3] = 3;
	(void)p[5 * 4096];
	p[8 * 4096] = 4; /* outside */
	out[n++] = wp_hits;
	out[n++] = p[0] == 1 && p[1] == 2 && p[5] == 9 && p[4096 + 3] == 3;
	/* In a NOSYS native thread: its handler runs in it, at CPL 0. */
	wp_cpl = -1;
	r = hrt_thread_create(&t, t_wp_write, (void *)(6 * 4096l), -1,
			      HRT_THREAD_NOSYS);
	out[n++] = r ? r : hrt_thread_join(t, &r) ? -2 : r;
	out[n++] = wp_hits == 3 && wp_cpl == 0;
	out[n++] = hrt_wprotect((void *)p + 4096, 4096, wp_allow, NULL);
	out[n++] = hrt_wprotect((void *)bm, 4096, wp_allow, NULL);
	out[n++] = hrt_wprotect((void *)p + 100, 4096, wp_allow, NULL);
	out[n++] = hrt_wprotect((void *)p + MIB, 4096,
				(int (*)(void *, void *))0xffff888000001000ul,
				NULL);
	out[n++] = hrt_wunprotect((void *)p, 8 * 4096);
	out[n++] = hrt_wunprotect((void *)p, 8 * 4096);
	p[2 * 4096] = 5;
	out[n++] = wp_hits;
	/* Dirty scans: the two pages written since the clear, then none. */
	hrt_dirty_scan((void *)p, 4 * MIB, bm, 1);
	p[3 * 4096] = 1;
	p[700 * 4096 + 17] = 1;
	r = hrt_dirty_scan((void *)p, 4 * MIB, bm, 1);
	out[n++] = r;
	for (i = 0, r = 0; i < 16; i++)
		r += __builtin_popcountll(bm[i]);
	out[n++] = r == 2 && (bm[0] & (1ull << 3)) &&
		   (bm[700 / 64] & (1ull << (700 % 64)));
	out[n++] = hrt_dirty_scan((void *)p, 4 * MIB, bm, 1);
	out[n++] = hrt_dirty_scan((void *)p, 4 * MIB, NULL, 1);
	out[n++] = hrt_dirty_scan((void *)bm, 4096, bm, 1);
	hrt_mem_free((void *)p);
	return n;
}

GUEST_TEST(wprotect)
{
	static const struct {
		const char *what;
		long want;
	} want[] = {
		{ "8 pages protected", 0 },
		{ "a write calls the handler on the HRT, CPL 0, its address",
		  1 },
		{ "the same page again: no call", 1 },
		{ "next page: one call; a read or outside: none", 2 },
		{ "every write made", 1 },
		{ "a native thread's write", 7 },
		{ "its handler ran in it at CPL 0", 1 },
		{ "overlap", -EBUSY },
		{ "not HRT memory", -EINVAL },
		{ "unaligned", -EINVAL },
		{ "kernel handler", -EFAULT },
		{ "unprotect", 0 },
		{ "unprotect twice", -EINVAL },
		{ "unprotected: no call", 3 },
		{ "dirty scan: 2 pages written", 2 },
		{ "their bits", 1 },
		{ "none since", 0 },
		{ "NULL bitmap", -EINVAL },
		{ "dirty scan of other memory", -EINVAL },
	};
	long out[32], n = on_hrt(f_wp, out);
	size_t i;

	check(n == (long)(sizeof(want) / sizeof(want[0])), "ran", "%ld", n);
	for (i = 0;
	     n > 0 && i < (size_t)n && i < sizeof(want) / sizeof(want[0]); i++)
		check(out[i] == want[i].want, want[i].what, "%ld, want %ld",
		      out[i], want[i].want);
	return 0;
}

static int wp_refuse(void *fault_addr, void *arg)
{
	(void)fault_addr;
	(void)arg;
	return 1;
}

static char *refuse_mem;

static long f_refuse(void *arg)
{
	(void)arg;
	if (hrt_mem_alloc((void **)&refuse_mem, MIB, 0) ||
	    hrt_wprotect(refuse_mem, 4096, wp_refuse, NULL))
		return -1;
	refuse_mem[0] = 1;
	return 0;
}

static long f_refuse_free(void *arg)
{
	(void)arg;
	return hrt_mem_free(refuse_mem);
}

GUEST_TEST(wprotect_refused)
{
	long r;

	/* Under hrt-exec the SIGSEGV would end the program itself. */
	if (exec_mode)
		return 0;
	r = on_hrt(f_refuse, NULL);
	/* SIGSEGV: an invocation ends with -EFAULT, as for any fault. */
	check(r == -1000 - EFAULT,
	      "a handler's refusal is SIGSEGV: hrt_invoke -EFAULT", "%ld", r);
	check(on_hrt(f_refuse_free, NULL) == 0, "its memory freed", NULL);
	check(on_hrt(f_basics, NULL) == 0, "the HRT goes on", NULL);
	return 0;
}

/* Privileged instructions through the allow-lists. */
static long f_priv(void *arg)
{
	long *out = arg;
	uint64_t v = 0;
	uint32_t regs[4] = { 0 };
	int n = 0, r;

	/*
	 * The call's value is the CPU's: the same rdmsr made by this code
	 * at CPL 0.  Not compared with rdtsc: under TCG the MSR reads 0.
	 */
	out[n++] = hrt_rdmsr(0x10, &v);
	{
		uint32_t lo, hi;

		__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x10));
		out[n++] = v <= ((uint64_t)hi << 32 | lo);
	}
	out[n++] = hrt_rdmsr(0xc0000080, &v); /* EFER */
	out[n++] = hrt_rdmsr(0x1b, &v);	      /* APIC base */
	out[n++] = hrt_wrmsr(0x10, 0);	      /* listed read-only */
	out[n++] = hrt_wrmsr(0xc0000082, 0);  /* LSTAR: the syscall entry */
	out[n++] = hrt_wrmsr(0x1d9, 0);	      /* DEBUGCTL */
	r = hrt_rdmsr(0xe8, &v);	      /* APERF: TCG has none */
	out[n++] = r == 0 || r == -EIO;
	out[n++] = hrt_rdpmc(0x7fffffff, &v); /* no such counter: #GP */
	out[n++] = hrt_rdmsr(0x10, NULL);
	out[n++] = hrt_rdmsr(0x10, (uint64_t *)0xffff888000001000ul);
	out[n++] = hrt_rdmsr(0xffffffffu, &v);
	r = hrt_cpuid(0, 0, regs);
	out[n++] = !r && regs[0] > 0 && regs[1] != 0;
	return n;
}

GUEST_TEST(privileged)
{
	static const struct {
		const char *what;
		long want;
	} want[] = {
		{ "rdmsr TSC", 0 },
		{ "the value is the CPU's", 1 },
		{ "rdmsr EFER", -EPERM },
		{ "rdmsr APIC base", -EPERM },
		{ "wrmsr TSC (read-only on the list)", -EPERM },
		{ "wrmsr LSTAR", -EPERM },
		{ "wrmsr DEBUGCTL", -EPERM },
		{ "rdmsr APERF: a value or -EIO", 1 },
		{ "rdpmc of no counter: -EIO, HRT alive", -EIO },
		{ "rdmsr into NULL", -EINVAL },
		{ "rdmsr into kernel memory", -EFAULT },
		{ "rdmsr 0xffffffff", -EPERM },
		{ "cpuid 0", 1 },
	};
	long out[16], n = on_hrt(f_priv, out);
	size_t i;

	check(n == (long)(sizeof(want) / sizeof(want[0])), "ran", "%ld", n);
	for (i = 0;
	     n > 0 && i < (size_t)n && i < sizeof(want) / sizeof(want[0]); i++)
		check(out[i] == want[i].want, want[i].what, "%ld, want %ld",
		      out[i], want[i].want);
	check(on_hrt(f_basics, NULL) == 0, "the HRT goes on", NULL);
	return 0;
}

/*
 * TLS of a native thread's own: a thread block whose first word points at
 * itself, the creator's stack canary copied to 0x28, as glibc lays it out.
 */
static uint64_t tls_block[64] __attribute__((aligned(64)));
static void *fs_self;

static uint64_t fs_word(unsigned int off)
{
	uint64_t v;

	__asm__ __volatile__("mov %%fs:(%1), %0" : "=r"(v) : "r"((long)off));
	return v;
}

/* Returns 0, or which step went wrong. */
static long t_tls(void *arg)
{
	uint64_t creator = (uint64_t)(uintptr_t)arg;

	if (fs_word(0) != creator)
		return 1; /* starts with the creator's */
	tls_block[0] = (uint64_t)(uintptr_t)tls_block;
	tls_block[5] = fs_word(0x28);
	if (hrt_thread_set_tls((void *)0xffff888000000000ull) != -EFAULT ||
	    hrt_thread_set_tls((void *)0x800000000000ull) != -EFAULT)
		return 2;
	if (fs_word(0) != creator)
		return 3; /* refusals changed nothing */
	if (hrt_thread_set_tls(tls_block))
		return 4;
	if (fs_word(0) != (uint64_t)(uintptr_t)tls_block)
		return 5;
	hrt_yield(); /* kept across a switch */
	if (fs_word(0) != (uint64_t)(uintptr_t)tls_block || cpl() != 0)
		return 6;
	return 0;
}

static long f_tls(void *arg)
{
	uint64_t mine = fs_word(0);
	struct hrt_thread *t;
	long *out = arg, ret = -1;
	int rc;

	rc = hrt_thread_create(&t, t_tls, (void *)(uintptr_t)mine, -1,
			       HRT_THREAD_NOSYS);
	if (!rc)
		rc = hrt_thread_join(t, &ret);
	out[0] = rc;
	out[1] = ret;
	out[2] = fs_word(0) == mine;
	return 0;
}

GUEST_TEST(native_tls)
{
	long out[3] = { -1, -1, 0 }, r;

	__asm__ __volatile__("mov %%fs:0, %0" : "=r"(fs_self));
	r = on_hrt(f_tls, out);
	check(r == 0 && out[0] == 0, "ran and joined", "%ld, %ld", r, out[0]);
	check(out[1] == 0,
	      "a partnerless native thread takes TLS of its own "
	      "(%fs:0 is its block, across a yield; bad bases -EFAULT)",
	      "step %ld", out[1]);
	check(out[2] == 1, "the creator keeps its FS base", NULL);
	return 0;
}

/* Linux code: every call -ENOTSUP, nothing made. */
GUEST_TEST(from_linux)
{
	struct hrt_thread *t = NULL;
	struct hrt_event *e = NULL;
	struct hrt_barrier *b = NULL;

	if (exec_mode)
		return 0;
	check(hrt_on_hrt() == 0 && cpl() == 3, "hrt_on_hrt() 0 at CPL 3", NULL);
	check(hrt_core() == -ENOTSUP && hrt_ncores() == -ENOTSUP &&
		      hrt_yield() == -ENOTSUP,
	      "core, ncores, yield", NULL);
	__asm__ __volatile__("mov %%fs:0, %0" : "=r"(fs_self));
	check(hrt_thread_set_tls(tls_block) == -ENOTSUP &&
		      fs_word(0) == (uint64_t)(uintptr_t)fs_self,
	      "thread_set_tls, FS base unchanged", NULL);
	check(hrt_thread_create(&t, t_cpl, NULL, -1, 0) == -ENOTSUP && !t,
	      "thread_create, *t untouched", NULL);
	check(hrt_thread_join((struct hrt_thread *)&t, NULL) == -ENOTSUP,
	      "thread_join", NULL);
	check(hrt_event_create(&e) == -ENOTSUP && !e &&
		      hrt_event_wait(e, 0, 0) == -ENOTSUP &&
		      hrt_event_notify(e) == -ENOTSUP &&
		      hrt_event_destroy(e) == -ENOTSUP,
	      "events", NULL);
	check(hrt_barrier_create(&b, 2) == -ENOTSUP && !b &&
		      hrt_barrier_wait(b) == -ENOTSUP &&
		      hrt_barrier_destroy(b) == -ENOTSUP,
	      "barriers", NULL);
	check(hrt_irq_save() == (unsigned long)-ENOTSUP && (rflags() & 0x200) &&
		      hrt_irq_limit(0) == -ENOTSUP,
	      "irq_save, interrupts still on", NULL);
	hrt_irq_restore(0);
	check(rflags() & 0x200, "irq_restore(0) changed nothing", NULL);
	check(hrt_mem_alloc((void **)&t, 4096, 0) == -ENOTSUP && !t &&
		      hrt_mem_free(&t) == -ENOTSUP &&
		      hrt_virt_to_phys(&t) == -ENOTSUP,
	      "memory", NULL);
	{
		uint64_t v = 0;
		uint32_t regs[4];

		check(hrt_rdmsr(0x10, &v) == -ENOTSUP && !v &&
			      hrt_wrmsr(0x186, 0) == -ENOTSUP &&
			      hrt_rdpmc(0, &v) == -ENOTSUP &&
			      hrt_cpuid(0, 0, regs) == -ENOTSUP &&
			      hrt_wprotect(&v, 4096, NULL, NULL) == -ENOTSUP &&
			      hrt_dirty_scan(&v, 4096, &v, 0) == -ENOTSUP,
		      "privileged calls, protection, dirty scans", NULL);
	}
	return 0;
}

/*
 * A process SIGKILLed while it holds native threads (spinning and
 * waiting), events, a barrier and an interrupt-off section: hvmctl stats
 * shows all of it gone, and the HRT serves the next process.
 */
static long t_spin(void *arg)
{
	(void)arg;
	for (;;)
		__asm__ __volatile__("pause");
	return 0;
}

static long f_hold(void *arg)
{
	struct hrt_thread *t;
	struct hrt_barrier *b;
	void *m;
	int i;

	(void)arg;
	if (hrt_event_create(&many_go) || hrt_barrier_create(&b, 5) ||
	    hrt_mem_alloc(&m, 4 << 20, 0))
		return -1;
	for (i = 0; i < 4; i++)
		hrt_thread_create(&t, i & 1 ? t_spin : t_wait, NULL, -1,
				  HRT_THREAD_NOSYS);
	hrt_irq_limit(900000000); /* 900 ms: the kill comes first */
	hrt_irq_save();
	for (;;)
		__asm__ __volatile__("pause");
	return 0;
}

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

/*
 * A forked child's native threads: the parent's cached stacks are not in
 * the child (MADV_DONTFORK), so the child must not be handed one.
 */
GUEST_TEST(fork_child_threads)
{
	pid_t pid;
	int st;

	if (exec_mode)
		return 0;
	check(on_hrt(f_basics, NULL) == 0,
	      "the parent's threads (stacks cached)", NULL);
	pid = fork();
	if (pid == 0) {
		hrt_open();
		_exit(on_hrt(f_basics, NULL) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a forked child makes native threads of its own", "status %x",
	      st);
	return 0;
}

GUEST_TEST(kill_holder)
{
	long objs, live, r;
	pid_t pid;
	int st, i;

	if (exec_mode)
		return 0;
	pid = fork();
	if (pid == 0) {
		hrt_open();
		on_hrt(f_hold, NULL);
		_exit(0);
	}
	usleep(300000);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed", "%x", st);
	for (i = 0; i < 50; i++) {
		objs = stat_of("api_objects");
		live = stat_of("native_live");
		if (live == 0)
			break;
		usleep(100000);
	}
	check(live == 0, "no native thread left", "native_live %ld", live);
	/* Objects of the dead process go at the next creation. */
	r = on_hrt(f_basics, NULL);
	check(r == 0, "the HRT serves the next process", "%ld", r);
	objs = stat_of("api_objects");
	check(objs == 0, "its objects are gone", "api_objects %ld", objs);
	objs = stat_of("hrt_mem_bytes");
	check(objs == 0, "its HRT memory is back", "hrt_mem_bytes %ld", objs);
	return 0;
}

static int setup(void)
{
	struct hrt_info info;
	int rc;

	exec_mode = getenv("HVM_API_EXEC") &&
		    !strcmp(getenv("HVM_API_EXEC"), "1");
	if (exec_mode)
		many = 5000;
	if (exec_mode) {
		if (!hrt_on_hrt()) {
			guest_verdict(0, "on the HRT",
				      "HVM_API_EXEC=1 at CPL %d", cpl());
			return 1;
		}
		ncores = hrt_ncores();
		diag("under hrt-exec, %d HRT cores", ncores);
		return 0;
	}
	rc = hrt_open();
	if (rc) {
		guest_verdict(0, "hrt_open", "%s (%d)", strerror(-rc), rc);
		return rc;
	}
	rc = hrt_info(&info);
	ncores = rc ? 1 : (int)info.hrt_cores;
	diag("%d HRT cores", ncores);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct guest_test_config cfg = {
		.mode = GUEST_SUITE,
		.alarm_s = 60,
		.setup = setup,
	};

	return guest_test_main(argc, argv, &cfg);
}
