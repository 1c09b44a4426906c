// SPDX-License-Identifier: MIT
/* invoke-test.c - in-guest tests of libhvm/hvm.ko/HRT invocation: every API call, forwarding, faults, threads, processes. */
/*
 * usage: hvm-invoke-test [TEST...]   (no argument: every test, in order)
 *
 * TEST is one of basic, modes, block, libc, memory, faults, errno_tls,
 * async, concurrency, kill, protect, close.  A test binds by itself when
 * it runs alone (hrt_invoke opens the device on first use).  Each test
 * runs under alarm(TEST_ALARM_S): a hang prints "not ok - TEST # timed
 * out" and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "hvm.h"
#include "hvm_uapi.h"
#include <sys/ioctl.h>

#define TEST_ALARM_S 120 /* every test; invoke.sh gives the whole run 280 s */

/* ------------------------------------------------------------ functions */

static long f_add(void *arg, unsigned int i)
{
	long *v = arg;

	return v[0] + v[1] + i;
}

static long f_write(void *arg, unsigned int i)
{
	const char *s = arg;

	(void)i;
	return write(1, s, strlen(s));
}

static long f_getpid(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return getpid();
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Real libc inside: snprintf, qsort, malloc/free. */
static long f_libc(void *arg, unsigned int i)
{
	char *buf = arg;
	int v[64], k;
	void *p[256];

	(void)i;
	for (k = 0; k < 64; k++)
		v[k] = (k * 7919) % 64;
	qsort(v, 64, sizeof(v[0]), cmp_int);
	for (k = 0; k < 64; k++)
		if (v[k] != k)
			return -1;
	for (int round = 0; round < 20; round++) {
		for (k = 0; k < 256; k++) {
			p[k] = malloc(16 + (k * 37 + round) % 5000);
			if (!p[k])
				return -2;
			memset(p[k], k, 16);
		}
		for (k = 0; k < 256; k++) {
			if (((unsigned char *)p[k])[15] != (unsigned char)k)
				return -3;
			free(p[k]);
		}
	}
	/* A big one: mmap'd by malloc, so forwarded mmap/munmap + faults. */
	p[0] = malloc(1 << 20);
	if (!p[0])
		return -4;
	memset(p[0], 0x5a, 1 << 20);
	free(p[0]);
	return snprintf(buf, 64, "pi=%.3f n=%d s=%s", 3.14159, 42, "hrt");
}

static long f_stdio(void *arg, unsigned int i)
{
	FILE *f = fopen(arg, "w");

	(void)i;
	if (!f)
		return -errno;
	for (int k = 0; k < 100; k++)
		fprintf(f, "line %d\n", k);
	if (fclose(f))
		return -errno;
	return 0;
}

static long f_time(void *arg, unsigned int i)
{
	struct timespec ts;
	time_t *out = arg;

	(void)i;
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return -1;
	if (clock_gettime(CLOCK_REALTIME, &ts))
		return -2;
	out[0] = ts.tv_sec;
	out[1] = time(NULL);
	/* A forwarded sleep: 20 ms of nanosleep in the waiting thread. */
	struct timespec d = { 0, 20 * 1000 * 1000 };
	if (nanosleep(&d, NULL))
		return -3;
	return 0;
}

/*
 * ../shared/repro/mmap_loop.c inside an offloaded function: the same
 * address mapped, faulted and unmapped again (arg) times, shared and
 * private.  Returns the iterations done, or -1 on wrong contents.
 */
static long f_mmap_loop(void *arg, unsigned int i)
{
	long n = (long)arg, k;

	(void)i;
	for (k = 0; k < 2 * n; k++) {
		char *p =
			mmap(NULL, 10, PROT_READ | PROT_WRITE,
			     (k < n ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
			     -1, 0);

		if (p == MAP_FAILED)
			return -2;
		memcpy(p, "0123456789", 10);
		memmove(p + 1, p, 9);
		if (p[0] != '0' || p[1] != '0')
			return -1;
		munmap(p, 10);
	}
	return k;
}

static long f_touch(void *arg, unsigned int i)
{
	volatile char *p = arg;
	long sum = 0;

	(void)i;
	for (int k = 0; k < 16; k++) {
		p[k * 4096] = (char)k;
		sum += p[k * 4096];
	}
	return sum;
}

static long f_read(void *arg, unsigned int i)
{
	(void)i;
	return *(volatile long *)arg;
}

static long f_write1(void *arg, unsigned int i)
{
	(void)i;
	*(volatile long *)arg = 7;
	return 0;
}

static long f_null(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return *(volatile long *)0;
}

static long f_gp(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return *(volatile long *)0x8000000000000000ull;
}

static volatile long zero;

static long f_div(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return 100 / zero;
}

/* Recursion bounded only by an absurd depth: the guard page comes first. */
static long f_recurse(void *arg, unsigned int i)
{
	volatile char buf[1024];

	buf[0] = (char)i;
	if (i > (1u << 30))
		return 0;
	return f_recurse(arg, i + 1) + buf[0];
}

static long f_loop(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 0;
}

static long f_errno(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	errno = 0;
	if (open("/nonexistent/x", O_RDONLY) >= 0)
		return -1;
	return errno;
}

static __thread long tls_var;

static long f_tls(void *arg, unsigned int i)
{
	(void)arg;
	tls_var = 1000 + i;
	errno = 0;
	if (close(-1) == 0 || errno != EBADF)
		return -1;
	return (long)&tls_var;
}

/* fork in offloaded code: the child runs natively and must not return into the HRT's caller. */
static long f_fork(void *arg, unsigned int i)
{
	int st = -1;
	pid_t p;

	(void)arg;
	(void)i;
	p = (pid_t)syscall(SYS_fork);
	if (p == 0)
		_exit(5);
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
}

static long f_exit(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	syscall(SYS_exit, 33);
	return 0;
}

static long f_sum(void *arg, unsigned int i)
{
	long n = (long)arg, s = 0;

	for (long k = 0; k <= n; k++)
		s += k ^ i;
	return s;
}

/* ------------------------------------------------------------ tests */

GUEST_TEST(basic)
{
	struct hrt_info info;
	long v[2] = { 40, 2 }, r = 0;
	int rc;

	rc = hrt_open();
	check(rc == 0, "hrt_open binds", "rc %d", rc);
	check(hrt_open() == 0, "hrt_open is idempotent", NULL);
	rc = hrt_info(&info);
	check(rc == 0 && info.hrt_cores >= 1 &&
		      info.hrt_state == HVM_HRT_READY &&
		      info.abi_version == HVM_ABI_VERSION,
	      "hrt_info", "rc %d cores %u state %u", rc, info.hrt_cores,
	      info.hrt_state);
	check(hrt_info(NULL) == -EINVAL, "hrt_info(NULL) is -EINVAL", NULL);
	rc = hrt_invoke(f_add, v, &r);
	check(rc == 0 && r == 42, "hrt_invoke sync", "rc %d r %ld", rc, r);
	check(hrt_invoke(NULL, v, &r) == -EINVAL,
	      "hrt_invoke(NULL fn) is -EINVAL", NULL);
	rc = hrt_invoke(f_write, "hello from the HRT\n", &r);
	check(rc == 0 && r == 19, "forwarded write()", "rc %d r %ld", rc, r);
	rc = hrt_invoke(f_getpid, NULL, &r);
	check(rc == 0 && r == getpid(), "forwarded getpid()",
	      "rc %d r %ld pid %d", rc, r, getpid());
	return 0;
}

GUEST_TEST(modes)
{
	static const enum hrt_wait_mode modes[] = { HRT_WAIT_DEFAULT,
						    HRT_WAIT_POLL,
						    HRT_WAIT_BLOCK,
						    HRT_WAIT_SPIN_BLOCK };
	static const char *names[] = { "default", "poll", "block",
				       "spin-block" };
	struct hrt_info info;
	long v[2] = { 1, 2 }, r;
	char name[64];
	int rc;

	hrt_info(&info);
	for (unsigned int m = 0; m < 4; m++) {
		struct hrt_opts o = { .core = -1,
				      .wait = modes[m],
				      .spin_us = 10 };
		int bad = 0;

		for (int k = 0; k < 50; k++) {
			v[0] = k;
			r = -1;
			rc = hrt_invoke_opts(f_add, v, &r, &o);
			if (rc || r != k + 2)
				bad++;
		}
		/* and with a forwarded call, which needs a round trip inside */
		rc = hrt_invoke_opts(f_getpid, NULL, &r, &o);
		snprintf(name, sizeof(name),
			 "wait mode %s: 50 invokes + forwarded call", names[m]);
		check(!bad && rc == 0 && r == getpid(), name, "bad %d rc %d",
		      bad, rc);
	}
	v[0] = 1;
	for (unsigned int c = 0; c < info.hrt_cores; c++) {
		struct hrt_opts o = { .core = (int)c };

		rc = hrt_invoke_opts(f_add, v, &r, &o);
		snprintf(name, sizeof(name), "invoke on HRT core %u", c);
		check(rc == 0 && r == 3, name, "rc %d", rc);
	}
	{
		struct hrt_opts o = { .core = (int)info.hrt_cores };

		check(hrt_invoke_opts(f_add, v, &r, &o) == -EINVAL,
		      "invoke on a core that does not exist is -EINVAL", NULL);
	}
	return 0;
}

/* HRT-event interrupts the driver has taken so far. */
static long long hrt_irqs(void)
{
	struct hvm_stats st;
	int fd = open(HVM_DEV_PATH, O_RDWR), rc;

	if (fd < 0)
		return -1;
	rc = ioctl(fd, HVM_IOC_STATS, &st);
	close(fd);
	return rc ? -1 : (long long)st.irqs[HVM_VEC_HRT_EVENT];
}

/* Blocking really sleeps in the driver and is woken by the HRT's interrupt. */
GUEST_TEST(block)
{
	struct hrt_opts o = { .core = -1, .wait = HRT_WAIT_BLOCK };
	long v[2] = { 1, 1 }, r;
	long long before = hrt_irqs(), after;
	struct timespec t0, t1;
	int bad = 0;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int k = 0; k < 50; k++)
		if (hrt_invoke_opts(f_add, v, &r, &o) || r != 2)
			bad++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	after = hrt_irqs();
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Missed wake-ups would cost a 200 ms sleep slice each: 10 s. */
	check(!bad && before >= 0 && after - before >= 50 && s < 5.0,
	      "blocking wait: 50 invocations, each woken by an HRT interrupt",
	      "bad %d irqs %lld -> %lld, %.2f s", bad, before, after, s);
	return 0;
}

GUEST_TEST(libc)
{
	char buf[64] = "", line[64];
	time_t t[2] = { 0, 0 };
	long r = 0;
	int rc, n = 0, ok = 1;
	FILE *f;

	rc = hrt_invoke(f_libc, buf, &r);
	check(rc == 0 && r == (long)strlen("pi=3.142 n=42 s=hrt") &&
		      !strcmp(buf, "pi=3.142 n=42 s=hrt"),
	      "libc: snprintf, qsort, malloc/free storm, 1 MiB malloc",
	      "rc %d r %ld buf '%s'", rc, r, buf);
	unlink("/tmp/hrt-stdio.txt");
	rc = hrt_invoke(f_stdio, "/tmp/hrt-stdio.txt", &r);
	f = fopen("/tmp/hrt-stdio.txt", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char want[32];

		snprintf(want, sizeof(want), "line %d\n", n);
		if (strcmp(line, want))
			ok = 0;
		n++;
	}
	if (f)
		fclose(f);
	check(rc == 0 && r == 0 && n == 100 && ok,
	      "stdio to a file in the HRT, read back natively",
	      "rc %d r %ld lines %d", rc, r, n);
	rc = hrt_invoke(f_time, t, &r);
	check(rc == 0 && r == 0 && t[0] > 1000000000 &&
		      labs(t[1] - time(NULL)) < 5,
	      "clock_gettime, time(), nanosleep", "rc %d r %ld t %ld %ld", rc,
	      r, (long)t[0], (long)t[1]);
	return 0;
}

GUEST_TEST(memory)
{
	struct hvm_fault fault;
	struct hrt_opts o = { .core = -1, .fault = &fault };
	long r = 0;
	int rc;
	char *p;

	/* Mapped after binding, never touched by Linux: forwarded faults. */
	p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rc = hrt_invoke(f_touch, p, &r);
	check(rc == 0 && r == 120 && p[15 * 4096] == 15,
	      "memory mapped after binding: faults forwarded", "rc %d r %ld",
	      rc, r);
	*(long *)p = 99;
	rc = hrt_invoke(f_read, p, &r);
	check(rc == 0 && r == 99, "HRT reads what Linux wrote", "rc %d r %ld",
	      rc, r);
	munmap(p, 16 * 4096);
	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(f_read, p, &r, &o);
	check(rc == -EFAULT && fault.vector == 14 &&
		      fault.address == (uint64_t)p &&
		      fault.rip >= (uint64_t)f_read &&
		      fault.rip < (uint64_t)f_read + 64,
	      "munmap then access: fault report", "rc %d vector %u addr %lx",
	      rc, fault.vector, (unsigned long)fault.address);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*(long *)p = 5;
	rc = hrt_invoke(f_read, p, &r); /* the HRT caches the writable page */
	mprotect(p, 4096, PROT_READ);
	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(f_write1, p, &r, &o);
	check(rc == -EFAULT && fault.vector == 14 &&
		      fault.address == (uint64_t)p && (fault.error_code & 2) &&
		      *(long *)p == 5,
	      "mprotect read-only then write: fault report",
	      "rc %d vector %u addr %lx err %x val %ld", rc, fault.vector,
	      (unsigned long)fault.address, fault.error_code, *(long *)p);
	munmap(p, 4096);
	rc = hrt_invoke(f_mmap_loop, (void *)50l, &r);
	check(rc == 0 && r == 100,
	      "mmap, write, munmap of the same address 50 times shared, 50 private, offloaded",
	      "rc %d r %ld", rc, r);
	return 0;
}

GUEST_TEST(faults)
{
	struct hvm_fault fault;
	struct hrt_opts o = { .core = -1, .fault = &fault };
	long v[2] = { 1, 1 }, r;
	int rc;

	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(f_null, NULL, &r, &o);
	check(rc == -EFAULT && fault.vector == 14 && fault.address == 0 &&
		      fault.rip >= (uint64_t)f_null &&
		      fault.rip < (uint64_t)f_null + 64,
	      "NULL dereference: -EFAULT, #PF at 0, RIP in the function",
	      "rc %d vector %u addr %lx rip %lx fn %p", rc, fault.vector,
	      (unsigned long)fault.address, (unsigned long)fault.rip,
	      (void *)f_null);
	check(hrt_invoke(f_add, v, &r) == 0 && r == 2,
	      "invoke after NULL dereference works", NULL);
	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(f_gp, NULL, &r, &o);
	check(rc == -EFAULT && fault.vector == 13,
	      "non-canonical access: #GP report", "rc %d vector %u", rc,
	      fault.vector);
	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(f_div, NULL, &r, &o);
	check(rc == -EFAULT && fault.vector == 0, "divide by zero: #DE report",
	      "rc %d vector %u", rc, fault.vector);
	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(f_recurse, NULL, &r, &o);
	check(rc == -EFAULT && fault.vector == 14,
	      "stack overflow hits the guard page", "rc %d vector %u addr %lx",
	      rc, fault.vector, (unsigned long)fault.address);
	check(hrt_invoke(f_add, v, &r) == 0 && r == 2,
	      "invoke after stack overflow works", NULL);
	o.timeout_ms = 300;
	rc = hrt_invoke_opts(f_loop, NULL, &r, &o);
	check(rc == -ETIMEDOUT, "endless loop with a timeout: -ETIMEDOUT",
	      "rc %d", rc);
	o.wait = HRT_WAIT_BLOCK;
	rc = hrt_invoke_opts(f_loop, NULL, &r, &o);
	check(rc == -ETIMEDOUT,
	      "endless loop, blocking wait, timeout: -ETIMEDOUT", "rc %d", rc);
	check(hrt_invoke(f_add, v, &r) == 0 && r == 2,
	      "invoke after timeouts works", NULL);
	rc = hrt_invoke(f_fork, NULL, &r);
	check(rc == 0 && r == 5,
	      "fork from offloaded code: the child runs, waitpid sees its status",
	      "rc %d r %ld", rc, r);
	{
		/* exit() in offloaded code ends the calling thread, as natively. */
		int st = -1;
		pid_t p = fork();

		if (p == 0) {
			hrt_invoke(f_exit, NULL, &r);
			_exit(99);
		}
		waitpid(p, &st, 0);
		check(WIFEXITED(st) && WEXITSTATUS(st) == 33,
		      "exit from offloaded code ends the calling thread with its code",
		      "status %#x", st);
	}
	return 0;
}

GUEST_TEST(errno_tls)
{
	struct hrt_info info;
	long r = 0, rets[HVM_MAX_HRT_CPUS];
	int rc, good = 1;

	errno = 0;
	rc = hrt_invoke(f_errno, NULL, &r);
	check(rc == 0 && r == ENOENT && errno == ENOENT,
	      "errno set in sync mode is the caller's", "rc %d r %ld errno %d",
	      rc, r, errno);
	tls_var = 5;
	rc = hrt_invoke(f_tls, NULL, &r);
	check(rc == 0 && r == (long)&tls_var && tls_var == 1000,
	      "TLS in sync mode is the caller's", "rc %d r %lx &tls %p tls %ld",
	      rc, r, (void *)&tls_var, tls_var);
	hrt_info(&info);
	tls_var = 5;
	rc = hrt_invoke_all(f_tls, NULL, 0, rets, NULL);
	for (unsigned int i = 0; i < info.hrt_cores && rc > 0; i++) {
		if (rets[i] <= 0 || rets[i] == (long)&tls_var)
			good = 0;
		for (unsigned int j = 0; j < i; j++)
			if (rets[i] == rets[j])
				good = 0;
	}
	check(rc == (int)info.hrt_cores && good && tls_var == 5,
	      "TLS/errno in parallel mode are the partners', one per core",
	      "rc %d", rc);
	return 0;
}

GUEST_TEST(async)
{
	struct hrt_info info;
	struct hrt_call *call[4];
	long v[2] = { 20, 3 }, r = 0, rets[HVM_MAX_HRT_CPUS];
	int rc, ok = 1;

	hrt_info(&info);
	rc = hrt_invoke_async(f_add, v, NULL, &call[0]);
	check(rc == 0, "hrt_invoke_async starts", "rc %d", rc);
	if (!rc) {
		rc = hrt_wait(call[0], &r);
		check(rc == 0 && r == 23, "hrt_wait returns the result",
		      "rc %d r %ld", rc, r);
	}
	{
		struct hrt_opts o = { .core = -1, .wait = HRT_WAIT_BLOCK };

		rc = hrt_invoke_async(f_sum, (void *)200000L, &o, &call[0]);
		if (!rc) {
			int polls = 0, p;

			while ((p = hrt_poll(call[0])) == -EAGAIN &&
			       polls < 100000000)
				polls++;
			rc = hrt_wait(call[0], &r);
			long want = 0;
			for (long k = 0; k <= 200000; k++)
				want += k;
			check(p == 0 && rc == 0 && r == want,
			      "hrt_poll until done, blocking partner",
			      "p %d rc %d r %ld", p, rc, r);
		}
	}
	for (int k = 0; k < 4; k++)
		if (hrt_invoke_async(f_getpid, NULL, NULL, &call[k]))
			ok = 0;
	for (int k = 0; k < 4 && ok; k++)
		if (hrt_wait(call[k], &r) || r != getpid())
			ok = 0;
	check(ok, "4 async calls with forwarded syscalls", NULL);
	check(hrt_poll(NULL) == -EINVAL && hrt_wait(NULL, NULL) == -EINVAL,
	      "hrt_poll/hrt_wait(NULL) are -EINVAL", NULL);
	rc = hrt_invoke_all(f_add, v, 0, rets, NULL);
	for (unsigned int i = 0; i < info.hrt_cores && rc > 0; i++)
		if (rets[i] != 23 + (long)i)
			ok = 0;
	check(rc == (int)info.hrt_cores && ok, "hrt_invoke_all on all cores",
	      "rc %d", rc);
	rc = hrt_invoke_all(f_add, v, 1, rets, NULL);
	check(rc == 1 && rets[0] == 23, "hrt_invoke_all on 1 core", "rc %d",
	      rc);
	check(hrt_invoke_all(f_add, v, info.hrt_cores + 1, rets, NULL) ==
		      -EINVAL,
	      "hrt_invoke_all on too many cores is -EINVAL", NULL);
	{
		struct hvm_fault fault;
		struct hrt_opts o = { .core = -1, .fault = &fault };

		memset(&fault, 0, sizeof(fault));
		rc = hrt_invoke_all(f_null, NULL, 0, NULL, &o);
		check(rc == -EFAULT && fault.vector == 14,
		      "hrt_invoke_all: a fault is reported", "rc %d vector %u",
		      rc, fault.vector);
	}
	return 0;
}

#define ITERS 200

static void *stress_thread(void *arg)
{
	long id = (long)arg, v[2], r;
	long bad = 0;

	for (int k = 0; k < ITERS; k++) {
		struct hrt_opts o = { .core = -1,
				      .wait = k & 1 ? HRT_WAIT_BLOCK
						    : HRT_WAIT_DEFAULT };

		v[0] = id * 100000;
		v[1] = k;
		r = -1;
		if (hrt_invoke_opts(f_add, v, &r, &o) || r != id * 100000 + k)
			bad++;
		if (k % 20 == 0 &&
		    (hrt_invoke(f_getpid, NULL, &r) || r != getpid()))
			bad++;
	}
	return (void *)bad;
}

static int stress(int nthreads)
{
	pthread_t th[8];
	long bad = 0;
	void *b;

	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, stress_thread, (void *)i);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], &b);
		bad += (long)b;
	}
	return (int)bad;
}

GUEST_TEST(concurrency)
{
	int bad, st1 = -1, st2 = -1;
	pid_t a, b;

	bad = stress(4);
	check(bad == 0, "4 threads x 200 invocations, every result checked",
	      "bad %d", bad);
	/* Two processes at once (each binds its own context). */
	fflush(stdout);
	a = fork();
	if (a == 0) {
		hrt_close(); /* the parent's binding is not ours */
		_exit(stress(2) ? 1 : 0);
	}
	b = fork();
	if (b == 0) {
		hrt_close();
		_exit(stress(2) ? 1 : 0);
	}
	bad = stress(2);
	waitpid(a, &st1, 0);
	waitpid(b, &st2, 0);
	check(bad == 0 && WIFEXITED(st1) && WEXITSTATUS(st1) == 0 &&
		      WIFEXITED(st2) && WEXITSTATUS(st2) == 0,
	      "three processes invoking at once", "bad %d st %x %x", bad, st1,
	      st2);
	return 0;
}

GUEST_TEST(kill)
{
	long v[2] = { 2, 2 }, r = 0;
	int st = 0, rc;
	pid_t p;

	fflush(stdout);
	p = fork();
	if (p == 0) {
		hrt_close();
		hrt_invoke(f_loop, NULL, NULL); /* never returns by itself */
		_exit(3);
	}
	usleep(500 * 1000);
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	check(WIFSIGNALED(st), "process killed mid-invocation", "st %x", st);
	rc = hrt_invoke(f_add, v, &r);
	check(rc == 0 && r == 4, "this process still invokes afterwards",
	      "rc %d", rc);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		hrt_close();
		_exit(hrt_invoke(f_add, v, &r) == 0 && r == 4 ? 0 : 1);
	}
	waitpid(p, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a new process binds and runs after the kill", "st %x", st);
	return 0;
}

/* ------------------------------------------------- the HRT's own tables */

/*
 * Offloaded code runs in ring 0 over the HRT's upper half: it can find the
 * HRT's IDT, GDT, TSS, text and page tables.  Each must be read-only to it
 * (CR0.WP): a stray write ends the call with a write #PF there, and the
 * HRT goes on serving.  The writes store each byte's own value, so they
 * change nothing even where protection were missing.
 */
struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

enum {
	P_IDT,
	P_GDT,
	P_TSS,
	P_TEXT,
	P_TEXT_DMAP,
	P_IDT_DMAP,
	P_ROOT,
	P_TABLE,
	P_N
};

/* Direct-map address of kernel virtual address va, walking CR3's tables. */
static uint64_t dmap_of(uint64_t va)
{
	uint64_t cr3, e, *t;
	int shift;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	t = (uint64_t *)(HVM_DIRECT_MAP_BASE + (cr3 & HVM_PTE_ADDR));
	for (shift = 39; shift >= 12; shift -= 9) {
		e = t[(va >> shift) & 511];
		if (!(e & 1))
			return 0;
		if (shift == 12 || (e & 0x80))
			return HVM_DIRECT_MAP_BASE +
			       ((e & HVM_PTE_ADDR & ~((1ull << shift) - 1)) |
				(va & ((1ull << shift) - 1)));
		t = (uint64_t *)(HVM_DIRECT_MAP_BASE + (e & HVM_PTE_ADDR));
	}
	return 0;
}

/* Fills arg[P_N] with addresses of the HRT's tables, found from ring 0. */
static long f_find_tables(void *arg, unsigned int i)
{
	uint64_t *a = arg, *g, cr3, h;
	const uint8_t *gate;
	struct dtr idt, gdt;
	uint16_t tr;

	(void)i;
	__asm__ volatile("sidt %0; sgdt %1; str %2; mov %%cr3, %3"
			 : "=m"(idt), "=m"(gdt), "=r"(tr), "=r"(cr3));
	g = (uint64_t *)gdt.base;
	a[P_IDT] = idt.base + 14 * 16;
	a[P_GDT] = gdt.base + 8;
	a[P_TSS] = ((g[tr / 8] >> 16) & 0xffffff) | ((g[tr / 8] >> 56) << 24) |
		   (g[tr / 8 + 1] << 32);
	a[P_TSS] += 36; /* IST 1 */
	/* The #PF gate's handler: kernel text. */
	gate = (const uint8_t *)a[P_IDT];
	h = *(const uint16_t *)gate |
	    (uint64_t) * (const uint16_t *)(gate + 6) << 16 |
	    (uint64_t) * (const uint32_t *)(gate + 8) << 32;
	a[P_TEXT] = h;
	a[P_TEXT_DMAP] = dmap_of(h);
	a[P_IDT_DMAP] = dmap_of(a[P_IDT]);
	cr3 &= HVM_PTE_ADDR;
	a[P_ROOT] = HVM_DIRECT_MAP_BASE + cr3 + HVM_IMAGE_PML4 * 8;
	a[P_TABLE] =
		HVM_DIRECT_MAP_BASE +
		(((uint64_t *)(HVM_DIRECT_MAP_BASE + cr3))[HVM_IMAGE_PML4] &
		 HVM_PTE_ADDR);
	return 0;
}

static long f_poke(void *arg, unsigned int i)
{
	volatile uint8_t *p = arg;

	(void)i;
	*p = *p;
	return 0;
}

GUEST_TEST(protect)
{
	static const char *const what[P_N] = {
		"the HRT's IDT (sidt)",
		"the HRT's GDT (sgdt)",
		"the HRT's TSS (str)",
		"HRT text (the #PF gate's handler)",
		"HRT text through the direct map",
		"the IDT through the direct map",
		"the page-table root (CR3) through the direct map",
		"a kernel page table through the direct map",
	};
	uint64_t a[P_N];
	struct hvm_fault fault;
	struct hrt_opts o = { .core = -1, .fault = &fault };
	long v[2] = { 1, 2 }, r;
	char name[160];
	int rc, k;

	memset(a, 0, sizeof(a));
	rc = hrt_invoke(f_find_tables, a, &r);
	check(rc == 0 && a[P_IDT] >= HVM_DIRECT_MAP_BASE &&
		      a[P_TEXT] >= HVM_DIRECT_MAP_BASE && a[P_TEXT_DMAP] &&
		      a[P_IDT_DMAP],
	      "offloaded code finds the HRT's IDT, GDT, TSS, text and page tables",
	      "rc %d idt %lx text %lx", rc, (unsigned long)a[P_IDT],
	      (unsigned long)a[P_TEXT]);
	if (rc)
		return 0;
	for (k = 0; k < P_N; k++) {
		memset(&fault, 0, sizeof(fault));
		rc = hrt_invoke_opts(f_poke, (void *)a[k], &r, &o);
		snprintf(name, sizeof(name),
			 "a write to %s: -EFAULT, write #PF there", what[k]);
		check(rc == -EFAULT && fault.vector == 14 &&
			      fault.address == a[k] &&
			      (fault.error_code & 3) == 3,
		      name, "rc %d vector %u addr %lx (want %lx) error %x", rc,
		      fault.vector, (unsigned long)fault.address,
		      (unsigned long)a[k], fault.error_code);
		rc = hrt_invoke(f_add, v, &r);
		snprintf(name, sizeof(name),
			 "the HRT serves after the write to %s", what[k]);
		check(rc == 0 && r >= 3 && r < 3 + HVM_MAX_HRT_CPUS, name,
		      "rc %d r %ld", rc, r);
	}
	return 0;
}

GUEST_TEST(close)
{
	long v[2] = { 3, 4 }, r = 0;
	int rc;

	hrt_close();
	hrt_close();
	rc = hrt_invoke(f_add, v, &r);
	check(rc == 0 && r == 7, "hrt_close twice, then implicit re-open",
	      "rc %d", rc);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct guest_test_config cfg = {
		.mode = GUEST_SUITE,
		.alarm_s = TEST_ALARM_S,
	};

	return guest_test_main(argc, argv, &cfg);
}
