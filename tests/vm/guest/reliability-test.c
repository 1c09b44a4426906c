// SPDX-License-Identifier: MIT
/* reliability-test.c - in-guest checks of hvm.ko and the HRT under reboots, crashes, stopped processes, interrupted boots and exceptions. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "hvm.h"
#include "hvm_chan.h"
#include "hvm_uapi.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int dev(void)
{
	int fd = open(HVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror(HVM_DEV_PATH);
		exit(2);
	}
	return fd;
}

/* One shared descriptor for the parent's driver calls (never bound). */
static int ctl = -1;

static struct hvm_info info(void)
{
	struct hvm_info in;

	if (ioctl(ctl, HVM_IOC_INFO, &in)) {
		perror("HVM_IOC_INFO");
		exit(2);
	}
	return in;
}

static struct hvm_stats stats(void)
{
	struct hvm_stats st;

	if (ioctl(ctl, HVM_IOC_STATS, &st)) {
		perror("HVM_IOC_STATS");
		exit(2);
	}
	return st;
}

static int reboot_hrt(void)
{
	struct hvm_boot b;

	memset(&b, 0, sizeof(b));
	return ioctl(ctl, HVM_IOC_REBOOT, &b) ? -errno : 0;
}

/* Polls the state every millisecond until it is (want); 0 or -1. */
static int wait_state(uint32_t want, unsigned int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;

	do {
		if (info().state == want)
			return 0;
		usleep(1000);
	} while (now_ns() < end);
	return -1;
}

/* Polls until the state is not BOOTING; returns it. */
static uint32_t wait_not_booting(unsigned int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;
	uint32_t s;

	while ((s = info().state) == HVM_HRT_BOOTING && now_ns() < end)
		usleep(1000);
	return s;
}

/* A counter under /sys/class/misc/hvm/hrt/, or -1 if it is not there. */
static long long sysfs_num(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/hvm/hrt/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static unsigned int hung_timeout_ms(void)
{
	FILE *f = fopen("/sys/module/hvm/parameters/hung_timeout_ms", "r");
	unsigned int v = 3000;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 3000;
		fclose(f);
	}
	return v;
}

/*
 * Free channel and context slots as a new process finds them: open
 * channels until ENOSPC, bind files until ENOSPC, then give all back.
 */
static void free_slots(int *chans, int *ctxs)
{
	int fd = dev(), fds[HVM_CTX_MAX + 1], n = 0, k;
	struct hvm_chan_open o;

	for (;;) {
		memset(&o, 0, sizeof(o));
		if (ioctl(fd, HVM_IOC_CHAN_OPEN, &o))
			break;
		n++;
	}
	if (errno != ENOSPC)
		printf("# channel open ended with %s\n", strerror(errno));
	close(fd);
	*chans = n;
	for (k = 0; k <= (int)HVM_CTX_MAX; k++) {
		struct hvm_bind b;

		fds[k] = dev();
		memset(&b, 0, sizeof(b));
		if (ioctl(fds[k], HVM_IOC_BIND, &b)) {
			close(fds[k]);
			break;
		}
	}
	*ctxs = k;
	while (k-- > 0)
		close(fds[k]);
}

/* Waits for (pid) at most (ms); kills it when it takes longer.  Status. */
static int reap(pid_t pid, unsigned int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;
	int st = -1;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ns() > end) {
			printf("# pid %d still runs after %u ms: killed\n", pid,
			       ms);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(2000);
	}
	return st;
}

/* ------------------------------------------------------------ offloaded code */

static long f_add(void *arg, unsigned int i)
{
	long *v = arg;

	(void)i;
	return v[0] + v[1];
}

static long f_getpid(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return getpid();
}

/* Tells the parent it runs (w[0] = 1), then spins until aborted. */
static long f_spin(void *arg, unsigned int i)
{
	volatile long *w = arg;

	(void)i;
	w[0] = 1;
	for (;;)
		w[1]++;
	return 0;
}

/*
 * Forwarded page faults and calls in a loop until w[8] is set: fresh
 * anonymous pages each round (mmap, a fault per page, munmap), w[idx]
 * counts rounds.
 */
static long f_faults(void *arg, unsigned int i)
{
	volatile long *w = arg;
	long n = 0;

	(void)i;
	while (!w[8]) {
		char *p = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -1;
		for (int k = 0; k < 8; k++)
			p[k * 4096] = (char)k;
		munmap(p, 8 * 4096);
		w[0]++;
		n++;
	}
	return n;
}

/* A short piece of work with forwarded calls and faults: 0. */
static long f_load(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	for (int r = 0; r < 4; r++) {
		char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -1;
		for (int k = 0; k < 4; k++)
			p[k * 4096] = (char)k;
		munmap(p, 4 * 4096);
	}
	return getppid() > 0 ? 0 : -2;
}

/* Native: maps, touches and unmaps a page every millisecond until w[8]. */
static void *unmapper(void *arg)
{
	volatile long *w = arg;

	while (!w[8]) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED) {
			p[0] = 1;
			munmap(p, 4096);
			w[4]++;
		}
		usleep(1000);
	}
	return NULL;
}

/* Forwarded system calls only, until w[8] is set; w[1] counts. */
static long f_calls(void *arg, unsigned int i)
{
	volatile long *w = arg;
	long n = 0;

	(void)i;
	while (!w[8]) {
		if (getppid() <= 0)
			return -1;
		w[1]++;
		n++;
	}
	return n;
}

static long f_int3(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	__asm__ volatile("int3" ::: "memory");
	return 7;
}

static long f_ud2(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	__asm__ volatile("ud2" ::: "memory");
	return 7;
}

static volatile long zero;

static long f_div(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return 100 / zero;
}

static long f_gp(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return *(volatile long *)0x8000000000000000ull;
}

static volatile int traps;

static void on_trap(int sig)
{
	(void)sig;
	traps++;
}

/* Installs a SIGTRAP handler from HRT code, traps, resets it: 42. */
static long f_int3_handled(void *arg, unsigned int i)
{
	struct sigaction sa;
	long r;

	(void)arg;
	(void)i;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trap;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, NULL))
		return -1;
	traps = 0;
	__asm__ volatile("int3" ::: "memory");
	r = traps;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGTRAP, &sa, NULL))
		return -2;
	return r == 1 ? 42 : -3;
}

/* ------------------------------------------------------------ tests */

/* Every exception of offloaded code ends its invocation: -EFAULT + report. */
GUEST_TEST(exceptions)
{
	static const struct {
		const char *name;
		hrt_fn fn;
		uint32_t vector;
	} t[] = {
		{ "int3 without a SIGTRAP handler", f_int3, 3 },
		{ "ud2", f_ud2, 6 },
		{ "divide by zero", f_div, 0 },
		{ "non-canonical access", f_gp, 13 },
	};
	struct hvm_fault fault;
	struct hrt_opts o = { .core = -1, .fault = &fault };
	long v[2] = { 40, 2 }, r;
	char name[128];
	int rc;

	for (unsigned int k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		memset(&fault, 0, sizeof(fault));
		r = -1;
		rc = hrt_invoke_opts(t[k].fn, NULL, &r, &o);
		snprintf(name, sizeof(name),
			 "%s: -EFAULT, vector %u, RIP in the function",
			 t[k].name, t[k].vector);
		check(rc == -EFAULT && fault.vector == t[k].vector &&
			      fault.rip >= (uint64_t)t[k].fn &&
			      fault.rip < (uint64_t)t[k].fn + 64,
		      name, "rc %d r %ld vector %u rip %#llx fn %p", rc, r,
		      fault.vector, (unsigned long long)fault.rip,
		      (void *)t[k].fn);
		rc = hrt_invoke(f_add, v, &r);
		snprintf(name, sizeof(name), "invoke after %s works",
			 t[k].name);
		check(rc == 0 && r == 42, name, "rc %d r %ld", rc, r);
	}
	r = 0;
	rc = hrt_invoke(f_int3_handled, NULL, &r);
	check(rc == 0 && r == 42,
	      "int3 with a SIGTRAP handler installed by HRT code: the handler runs, the call goes on",
	      "rc %d r %ld", rc, r);
	memset(&fault, 0, sizeof(fault));
	rc = hrt_invoke_opts(f_int3, NULL, &r, &o);
	check(rc == -EFAULT && fault.vector == 3,
	      "int3 after the handler was reset: -EFAULT, vector 3",
	      "rc %d vector %u", rc, fault.vector);
	return 0;
}

/*
 * The child side of one reboot-mid-invocation cycle: spins on the HRT
 * until the reboot ends the call, then (measure) times munmap and fork
 * before and after its next invocation.  Results in w[2..7].
 */
static void reboot_child(volatile long *w, int measure)
{
	long v[2] = { 1, 2 }, r = 0;
	uint64_t t0;
	int rc;

	rc = hrt_invoke(f_spin, (void *)w, &r);
	w[2] = rc;
	/*
	 * Measured once the new HRT is ready: while it boots no flush waits
	 * anyway.  The cost of a TLB flush would be 100 ms if the cores the
	 * reboot reset were still listed as having this process loaded.
	 */
	if (wait_state(HVM_HRT_READY, 10000))
		_exit(4);
	if (measure) {
		w[6] = sysfs_num("flush_timeouts");
		t0 = now_ns();
		for (int k = 0; k < 20; k++) {
			char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				_exit(3);
			p[0] = 1;
			munmap(p, 4096);
		}
		w[3] = (long)(now_ns() - t0);
		w[4] = -1;
		t0 = now_ns();
		/* Forks only when munmap was not already slow (seconds then). */
		for (int k = 0; k < 20 && w[3] < 1000000000; k++) {
			pid_t p = fork();

			if (p == 0)
				_exit(0);
			waitpid(p, NULL, 0);
			w[4] = (long)(now_ns() - t0);
		}
		/* No core has this process loaded: no flush may wait out. */
		w[6] = sysfs_num("flush_timeouts") - w[6];
	}
	/* Channels open only while the HRT is ready (else -EAGAIN). */
	while ((rc = hrt_invoke(f_add, v, &r)) == -EAGAIN && w[7] < 1000) {
		w[7]++;
		usleep(10000);
	}
	w[5] = rc ? rc : r;
	if (measure) {
		t0 = now_ns();
		for (int k = 0; k < 20; k++) {
			char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				_exit(3);
			p[0] = 1;
			munmap(p, 4096);
		}
		w[9] = (long)(now_ns() - t0);
	}
	_exit(0);
}

/*
 * N reboots, each while a process's invocation runs: the call ends with
 * -ECANCELED, the process goes on (normal munmap/fork cost, invocations
 * work) and every channel and context slot comes back.
 */
GUEST_TEST_CMD(reboot_invoke, "reboot-invoke N")
{
	int n = atoi(args[0]);
	volatile long *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int chans0, ctxs0, chans1, ctxs1, bad_rc = 0, bad_after = 0, lost = 0;
	long long retired0 = sysfs_num("chan_retired");
	long max_unmap = 0, max_fork = 0, eagain = 0, flush_tmo = 0;
	uint64_t hung0 = stats().hung_detected;
	char name[160];

	free_slots(&chans0, &ctxs0);
	printf("# before: %d free channels, %d free contexts, sysfs chan_free %lld chan_retired %lld\n",
	       chans0, ctxs0, sysfs_num("chan_free"), retired0);
	for (int i = 0; i < n; i++) {
		int measure = i % 10 == 0, st, rc;
		uint64_t end = now_ns() + 10000000000ull;
		pid_t pid;

		memset((void *)w, 0, 4096);
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			reboot_child(w, measure);
		while (!w[0] && now_ns() < end)
			usleep(500);
		if (!w[0]) {
			printf("# cycle %d: the invocation did not start\n", i);
			lost++;
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			continue;
		}
		/* Mid-invocation, at a few different moments of it. */
		usleep((i % 4) * 3000);
		rc = reboot_hrt();
		if (rc) {
			printf("# cycle %d: reboot failed: %s\n", i,
			       strerror(-rc));
			lost++;
		}
		st = reap(pid, 20000);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("# cycle %d: child status %#x\n", i, st);
			lost++;
			continue;
		}
		if (w[2] != -ECANCELED) {
			printf("# cycle %d: the interrupted call returned %ld\n",
			       i, w[2]);
			bad_rc++;
		}
		if (w[5] != 3) {
			printf("# cycle %d: the next invocation returned %ld\n",
			       i, w[5]);
			bad_after++;
		}
		eagain += w[7];
		if (measure) {
			printf("# cycle %d: 20 munmaps %ld us, 20 forks %ld us (-1: not run), %ld flushes timed out; after the next invocation (flushes wait for the HRT core) 20 munmaps %ld us\n",
			       i, w[3] / 1000, w[4] < 0 ? -1 : w[4] / 1000,
			       w[6], w[9] / 1000);
			flush_tmo += w[6];
			max_unmap = w[3] > max_unmap ? w[3] : max_unmap;
			max_fork = w[4] < 0 || max_fork < 0 ? -1
				   : w[4] > max_fork	    ? w[4]
							    : max_fork;
		}
	}
	free_slots(&chans1, &ctxs1);
	printf("# next invocations retried %ld times on -EAGAIN (HRT not ready yet)\n",
	       eagain);
	printf("# after: %d free channels, %d free contexts, sysfs chan_free %lld chan_retired %lld\n",
	       chans1, ctxs1, sysfs_num("chan_free"),
	       sysfs_num("chan_retired"));
	snprintf(name, sizeof(name),
		 "%d reboots mid-invocation: every cycle ran", n);
	check(!lost, name, "%d cycles failed", lost);
	check(!bad_rc, "the interrupted invocations end with -ECANCELED",
	      "%d did not", bad_rc);
	check(!bad_after, "the processes invoke again after the reboot",
	      "%d could not", bad_after);
	snprintf(
		name, sizeof(name),
		"every channel slot comes back after %d reboots mid-invocation",
		n);
	check(chans1 == chans0, name, "free channels %d before, %d after",
	      chans0, chans1);
	check(ctxs1 == ctxs0, "every context slot comes back",
	      "free contexts %d before, %d after", ctxs0, ctxs1);
	check(sysfs_num("chan_retired") == 0 &&
		      sysfs_num("chan_free") == chans1,
	      "sysfs chan_free/chan_retired agree (none retired)",
	      "chan_free %lld (found %d), chan_retired %lld",
	      sysfs_num("chan_free"), chans1, sysfs_num("chan_retired"));
	/* With the reset cores still listed, each would wait 100 ms. */
	check(!flush_tmo,
	      "a process that lived through a reboot: no TLB flush of it waits for the reset cores",
	      "%ld flushes timed out", flush_tmo);
	check(max_unmap < 500000000,
	      "a process that lived through a reboot: 20 munmaps < 500 ms",
	      "slowest 20 munmaps: %ld us", max_unmap / 1000);
	check(max_fork >= 0 && max_fork < 1000000000,
	      "a process that lived through a reboot: 20 forks < 1 s",
	      "slowest 20 forks: %ld us (-1: not run, munmap was too slow)",
	      max_fork < 0 ? -1 : max_fork / 1000);
	check(stats().hung_detected == hung0 && info().state == HVM_HRT_READY,
	      "no hung HRT during the cycles, ready after them",
	      "hung_detected %llu -> %llu, state %u", (unsigned long long)hung0,
	      (unsigned long long)stats().hung_detected, info().state);
	return 0;
}

/* A fresh process invokes (n) times, forwarded calls included: 0 = all ok. */
static int bystander(int n)
{
	long v[2] = { 20, 22 }, r;
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int bad = 0, rc;

		for (int k = 0; k < n; k++) {
			rc = hrt_invoke(f_add, v, &r);
			if (rc || r != 42) {
				printf("# bystander: invoke %d: rc %d r %ld\n",
				       k, rc, r);
				bad++;
			}
			rc = hrt_invoke(f_getpid, NULL, &r);
			if (rc || r != getpid()) {
				printf("# bystander: forwarded getpid %d: rc %d r %ld\n",
				       k, rc, r);
				bad++;
			}
		}
		fflush(stdout);
		_exit(bad ? 1 : 0);
	}
	st = reap(pid, 30000);
	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Starts a process whose offloaded code runs (fn) on the shared words. */
static pid_t start_worker(hrt_fn fn, volatile long *w, volatile long *seen)
{
	uint64_t end = now_ns() + 10000000000ull;
	long start = *seen;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		long r = -1;
		int rc = hrt_invoke(fn, (void *)w, &r);

		if (rc || r <= 0)
			printf("# worker %d: rc %d r %ld\n", getpid(), rc, r);
		fflush(stdout);
		_exit(rc || r <= 0 ? 1 : 0);
	}
	while (*seen < start + 5 && now_ns() < end)
		usleep(1000);
	return pid;
}

/*
 * Processes stopped (SIGSTOP) while their offloaded code waits for
 * forwarded faults and calls: longer than the hung timeout, the HRT stays
 * ready, its heartbeat moves, a bystander's invocations succeed.  Then
 * one continues (SIGCONT) to the end, the other is killed; nothing stays
 * behind.
 */
GUEST_TEST(sigstop)
{
	volatile long *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned int tmo = hung_timeout_ms();
	int chans0, ctxs0, chans1, ctxs1, st;
	uint64_t hung0 = stats().hung_detected, hb0;
	long f0, c0;
	pid_t a, b;
	char sa, sb;

	free_slots(&chans0, &ctxs0);
	a = start_worker(f_faults, w, &w[0]);
	b = start_worker(f_calls, w, &w[1]);
	check(w[0] >= 5 && w[1] >= 5,
	      "two processes in forwarded faults and calls",
	      "faults %ld calls %ld", w[0], w[1]);
	kill(a, SIGSTOP);
	kill(b, SIGSTOP);
	for (int k = 0;
	     k < 2000 && (proc_state(a) != 'T' || proc_state(b) != 'T'); k++)
		usleep(1000);
	sa = proc_state(a);
	sb = proc_state(b);
	f0 = w[0];
	c0 = w[1];
	hb0 = info().heartbeat;
	printf("# both stopped (%c %c); waiting %u ms (hung timeout %u ms)\n",
	       sa, sb, tmo + 1000, tmo);
	sleep_ms(tmo + 1000);
	check(sa == 'T' && sb == 'T' && w[0] == f0 && w[1] == c0,
	      "both processes stay stopped",
	      "states %c %c, counts moved %ld %ld", sa, sb, w[0] - f0,
	      w[1] - c0);
	check(info().state == HVM_HRT_READY && stats().hung_detected == hung0,
	      "stopped processes in forwarded calls do not make the HRT look hung",
	      "state %u, hung_detected %llu -> %llu", info().state,
	      (unsigned long long)hung0,
	      (unsigned long long)stats().hung_detected);
	check(info().heartbeat > hb0 + tmo / 20,
	      "the heartbeat moves meanwhile", "%llu -> %llu",
	      (unsigned long long)hb0, (unsigned long long)info().heartbeat);
	check(bystander(20) == 0,
	      "a bystander process's invocations succeed meanwhile", " ");
	/* One goes on where it stopped, the other is killed. */
	kill(a, SIGCONT);
	for (int k = 0; k < 5000 && w[0] < f0 + 5; k++)
		usleep(1000);
	check(w[0] >= f0 + 5, "SIGCONT: its forwarded faults are served again",
	      "%ld rounds after SIGCONT", w[0] - f0);
	kill(b, SIGKILL);
	st = reap(b, 10000);
	check(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "SIGKILL of the stopped process", "status %#x", st);
	w[8] = 1;
	st = reap(a, 20000);
	check(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the continued process's invocation ends normally", "status %#x",
	      st);
	free_slots(&chans1, &ctxs1);
	check(chans1 == chans0 && ctxs1 == ctxs0,
	      "nothing stays behind: every channel and context slot is free again",
	      "channels %d -> %d, contexts %d -> %d", chans0, chans1, ctxs0,
	      ctxs1);
	check(bystander(5) == 0 && info().state == HVM_HRT_READY &&
		      stats().hung_detected == hung0,
	      "the HRT is still ready and serves", "state %u", info().state);
	return 0;
}

/*
 * N reboots; after each the heartbeat is sampled every 5 ms for 700 ms:
 * the state stays ready and the heartbeat keeps moving (the longest gap
 * is reported), and the driver declares no hung HRT.
 */
GUEST_TEST_CMD(reboots, "reboots N")
{
	int n = atoi(args[0]);
	volatile long *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned int tmo = hung_timeout_ms();
	uint64_t hung0 = stats().hung_detected, worst = 0;
	int bad_boot = 0, not_ready = 0, worst_at = -1, st;
	long ok_before;
	char name[128];
	pid_t load;

	/*
	 * A process keeps invoking (forwarded calls and faults) throughout,
	 * while a native thread of it maps and unmaps (TLB flushes).
	 */
	fflush(stdout);
	load = fork();
	if (load == 0) {
		pthread_t t;
		long r;

		pthread_create(&t, NULL, unmapper, (void *)w);
		while (!w[8]) {
			if (hrt_invoke(f_load, NULL, &r) == 0 && r == 0) {
				w[2]++;
			} else {
				w[3]++;
				usleep(2000); /* cancelled, or not ready yet */
			}
		}
		pthread_join(t, NULL);
		_exit(0);
	}

	for (int i = 0; i < n; i++) {
		uint64_t t0, last_change, end, hb, gap;
		int rc = reboot_hrt();

		if (rc) {
			printf("# reboot %d failed: %s\n", i, strerror(-rc));
			bad_boot++;
			continue;
		}
		t0 = now_ns();
		last_change = t0;
		hb = info().heartbeat;
		end = t0 + 700000000ull;
		while (now_ns() < end) {
			struct hvm_info in = info();

			if (in.state != HVM_HRT_READY) {
				printf("# reboot %d: state %u %llu ms after ready\n",
				       i, in.state,
				       (unsigned long long)(now_ns() - t0) /
					       1000000);
				not_ready++;
				break;
			}
			if (in.heartbeat != hb) {
				gap = now_ns() - last_change;
				if (gap > worst) {
					worst = gap;
					worst_at = i;
				}
				hb = in.heartbeat;
				last_change = now_ns();
			}
			usleep(5000);
		}
		gap = now_ns() - last_change;
		if (gap > worst) {
			worst = gap;
			worst_at = i;
		}
	}
	printf("# %d reboots: longest heartbeat gap seen %llu ms (reboot %d)\n",
	       n, (unsigned long long)worst / 1000000, worst_at);
	/* A stall shorter than the timeout would still be declared later. */
	ok_before = w[2];
	sleep_ms(tmo / 2);
	w[8] = 1;
	st = reap(load, 20000);
	printf("# the invoking process: %ld calls succeeded, %ld failed (reboot), %ld native munmaps\n",
	       w[2], w[3], w[4]);
	check(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
		      w[2] > ok_before,
	      "a process invoking throughout the reboots goes on after them",
	      "status %#x, %ld calls after the last reboot", st,
	      w[2] - ok_before);
	snprintf(name, sizeof(name), "%d reboots in a row", n);
	check(!bad_boot, name, "%d failed", bad_boot);
	check(!not_ready && stats().hung_detected == hung0 &&
		      info().state == HVM_HRT_READY,
	      "no false hung after the reboots (state ready, hung_detected unchanged)",
	      "%d not ready, hung_detected %llu -> %llu", not_ready,
	      (unsigned long long)hung0,
	      (unsigned long long)stats().hung_detected);
	check(worst < (uint64_t)tmo * 1000000 / 2,
	      "the heartbeat never stalls for half the hung timeout after a reboot",
	      "longest gap %llu ms", (unsigned long long)worst / 1000000);
	return 0;
}

/* N crashes, each rebooted as soon as it is seen: all N are counted. */
GUEST_TEST_CMD(crashes, "crashes N")
{
	int n = atoi(args[0]);
	uint64_t c0 = stats().crashes_seen;
	long long s0 = sysfs_num("crashes_seen");
	int bad = 0;
	char name[128];

	for (int i = 0; i < n; i++) {
		struct hvm_debug d;

		memset(&d, 0, sizeof(d));
		d.op = HVM_DEBUG_CRASH;
		if (ioctl(ctl, HVM_IOC_DEBUG, &d) ||
		    wait_state(HVM_HRT_CRASHED, 5000)) {
			printf("# crash %d: not seen (%s)\n", i,
			       strerror(errno));
			bad++;
		}
		if (reboot_hrt()) {
			printf("# crash %d: reboot failed\n", i);
			bad++;
		}
	}
	snprintf(name, sizeof(name),
		 "%d crashes, each rebooted within milliseconds", n);
	check(!bad, name, "%d went wrong", bad);
	snprintf(name, sizeof(name), "crashes_seen counts all %d", n);
	check(stats().crashes_seen - c0 == (uint64_t)n &&
		      sysfs_num("crashes_seen") - s0 == n,
	      name, "stats %llu -> %llu, sysfs %lld -> %lld",
	      (unsigned long long)c0, (unsigned long long)stats().crashes_seen,
	      s0, sysfs_num("crashes_seen"));
	return 0;
}

/*
 * Boots interrupted by a signal to the rebooting process (SIGINT or
 * SIGKILL, at several moments): each boot completes by itself, the HRT
 * serves, and the next reboot works.
 */
GUEST_TEST_CMD(bootsig, "bootsig N")
{
	int n = atoi(args[0]);
	static const unsigned int delay_us[] = { 500,	4000,  11000, 16000,
						 22000, 30000, 45000, 60000 };
	int not_ready = 0, bad_reboot = 0, bad_invoke = 0;
	char name[128];

	for (int i = 0; i < n; i++) {
		int sig = i % 2 ? SIGKILL : SIGINT;
		uint32_t s;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			reboot_hrt();
			_exit(0);
		}
		usleep(delay_us[i % (sizeof(delay_us) / sizeof(delay_us[0]))]);
		kill(pid, sig);
		waitpid(pid, NULL, 0);
		s = wait_not_booting(30000);
		if (s != HVM_HRT_READY) {
			printf("# boot %d (signal %d after %u us): state %u, error %d\n",
			       i, sig, delay_us[i % 8], s, info().last_error);
			not_ready++;
		}
		if (bystander(2)) {
			printf("# boot %d: invocations failed afterwards\n", i);
			bad_invoke++;
		}
		if (reboot_hrt() || info().state != HVM_HRT_READY) {
			printf("# boot %d: the next reboot failed\n", i);
			bad_reboot++;
		}
	}
	snprintf(
		name, sizeof(name),
		"%d boots interrupted by SIGINT/SIGKILL complete by themselves",
		n);
	check(!not_ready, name, "%d did not", not_ready);
	check(!bad_invoke, "the HRT serves invocations after each",
	      "%d did not", bad_invoke);
	check(!bad_reboot, "a reboot after each works", "%d failed",
	      bad_reboot);
	return 0;
}

/* ------------------------------------------------ stale requests (D2, D3) */

static volatile long stale_ran;

/*
 * Posted on a channel of an earlier boot: it must never run.  If it does,
 * it marks stale_ran and makes a forwarded call that nobody answers (the
 * poster has moved on), the way D2's wedged channels looked.
 */
static long f_stale(void *arg, unsigned int i)
{
	long r;

	(void)arg;
	(void)i;
	stale_ran = 1;
	/* Raw getppid: no libc (no TLS, no errno) on this path. */
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"((long)SYS_getppid)
			 : "rcx", "r11", "memory");
	return r;
}

static long f_answer(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return 42;
}

/* Posts an INVOKE of (fn) on channel (c) without kicking; libhvm's order. */
static void post_raw(struct hvm_chan *c, hrt_fn fn, uint64_t stack_top,
		     uint32_t ctx)
{
	unsigned long fs = 0;

	syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs);
	c->fn = (uint64_t)fn;
	c->arg = 0;
	c->core_index = 0;
	c->stack_top = stack_top;
	c->fs_base = fs;
	c->mxcsr = 0x1f80;
	c->fcw = 0x37f;
	c->ctx = ctx;
	c->flags = 0;
	hvm_chan_post(c, HVM_OP_INVOKE);
}

static void kick_raw(int fd, struct hvm_chan_area *a, uint32_t core)
{
	struct hvm_kick k = { .core = core };

	hvm_chan_kick(a, core);
	ioctl(fd, HVM_IOC_KICK, &k);
}

/* Waits up to (ms) for evt_seq of (c) to move past (seen): 0 or -1. */
static int wait_evt(struct hvm_chan *c, uint64_t seen, unsigned int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;

	while (hvm_chan_events(c) == seen) {
		if (now_ns() > end)
			return -1;
		usleep(1000);
	}
	return 0;
}

/*
 * D2/D3: a request posted on a channel of an earlier boot after the new
 * HRT is ready; its poster is told -ECANCELED and closes the channel, and
 * a new owner gets the same channel index.  The new HRT must not run the
 * stale request.  Before the fix it did (deterministically here); when
 * the close came while the HRT had taken it but not yet published
 * RUNNING, the close did not abort it, and the new owner's request was
 * then swallowed by the stale call's forwarded wait (D2) or the new owner
 * got the stale call's status (D3).
 */
GUEST_TEST_CMD(stale_request, "stale-request N")
{
	int n = atoi(args[0]), bad = 0, ran = 0, moved = 0, wedged = 0;
	size_t stack_len = 64 << 10;

	for (int i = 0; i < n; i++) {
		int fd = dev(), rc;
		struct hvm_chan_area *a;
		struct hvm_chan_open o = { .core = 0 };
		struct hvm_chan_ref r = { 0 };
		struct hvm_bind b;
		struct hvm_chan *c;
		unsigned int old;
		uint64_t seen;
		char *stack;

		a = mmap(NULL, HVM_CHAN_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		memset(&b, 0, sizeof(b));
		if (a == MAP_FAILED || stack == MAP_FAILED ||
		    ioctl(fd, HVM_IOC_BIND, &b) ||
		    ioctl(fd, HVM_IOC_CHAN_OPEN, &o)) {
			printf("# round %d: set-up failed: %s\n", i,
			       strerror(errno));
			bad++;
			close(fd);
			continue;
		}
		old = o.index;
		c = &a->chan[old];
		/* A call on the channel in this boot works. */
		seen = hvm_chan_events(c);
		post_raw(c, f_answer, (uint64_t)stack + stack_len, b.ctx);
		kick_raw(fd, a, 0);
		if (wait_evt(c, seen, 5000) || c->state != HVM_CHAN_DONE ||
		    c->status || c->result != 42) {
			printf("# round %d: first call: state %u status %d\n",
			       i, c->state, c->status);
			bad++;
		}
		rc = reboot_hrt();
		if (rc || wait_state(HVM_HRT_READY, 10000)) {
			printf("# round %d: reboot: %s\n", i, strerror(-rc));
			bad++;
			close(fd);
			continue;
		}
		/*
		 * The poster of an earlier boot, as a libhvm thread whose
		 * call crossed the reboot: it posts and kicks, is told
		 * -ECANCELED, and closes the channel.
		 */
		stale_ran = 0;
		seen = hvm_chan_events(c);
		post_raw(c, f_stale, (uint64_t)stack + stack_len, b.ctx);
		kick_raw(fd, a, 0);
		sleep_ms(300);
		ran += stale_ran != 0;
		moved += hvm_chan_events(c) != seen;
		{
			struct hvm_chan_wait w = { .index = old, .seen = seen };

			rc = ioctl(fd, HVM_IOC_CHAN_WAIT, &w) ? -errno : 0;
			if (rc != -ECANCELED) {
				printf("# round %d: the old channel's wait "
				       "says %d, not -ECANCELED\n",
				       i, rc);
				bad++;
			}
		}
		r.index = old;
		ioctl(fd, HVM_IOC_CHAN_CLOSE, &r);
		memset(&o, 0, sizeof(o));
		if (ioctl(fd, HVM_IOC_CHAN_OPEN, &o) || o.index != old) {
			printf("# round %d: reopen gave channel %u, not %u "
			       "(%s)\n",
			       i, o.index, old, strerror(errno));
			bad++;
			close(fd);
			continue;
		}
		/* The new owner's call must get its own result. */
		seen = hvm_chan_events(c);
		post_raw(c, f_answer, (uint64_t)stack + stack_len, b.ctx);
		kick_raw(fd, a, 0);
		if (wait_evt(c, seen, 5000)) {
			printf("# round %d: the new owner's call was never "
			       "picked up (state %u, op %u)\n",
			       i, c->state, c->op);
			wedged++;
		} else if (c->state != HVM_CHAN_DONE || c->status ||
			   c->result != 42) {
			printf("# round %d: the new owner's call ended with "
			       "state %u status %d result %ld\n",
			       i, c->state, c->status, (long)c->result);
			bad++;
		}
		munmap(stack, stack_len);
		munmap(a, HVM_CHAN_SIZE);
		close(fd); /* aborts what a wedged channel still runs */
	}
	check(!ran && !moved,
	      "a request posted on a channel of an earlier boot never runs",
	      "ran %d times, events in %d of %d rounds", ran, moved, n);
	check(!wedged && !bad,
	      "the channel's next owner gets its own result after each",
	      "%d wedged, %d wrong of %d", wedged, bad, n);
	check(info().state == HVM_HRT_READY, "the HRT is ready afterwards",
	      "state %u", info().state);
	return 0;
}

/*
 * D3: right after a boot, two cores load the same context for the first
 * time at once.  Before the fix both could create its root: one core ran
 * on a root whose user half nobody filled, and the first push on the
 * invocation stack faulted four times although Linux had the page
 * (-EFAULT at hrt_ustub_start+4).  N rounds: reboot, then one request per
 * core posted back to back on fresh channels, kicked together.
 */
GUEST_TEST_CMD(first_load, "first-load N")
{
	int n = atoi(args[0]), bad = 0, faults = 0, ncores = 2;
	size_t stack_len = 64 << 10;

	for (int i = 0; i < n; i++) {
		int fd = dev(), rc = reboot_hrt();
		struct hvm_chan_area *a;
		struct hvm_chan *c[2];
		struct hvm_bind b;
		uint64_t seen[2];
		char *stack[2];

		if (rc || wait_state(HVM_HRT_READY, 10000)) {
			printf("# round %d: reboot: %s\n", i, strerror(-rc));
			bad++;
			close(fd);
			continue;
		}
		a = mmap(NULL, HVM_CHAN_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		memset(&b, 0, sizeof(b));
		if (a == MAP_FAILED || ioctl(fd, HVM_IOC_BIND, &b)) {
			printf("# round %d: bind: %s\n", i, strerror(errno));
			bad++;
			close(fd);
			continue;
		}
		for (int k = 0; k < ncores; k++) {
			struct hvm_chan_open o = { .core = (uint32_t)k };

			stack[k] =
				mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				     -1, 0);
			if (ioctl(fd, HVM_IOC_CHAN_OPEN, &o))
				o.index = 0;
			c[k] = &a->chan[o.index];
			seen[k] = hvm_chan_events(c[k]);
		}
		for (int k = 0; k < ncores; k++)
			post_raw(c[k], f_answer, (uint64_t)stack[k] + stack_len,
				 b.ctx);
		for (int k = 0; k < ncores; k++)
			kick_raw(fd, a, (uint32_t)k);
		for (int k = 0; k < ncores; k++) {
			if (wait_evt(c[k], seen[k], 5000) ||
			    c[k]->state != HVM_CHAN_DONE) {
				/* FAULT: nobody serves it here. */
				printf("# round %d core %d: no completion "
				       "(state %u, address %#llx)\n",
				       i, k, c[k]->state,
				       (unsigned long long)c[k]->args[0]);
				bad++;
			} else if (c[k]->status || c[k]->result != 42) {
				printf("# round %d core %d: status %d, vector "
				       "%u addr %#llx rip %#llx\n",
				       i, k, c[k]->status, c[k]->fault.vector,
				       (unsigned long long)c[k]->fault.address,
				       (unsigned long long)c[k]->fault.rip);
				faults++;
			}
			munmap(stack[k], stack_len);
		}
		munmap(a, HVM_CHAN_SIZE);
		close(fd);
	}
	check(!faults && !bad,
	      "two cores' first calls in a context after a boot succeed",
	      "%d faulted, %d other failures in %d rounds", faults, bad, n);
	return 0;
}

/* ------------------------------------------------------ hung cores (D1) */

static int write_hung_timeout(unsigned int ms)
{
	FILE *f = fopen("/sys/module/hvm/parameters/hung_timeout_ms", "w");

	if (!f)
		return -1;
	fprintf(f, "%u\n", ms);
	return fclose(f) ? -1 : 0;
}

/* Spins (arg) TSC cycles in process code, interrupts on. */
static long f_spin_cycles(void *arg, unsigned int i)
{
	uint64_t t0 = hvm_rdtsc();

	(void)i;
	while (hvm_rdtsc() - t0 < (uint64_t)arg)
		;
	return 7;
}

static long f_sleep_ms(void *arg, unsigned int i)
{
	(void)i;
	usleep((useconds_t)(long)arg * 1000);
	return 8;
}

struct hold {
	hrt_fn fn;
	long arg;
	int core;
	int rc;
	long r;
};

static void *hold_core(void *arg)
{
	struct hold *h = arg;
	struct hrt_opts o = { .core = h->core, .timeout_ms = 60000 };

	h->rc = hrt_invoke_opts(h->fn, (void *)h->arg, &h->r, &o);
	return NULL;
}

/*
 * D1: every HRT core's liveness counts.  With hung_timeout_ms 1000: a
 * non-boot core running process code for 3 s (interrupts on) and one
 * whose code sleeps 3 s in a forwarded call are not hung; a non-boot
 * core spinning with interrupts off (hvmctl debug hang) is marked hung
 * within 8 s, and a reboot brings the HRT back.
 */
GUEST_TEST_CMD(hung_core, "hung-core")
{
	unsigned int saved = hung_timeout_ms(), ncores = info().hrt_cpus;
	uint64_t hung0 = stats().hung_detected;
	int last = (int)ncores - 1, not_ready = 0, rc, ok;
	struct hold h[2] = {
		{ f_spin_cycles, (long)(info().tsc_khz * 3000), last, 0, 0 },
		{ f_sleep_ms, 3000, 0, 0, 0 },
	};
	struct hvm_debug d = { .op = HVM_DEBUG_HANG };
	pthread_t t[2];
	uint64_t end;

	if (ncores < 2) {
		check(0, "needs two HRT cores", "%u", ncores);
		return 1;
	}
	h[1].core = last > 1 ? 1 : last;
	write_hung_timeout(1000);
	for (int k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, hold_core, &h[k]);
	end = now_ns() + 3500000000ull;
	while (now_ns() < end) {
		not_ready += info().state != HVM_HRT_READY;
		sleep_ms(50);
	}
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	check(!not_ready && stats().hung_detected == hung0 && !h[0].rc &&
		      h[0].r == 7 && !h[1].rc && h[1].r == 8,
	      "a non-boot core in 3 s of process code or of a forwarded "
	      "sleep is not hung",
	      "%d samples not ready, %llu hung verdicts, spin rc %d r %ld, "
	      "sleep rc %d r %ld",
	      not_ready, (unsigned long long)(stats().hung_detected - hung0),
	      h[0].rc, h[0].r, h[1].rc, h[1].r);
	d.hrt_cpu = (uint32_t)last;
	rc = ioctl(ctl, HVM_IOC_DEBUG, &d) ? -errno : 0;
	ok = !rc && !wait_state(HVM_HRT_HUNG, 8000);
	check(ok, "a non-boot core spinning with interrupts off is marked hung",
	      "core %d: debug rc %d, state %u after 8 s", last, rc,
	      info().state);
	rc = reboot_hrt();
	check(!rc && info().state == HVM_HRT_READY,
	      "a reboot brings the HRT back", "rc %d state %u", rc,
	      info().state);
	write_hung_timeout(saved);
	return 0;
}

static int open_ctl(void)
{
	ctl = dev();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct guest_test_config cfg = {
		.mode = GUEST_STEP,
		.setup = open_ctl,
	};

	return guest_test_main(argc, argv, &cfg);
}
