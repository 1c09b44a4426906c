// SPDX-License-Identifier: MIT
/* stress-guest.c - hvm-stress: the in-guest side of the reliability campaigns
 * (fault, reboot and kill storms, /dev/hvm and image fuzz, access, load). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hrt.h"
#include "hvm.h"
#include "hvm_api.h"
#include "hvm_chan.h"
#include "hvm_uapi.h"

/*
 * usage: hvm-stress [--seed N] CAMPAIGN...  (see usage_text).  Every
 * campaign prints "# ..." details, "ok - " / "not ok - " verdicts and one
 * summary line "NAME: attempted A survived S lost L oopses O stuck K";
 * the program ends with "N passed, N failed" and "hvm-stress: done".
 *
 * Every campaign body runs in child processes; the parent never binds
 * (it only counts free contexts and channels, reads the kernel log and
 * runs hvmctl), so one hung or killed body cannot take the rest along.
 */

static const char usage_text[] =
	"usage: hvm-stress [--seed N] CAMPAIGN...\n"
	"  faults=N           N invocations, about half of them faulting\n"
	"  reboots=N          N reboots (ready, busy, hung, crashed, stopped) "
	"with\n"
	"                     invocations in flight\n"
	"  kills=N            N processes killed or stopped during "
	"invocations\n"
	"  fuzz=N[,noreboot][,stop]  N random ioctl/mmap/file operations on\n"
	"                     /dev/hvm (valid reboots let through unless\n"
	"                     noreboot; HVM_IOC_STOP only with stop)\n"
	"  images=N[,FROM]    N mutants of /root/hrt.elf (from index FROM)\n"
	"  images=fixed       two mutants with known outcomes (make test)\n"
	"  unpriv             access checks as uid 65534 and without "
	"CAP_SYS_ADMIN\n"
	"  load=P,T,S         P processes x T threads invoking for S seconds\n";

#define HRT_IMAGE	"/root/hrt.elf"
#define UTIL_SETPRIV	"/root/setpriv" /* util-linux's, added by run.sh */
#define NOBODY		65534
#define MAXW		64
#define NNOTES		16
#define CALL_TIMEOUT_MS 20000 /* any single short invocation */

/* ------------------------------------------------------------ shared state */

/* Fuzz result histogram: operation kinds x errno (0 = success). */
#define FZ_NERR	 140
#define FZ_NKIND 32

struct shared {
	long attempted, survived, lost, stuck;
	long progress; /* any worker finished an operation */
	long cnt[64];  /* campaign-specific counters */
	int inflight[MAXW];
	uint64_t started[MAXW]; /* now_ms() when the operation began */
	int owner[MAXW];	/* the worker's process */
	int dumped;		/* dump_hrt() ran for a slow operation */
	char cur[MAXW][160];	/* what each worker is doing */
	int nnotes;
	char notes[NNOTES][200];
	long fz[FZ_NKIND][FZ_NERR];
	int stop;
	int free_ctx, free_chan; /* count_free()'s child reports here */
};

static struct shared *S;
static uint64_t g_seed;
static const char *camp = "stress";
static int npass, nfail;
static unsigned int ncores = 1;
static uint64_t tsc_khz = 1000000;
static int kmsg_fd = -1;

static void add(long *p, long v)
{
	__atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

static void progress(void)
{
	add(&S->progress, 1);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	int i = __atomic_fetch_add(&S->nnotes, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (i >= NNOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(S->notes[i], sizeof(S->notes[i]), fmt, ap);
	va_end(ap);
}

static void set_cur(int w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static uint64_t now_ms(void);

static void set_cur(int w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(S->cur[w], sizeof(S->cur[w]), fmt, ap);
	va_end(ap);
	S->started[w] = now_ms();
	S->owner[w] = getpid();
	__atomic_store_n(&S->inflight[w], 1, __ATOMIC_RELEASE);
}

static void clear_cur(int w)
{
	__atomic_store_n(&S->inflight[w], 0, __ATOMIC_RELEASE);
	progress();
}

static void verdict(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void verdict(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - %s: ", ok ? "ok" : "not ok", camp);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		npass++;
	else
		nfail++;
}

/* ------------------------------------------------------------ helpers */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A seed for one campaign (or worker) derived from the run's seed. */
static uint64_t sub_seed(const char *name, uint64_t k)
{
	uint64_t h = g_seed ^ 0x51ed270b27a3c4f1ull;

	while (*name)
		h = mix64(h ^ (unsigned char)*name++);
	return mix64(h ^ (k * 0x9e3779b97f4a7c15ull));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int dev_open(void)
{
	return open(HVM_DEV_PATH, O_RDWR | O_CLOEXEC);
}

static int hrt_state(void)
{
	struct hvm_info in;
	int fd = dev_open(), r = -1;

	if (fd >= 0 && !ioctl(fd, HVM_IOC_INFO, &in))
		r = (int)in.state;
	if (fd >= 0)
		close(fd);
	return r;
}

static int wait_state(int want, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	do {
		if (hrt_state() == want)
			return 0;
		sleep_ms(20);
	} while (now_ms() < end);
	return -1;
}

/*
 * Waits for (pid) at most (ms); returns its wait status, or -1 when it did
 * not end (it is left running).
 */
static int wait_for(pid_t pid, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		if (now_ms() >= end)
			return -1;
		sleep_ms(5);
	}
}

/* What a process that would not die is doing. */
static void describe_stuck(pid_t pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6))
			printf("#   pid %d %s", pid, line);
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("#   %s", line);
	if (f)
		fclose(f);
}

/* SIGKILLs (pid)'s group and reaps it within (ms); -1 if it would not die. */
static int kill_reap(pid_t pid, unsigned int ms)
{
	int st;

	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	st = wait_for(pid, ms);
	if (st == -1) {
		printf("# pid %d did not end %u ms after SIGKILL\n", pid, ms);
		describe_stuck(pid);
	}
	return st;
}

/*
 * Runs argv with stdout/stderr to /dev/null (or kept with (show)); returns
 * its exit status, 128+N for a signal, -1 when it did not end in (ms).
 */
static int run_cmd(unsigned int ms, int show, char *const argv[])
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		if (!show && fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	st = wait_for(pid, ms);
	if (st == -1) {
		printf("# %s %s: no exit after %u ms\n", argv[0],
		       argv[1] ? argv[1] : "", ms);
		kill_reap(pid, 5000);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int hvmctl(unsigned int ms, const char *a, const char *b, const char *c,
		  const char *d)
{
	char *argv[] = { "hvmctl",  (char *)a, (char *)b,
			 (char *)c, (char *)d, NULL };

	return run_cmd(ms, 0, argv);
}

/* ------------------------------------------------------------ kernel log */

static void kmsg_mark(void)
{
	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/* dmesg BUG, Oops, WARNING, general protection. */
static int kmsg_is_oops(const char *m)
{
	const char *p;

	for (p = m; (p = strstr(p, "BUG")); p++)
		if ((p == m ||
		     !((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z')) &&
		    !((p[3] | 0x20) >= 'a' && (p[3] | 0x20) <= 'z'))
			return 1;
	return strstr(m, "Oops") || strstr(m, "WARNING") ||
	       strstr(m, "general protection");
}

/*
 * Reads the kernel log since the last mark; prints and counts the oops
 * lines, prints up to (quiet_max) other warnings.  Returns the oops count.
 */
static int kmsg_scan(int quiet_max)
{
	char rec[2048];
	int oops = 0, other = 0;
	ssize_t n;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		char *msg, *nl;
		int prio;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {
			printf("# kmsg: records overwritten before they were "
			       "read\n");
			continue;
		}
		if (n <= 0)
			break;
		rec[n] = 0;
		prio = atoi(rec) & 7;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (kmsg_is_oops(msg)) {
			if (oops++ < 30)
				printf("# kmsg: %s\n", msg);
		} else if (prio <= 4 && other++ < quiet_max) {
			printf("# kmsg: %s\n", msg);
		}
	}
	if (other > quiet_max)
		printf("# kmsg: %d more warnings\n", other - quiet_max);
	return oops;
}

/*
 * What the HRT and the channels look like (for an operation that is
 * taking far too long): state, heartbeat, each core's kick words, every
 * channel with a request the HRT has not picked up or a call under way,
 * and the end of the HRT log.  Public ABI only: a mapping of its own.
 */
#define DUMP_LINES 40
static void dump_hrt(const char *why)
{
	static char log[8193];
	struct hvm_log_read lr;
	struct hvm_chan_area *a;
	struct hvm_info in;
	int fd = dev_open(), n = 0;
	unsigned int hi = 0;
	char *p, *lines[DUMP_LINES];

	printf("# dump (%s):\n", why);
	if (fd < 0 || ioctl(fd, HVM_IOC_INFO, &in)) {
		printf("#   no /dev/hvm\n");
		if (fd >= 0)
			close(fd);
		return;
	}
	printf("#   HRT %s, boot %u, heartbeat %llu\n",
	       hvm_hrt_state_name(in.state), in.boot_count,
	       (unsigned long long)in.heartbeat);
	a = mmap(NULL, HVM_CHAN_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (a != MAP_FAILED) {
		for (unsigned int c = 0;
		     c < in.hrt_cpus && c < HVM_MAX_HRT_CPUS; c++) {
			printf("#   core %u: kicks %llu, scan bound %llu, not "
			       "polling %llu\n",
			       c, (unsigned long long)hvm_chan_kicks(a, c),
			       (unsigned long long)hvm_kick_bound(a, c),
			       (unsigned long long)hvm_kick_idle(a, c));
			if (hvm_kick_bound(a, c) > hi)
				hi = (unsigned int)hvm_kick_bound(a, c);
		}
		for (unsigned int i = 0; i < hi && i < HVM_CHAN_MAX; i++) {
			const struct hvm_chan *c = &a->chan[i];
			int waiting = c->op == HVM_OP_INVOKE &&
				      c->t_pickup < c->t_submit;
			int busy = c->state == HVM_CHAN_RUNNING ||
				   c->state == HVM_CHAN_SYSCALL ||
				   c->state == HVM_CHAN_FAULT;

			if (!waiting && !busy)
				continue;
			printf("#   chan %u core %u ctx %u: op %u req_seq "
			       "%llu, state %u evt_seq %llu nr %llu "
			       "hrt_sleeping %llu%s\n",
			       i, c->core, c->ctx, c->op,
			       (unsigned long long)c->req_seq, c->state,
			       (unsigned long long)c->evt_seq,
			       (unsigned long long)c->nr,
			       (unsigned long long)c->hrt_sleeping,
			       waiting ? ": INVOKE posted, not picked up" : "");
		}
		munmap(a, HVM_CHAN_SIZE);
	}
	/* The head first (a read past it copies nothing), then its last 8 KiB. */
	memset(&lr, 0, sizeof(lr));
	lr.pos = ~0ull;
	lr.buf = (uintptr_t)log;
	lr.len = 1;
	if (ioctl(fd, HVM_IOC_LOG_READ, &lr))
		lr.head = 0;
	lr.pos = lr.head > 8192 ? lr.head - 8192 : 0;
	lr.len = 8192;
	lr.copied = 0;
	lr.head = lr.lost = 0;
	if (ioctl(fd, HVM_IOC_LOG_READ, &lr))
		lr.copied = 0;
	log[lr.copied] = 0;
	for (p = strtok(log, "\n"); p; p = strtok(NULL, "\n"))
		lines[n++ % DUMP_LINES] = p;
	printf("#   HRT log, last lines:\n");
	for (int k = n > DUMP_LINES ? n - DUMP_LINES : 0; k < n; k++)
		printf("#     %.160s\n", lines[k % DUMP_LINES]);
	close(fd);
	fflush(stdout);
}

/* Dumps once when an operation of this process has run for 12 s. */
static void *watch_thread(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t now;

		sleep_ms(500);
		now = now_ms();
		for (int w = 0; w < MAXW; w++) {
			if (!__atomic_load_n(&S->inflight[w],
					     __ATOMIC_ACQUIRE) ||
			    S->owner[w] != getpid() ||
			    now < S->started[w] + 12000 ||
			    __atomic_exchange_n(&S->dumped, 1,
						__ATOMIC_ACQ_REL))
				continue;
			printf("# slow: worker %d, %llu ms: %s\n", w,
			       (unsigned long long)(now - S->started[w]),
			       S->cur[w]);
			dump_hrt("an operation running for 12 s");
		}
	}
	return NULL;
}

static void start_watch(void)
{
	pthread_t t;

	if (!pthread_create(&t, NULL, watch_thread, NULL))
		pthread_detach(t);
}

/* ------------------------------------------------------------ HRT code */

struct job {
	uint64_t x;
	uint32_t rounds;
	uint32_t ms;	    /* f_spin, f_sleep */
	volatile char *mem; /* f_touch: fresh pages */
	uint32_t pages;
	int fd; /* f_block */
};

static uint64_t expect_mix(const struct job *j, unsigned int core)
{
	uint64_t v = j->x + core;

	for (uint32_t k = 0; k <= j->rounds; k++)
		v = mix64(v);
	return v;
}

static long f_mix(void *arg, unsigned int core)
{
	return (long)expect_mix(arg, core);
}

/* A forwarded system call first. */
static long f_fwd(void *arg, unsigned int core)
{
	return (long)(expect_mix(arg, core) ^ (uint64_t)syscall(SYS_getpid));
}

/* Forwarded page faults: fresh pages, never touched by Linux. */
static long f_touch(void *arg, unsigned int core)
{
	const struct job *j = arg;

	for (uint32_t p = 0; p < j->pages; p++)
		j->mem[(size_t)p * 4096 + (p * 64) % 4096] = (char)(j->x + p);
	return (long)expect_mix(j, core);
}

/* Computes on the HRT for j->ms milliseconds (TSC), no forwarding. */
static long f_spin(void *arg, unsigned int core)
{
	const struct job *j = arg;
	uint64_t end = hvm_rdtsc() + (uint64_t)j->ms * tsc_khz;

	while (hvm_rdtsc() < end)
		__asm__ volatile("pause" ::: "memory");
	return (long)expect_mix(j, core);
}

/* A forwarded call that blocks in Linux. */
static long f_sleep(void *arg, unsigned int core)
{
	const struct job *j = arg;
	struct timespec ts = { 0, (long)j->ms * 1000000 };

	if (nanosleep(&ts, NULL))
		return -1;
	return (long)expect_mix(j, core);
}

/* Blocks for ever in a forwarded read (a pipe nobody writes). */
static long f_block(void *arg, unsigned int core)
{
	const struct job *j = arg;
	char c;

	(void)core;
	return read(j->fd, &c, 1);
}

static long f_loop(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 0;
}

static void *thr_fn(void *arg)
{
	struct job *j = arg;

	return (void *)(uintptr_t)expect_mix(j, 7);
}

/* An HRT thread made by pthread_create inside offloaded code. */
static long f_thread(void *arg, unsigned int core)
{
	pthread_t t;
	void *r = NULL;

	(void)core;
	if (pthread_create(&t, NULL, thr_fn, arg))
		return -1;
	if (pthread_join(t, &r))
		return -2;
	return (long)(uintptr_t)r;
}

static volatile long vzero;

static long f_nullw(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	*(volatile long *)0 = 1;
	return 0;
}

static long f_ud2(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	__asm__ volatile("ud2");
	return 0;
}

static long f_int3(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	__asm__ volatile("int3");
	return 0;
}

static long f_div(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	return 100 / vzero;
}

static long f_noncanon(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	return *(volatile long *)0x8000000000000000ull;
}

/* A forwarded call, then a NULL write. */
static long f_fwd_null(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	if (syscall(SYS_getpid) > 0)
		*(volatile long *)0 = 2;
	return 0;
}

/* FNV-1a over a per-call buffer, optionally written to a pipe first. */
struct ck {
	const unsigned char *buf;
	size_t len;
	int fd; /* >= 0: write the buffer there (forwarded) */
	int pad;
};

static uint64_t fnv(const unsigned char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static long f_cksum(void *arg, unsigned int core)
{
	const struct ck *c = arg;
	uint64_t h = fnv(c->buf, c->len, 0xcbf29ce484222325ull + core);

	if (c->fd >= 0 && write(c->fd, c->buf, c->len) != (ssize_t)c->len)
		return -1;
	return (long)(h & 0x7fffffffffffffffull);
}

static long expect_cksum(const struct ck *c, unsigned int core)
{
	return (long)(fnv(c->buf, c->len, 0xcbf29ce484222325ull + core) &
		      0x7fffffffffffffffull);
}

/* ------------------------------------------------------------ invoking */

static const enum hrt_wait_mode wait_modes[4] = { HRT_WAIT_DEFAULT,
						  HRT_WAIT_POLL, HRT_WAIT_BLOCK,
						  HRT_WAIT_SPIN_BLOCK };
static const char *const wait_names[4] = { "default", "poll", "block",
					   "spin-block" };

enum { CALL_SYNC, CALL_ASYNC, CALL_ALL };
static const char *const call_names[3] = { "sync", "async", "all-core" };

/*
 * One invocation of (fn) in style (how): rets[] gets each core's result
 * (one for sync/async).  Returns the status; *ncalled the cores used.
 */
static int invoke(int how, hrt_fn fn, void *arg, struct hrt_opts *o, long *rets,
		  unsigned int *ncalled)
{
	struct hrt_call *call;
	int rc;

	*ncalled = 1;
	if (how == CALL_SYNC)
		return hrt_invoke_opts(fn, arg, &rets[0], o);
	if (how == CALL_ASYNC) {
		rc = hrt_invoke_async(fn, arg, o, &call);
		return rc ? rc : hrt_wait(call, &rets[0]);
	}
	rc = hrt_invoke_all(fn, arg, 0, rets, o);
	if (rc > 0) {
		*ncalled = (unsigned int)rc;
		return 0;
	}
	return rc;
}

/* Fresh process: binds, invokes (n) times, checks each result. */
static int probe_child(int n, uint64_t seed)
{
	struct job j = { 0 };
	long r = 0;
	int rc;

	rc = hrt_open();
	if (rc) {
		printf("# probe: hrt_open: %s\n", strerror(-rc));
		return 2;
	}
	start_watch();
	for (int k = 0; k < n; k++) {
		struct hrt_opts o = { .core = -1,
				      .timeout_ms = CALL_TIMEOUT_MS };

		set_cur(MAXW - 1, "probe: invocation %d of a new process", k);
		j.x = rnd(&seed);
		j.rounds = (uint32_t)(j.x % 50);
		o.core = k % 2 ? -1 : (int)(k / 2 % ncores);
		rc = hrt_invoke_opts(f_mix, &j, &r, &o);
		if (rc || r != (long)expect_mix(&j, 0)) {
			printf("# probe: invocation %d: rc %d (%s) result %s\n",
			       k, rc, rc ? strerror(-rc) : "ok",
			       rc ? "-" : "wrong");
			return rc == -ETIMEDOUT ? 3 : 1;
		}
		clear_cur(MAXW - 1);
	}
	return 0;
}

/* 0 when a new process binds and invokes (n) times within (ms). */
static int probe(int n, unsigned int ms)
{
	uint64_t seed = sub_seed("probe", now_ms());
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		_exit(probe_child(n, seed));
	}
	st = wait_for(pid, ms);
	if (st == -1) {
		kill_reap(pid, 5000);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ------------------------------------------------------------ free slots */

/*
 * In a child: binds new files until the driver says ENOSPC (free context
 * slots), then opens channels on one file until ENOSPC (free channels).
 */
static int count_free(int *ctx, int *chan)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fds[HVM_CTX_MAX + 1], n, c = 0, fd;

		for (n = 0; n <= (int)HVM_CTX_MAX; n++) {
			struct hvm_bind b;

			memset(&b, 0, sizeof(b));
			fds[n] = dev_open();
			if (fds[n] < 0)
				break;
			if (ioctl(fds[n], HVM_IOC_BIND, &b)) {
				close(fds[n]);
				break;
			}
		}
		S->free_ctx = n;
		for (int k = 0; k < n; k++)
			close(fds[k]);
		fd = dev_open();
		for (; fd >= 0 && c <= (int)HVM_CHAN_MAX; c++) {
			struct hvm_chan_open co;

			memset(&co, 0, sizeof(co));
			co.core = (uint32_t)c % ncores;
			if (ioctl(fd, HVM_IOC_CHAN_OPEN, &co))
				break;
		}
		S->free_chan = c;
		_exit(0);
	}
	st = wait_for(pid, 60000);
	if (st == -1) {
		kill_reap(pid, 5000);
		return -1;
	}
	*ctx = S->free_ctx;
	*chan = S->free_chan;
	return 0;
}

/* A number from hvm.ko's sysfs folder, or -1 (older drivers lack some). */
static long sysfs_num(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/hvm/hrt/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* ------------------------------------------------------------ campaigns */

static uint64_t t_begin;
static int leak_ctx, leak_chan;
static long sys_ctx, sys_chan, sys_retired;
static unsigned int hung_ms_saved;

static void begin(const char *name, const char *what)
{
	camp = name;
	memset(S, 0, sizeof(*S));
	printf("# %s: %s, seed %llu, %u HRT core(s)\n", name, what,
	       (unsigned long long)g_seed, ncores);
	fflush(stdout);
	if (wait_state(HVM_HRT_READY, 20000))
		printf("# %s: HRT not ready at the start (%s)\n", name,
		       hvm_hrt_state_name(hrt_state()));
	leak_ctx = leak_chan = -1;
	count_free(&leak_ctx, &leak_chan);
	sys_ctx = sysfs_num("ctx_free");
	sys_chan = sysfs_num("chan_free");
	sys_retired = sysfs_num("chan_retired");
	kmsg_mark();
	t_begin = now_ms();
}

static void print_notes(void)
{
	int n = S->nnotes < NNOTES ? S->nnotes : NNOTES;

	for (int i = 0; i < n; i++)
		printf("#   %s\n", S->notes[i]);
	if (S->nnotes > NNOTES)
		printf("#   (%d more)\n", S->nnotes - NNOTES);
}

/*
 * The checks every campaign ends with; (label) is the summary's name.
 * Returns the number of oops lines.
 */
static int end(const char *label, int quiet_max)
{
	int oops, st, ready, ctx = -1, chan = -1, pr;

	ready = wait_state(HVM_HRT_READY, 20000) == 0;
	verdict(ready, "HRT ready afterwards%s%s", ready ? "" : ", state ",
		ready ? "" : hvm_hrt_state_name(hrt_state()));
	pr = probe(3, 60000);
	verdict(pr == 0, "a new process binds and invokes afterwards%s",
		pr ? " (failed)" : "");
	/* Files of killed processes are released a little later. */
	for (int k = 0; k < 50; k++) {
		st = count_free(&ctx, &chan);
		if (st || (ctx >= leak_ctx && chan >= leak_chan))
			break;
		sleep_ms(100);
	}
	verdict(ctx == leak_ctx && chan == leak_chan && ctx > 0,
		"no context or channel leaked (free contexts %d -> %d, "
		"channels %d -> %d)",
		leak_ctx, ctx, leak_chan, chan);
	if (sys_ctx >= 0) {
		long c2 = sysfs_num("ctx_free"), h2 = sysfs_num("chan_free"),
		     r2 = sysfs_num("chan_retired");

		printf("# %s: sysfs ctx_free %ld -> %ld, chan_free %ld -> %ld, "
		       "chan_retired %ld -> %ld\n",
		       camp, sys_ctx, c2, sys_chan, h2, sys_retired, r2);
		verdict(c2 == sys_ctx && h2 == sys_chan && r2 <= sys_retired,
			"hvm.ko's own slot counts agree (sysfs ctx_free, "
			"chan_free, chan_retired)");
	}
	oops = kmsg_scan(quiet_max);
	verdict(oops == 0, "no ROS oops in dmesg (%d line(s))", oops);
	verdict(S->lost == 0, "no lost or wrong result (%ld)", S->lost);
	print_notes();
	verdict(S->stuck == 0, "nothing stuck past its timeout (%ld)",
		S->stuck);
	printf("# %s: %.1f s\n", camp, (double)(now_ms() - t_begin) / 1000);
	printf("%s: attempted %ld survived %ld lost %ld oopses %d stuck %ld\n",
	       label, S->attempted, S->survived, S->lost, oops, S->stuck);
	fflush(stdout);
	return oops;
}

/*
 * Runs body(arg) in a child; waits while S->progress moves (at most
 * (stall_s) without).  A stalled body is killed and its in-flight
 * operations are counted stuck.  Returns the wait status or -1.
 */
static int run_body(void (*body)(void *), void *arg, unsigned int stall_s)
{
	long last = -1;
	uint64_t since = now_ms();
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		body(arg);
		fflush(stdout);
		_exit(0);
	}
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (S->progress != last) {
			last = S->progress;
			since = now_ms();
		} else if (now_ms() - since > stall_s * 1000ull) {
			int n = 0;

			printf("# %s: no progress for %u s; in flight:\n", camp,
			       stall_s);
			for (int w = 0; w < MAXW; w++)
				if (S->inflight[w]) {
					printf("#   worker %d: %s\n", w,
					       S->cur[w]);
					n++;
				}
			add(&S->stuck, n ? n : 1);
			add(&S->attempted, n ? n : 1);
			kill_reap(pid, 10000);
			return -1;
		}
		sleep_ms(20);
	}
	if (WIFSIGNALED(st)) {
		printf("# %s: the campaign process died of signal %d\n", camp,
		       WTERMSIG(st));
		add(&S->lost, 1);
	}
	return st;
}

/* ---------------------------------------------------------------- faults */

enum {
	FK_GOOD,
	FK_FWD,
	FK_TOUCH,
	FK_NULLW,
	FK_UD2,
	FK_INT3,
	FK_DIV,
	FK_NONCANON,
	FK_FWD_NULL,
	FK_N
};
static const struct {
	const char *name;
	hrt_fn fn;
	int vector; /* -1: no fault */
} fkinds[FK_N] = {
	{ "good", f_mix, -1 },
	{ "good+forwarded", f_fwd, -1 },
	{ "good+page faults", f_touch, -1 },
	{ "NULL write", f_nullw, 14 },
	{ "ud2", f_ud2, 6 },
	{ "int3", f_int3, 3 },
	{ "divide by zero", f_div, 0 },
	{ "non-canonical", f_noncanon, 13 },
	{ "forwarded+NULL", f_fwd_null, 14 },
};

struct faults_arg {
	long n;
	int nthreads;
};

static struct faults_arg *fa;

/* Checks one outcome; returns 1 when right. */
static int fault_right(int kind, const struct job *j, int rc,
		       const struct hvm_fault *f, const long *rets,
		       unsigned int ncalled, char *why, size_t wn)
{
	int v = fkinds[kind].vector;

	if (v < 0) {
		for (unsigned int c = 0; c < ncalled; c++) {
			uint64_t want = expect_mix(j, c);

			if (kind == FK_FWD)
				want ^= (uint64_t)getpid();
			if (rc || rets[c] != (long)want) {
				snprintf(why, wn, "rc %d, core %u result %s",
					 rc, c, rc ? "-" : "wrong");
				return 0;
			}
		}
		return 1;
	}
	if (rc != -EFAULT || (int)f->vector != v ||
	    (v == 14 && (f->address != 0 || !(f->error_code & 2))) ||
	    f->rip < (uint64_t)fkinds[kind].fn ||
	    f->rip >= (uint64_t)fkinds[kind].fn + 512) {
		snprintf(why, wn,
			 "rc %d vector %u addr %#llx err %#x rip %#llx (fn %p)",
			 rc, f->vector, (unsigned long long)f->address,
			 f->error_code, (unsigned long long)f->rip,
			 (void *)fkinds[kind].fn);
		return 0;
	}
	return 1;
}

static void *faults_thread(void *arg)
{
	int w = (int)(intptr_t)arg;
	uint64_t seed = sub_seed("faults", (uint64_t)w);
	long per = fa->n / fa->nthreads + (w < fa->n % fa->nthreads);
	long rets[HVM_MAX_HRT_CPUS];

	for (long i = 0; i < per; i++) {
		uint64_t r = rnd(&seed);
		/* About half fault; good ones pick one of three kinds. */
		int kind = r & 1 ? (int)((r >> 8) % 3)
				 : 3 + (int)((r >> 8) % 6);
		int wm = (int)((r >> 16) & 3), how = (int)((r >> 20) % 10);
		struct hvm_fault f;
		struct hrt_opts o = { .core = -1,
				      .wait = wait_modes[wm],
				      .timeout_ms = CALL_TIMEOUT_MS,
				      .fault = &f };
		struct job j = { .x = rnd(&seed),
				 .rounds = (uint32_t)((r >> 24) % 64) };
		unsigned int ncalled = 0;
		char why[200];
		int rc;

		how = how < 7 ? CALL_SYNC : how < 9 ? CALL_ASYNC : CALL_ALL;
		if ((r >> 28) & 1)
			o.core = (int)((r >> 32) % ncores);
		if (kind == FK_TOUCH) {
			j.pages = 1 + (uint32_t)((r >> 40) % 8);
			j.mem = mmap(NULL, (size_t)j.pages * 4096,
				     PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (j.mem == MAP_FAILED)
				continue;
		}
		memset(&f, 0, sizeof(f));
		memset(rets, 0, sizeof(rets));
		set_cur(w, "faults #%ld: %s, %s call, wait %s, core %d", i,
			fkinds[kind].name, call_names[how], wait_names[wm],
			o.core);
		rc = invoke(how, fkinds[kind].fn, &j, &o, rets, &ncalled);
		add(&S->attempted, 1);
		add(&S->cnt[kind], 1);
		if (rc == -ETIMEDOUT) {
			add(&S->stuck, 1);
			note("%s: -ETIMEDOUT after %u ms", S->cur[w],
			     o.timeout_ms);
		} else if (fault_right(kind, &j, rc, &f, rets, ncalled, why,
				       sizeof(why))) {
			add(&S->survived, 1);
		} else {
			add(&S->lost, 1);
			note("%s: %s", S->cur[w], why);
		}
		if (kind == FK_TOUCH) {
			for (uint32_t p = 0; p < j.pages && !rc; p++)
				if (j.mem[(size_t)p * 4096 + (p * 64) % 4096] !=
				    (char)(j.x + p)) {
					add(&S->lost, 1);
					note("%s: page %u not written",
					     S->cur[w], p);
					break;
				}
			munmap((void *)j.mem, (size_t)j.pages * 4096);
		}
		clear_cur(w);
	}
	return NULL;
}

static void faults_body(void *arg)
{
	pthread_t th[8];
	int n = fa->nthreads;

	(void)arg;
	if (hrt_open())
		printf("# faults: hrt_open failed\n");
	start_watch();
	for (int w = 0; w < n; w++)
		pthread_create(&th[w], NULL, faults_thread,
			       (void *)(intptr_t)w);
	for (int w = 0; w < n; w++)
		pthread_join(th[w], NULL);
}

static void c_faults(long n)
{
	struct faults_arg a = { n, 2 };
	long nf = 0;

	fa = &a;
	begin("faults", "invocations that fault (NULL write, ud2, int3, #DE, "
			"non-canonical) between good ones");
	run_body(faults_body, NULL, 90);
	for (int k = 0; k < FK_N; k++) {
		printf("#   %-18s %ld\n", fkinds[k].name, S->cnt[k]);
		if (fkinds[k].vector >= 0)
			nf += S->cnt[k];
	}
	verdict(S->attempted >= n && nf > 0,
		"%ld of %ld invocations done, %ld faulting: each -EFAULT with "
		"its vector, each good one its result",
		S->attempted, n, nf);
	end("faults", 5);
}

/* ---------------------------------------------------------------- reboots */

/* Counters in S->cnt for the in-flight worker. */
enum { RB_OK, RB_CANCELED, RB_NODEV, RB_OTHER, RB_LATE, RB_AGAIN, RB_N };

struct inflight_arg {
	int nthreads;
};

static void *inflight_thread(void *arg)
{
	int w = (int)(intptr_t)arg + 1;
	uint64_t seed = sub_seed("inflight", (uint64_t)w);
	long rets[HVM_MAX_HRT_CPUS];

	while (!__atomic_load_n(&S->stop, __ATOMIC_ACQUIRE)) {
		uint64_t r = rnd(&seed), t0;
		int kind = (int)(r % 6), wm = (int)((r >> 8) & 3);
		int how = (r >> 12) % 8 == 0   ? CALL_ALL
			  : (r >> 12) % 8 == 1 ? CALL_ASYNC
					       : CALL_SYNC;
		struct hvm_fault f = { 0 };
		struct hrt_opts o = { .core = -1,
				      .wait = wait_modes[wm],
				      .timeout_ms = CALL_TIMEOUT_MS,
				      .fault = &f };
		struct job j = { .x = rnd(&seed), .rounds = 8 };
		static const hrt_fn fns[6] = { f_mix,	f_fwd,	 f_spin,
					       f_sleep, f_touch, f_thread };
		static const char *const names[6] = {
			"compute", "forwarded",	  "spin",
			"sleep",   "page faults", "thread"
		};
		unsigned int ncalled = 0;
		int rc, good = 1;

		j.ms = 5 + (uint32_t)((r >> 16) % 60);
		if (kind == 4) {
			j.pages = 4;
			j.mem = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		}
		if (kind == 5)
			how = CALL_SYNC;
		set_cur(w, "in flight: %s, %s call, wait %s", names[kind],
			call_names[how], wait_names[wm]);
		t0 = now_ms();
		rc = invoke(how, fns[kind], &j, &o, rets, &ncalled);
		add(&S->attempted, 1);
		for (unsigned int c = 0; !rc && c < ncalled; c++) {
			uint64_t want = kind == 5 ? expect_mix(&j, 7)
						  : expect_mix(&j, c);

			if (kind == 1)
				want ^= (uint64_t)getpid();
			if (rets[c] != (long)want)
				good = 0;
		}
		if (now_ms() - t0 > CALL_TIMEOUT_MS + 5000 ||
		    rc == -ETIMEDOUT) {
			add(&S->cnt[RB_LATE], 1);
			add(&S->stuck, 1);
			note("%s: rc %d after %llu ms", S->cur[w], rc,
			     (unsigned long long)(now_ms() - t0));
		} else if (rc == 0 && good) {
			add(&S->cnt[RB_OK], 1);
			add(&S->survived, 1);
		} else if (rc == -ECANCELED || rc == -ENODEV || rc == -EAGAIN) {
			add(&S->cnt[rc == -ECANCELED ? RB_CANCELED
				    : rc == -ENODEV  ? RB_NODEV
						     : RB_AGAIN],
			    1);
			add(&S->survived, 1);
		} else {
			add(&S->cnt[RB_OTHER], 1);
			add(&S->lost, 1);
			note("%s: rc %d (%s)%s, fault vector %u addr %#llx rip "
			     "%#llx",
			     S->cur[w], rc, rc ? strerror(-rc) : "ok",
			     rc ? "" : ", wrong result", f.vector,
			     (unsigned long long)f.address,
			     (unsigned long long)f.rip);
			dump_hrt("a wrong result");
		}
		if (kind == 4)
			munmap((void *)j.mem, 4 * 4096);
		clear_cur(w);
		if (rc)
			sleep_ms(5); /* the HRT is away: do not spin */
	}
	return NULL;
}

static void inflight_body(void *arg)
{
	const struct inflight_arg *a = arg;
	pthread_t th[8];

	while (hrt_open() && !S->stop)
		sleep_ms(50);
	start_watch();
	for (int w = 0; w < a->nthreads; w++)
		pthread_create(&th[w], NULL, inflight_thread,
			       (void *)(intptr_t)w);
	for (int w = 0; w < a->nthreads; w++)
		pthread_join(th[w], NULL);
}

/* A process with one endless invocation (a busy HRT core). */
static pid_t start_spinner(int core)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct hrt_opts o = { .core = core,
				      .wait = HRT_WAIT_BLOCK,
				      .timeout_ms = 60000 };
		long r;
		int rc;

		setpgid(0, 0);
		if (hrt_open())
			_exit(10);
		__atomic_add_fetch(&S->cnt[40], 1, __ATOMIC_RELEASE);
		rc = hrt_invoke_opts(f_loop, NULL, &r, &o);
		_exit(rc == -ECANCELED ? 0 : rc == -ETIMEDOUT ? 3 : 1);
	}
	return pid;
}

static void write_param(const char *name, unsigned int v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/hvm/parameters/%s", name);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%u\n", v);
		fclose(f);
	}
}

static unsigned int read_param(const char *name)
{
	char path[128];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/hvm/parameters/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/*
 * The states a reboot starts from.  "hung" hangs the boot core (its
 * heartbeat stops, so the driver marks the HRT hung); "hung AP" hangs the
 * last core and waits as long for the driver to notice.
 */
enum {
	RS_READY,
	RS_BUSY,
	RS_HUNG,
	RS_HANGING,
	RS_CRASHED,
	RS_STOPPED,
	RS_HUNG_AP,
	RS_N
};
static const char *const rs_names[RS_N] = {
	"ready",
	"busy (endless invocation)",
	"hung (boot core)",
	"hanging (not yet detected)",
	"crashed",
	"stopped",
	"hung (non-boot core)",
};

static void c_reboots(long n)
{
	struct inflight_arg ia = { (int)ncores + 1 };
	uint64_t seed = sub_seed("reboots", 0);
	long per[RS_N][2];
	pid_t worker;
	int ws;

	memset(per, 0, sizeof(per));
	begin("reboots", "hvmctl reboot from ready, busy, hung, hanging, "
			 "crashed and stopped HRTs, invocations in flight");
	hung_ms_saved = read_param("hung_timeout_ms");
	write_param("hung_timeout_ms", 1000);
	fflush(stdout);
	worker = fork();
	if (worker == 0) {
		setpgid(0, 0);
		inflight_body(&ia);
		_exit(0);
	}
	sleep_ms(300);
	for (long i = 0; i < n; i++) {
		uint64_t r = rnd(&seed);
		int kind = (int)(i % RS_N), core = (int)((r >> 8) % ncores);

		if (kind == RS_HUNG)
			core = 0;
		if (kind == RS_HUNG_AP)
			core = (int)ncores - 1;
		if (kind == RS_HUNG_AP && ncores < 2)
			kind = RS_HUNG;
		int ok = 1, rc, pr, sst;
		pid_t spinner = -1;
		char cs[16];
		uint64_t t0;

		snprintf(cs, sizeof(cs), "%d", core);
		set_cur(0, "reboot %ld from %s (core %d)", i, rs_names[kind],
			core);
		switch (kind) {
		case RS_READY:
			sleep_ms((unsigned int)((r >> 16) % 200));
			break;
		case RS_BUSY:
			S->cnt[40] = 0;
			spinner = start_spinner(core);
			for (int k = 0;
			     k < 500 &&
			     !__atomic_load_n(&S->cnt[40], __ATOMIC_ACQUIRE);
			     k++)
				sleep_ms(10);
			sleep_ms(100);
			break;
		case RS_HUNG:
		case RS_HANGING:
		case RS_HUNG_AP:
			if (hvmctl(10000, "debug", "hang", "-c", cs)) {
				printf("# reboot %ld: hvmctl debug hang "
				       "failed\n",
				       i);
				ok = 0;
			} else if (kind == RS_HUNG &&
				   wait_state(HVM_HRT_HUNG, 15000)) {
				printf("# reboot %ld: HRT not marked hung in "
				       "15 s (%s)\n",
				       i, hvm_hrt_state_name(hrt_state()));
				ok = 0;
			} else if (kind == RS_HUNG_AP) {
				/* hung_timeout_ms is 1000 here: 8 s is plenty. */
				int seen = !wait_state(HVM_HRT_HUNG, 8000);

				S->cnt[20]++;
				S->cnt[21] += seen;
				if (!seen)
					printf("# reboot %ld: HRT core %d "
					       "hangs with interrupts off; "
					       "after 8 s the HRT is still "
					       "%s\n",
					       i, core,
					       hvm_hrt_state_name(hrt_state()));
			}
			if (kind == RS_HANGING)
				sleep_ms(50);
			break;
		case RS_CRASHED:
			if (hvmctl(10000, "debug", "crash", "-c", cs) ||
			    wait_state(HVM_HRT_CRASHED, 10000)) {
				printf("# reboot %ld: HRT did not report the "
				       "crash (%s)\n",
				       i, hvm_hrt_state_name(hrt_state()));
				ok = 0;
			}
			break;
		case RS_STOPPED:
			if (hvmctl(10000, "stop", NULL, NULL, NULL) ||
			    hrt_state() != HVM_HRT_LOADED) {
				printf("# reboot %ld: hvmctl stop: state %s\n",
				       i, hvm_hrt_state_name(hrt_state()));
				ok = 0;
			}
			break;
		}
		t0 = now_ms();
		rc = hvmctl(60000, "reboot", NULL, NULL, NULL);
		add(&S->attempted, 1);
		per[kind][0]++;
		if (rc == -1) {
			printf("# reboot %ld from %s: hvmctl reboot hung\n", i,
			       rs_names[kind]);
			add(&S->stuck, 1);
			clear_cur(0);
			continue;
		}
		if (rc != 0 || wait_state(HVM_HRT_READY, 10000)) {
			printf("# reboot %ld from %s: hvmctl reboot exit %d, "
			       "state %s\n",
			       i, rs_names[kind], rc,
			       hvm_hrt_state_name(hrt_state()));
			add(&S->stuck, 1);
			clear_cur(0);
			continue;
		}
		if (spinner > 0) {
			sst = wait_for(spinner, 15000);
			if (sst == -1) {
				printf("# reboot %ld: the endless invocation "
				       "did not end 15 s after the reboot\n",
				       i);
				kill_reap(spinner, 5000);
				add(&S->stuck, 1);
				ok = 0;
			} else if (!WIFEXITED(sst) || WEXITSTATUS(sst)) {
				printf("# reboot %ld: the endless invocation "
				       "ended with status %#x (want "
				       "-ECANCELED)\n",
				       i, sst);
				add(&S->lost, 1);
				ok = 0;
			}
		}
		pr = probe(1, 60000);
		if (pr) {
			printf("# reboot %ld from %s: a new process could not "
			       "invoke (%d), %llu ms after the reboot began\n",
			       i, rs_names[kind], pr,
			       (unsigned long long)(now_ms() - t0));
			if (pr == -1 || pr == 3)
				add(&S->stuck, 1);
			else
				add(&S->lost, 1);
			ok = 0;
		}
		if (ok) {
			add(&S->survived, 1);
			per[kind][1]++;
		}
		clear_cur(0);
	}
	__atomic_store_n(&S->stop, 1, __ATOMIC_RELEASE);
	ws = wait_for(worker, 60000);
	if (ws == -1) {
		printf("# reboots: the in-flight process did not finish; in "
		       "flight:\n");
		for (int w = 1; w < MAXW; w++)
			if (S->inflight[w]) {
				printf("#   %s\n", S->cur[w]);
				add(&S->stuck, 1);
			}
		kill_reap(worker, 10000);
	}
	write_param("hung_timeout_ms", hung_ms_saved);
	for (int k = 0; k < RS_N; k++)
		if (per[k][0])
			printf("#   from %-27s %ld of %ld\n", rs_names[k],
			       per[k][1], per[k][0]);
	printf("# in flight: %ld invocations: %ld results, %ld -ECANCELED, %ld "
	       "-ENODEV, %ld -EAGAIN, %ld other, %ld past their timeout\n",
	       S->cnt[RB_OK] + S->cnt[RB_CANCELED] + S->cnt[RB_NODEV] +
		       S->cnt[RB_AGAIN] + S->cnt[RB_OTHER] + S->cnt[RB_LATE],
	       S->cnt[RB_OK], S->cnt[RB_CANCELED], S->cnt[RB_NODEV],
	       S->cnt[RB_AGAIN], S->cnt[RB_OTHER], S->cnt[RB_LATE]);
	if (S->cnt[RB_AGAIN])
		printf("# in flight: -EAGAIN: a call that needed a new channel "
		       "while the HRT was (re)booting (hvm.h: try again)\n");
	{
		long done = 0;

		for (int k = 0; k < RS_N; k++)
			done += per[k][1];
		verdict(done == n,
			"%ld of %ld reboots came back ready and a new process "
			"invoked",
			done, n);
	}
	verdict(S->cnt[RB_OTHER] + S->cnt[RB_LATE] == 0,
		"every in-flight invocation ended with its result, -ECANCELED, "
		"-ENODEV (or -EAGAIN) within its timeout");
	if (S->cnt[20])
		verdict(S->cnt[21] == S->cnt[20],
			"a hung non-boot HRT core is marked hung (%ld of %ld)",
			S->cnt[21], S->cnt[20]);
	end("reboots", 5);
}

/* ---------------------------------------------------------------- kills */

enum {
	KA_KILL,
	KA_STOP_KILL,
	KA_STOP_CONT,
	KA_STOP_CONT_MANY,
	KA_KILL_BLOCKED,
	KA_KILL_THREADS,
	KA_N
};
static const char *const ka_names[KA_N] = {
	"SIGKILL",
	"SIGSTOP+SIGKILL",
	"SIGSTOP+SIGCONT",
	"4x SIGSTOP+SIGCONT",
	"SIGKILL in a blocked forwarded read",
	"SIGKILL, 3 threads invoking",
};

struct victim {
	int slot; /* S->cnt[slot] counts its finished calls */
	int nthreads;
	int calls; /* per thread */
	int block; /* end in f_block */
	uint64_t seed;
};

static struct victim *vic;
static int vic_pipe[2];

static void *victim_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t seed = vic->seed + (uint64_t)t * 7919;
	long rets[HVM_MAX_HRT_CPUS], bad = 0;

	for (int i = 0; i < vic->calls; i++) {
		uint64_t r = rnd(&seed);
		int kind = (int)(r % 7), wm = (int)((r >> 8) & 3), rc;
		struct hvm_fault f;
		struct hrt_opts o = { .core = -1,
				      .wait = wait_modes[wm],
				      .timeout_ms = CALL_TIMEOUT_MS,
				      .fault = &f };
		struct job j = { .x = rnd(&seed), .rounds = 4 };
		unsigned int ncalled = 1;
		int how = CALL_SYNC;
		hrt_fn fn = f_mix;

		if (vic->block && i == 1) {
			j.fd = vic_pipe[0];
			__atomic_store_n(&S->cnt[vic->slot + 1], 1,
					 __ATOMIC_RELEASE);
			hrt_invoke(f_block, &j, &rets[0]);
			bad++; /* never returns while the pipe stays open */
			break;
		}
		switch (kind) {
		case 0:
			fn = f_sleep;
			j.ms = 2 + (uint32_t)((r >> 16) % 20);
			break;
		case 1:
			fn = f_touch;
			j.pages = 16;
			j.mem = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			break;
		case 2:
			fn = f_nullw;
			break;
		case 3:
			fn = f_spin;
			j.ms = 10 + (uint32_t)((r >> 16) % 60);
			break;
		case 4:
			fn = f_thread;
			break;
		case 5:
			fn = f_fwd;
			how = CALL_ASYNC;
			break;
		default:
			how = CALL_ALL;
			break;
		}
		memset(&f, 0, sizeof(f));
		rc = invoke(how, fn, &j, &o, rets, &ncalled);
		if (fn == f_nullw) {
			if (rc != -EFAULT || f.vector != 14)
				bad++;
		} else {
			for (unsigned int c = 0; c < ncalled; c++) {
				uint64_t want =
					expect_mix(&j, fn == f_thread ? 7 : c);

				if (fn == f_fwd)
					want ^= (uint64_t)getpid();
				if (rc || rets[c] != (long)want)
					bad++;
			}
		}
		if (kind == 1)
			munmap((void *)j.mem, 16 * 4096);
		if (bad) {
			printf("# victim %d thread %d call %d (kind %d): rc "
			       "%d\n",
			       vic->slot, t, i, kind, rc);
			fflush(stdout);
		}
		add(&S->cnt[vic->slot], 1);
	}
	return (void *)bad;
}

static void victim_main(struct victim *v)
{
	pthread_t th[4];
	void *b;
	long bad = 0;

	vic = v;
	if (pipe(vic_pipe) || hrt_open())
		_exit(10);
	for (int t = 1; t < v->nthreads; t++)
		pthread_create(&th[t], NULL, victim_thread,
			       (void *)(intptr_t)t);
	bad += (long)victim_thread((void *)0);
	for (int t = 1; t < v->nthreads; t++) {
		pthread_join(th[t], &b);
		bad += (long)b;
	}
	_exit(bad ? 1 : 0);
}

static void c_kills(long n)
{
	uint64_t seed = sub_seed("kills", 0);
	long per[KA_N][2];

	memset(per, 0, sizeof(per));
	begin("kills", "SIGKILL / SIGSTOP (+SIGCONT or +SIGKILL) of processes "
		       "in forwarded calls, faults, HRT threads");
	for (long i = 0; i < n; i++) {
		uint64_t r = rnd(&seed);
		int act = (int)(i % KA_N), st, ok = 1;
		unsigned int d = 1 + (unsigned int)((r >> 8) % 150);
		struct victim v = { .slot = 0,
				    .nthreads = 1,
				    .calls = 1000,
				    .seed = rnd(&seed) };
		pid_t pid;

		if (act == KA_STOP_CONT || act == KA_STOP_CONT_MANY)
			v.calls = 8;
		if (act == KA_KILL_THREADS)
			v.nthreads = 3;
		if (act == KA_KILL_BLOCKED)
			v.block = 1;
		S->cnt[0] = S->cnt[1] = 0;
		set_cur(0, "kill %ld: %s after %u ms", i, ka_names[act], d);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			victim_main(&v);
		}
		/* Let it get into invocations first. */
		for (int k = 0;
		     k < 1000 &&
		     !__atomic_load_n(&S->cnt[0], __ATOMIC_ACQUIRE) &&
		     !__atomic_load_n(&S->cnt[1], __ATOMIC_ACQUIRE);
		     k++)
			sleep_ms(10);
		if (act == KA_KILL_BLOCKED)
			sleep_ms(50); /* in the forwarded read by now */
		sleep_ms(d);
		switch (act) {
		case KA_KILL:
		case KA_KILL_BLOCKED:
		case KA_KILL_THREADS:
			kill(pid, SIGKILL);
			break;
		case KA_STOP_KILL:
			kill(pid, SIGSTOP);
			sleep_ms(d);
			kill(pid, SIGKILL);
			break;
		case KA_STOP_CONT:
			kill(pid, SIGSTOP);
			sleep_ms(50 + d);
			kill(pid, SIGCONT);
			break;
		default:
			for (int k = 0; k < 4; k++) {
				kill(pid, SIGSTOP);
				sleep_ms(20 + d / 4);
				kill(pid, SIGCONT);
				sleep_ms(d / 2);
			}
			break;
		}
		st = wait_for(pid,
			      act == KA_STOP_CONT || act == KA_STOP_CONT_MANY
				      ? 120000
				      : 15000);
		add(&S->attempted, 1);
		per[act][0]++;
		if (st == -1) {
			printf("# kill %ld (%s after %u ms): the process did "
			       "not end\n",
			       i, ka_names[act], d);
			if (kill_reap(pid, 15000) == -1)
				printf("# kill %ld: unkillable\n", i);
			add(&S->stuck, 1);
			ok = 0;
		} else if (act == KA_STOP_CONT || act == KA_STOP_CONT_MANY) {
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				printf("# kill %ld (%s): the continued process "
				       "ended with status %#x, %ld calls "
				       "done\n",
				       i, ka_names[act], st, S->cnt[0]);
				add(&S->lost, 1);
				ok = 0;
			}
		} else if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) &&
			   !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			printf("# kill %ld (%s): ended with status %#x\n", i,
			       ka_names[act], st);
			add(&S->lost, 1);
			ok = 0;
		}
		if (ok) {
			add(&S->survived, 1);
			per[act][1]++;
		}
		clear_cur(0);
	}
	for (int k = 0; k < KA_N; k++)
		printf("#   %-36s %ld of %ld\n", ka_names[k], per[k][1],
		       per[k][0]);
	verdict(S->survived == n,
		"%ld of %ld processes ended as signalled (killed, or continued "
		"with every result right)",
		S->survived, n);
	{
		int bad = 0;

		for (int k = 0; k < 5; k++)
			if (probe(2, 60000))
				bad++;
		verdict(!bad,
			"5 new processes bind and invoke after the storm (%d "
			"failed)",
			bad);
	}
	end("kills", 5);
}

/* ---------------------------------------------------------------- fuzz */

enum {
	FZK_IOCTL0 = 0, /* + nr of the 15 /dev/hvm ioctls */
	FZK_BADCMD = 15,
	FZK_RANDCMD,
	FZK_VFSCMD,
	FZK_MMAP,
	FZK_MUNMAP,
	FZK_MPROTECT,
	FZK_MREMAP,
	FZK_MADVISE,
	FZK_TOUCH,
	FZK_MEMREAD,
	FZK_OPEN,
	FZK_CLOSE,
	FZK_READ,
	FZK_POLL,
	FZK_FORK,
	FZK_WRITE
};
static const char *const fzk_names[FZ_NKIND] = {
	"INFO",		"BOOT",	     "REBOOT",	   "STOP",  "LOAD",
	"LOG_READ",	"STATS",     "PING",	   "DEBUG", "BIND",
	"UNBIND",	"CHAN_OPEN", "CHAN_CLOSE", "KICK",  "CHAN_WAIT",
	"bad size/dir", "random nr", "VFS ioctl",  "mmap",  "munmap",
	"mprotect",	"mremap",    "madvise",	   "touch", "/proc/self/mem",
	"open",		"close",     "read",	   "poll",  "fork",
	"write",	"",
};
static const unsigned long hvm_cmds[15] = {
	HVM_IOC_INFO,	    HVM_IOC_BOOT,   HVM_IOC_REBOOT,
	HVM_IOC_STOP,	    HVM_IOC_LOAD,   HVM_IOC_LOG_READ,
	HVM_IOC_STATS,	    HVM_IOC_PING,   HVM_IOC_DEBUG,
	HVM_IOC_BIND,	    HVM_IOC_UNBIND, HVM_IOC_CHAN_OPEN,
	HVM_IOC_CHAN_CLOSE, HVM_IOC_KICK,   HVM_IOC_CHAN_WAIT,
};

#define FZ_FDS	8
#define FZ_MAPS 8

struct fz_map {
	char *addr;
	size_t len;
	int prot;
};

struct fz_ctx {
	uint64_t seed;
	int w;
	int child; /* in a forked child: syscalls only */
};

static int fz_fd[FZ_FDS];
static struct fz_map fz_map[FZ_MAPS];
static pthread_mutex_t fz_map_lock = PTHREAD_MUTEX_INITIALIZER;
static char *fz_buf;	 /* 64 KiB of random bytes, then a PROT_NONE page */
static char *fz_ro;	 /* one read-only page */
static char *fz_ro_boot; /* one read-only page: an hvm_boot with reserved0 1 */
static void *fz_image;	 /* the real image, or NULL */
static size_t fz_image_len;
static int fz_allow_stop;	/* fuzz=N,stop: HVM_IOC_STOP (then BOOT) too */
static int fz_allow_reboot = 1; /* fuzz=N,noreboot: valid reboots turned away */
static __thread sigjmp_buf fz_jmp;
static __thread volatile int fz_jmp_on;

static void fz_sig(int sig)
{
	if (fz_jmp_on)
		siglongjmp(fz_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads 64 words of a mapping; a signal there is returned, not fatal. */
static int fz_touch(volatile char *p)
{
	volatile char sink = 0;
	int sig = sigsetjmp(fz_jmp, 1);

	if (sig) {
		fz_jmp_on = 0;
		return sig;
	}
	fz_jmp_on = 1;
	for (int b = 0; b < 64; b++)
		sink ^= p[(size_t)b * 64];
	fz_jmp_on = 0;
	(void)sink;
	return 0;
}

static void fz_count(int kind, long r, int err)
{
	add(&S->fz[kind][r >= 0			    ? 0
			 : err > 0 && err < FZ_NERR ? err
						    : FZ_NERR - 1],
	    1);
}

/* A pointer argument: mostly the random buffer, sometimes a bad one. */
static void *fz_ptr(uint64_t *s, size_t size)
{
	switch (rnd(s) % 16) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)(1 + rnd(s) % 4095);
	case 2:
		return (void *)0xffff888000000000ull;
	case 3:
		return (void *)0xffffffff81000000ull;
	case 4:
		return (void *)0x8000000000000000ull;
	case 5:
		return fz_ro;
	case 6:
		return fz_buf + 65536 - size / 2; /* straddles PROT_NONE */
	case 7:
		return (void *)(uintptr_t)(rnd(s) & 0x00007ffffffff000ull);
	case 8:
		return fz_buf + 1 + rnd(s) % 64; /* misaligned */
	default:
		return fz_buf;
	}
}

static int fz_pick_fd(uint64_t *s)
{
	int fd = fz_fd[rnd(s) % FZ_FDS];

	for (int k = 0; fd < 0 && k < FZ_FDS; k++)
		fd = fz_fd[k];
	return fd >= 0 || rnd(s) % 8 ? fd : -1;
}

/* Fills the buffer as an argument of ioctl (nr): random, zero+one, or
 * plausible. */
static void fz_fill(uint64_t *s, unsigned int nr, size_t size)
{
	unsigned int tmpl = (unsigned int)(rnd(s) % 4);
	uint32_t *u32 = (uint32_t *)fz_buf;
	uint64_t *u64 = (uint64_t *)fz_buf;

	if (tmpl == 0) {
		for (size_t i = 0; i < size; i += 8) {
			uint64_t v = rnd(s);

			memcpy(fz_buf + i, &v, size - i < 8 ? size - i : 8);
		}
	} else {
		memset(fz_buf, 0, size);
		if (tmpl == 1 && size >= 4) {
			size_t off = (rnd(s) % (size / 4)) * 4;
			uint32_t v = (uint32_t)rnd(s);

			if (rnd(s) % 2)
				v %= 8;
			memcpy(fz_buf + off, &v, 4);
		} else if (tmpl >= 2) {
			/* plausible values field by field */
			switch (nr) {
			case 1:
			case 2: /* boot / reboot */
				if (rnd(s) % 4 == 0)
					snprintf(fz_buf + 64, HVM_CMDLINE_MAX,
						 "%llx x=%llu",
						 (unsigned long long)rnd(s),
						 (unsigned long long)rnd(s) %
							 100);
				break;
			case 4: { /* load */
				struct hvm_load *l = (void *)fz_buf;

				if (fz_image && rnd(s) % 4 == 0) {
					l->addr = (uintptr_t)fz_image;
					l->len = fz_image_len;
				} else {
					l->addr = (uintptr_t)fz_ptr(s, 64);
					l->len = rnd(s) % 3
							 ? rnd(s) % 70000
							 : rnd(s) % (16u << 20);
				}
				break;
			}
			case 5: { /* log read */
				struct hvm_log_read *lr = (void *)fz_buf;

				lr->pos = rnd(s) % 2 ? rnd(s) % 200000 : rnd(s);
				lr->buf = (uintptr_t)fz_ptr(s, 4096);
				if (lr->buf == (uintptr_t)fz_buf)
					lr->buf = (uintptr_t)(fz_buf + 4096);
				lr->len = (uint32_t)(rnd(s) %
						     (HVM_LOG_READ_MAX + 2));
				if (lr->buf == (uintptr_t)(fz_buf + 4096) &&
				    lr->len > 65536 - 4096)
					lr->len = 65536 - 4096;
				break;
			}
			case 7: /* ping */
				u32[0] = (uint32_t)(rnd(s) % 3);
				u32[1] = (uint32_t)(rnd(s) % (ncores + 1));
				u32[2] = (uint32_t)(rnd(s) % 100);
				break;
			case 8: /* debug */
				u32[0] = (uint32_t)(rnd(s) % 5);
				u32[1] = (uint32_t)(rnd(s) % 70);
				break;
			case 11:
			case 13: /* chan open, kick */
				u32[0] = (uint32_t)(rnd(s) % (ncores + 2));
				break;
			case 12: /* chan close */
				u32[0] =
					(uint32_t)(rnd(s) % (HVM_CHAN_MAX + 8));
				break;
			case 14: /* chan wait */
				u32[0] =
					(uint32_t)(rnd(s) % (HVM_CHAN_MAX + 8));
				u32[1] = (uint32_t)(rnd(s) % 30);
				u64[1] = rnd(s) % 4;
				break;
			default:
				break;
			}
		}
	}
}

/* The argument of a command fz_guard() looks at. */
union fz_guarded {
	struct hvm_boot b;
	struct hvm_ping p;
	struct hvm_debug d;
	struct hvm_chan_wait w;
};

/* Commands whose argument can stop or stall the HRT (or the caller). */
static int fz_is_guarded(unsigned int nr)
{
	return nr == 1 || nr == 2 || nr == 7 || nr == 8 || nr == 14;
}

/*
 * What would really stall or stop the HRT is kept out of an argument of
 * ioctl (nr): boots and reboots only with fz_allow_reboot (and then one in
 * four, with a timeout the boot can meet), no debug hang or crash, no
 * wait or ping longer than 200 ms.
 */
static void fz_guard(uint64_t *s, unsigned int nr, union fz_guarded *g)
{
	if (nr == 1 || nr == 2) {
		if (g->b.timeout_ms && g->b.timeout_ms < 20000)
			g->b.timeout_ms = 0;
		/* A valid reboot costs a boot: let one in four through. */
		if (rnd(s) % 4 || !fz_allow_reboot)
			g->b.reserved0 |= 1;
	} else if (nr == 7) {
		g->p.timeout_ms %= 200;
	} else if (nr == 8 &&
		   (g->d.op == HVM_DEBUG_HANG || g->d.op == HVM_DEBUG_CRASH)) {
		g->d.op += 3;
	} else if (nr == 14) {
		g->w.timeout_ms %= 200;
	}
}

/*
 * The pointer ioctl (nr) gets for (arg), (size) bytes.  The guard must hold
 * for the bytes the driver reads, whatever pointer fz_ptr() substituted
 * (the zero page is a valid hvm_boot; at fz_buf + 4 the guard's own bit
 * is a 1 ms timeout) and whatever the other fuzz thread writes into the
 * shared fz_buf meanwhile.  So a pointer the kernel can read becomes a
 * copy of the bytes there (zeros for a random user address) in this
 * thread's own buffer, at the same misalignment, guarded there; the zero
 * read-only page stays where zeros are harmless and, for boots, only when
 * a valid request may pass (else a read-only hvm_boot with reserved0 1).
 * Pointers the kernel cannot read (NULL, page 0, kernel, non-canonical,
 * reaching the PROT_NONE page after fz_buf) stay.
 */
static void *fz_arg(uint64_t *s, unsigned int nr, size_t size, void *arg)
{
	static __thread union {
		union fz_guarded g;
		char c[64 + sizeof(union fz_guarded)];
	} own;
	uintptr_t p = (uintptr_t)arg, buf = (uintptr_t)fz_buf;
	union fz_guarded g;
	size_t k = 0;

	if (!fz_is_guarded(nr) || size > sizeof(g))
		return arg;
	if (p < 4096 || p >= 0x0000800000000000ull ||
	    (p < buf + 65536 + 4096 && p + size > buf + 65536))
		return arg;
	if (arg == fz_ro) {
		if (nr != 1 && nr != 2)
			return arg;
		return fz_allow_reboot && rnd(s) % 4 == 0 ? fz_ro : fz_ro_boot;
	}
	memset(&g, 0, sizeof(g));
	if (p >= buf && p + size <= buf + 65536) {
		k = (size_t)(p - buf) % 64;
		memcpy(&g, arg, size);
	}
	fz_guard(s, nr, &g);
	memcpy(own.c + k, &g, size);
	return own.c + k;
}

/* fz_arg() for (cmd) when it is one of ours, exactly. */
static void *fz_arg_cmd(uint64_t *s, unsigned long cmd, void *arg)
{
	for (unsigned int nr = 0; nr < 15; nr++)
		if (cmd == hvm_cmds[nr])
			return fz_arg(s, nr, _IOC_SIZE(cmd), arg);
	return arg;
}

/* One random operation; returns 0 (any errno is fine) or a signal number. */
static int fz_op(struct fz_ctx *c, long i)
{
	uint64_t *s = &c->seed, r = rnd(s);
	unsigned int op = (unsigned int)(r % 100), nr;
	int fd = fz_pick_fd(s), kind, sig = 0;
	long ret = 0;
	int err = 0;

	/* A forked child stays off the mappings (and their lock). */
	if (c->child && op >= 69 && op < 86)
		op = 0;
	if (op < 55) { /* a /dev/hvm ioctl, valid number */
		unsigned long cmd;
		size_t size;
		void *arg;

		nr = (unsigned int)(rnd(s) % 15);
		if (nr == 3 && !fz_allow_stop)
			nr = 0;
		cmd = hvm_cmds[nr];
		size = _IOC_SIZE(cmd);
		kind = (int)nr;
		arg = fz_buf;
		if (size) {
			fz_fill(s, nr, size);
			if (rnd(s) % 6 == 0)
				arg = fz_ptr(s, size);
			arg = fz_arg(s, nr, size, arg);
		} else if (rnd(s) % 2) {
			arg = (void *)(uintptr_t)rnd(s);
		}
		set_cur(c->w, "fuzz #%ld: ioctl(%d, %s, %p)", i, fd,
			fzk_names[nr], arg);
		ret = ioctl(fd, cmd, arg);
		err = errno;
		if (nr == 3 && ret == 0) {
			/* Not in fz_buf, which the other thread fills. */
			struct hvm_boot zb;

			ioctl(fd, HVM_IOC_BOOT, memset(&zb, 0, sizeof(zb)));
		}
	} else if (op < 62) { /* valid nr, wrong size/direction/type */
		unsigned long cmd = hvm_cmds[rnd(s) % 15];
		unsigned int m = (unsigned int)(rnd(s) % 3);
		void *arg;

		kind = FZK_BADCMD;
		if (_IOC_NR(cmd) == 3 || _IOC_NR(cmd) == 8)
			cmd = HVM_IOC_INFO;
		if (m == 0)
			cmd = _IOC(_IOC_DIR(cmd), HVM_IOC_MAGIC, _IOC_NR(cmd),
				   rnd(s) % 600);
		else if (m == 1)
			cmd = _IOC(rnd(s) % 4, HVM_IOC_MAGIC, _IOC_NR(cmd),
				   _IOC_SIZE(cmd));
		else
			cmd = _IOC(_IOC_DIR(cmd), rnd(s) % 256, _IOC_NR(cmd),
				   _IOC_SIZE(cmd));
		/* The mutation may give the command back (m == 1 keeps the
		 * direction one time in four): then it is guarded as one. */
		arg = fz_arg_cmd(s, cmd, fz_buf);
		set_cur(c->w, "fuzz #%ld: ioctl(%d, %#lx, %p)", i, fd, cmd,
			arg);
		ret = ioctl(fd, cmd, arg);
		err = errno;
	} else if (op < 67) { /* any nr of our magic, or any number */
		unsigned long cmd;
		void *arg;

		kind = FZK_RANDCMD;
		if (rnd(s) % 2) {
			cmd = _IOC(rnd(s) % 4, HVM_IOC_MAGIC,
				   0x0f + rnd(s) % 0xf1, rnd(s) % 1024);
		} else {
			cmd = (unsigned long)(uint32_t)rnd(s);
			/* only our driver's numbers, not the VFS's */
			if (_IOC_TYPE(cmd) == 'f' || _IOC_TYPE(cmd) == 'T' ||
			    _IOC_TYPE(cmd) == 'X' || _IOC_TYPE(cmd) == 0x94 ||
			    _IOC_TYPE(cmd) == 0x15 || _IOC_TYPE(cmd) == 0x54)
				cmd = HVM_IOC_INFO;
			if (_IOC_TYPE(cmd) == HVM_IOC_MAGIC &&
			    (_IOC_NR(cmd) == 3 || _IOC_NR(cmd) == 8 ||
			     _IOC_NR(cmd) == 1 || _IOC_NR(cmd) == 2))
				cmd = HVM_IOC_STATS;
		}
		arg = fz_arg_cmd(s, cmd, fz_ptr(s, 64));
		set_cur(c->w, "fuzz #%ld: ioctl(%d, %#lx, %p)", i, fd, cmd,
			arg);
		ret = ioctl(fd, cmd, arg);
		err = errno;
	} else if (op < 69) { /* generic file ioctls on our file */
		static const unsigned long vfs[] = { FIONREAD, FIONBIO,
						     FIOCLEX,  FIONCLEX,
						     FIOASYNC, FIOQSIZE };
		unsigned long cmd = vfs[rnd(s) % 6];
		int v = (int)(rnd(s) % 2);

		kind = FZK_VFSCMD;
		set_cur(c->w, "fuzz #%ld: ioctl(%d, VFS %#lx)", i, fd, cmd);
		ret = ioctl(fd, cmd, rnd(s) % 4 ? (void *)&v : fz_ptr(s, 8));
		err = errno;
	} else if (op < 77) { /* mmap */
		static const size_t lens[] = { 0,
					       1,
					       4096,
					       8192,
					       HVM_CHAN_SIZE,
					       HVM_CHAN_SIZE + 4096,
					       2 * HVM_CHAN_SIZE,
					       1ull << 40 };
		size_t len = rnd(s) % 3 ? lens[rnd(s) % 8]
					: (rnd(s) % 160) * 4096;
		off_t off = rnd(s) % 2	 ? 0
			    : rnd(s) % 3 ? (off_t)(rnd(s) % 256) * 4096
					 : (off_t)(rnd(s) & 0x7fffffffffffull);
		int prot = (int)(rnd(s) % 8);
		int flags = rnd(s) % 5 == 0 ? MAP_PRIVATE : MAP_SHARED;
		void *p;

		kind = FZK_MMAP;
		if (rnd(s) % 6 == 0)
			flags |= MAP_POPULATE;
		if (rnd(s) % 8 == 0)
			flags |= MAP_LOCKED;
		set_cur(c->w,
			"fuzz #%ld: mmap(len %#zx, prot %d, flags %#x, fd %d, "
			"off %#llx)",
			i, len, prot, flags, fd, (unsigned long long)off);
		p = mmap(NULL, len, prot, flags, fd, off);
		err = errno;
		ret = p == MAP_FAILED ? -1 : 0;
		if (p != MAP_FAILED) {
			int k = (int)(rnd(s) % FZ_MAPS);

			pthread_mutex_lock(&fz_map_lock);
			if (fz_map[k].addr)
				munmap(fz_map[k].addr, fz_map[k].len);
			fz_map[k].addr = p;
			fz_map[k].len = len;
			fz_map[k].prot = prot;
			pthread_mutex_unlock(&fz_map_lock);
		}
	} else if (op < 86) { /* operations on a mapping */
		int k = (int)(rnd(s) % FZ_MAPS), m = (int)(op - 77);
		struct fz_map mp;
		size_t off, n;

		pthread_mutex_lock(&fz_map_lock);
		mp = fz_map[k];
		if (!mp.addr || m == 0 ||
		    m == 2) /* keep what we munmap/mremap */
			fz_map[k].addr = NULL;
		if (!mp.addr) {
			pthread_mutex_unlock(&fz_map_lock);
			return 0;
		}
		off = (size_t)(rnd(s) % ((mp.len + 4095) / 4096)) * 4096;
		n = (size_t)(1 + rnd(s) % 4) * 4096;
		/* Within this mapping: a neighbour may be another slot's. */
		if (off + n > ((mp.len + 4095) & ~(size_t)4095))
			n = ((mp.len + 4095) & ~(size_t)4095) - off;
		switch (m) {
		case 0: /* munmap, maybe part */
			kind = FZK_MUNMAP;
			set_cur(c->w, "fuzz #%ld: munmap(+%#zx, %#zx) of %#zx",
				i, off, n, mp.len);
			ret = munmap(mp.addr + off, n);
			err = errno;
			munmap(mp.addr, mp.len);
			break;
		case 1: /* mprotect */
			kind = FZK_MPROTECT;
			mp.prot = (int)(rnd(s) % 8);
			set_cur(c->w, "fuzz #%ld: mprotect(+%#zx, %#zx, %d)", i,
				off, n, mp.prot);
			ret = mprotect(mp.addr + off, n, mp.prot);
			err = errno;
			/* Mixed protections now: no more reads of it. */
			if (!ret)
				fz_map[k].prot = 0;
			break;
		case 2: { /* mremap */
			size_t nl = (size_t)(rnd(s) % 160) * 4096;
			void *q;

			kind = FZK_MREMAP;
			set_cur(c->w, "fuzz #%ld: mremap(%#zx -> %#zx)", i,
				mp.len, nl);
			q = mremap(mp.addr, mp.len, nl,
				   rnd(s) % 2 ? MREMAP_MAYMOVE : 0);
			err = errno;
			ret = q == MAP_FAILED ? -1 : 0;
			if (q != MAP_FAILED) {
				fz_map[k].addr = q;
				fz_map[k].len = nl;
				fz_map[k].prot = mp.prot;
			} else {
				fz_map[k] = mp;
			}
			break;
		}
		case 3: { /* madvise */
			static const int adv[] = {
				MADV_DONTNEED,	    MADV_WILLNEED,
				MADV_DONTFORK,	    MADV_DOFORK,
				MADV_REMOVE,	    MADV_FREE,
				MADV_POPULATE_READ, MADV_POPULATE_WRITE,
				MADV_COLD,	    MADV_PAGEOUT,
				MADV_DONTDUMP,	    MADV_HUGEPAGE
			};
			int a = adv[rnd(s) % 12];

			kind = FZK_MADVISE;
			set_cur(c->w, "fuzz #%ld: madvise(+%#zx, %#zx, %d)", i,
				off, n, a);
			ret = madvise(mp.addr + off, n, a);
			err = errno;
			break;
		}
		case 4:
		case 5:
		case 6: /* read the mapping */
			kind = FZK_TOUCH;
			if (!(mp.prot & PROT_READ) || mp.len < 4096)
				break;
			set_cur(c->w,
				"fuzz #%ld: read 64 bytes at +%#zx of %#zx", i,
				off % mp.len, mp.len);
			sig = fz_touch(mp.addr + off % mp.len);
			break;
		default: { /* the kernel reads it: pipe write, /proc/self/mem,
			      process_vm_readv */
			int pfd[2], mfd;
			struct iovec lv = { fz_buf + 32768, 4096 },
				     rv = { mp.addr, 4096 };

			kind = FZK_MEMREAD;
			if (mp.len < 4096)
				break;
			set_cur(c->w,
				"fuzz #%ld: kernel reads of a mapping at %p", i,
				(void *)mp.addr);
			if (!pipe(pfd)) {
				ret = write(pfd[1], mp.addr, 4096);
				close(pfd[0]);
				close(pfd[1]);
			}
			mfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
			if (mfd >= 0) {
				ret = pread(mfd, fz_buf + 32768, 4096,
					    (off_t)(uintptr_t)mp.addr);
				close(mfd);
			}
			ret = process_vm_readv(getpid(), &lv, 1, &rv, 1, 0);
			err = errno;
			break;
		}
		}
		pthread_mutex_unlock(&fz_map_lock);
	} else if (op < 90) { /* open / close */
		int k = (int)(rnd(s) % FZ_FDS);

		if (rnd(s) % 2) {
			kind = FZK_OPEN;
			set_cur(c->w, "fuzz #%ld: open /dev/hvm into slot %d",
				i, k);
			ret = open(HVM_DEV_PATH,
				   (rnd(s) % 3 ? O_RDWR : O_RDONLY) |
					   O_CLOEXEC |
					   (rnd(s) % 2 ? O_NONBLOCK : 0));
			err = errno;
			if (ret >= 0) {
				int old = __atomic_exchange_n(
					&fz_fd[k], (int)ret, __ATOMIC_ACQ_REL);

				if (old >= 0)
					close(old);
				if (!(fcntl((int)ret, F_GETFL) & O_NONBLOCK))
					fcntl((int)ret, F_SETFL, O_NONBLOCK);
			}
		} else {
			int old = __atomic_exchange_n(&fz_fd[k], -1,
						      __ATOMIC_ACQ_REL);

			kind = FZK_CLOSE;
			set_cur(c->w, "fuzz #%ld: close slot %d (fd %d)", i, k,
				old);
			if (old >= 0)
				ret = close(old);
			err = errno;
		}
	} else if (op < 94) { /* read (non-blocking files only) / write */
		size_t n = rnd(s) % 3 ? 8 : rnd(s) % 17;
		int fl = fcntl(fd, F_GETFL);

		kind = rnd(s) % 4 ? FZK_READ : FZK_WRITE;
		if (fd < 0 || fl < 0 || !(fl & O_NONBLOCK))
			return 0;
		set_cur(c->w, "fuzz #%ld: %s(%d, %zu)", i,
			kind == FZK_READ ? "read" : "write", fd, n);
		if (kind == FZK_READ)
			ret = read(fd, fz_ptr(s, n), n);
		else
			ret = write(fd, fz_buf, n);
		err = errno;
	} else if (op < 98) {
		struct pollfd p = { .fd = fd,
				    .events = POLLIN | POLLOUT | POLLPRI };

		kind = FZK_POLL;
		set_cur(c->w, "fuzz #%ld: poll(%d)", i, fd);
		ret = poll(&p, 1, (int)(rnd(s) % 5));
		err = errno;
	} else { /* fork: the child uses the inherited files (and binds) */
		pid_t pid;
		int st;

		kind = FZK_FORK;
		if (c->child)
			return 0;
		set_cur(c->w, "fuzz #%ld: fork, 20 operations in the child", i);
		pid = fork();
		if (pid == 0) {
			struct fz_ctx cc = { .seed = rnd(s),
					     .w = c->w,
					     .child = 1 };
			struct hvm_bind b;
			int nfd = dev_open();

			memset(&b, 0, sizeof(b));
			if (nfd >= 0)
				ioctl(nfd, HVM_IOC_BIND, &b);
			for (int k = 0; k < 20; k++)
				fz_op(&cc, i);
			_exit(0);
		}
		ret = pid < 0 ? -1 : 0;
		err = errno;
		if (pid > 0) {
			st = wait_for(pid, 30000);
			if (st == -1) {
				printf("# fuzz #%ld: forked child did not "
				       "end\n",
				       i);
				kill_reap(pid, 5000);
			}
		}
	}
	fz_count(kind, ret, err);
	return sig;
}

static void *fuzz_thread(void *arg)
{
	struct fz_ctx *c = arg;
	long n = S->cnt[60];

	for (long i = c->w; i < n; i += S->cnt[61]) {
		int sig = fz_op(c, i);

		add(&S->attempted, 1);
		if (sig) {
			add(&S->cnt[62], 1);
			if (S->cnt[62] <= 5)
				note("%s: signal %d", S->cur[c->w], sig);
		}
		add(&S->survived, 1);
		clear_cur(c->w);
	}
	return NULL;
}

static void fuzz_body(void *arg)
{
	struct fz_ctx ctx[2];
	pthread_t th[2];
	struct sigaction sa;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fz_sig;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fz_buf = mmap(NULL, 65536 + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(fz_buf + 65536, 4096, PROT_NONE);
	fz_ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fz_ro_boot = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	((struct hvm_boot *)fz_ro_boot)->reserved0 = 1;
	mprotect(fz_ro_boot, 4096, PROT_READ);
	for (int k = 0; k < FZ_FDS; k++)
		fz_fd[k] = k < 3 ? open(HVM_DEV_PATH,
					O_RDWR | O_NONBLOCK | O_CLOEXEC)
				 : -1;
	for (int w = 0; w < 2; w++) {
		ctx[w].seed = sub_seed("fuzz", (uint64_t)w);
		ctx[w].w = w;
		ctx[w].child = 0;
	}
	S->cnt[61] = 2;
	pthread_create(&th[1], NULL, fuzz_thread, &ctx[1]);
	fuzz_thread(&ctx[0]);
	pthread_join(th[1], NULL);
}

/*
 * hrt.h fuzz, inside an invocation: 24 random calls with random
 * arguments (garbage, NULL and kernel pointers, handles of its own
 * objects, some destroyed; random cores, flags, limits, timeouts of at
 * most 1 ms; HRT memory of random sizes and flags, protected ranges and
 * dirty scans over it and over garbage; allow-listed and refused MSRs,
 * counters, cpuid).  Errors are fine; the invocation must end, its own
 * valid objects must behave (checked: a protected page's write reaches
 * the handler once), and everything it made is released.
 * Returns 0, or the number of the first wrong answer.
 */
static long f_api_nop(void *arg)
{
	return (long)(uintptr_t)arg;
}

/* A write-protection handler that lets the write through. */
static int h_api_allow(void *fault_addr, void *arg)
{
	(void)fault_addr;
	++*(volatile int *)arg;
	return 0;
}

/* MSRs on the allow-list (priv.c) and some that are not. */
static const uint32_t fz_msrs[] = { 0x10, 0xc1,	      0x186,	  0x38f, 0xe8,
				    0x1b, 0xc0000080, 0xc0000082, 0x1d9, 0x3a };

static long f_apifuzz(void *arg, unsigned int core)
{
	struct job *j = arg;
	uint64_t s = j->x, v;
	struct hrt_event *ev = NULL;
	struct hrt_barrier *bar = NULL;
	struct hrt_thread *th[4] = { 0 };
	char *mem[2] = { 0 };
	int hits = 0, nm = 0, prot = -1;
	uint32_t regs[4];
	uint64_t bits[16]; /* a garbage scan's bitmap: up to 4 MiB */
	/*
	 * A handle is a slot + 1 and its generation (hrt-kernel/api.c): 16
	 * names slot 15 before it was first freed, maybe ev or bar.  This
	 * near-NULL pointer is past the last slot (HVM_API_OBJECTS): no
	 * handle.
	 */
	void *junk[] = { NULL,
			 (void *)0xffff888000001000ull,
			 (void *)0xffffffff80100000ull,
			 (void *)(uintptr_t)(HVM_API_OBJECTS + 16),
			 (void *)(uintptr_t)rnd(&s),
			 &s };
	int i, k, nt = 0;
	long r;

	(void)core;
	if (hrt_event_create(&ev) || hrt_barrier_create(&bar, 1))
		return 1;
	for (i = 0; i < 24; i++) {
		uint64_t x = rnd(&s);
		void *p = junk[x % 6];
		/*
		 * What the wrapper writes or reads in process code: an unmapped
		 * user address faults there, as glibc's would (hrt.h).
		 */
		void *q = junk[x % 6 == 3 || x % 6 == 4 ? 0 : x % 6];

		switch ((x >> 8) % 17) {
		case 0:
			if (hrt_event_notify(ev) < 0 ||
			    hrt_event_wait(ev, 0, 0) < 1)
				return 100 + i;
			break;
		case 1:
			hrt_event_notify((struct hrt_event *)p);
			hrt_event_wait((struct hrt_event *)p, x >> 20, 1000);
			break;
		case 2:
			if (hrt_barrier_wait(bar) != 1)
				return 200 + i;
			break;
		case 3:
			hrt_barrier_wait((struct hrt_barrier *)p);
			hrt_barrier_destroy((struct hrt_barrier *)p);
			break;
		case 4:
			if (nt < 4 &&
			    !hrt_thread_create(&th[nt], f_api_nop, (void *)x,
					       (int)(x >> 16) % 4 - 1,
					       HRT_THREAD_NOSYS))
				nt++;
			break;
		case 5:
			hrt_thread_create((struct hrt_thread **)q, f_api_nop,
					  NULL, (int)(x >> 24),
					  (unsigned int)(x >> 40));
			break;
		case 6:
			hrt_thread_join((struct hrt_thread *)q, &r);
			break;
		case 7:
			hrt_irq_restore(hrt_irq_save());
			break;
		case 8:
			hrt_irq_limit(x >> 34);
			break;
		case 9:
			hrt_yield();
			if (hrt_core() < 0 || hrt_ncores() < 1)
				return 300 + i;
			break;
		case 10:
			hrt_event_destroy((struct hrt_event *)p);
			hrt_barrier_create((struct hrt_barrier **)q,
					   (unsigned int)(x >> 32));
			break;
		case 11:
			/* Sizes up to 8 MiB (quota, CONTIG refusals), any flags. */
			if (nm < 2 &&
			    !hrt_mem_alloc((void **)&mem[nm],
					   (x >> 20) % (8u << 20),
					   (unsigned int)(x >> 44) % 4)) {
				if (mem[nm][0] != 0)
					return 600 + i;
				mem[nm++][4095] = 1;
			} else {
				hrt_mem_alloc((void **)q, x >> 12,
					      (unsigned int)(x >> 52));
			}
			break;
		case 12:
			/* Garbage, or a live block (then forgotten). */
			if (nm && prot < 0 && (x & 1)) {
				if (hrt_mem_free(mem[--nm]))
					return 700 + i;
			} else {
				hrt_mem_free(p);
				hrt_virt_to_phys(p);
			}
			break;
		case 13:
			/* A live page: the write faults to the handler, goes on. */
			if (nm && prot < 0) {
				int before = hits;

				if (hrt_wprotect(mem[0], 4096, h_api_allow,
						 &hits))
					return 800 + i;
				prot = 0;
				mem[0][8] = (char)x;
				if (hits != before + 1 || mem[0][8] != (char)x)
					return 850 + i;
			} else {
				hrt_wprotect(p, x >> 40,
					     (int (*)(void *, void *))q, NULL);
			}
			break;
		case 14:
			if (prot == 0 && hrt_wunprotect(mem[0], 4096))
				return 900 + i;
			if (prot == 0)
				prot = -1;
			hrt_wunprotect(p, x >> 40);
			break;
		case 15:
			if (nm && hrt_dirty_scan(mem[0], 4096, &v, x & 1) < 0)
				return 950 + i;
			/*
			 * The bitmap holds len / 4096 bits (hrt.h), cleared
			 * by the wrapper before the HRT checks the range
			 * (libhvm/hrt.c): a writable one must be that big.
			 * &s with up to 256 MiB cleared 8 KiB of this stack.
			 */
			v = x >> 36;
			if (q == (void *)&s) {
				q = bits;
				v %= sizeof(bits) * 8 * 4096;
			}
			hrt_dirty_scan(p, v, (uint64_t *)q, 1);
			break;
		case 16:
			v = x >> 4;
			hrt_rdmsr(fz_msrs[(x >> 16) % 10], (uint64_t *)q);
			hrt_rdmsr((uint32_t)(x >> 24), &v);
			hrt_wrmsr(fz_msrs[(x >> 20) % 10], x >> 28);
			hrt_rdpmc((uint32_t)(x >> 32) % 12, &v);
			hrt_cpuid((uint32_t)(x >> 36), 0, regs);
			break;
		default:
			hrt_event_create((struct hrt_event **)q);
			break;
		}
	}
	for (k = 0; k < nt; k++)
		if (hrt_thread_join(th[k], &r))
			return 400 + k;
	if (prot == 0 && hrt_wunprotect(mem[0], 4096))
		return 510;
	while (nm)
		if (hrt_mem_free(mem[--nm]))
			return 520;
	hrt_irq_limit(0);
	if (hrt_event_destroy(ev) || hrt_barrier_destroy(bar))
		return 500;
	return 0;
}

/* Invokes all along the fuzz; reboots by the fuzzer may cancel calls. */
static void fuzz_checker(void)
{
	uint64_t seed = sub_seed("fuzz-checker", 0);

	while (hrt_open() && !S->stop)
		sleep_ms(50);
	start_watch();
	while (!__atomic_load_n(&S->stop, __ATOMIC_ACQUIRE)) {
		struct job j = { .x = rnd(&seed), .rounds = 16 };
		struct hrt_opts o = { .core = -1,
				      .timeout_ms = CALL_TIMEOUT_MS };
		long r = 0;
		int rc;

		int api = (j.x >> 1) % 3 == 0;

		set_cur(MAXW - 2, "fuzz checker: %s invocation",
			api	  ? "hrt.h fuzz"
			: j.x & 1 ? "forwarded"
				  : "compute");
		rc = hrt_invoke_opts(api       ? f_apifuzz
				     : j.x & 1 ? f_fwd
					       : f_mix,
				     &j, &r, &o);
		/* Not clear_cur(): the fuzzer's progress is the fuzzer's own. */
		__atomic_store_n(&S->inflight[MAXW - 2], 0, __ATOMIC_RELEASE);
		uint64_t want =
			api ? 0
			    : expect_mix(&j, 0) ^
					(j.x & 1 ? (uint64_t)getpid() : 0);

		add(&S->cnt[50], 1);
		if (rc == 0 && r == (long)want)
			add(&S->cnt[51], 1);
		else if (rc == -ECANCELED || rc == -ENODEV || rc == -EAGAIN)
			add(&S->cnt[52], 1);
		else if (rc == -ETIMEDOUT)
			add(&S->cnt[53], 1);
		else if ((add(&S->cnt[54], 1), S->cnt[54] <= 3))
			note("fuzz checker: %s invocation: status %d result %ld",
			     api ? "hrt.h fuzz" : "mix", rc, r);
		if (rc)
			sleep_ms(5);
		else
			sleep_ms(2);
	}
	_exit(0);
}

/* hvm.ko's boot and reboot counts; 0 or -1. */
static int boot_counts(unsigned long long *boots, unsigned long long *reboots)
{
	struct hvm_stats st;
	int fd = dev_open(), r = -1;

	if (fd >= 0 && !ioctl(fd, HVM_IOC_STATS, &st)) {
		*boots = st.boots;
		*reboots = st.reboots;
		r = 0;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static void c_fuzz(long n, const char *flags)
{
	unsigned long long boots0 = 0, reboots0 = 0, boots1 = 0, reboots1 = 0;
	size_t len = 0;
	pid_t checker;
	char line[512];
	FILE *f;
	int counted;

	begin("fuzz", "random ioctls (valid numbers with garbage, bad "
		      "pointers), mmaps, file operations on /dev/hvm");
	fz_allow_stop = strstr(flags, ",stop") != NULL;
	fz_allow_reboot = strstr(flags, ",noreboot") == NULL;
	printf("# fuzz: reproduce with STRESS_SEED=%llu (two threads: the "
	       "interleaving is not); valid reboots %s, stops %s\n",
	       (unsigned long long)g_seed,
	       fz_allow_reboot ? "let through" : "turned away",
	       fz_allow_stop ? "let through" : "turned away");
	/* The real image, for plausible HVM_IOC_LOADs. */
	f = fopen(HRT_IMAGE, "r");
	if (f) {
		fz_image = malloc(HVM_IMAGE_SIZE);
		if (fz_image)
			len = fread(fz_image, 1, HVM_IMAGE_SIZE, f);
		fz_image_len = len;
		if (!len)
			fz_image = NULL;
		fclose(f);
	}
	S->cnt[60] = n;
	counted = !boot_counts(&boots0, &reboots0);
	fflush(stdout);
	checker = fork();
	if (checker == 0) {
		setpgid(0, 0);
		fuzz_checker();
	}
	run_body(fuzz_body, NULL, 60);
	__atomic_store_n(&S->stop, 1, __ATOMIC_RELEASE);
	if (wait_for(checker, 60000) == -1) {
		printf("# fuzz: the checker did not finish\n");
		kill_reap(checker, 5000);
		add(&S->stuck, 1);
	}
	counted = counted && !boot_counts(&boots1, &reboots1);
	if (counted)
		printf("# fuzz: hvm.ko counted %llu boot(s), %llu of them "
		       "reboots, during the fuzz\n",
		       boots1 - boots0, reboots1 - reboots0);
	for (int k = 0; k < FZ_NKIND && fzk_names[k][0]; k++) {
		long tot = 0;
		char *p = line;

		for (int e = 0; e < FZ_NERR; e++)
			tot += S->fz[k][e];
		if (!tot)
			continue;
		p += snprintf(p, sizeof(line), "#   %-14s %6ld:", fzk_names[k],
			      tot);
		for (int e = 0; e < FZ_NERR; e++)
			if (S->fz[k][e] && p < line + sizeof(line))
				p += snprintf(p,
					      (size_t)(line + sizeof(line) - p),
					      " %s %ld",
					      e == 0 ? "ok"
					      : strerrorname_np(e)
						      ? strerrorname_np(e)
						      : "?",
					      S->fz[k][e]);
		puts(line);
	}
	printf("# fuzz: checker invocations alongside: %ld, %ld right, %ld "
	       "-ECANCELED/-ENODEV/-EAGAIN, %ld timed out, %ld wrong\n",
	       S->cnt[50], S->cnt[51], S->cnt[52], S->cnt[53], S->cnt[54]);
	add(&S->lost, S->cnt[54]);
	add(&S->stuck, S->cnt[53]);
	verdict(S->attempted >= n, "%ld of %ld operations returned",
		S->attempted, n);
	verdict(S->cnt[62] == 0, "no signal from touching a mapping (%ld)",
		S->cnt[62]);
	verdict(S->cnt[51] > 0 && S->cnt[54] == 0,
		"invocations alongside the fuzz kept working (%ld right, %ld "
		"wrong)",
		S->cnt[51], S->cnt[54]);
	/* With stop, every HVM_IOC_STOP that stopped it is followed by a boot. */
	if (!fz_allow_reboot)
		verdict(counted && reboots1 == reboots0 &&
				(fz_allow_stop || boots1 == boots0),
			"noreboot: no reboot%s got through (%s %llu, "
			"reboots %llu)",
			fz_allow_stop ? "" : " or boot",
			counted ? "boots" : "not counted: boots",
			boots1 - boots0, reboots1 - reboots0);
	end("fuzz", 5);
	free(fz_image);
	fz_image = NULL;
}

/* ---------------------------------------------------------------- images */

enum {
	IO_REJECTED,
	IO_BOOTED,
	IO_BROKEN,
	IO_FAILED,
	IO_CRASHED,
	IO_OOPS,
	IO_RESTORE,
	IO_N
};
static const char *const io_names[IO_N] = {
	"rejected", "booted",	"booted-broken",  "boot-failed",
	"crashed",  "ros-oops", "restore-failed",
};

static void *read_whole(const char *path, size_t *len)
{
	struct stat st;
	void *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0)
		goto out;
	buf = malloc((size_t)st.st_size);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)st.st_size;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

static Elf64_Phdr *phdr(void *img, int i)
{
	Elf64_Ehdr *eh = img;

	return (Elf64_Phdr *)((char *)img + eh->e_phoff) + i;
}

static const char *const ph_fields[8] = { "p_type",  "p_flags", "p_offset",
					  "p_vaddr", "p_paddr", "p_filesz",
					  "p_memsz", "p_align" };

/*
 * Mutant (k) of (orig) into (m), deterministically from the seed and k;
 * returns its length and describes it in (desc).
 */
static size_t mutate(const char *orig, size_t len, char *m, uint64_t k,
		     int fixed, char *desc, size_t dn)
{
	uint64_t s = sub_seed("images", k), r;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)m;
	int nph, i;
	size_t d = 0;

	memcpy(m, orig, len);
	nph = eh->e_phnum;
	if (fixed) {
		if (k % 2 == 0) {
			eh->e_machine = EM_AARCH64;
			snprintf(desc, dn, "e_machine = EM_AARCH64");
		} else {
			for (i = 0; i < nph; i++)
				phdr(m, i)->p_paddr += 0x200000;
			snprintf(desc, dn, "every p_paddr + 0x200000");
		}
		return len;
	}
	r = rnd(&s);
	switch (r % 10) {
	case 0: { /* ELF header byte */
		size_t at = rnd(&s) % sizeof(Elf64_Ehdr);
		unsigned char v = (unsigned char)rnd(&s);

		d += (size_t)snprintf(desc, dn, "ehdr byte %zu: %#x -> %#x", at,
				      (unsigned char)m[at], v);
		m[at] = (char)v;
		break;
	}
	case 1:
	case 2: { /* a program header field */
		Elf64_Phdr *p;
		int f = (int)(rnd(&s) % 8), how = (int)(rnd(&s) % 4);
		uint64_t *fld, old;

		i = (int)(rnd(&s) % (uint64_t)nph);
		p = phdr(m, i);
		if (f < 2) {
			uint32_t *f32 = f == 0 ? &p->p_type : &p->p_flags;
			uint32_t o32 = *f32;

			*f32 = how == 0	  ? (uint32_t)rnd(&s)
			       : how == 1 ? o32 ^ (1u << (rnd(&s) % 32))
			       : f == 0	  ? (uint32_t)(rnd(&s) % 8)
					  : (uint32_t)(rnd(&s) % 8);
			snprintf(desc, dn, "phdr[%d].%s %#x -> %#x", i,
				 ph_fields[f], o32, *f32);
			break;
		}
		fld = (uint64_t *)((char *)p + 8) + (f - 2);
		old = *fld;
		*fld = how == 0	  ? rnd(&s)
		       : how == 1 ? old ^ (1ull << (rnd(&s) % 64))
		       : how == 2 ? old + ((rnd(&s) % 64) - 32) * 4096
				  : old + (rnd(&s) % 64) - 32;
		snprintf(desc, dn, "phdr[%d].%s %#llx -> %#llx", i,
			 ph_fields[f], (unsigned long long)old,
			 (unsigned long long)*fld);
		break;
	}
	case 3: { /* move one segment's p_paddr (and p_vaddr) by pages */
		int64_t delta = ((int64_t)(rnd(&s) % 64) - 32) * 4096;
		int both = (int)(rnd(&s) % 2);
		Elf64_Phdr *p;

		i = (int)(rnd(&s) % (uint64_t)nph);
		p = phdr(m, i);
		p->p_paddr += (uint64_t)delta;
		if (both)
			p->p_vaddr += (uint64_t)delta;
		snprintf(desc, dn, "phdr[%d] p_paddr%s %+lld", i,
			 both ? " and p_vaddr" : "", (long long)delta);
		break;
	}
	case 4: { /* entry elsewhere in the text */
		uint64_t old = eh->e_entry;
		Elf64_Phdr *p = phdr(m, 0);

		eh->e_entry = rnd(&s) % 4 ? p->p_vaddr + rnd(&s) % p->p_filesz
					  : old + (rnd(&s) % 64) - 32;
		snprintf(desc, dn, "e_entry %#llx -> %#llx",
			 (unsigned long long)old,
			 (unsigned long long)eh->e_entry);
		break;
	}
	case 5: { /* p_type change */
		Elf64_Phdr *p;
		static const uint32_t types[] = { PT_NULL,	PT_LOAD,
						  PT_NOTE,	PT_DYNAMIC,
						  PT_GNU_STACK, PT_TLS };
		uint32_t old;

		i = (int)(rnd(&s) % (uint64_t)nph);
		p = phdr(m, i);
		old = p->p_type;
		p->p_type = types[rnd(&s) % 6];
		snprintf(desc, dn, "phdr[%d].p_type %u -> %u", i, old,
			 p->p_type);
		break;
	}
	case 6:
	case 7:
	case 8: { /* bytes in a segment's contents */
		Elf64_Phdr *p;
		int nflip = 1 + (int)(rnd(&s) % 16);

		do {
			i = (int)(rnd(&s) % (uint64_t)nph);
			p = phdr(m, i);
		} while (p->p_type != PT_LOAD || !p->p_filesz);
		d += (size_t)snprintf(
			desc, dn, "%d byte(s) of segment %d (%s%s%s):", nflip,
			i, p->p_flags & PF_R ? "R" : "",
			p->p_flags & PF_W ? "W" : "",
			p->p_flags & PF_X ? "X" : "");
		for (int b = 0; b < nflip; b++) {
			size_t at = p->p_offset + rnd(&s) % p->p_filesz;
			unsigned char v = (unsigned char)rnd(&s);

			if (d < dn)
				d += (size_t)snprintf(desc + d, dn - d,
						      " %#zx=%02x", at, v);
			m[at] = (char)v;
		}
		break;
	}
	default: { /* truncated */
		size_t nl = (size_t)(rnd(&s) % len);

		snprintf(desc, dn, "truncated to %zu of %zu bytes", nl, len);
		return nl ? nl : 1;
	}
	}
	return len;
}

static int load_image(int fd, const void *img, size_t len)
{
	struct hvm_load l;

	memset(&l, 0, sizeof(l));
	l.addr = (uintptr_t)img;
	l.len = len;
	return ioctl(fd, HVM_IOC_LOAD, &l) ? -errno : 0;
}

static int reboot_hrt(int fd, unsigned int timeout_ms)
{
	struct hvm_boot b;

	memset(&b, 0, sizeof(b));
	b.timeout_ms = timeout_ms;
	return ioctl(fd, HVM_IOC_REBOOT, &b) ? -errno : 0;
}

/* The HRT log's lines since (pos) that say it crashed (at most 3). */
static void hrt_log_crash(int fd, uint64_t *pos)
{
	static char buf[HVM_LOG_READ_MAX + 1];
	struct hvm_log_read lr;
	int shown = 0;

	memset(&lr, 0, sizeof(lr));
	lr.pos = *pos;
	lr.buf = (uintptr_t)buf;
	lr.len = HVM_LOG_READ_MAX;
	if (ioctl(fd, HVM_IOC_LOG_READ, &lr))
		return;
	buf[lr.copied] = 0;
	*pos = lr.pos;
	for (char *l = strtok(buf, "\n"); l && shown < 3;
	     l = strtok(NULL, "\n"))
		if (strstr(l, "EXCEPTION") || strstr(l, "crash") ||
		    strstr(l, "panic")) {
			printf("#     hrt: %.150s\n", l);
			shown++;
		}
}

static uint64_t hrt_log_head(int fd)
{
	struct hvm_log_read lr;
	char c;

	memset(&lr, 0, sizeof(lr));
	lr.pos = ~0ull;
	lr.buf = (uintptr_t)&c;
	lr.len = 1;
	return ioctl(fd, HVM_IOC_LOG_READ, &lr) ? 0 : lr.head;
}

static void c_images(long n, long from, int fixed)
{
	size_t len = 0, mlen;
	char *orig = read_whole(HRT_IMAGE, &len), *m, desc[400];
	long out[IO_N];
	int fd = dev_open(), stop = 0;

	memset(out, 0, sizeof(out));
	begin("images", fixed ? "two fixed mutants of the HRT image, loaded "
				"with HVM_IOC_LOAD and booted"
			      : "mutants of the HRT image loaded with "
				"HVM_IOC_LOAD and booted");
	if (!orig || fd < 0) {
		verdict(0, "read %s and open /dev/hvm", HRT_IMAGE);
		return;
	}
	m = malloc(len);
	for (long k = from; k < from + n && !stop; k++) {
		int rc, oops, st, outcome;
		uint64_t logpos;

		mlen = mutate(orig, len, m, (uint64_t)k, fixed, desc,
			      sizeof(desc));
		printf("# image %ld: trying: %s\n", k, desc);
		fflush(stdout);
		kmsg_mark();
		logpos = hrt_log_head(fd);
		set_cur(0, "image %ld: %s", k, desc);
		rc = load_image(fd, m, mlen);
		add(&S->attempted, 1);
		if (rc) {
			outcome = IO_REJECTED;
			snprintf(desc + strlen(desc),
				 sizeof(desc) - strlen(desc), " [load: %s]",
				 strerror(-rc));
		} else {
			rc = reboot_hrt(fd, 4000);
			st = hrt_state();
			if (!rc) {
				sleep_ms(200); /* crashes right after ready */
				st = hrt_state();
			}
			if (!rc && st == HVM_HRT_READY) {
				outcome = probe(1, 15000) ? IO_BROKEN
							  : IO_BOOTED;
			} else if (st == HVM_HRT_CRASHED) {
				outcome = IO_CRASHED;
			} else {
				outcome = IO_FAILED;
			}
			snprintf(desc + strlen(desc),
				 sizeof(desc) - strlen(desc),
				 " [boot: %s, state %s]",
				 rc ? strerror(-rc) : "ready",
				 hvm_hrt_state_name(st));
			if (outcome != IO_BOOTED)
				hrt_log_crash(fd, &logpos);
		}
		oops = kmsg_scan(0);
		if (oops)
			outcome = IO_OOPS;
		/* Back to the real image; it must boot and serve. */
		if (outcome != IO_REJECTED) {
			rc = load_image(fd, orig, len);
			if (!rc)
				rc = reboot_hrt(fd, 0);
			if (rc || wait_state(HVM_HRT_READY, 10000) ||
			    probe(1, 30000)) {
				printf("# image %ld: the original image did "
				       "not come back (%s, state %s)\n",
				       k, rc ? strerror(-rc) : "ok",
				       hvm_hrt_state_name(hrt_state()));
				if (outcome != IO_OOPS)
					outcome = IO_RESTORE;
				stop = 1;
			}
			if (kmsg_scan(0) && outcome != IO_OOPS)
				outcome = IO_OOPS;
		}
		out[outcome]++;
		if (outcome == IO_OOPS || outcome == IO_RESTORE)
			add(&S->lost, 1);
		else
			add(&S->survived, 1);
		printf("# image %ld: %s: %s\n", k, io_names[outcome], desc);
		fflush(stdout);
		clear_cur(0);
	}
	for (int k = 0; k < IO_N; k++)
		printf("#   %-15s %ld\n", io_names[k], out[k]);
	if (stop)
		printf("# images: stopped after a mutant the original image "
		       "did not recover from\n");
	if (fixed) {
		verdict(out[IO_REJECTED] == (n + 1) / 2 &&
				out[IO_BOOTED] == n / 2,
			"the bad machine was rejected, the relocated image "
			"booted");
	}
	kmsg_mark();
	/* The summary is the host's (a VM reset ends this program). */
	end("images-part", 0);
	free(m);
	free(orig);
	close(fd);
}

/* ---------------------------------------------------------------- unpriv */

static int drop_to_nobody(void)
{
	return setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	       setresuid(NOBODY, NOBODY, NOBODY);
}

static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	d[0].inheritable &= ~(1u << CAP_SYS_ADMIN);
	return (int)syscall(SYS_capset, &h, d);
}

/* Exit codes of the unpriv children. */
enum { UP_AS_EXPECTED = 0, UP_WRONG = 1, UP_SETUP = 2 };

static int up_child(int test)
{
	int fd, rc;
	long r = 0;
	struct job j = { .x = 77, .rounds = 3 };

	switch (test) {
	case 0: /* open as nobody, O_RDWR */
	case 1: /* O_RDONLY */
	case 2: /* O_WRONLY */
		if (drop_to_nobody())
			return UP_SETUP;
		fd = open(HVM_DEV_PATH, test == 0   ? O_RDWR
					: test == 1 ? O_RDONLY
						    : O_WRONLY);
		if (fd >= 0)
			return UP_WRONG;
		printf("#   open(%s) as %d: %s\n",
		       test == 0   ? "O_RDWR"
		       : test == 1 ? "O_RDONLY"
				   : "O_WRONLY",
		       NOBODY, strerror(errno));
		return errno == EACCES || errno == EPERM ? UP_AS_EXPECTED
							 : UP_WRONG;
	case 3: /* libhvm as nobody */
		if (drop_to_nobody())
			return UP_SETUP;
		rc = hrt_open();
		printf("#   hrt_open() as %d: %d (%s)\n", NOBODY, rc,
		       strerror(-rc));
		if (rc != -EACCES)
			return UP_WRONG;
		rc = hrt_invoke(f_mix, &j, &r);
		return rc == -EACCES ? UP_AS_EXPECTED : UP_WRONG;
	case 4: /* uid 0 without CAP_SYS_ADMIN */
		if (drop_cap_sys_admin())
			return UP_SETUP;
		fd = open(HVM_DEV_PATH, O_RDWR);
		printf("#   open as uid 0 without CAP_SYS_ADMIN: %s\n",
		       fd >= 0 ? "opened" : strerror(errno));
		return fd < 0 && (errno == EPERM || errno == EACCES)
			       ? UP_AS_EXPECTED
			       : UP_WRONG;
	case 5: /* a module parameter as nobody */
		if (drop_to_nobody())
			return UP_SETUP;
		fd = open("/sys/module/hvm/parameters/hung_timeout_ms",
			  O_WRONLY);
		return fd < 0 ? UP_AS_EXPECTED : UP_WRONG;
	case 6: { /* opened and bound as root, then privileges dropped */
		struct hvm_info in;
		struct hvm_ping p;
		int fd2;

		if (hrt_open())
			return UP_SETUP;
		fd = dev_open();
		if (fd < 0 || drop_to_nobody())
			return UP_SETUP;
		rc = hrt_invoke(f_mix, &j, &r);
		printf("#   after setresuid(%d): invocation %d, result %s\n",
		       NOBODY, rc,
		       r == (long)expect_mix(&j, 0) ? "right" : "wrong");
		if (rc || r != (long)expect_mix(&j, 0))
			return UP_WRONG;
		memset(&p, 0, sizeof(p));
		if (ioctl(fd, HVM_IOC_INFO, &in) || ioctl(fd, HVM_IOC_PING, &p))
			return UP_WRONG;
		printf("#   after setresuid(%d): HVM_IOC_INFO and HVM_IOC_PING "
		       "on the root-opened descriptor work\n",
		       NOBODY);
		fd2 = open(HVM_DEV_PATH, O_RDWR);
		return fd2 < 0 ? UP_AS_EXPECTED : UP_WRONG;
	}
	default:
		return UP_SETUP;
	}
}

static void c_unpriv(void)
{
	static const char *const names[] = {
		"uid 65534 cannot open /dev/hvm O_RDWR (EACCES/EPERM)",
		"uid 65534 cannot open /dev/hvm O_RDONLY",
		"uid 65534 cannot open /dev/hvm O_WRONLY",
		"uid 65534: hrt_open() and hrt_invoke() return -EACCES",
		"uid 0 without CAP_SYS_ADMIN cannot open /dev/hvm (the "
		"driver's own check)",
		"uid 65534 cannot write hvm.ko's parameters",
		"a descriptor opened (and bound) as root keeps working after "
		"setresuid(65534), a new open fails (Linux convention: access "
		"is checked at open)",
	};
	int n = (int)(sizeof(names) / sizeof(names[0]));

	begin("unpriv", "access as uid 65534 and without CAP_SYS_ADMIN");
	for (int t = 0; t < n; t++) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			int rc = up_child(t);

			fflush(stdout);
			_exit(rc);
		}
		st = wait_for(pid, 60000);
		add(&S->attempted, 1);
		if (st == -1) {
			kill_reap(pid, 5000);
			add(&S->stuck, 1);
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == UP_AS_EXPECTED) {
			add(&S->survived, 1);
		} else {
			add(&S->lost, 1);
		}
		verdict(st != -1 && WIFEXITED(st) &&
				WEXITSTATUS(st) == UP_AS_EXPECTED,
			"%s%s", names[t],
			st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == UP_SETUP
				? " (could not drop privileges)"
				: "");
	}
	if (access(UTIL_SETPRIV, X_OK) == 0) {
		char *argv[] = { UTIL_SETPRIV,
				 "--reuid=65534",
				 "--regid=65534",
				 "--clear-groups",
				 "hvmctl",
				 "status",
				 NULL };
		int rc = run_cmd(30000, 0, argv);

		add(&S->attempted, 1);
		add(rc == 3 ? &S->survived : &S->lost, 1);
		verdict(rc == 3,
			"setpriv --reuid=65534 --regid=65534 --clear-groups "
			"hvmctl status exits 3 (no permission), got %d",
			rc);
	} else {
		printf("# unpriv: util-linux setpriv not in the guest (%s); "
		       "the C checks stand in\n",
		       UTIL_SETPRIV);
	}
	end("unpriv", 5);
}

/* ---------------------------------------------------------------- load */

struct load_arg {
	int procs, threads, secs;
};

static struct load_arg la;
static uint64_t load_deadline;
static int devnull = -1;

static void *load_thread(void *arg)
{
	int w = (int)(intptr_t)arg;
	uint64_t seed = sub_seed("load", (uint64_t)w);
	unsigned char *buf = malloc(16384);
	long rets[HVM_MAX_HRT_CPUS];

	while (now_ms() < load_deadline) {
		uint64_t r = rnd(&seed);
		struct ck c = { .buf = buf,
				.len = 1 + (size_t)(r % 16384),
				.fd = -1 };
		int wm = (int)((r >> 16) & 3), sel = (int)((r >> 20) % 10), rc;
		struct hrt_opts o = { .core = -1,
				      .wait = wait_modes[wm],
				      .timeout_ms = 30000 };
		unsigned int ncalled = 1;
		int how = sel < 6   ? CALL_SYNC
			  : sel < 8 ? CALL_ASYNC
			  : sel < 9 ? CALL_ALL
				    : CALL_SYNC;
		unsigned char *fresh = NULL;
		int bad = 0;

		if (sel == 9) { /* a fresh buffer: forwarded page faults too */
			fresh = mmap(NULL, 16384, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (fresh != MAP_FAILED)
				c.buf = fresh;
			else
				fresh = NULL;
		}
		for (size_t k = 0; k < c.len; k += 8) {
			uint64_t v = rnd(&seed);

			memcpy((unsigned char *)c.buf + k, &v,
			       c.len - k < 8 ? c.len - k : 8);
		}
		if ((r >> 32) % 4 == 0)
			c.fd = devnull; /* forwarded write of the buffer */
		if ((r >> 40) % 3 == 0)
			o.core = (int)((r >> 44) % ncores);
		set_cur(w, "load: %zu bytes, %s call, wait %s%s", c.len,
			call_names[how], wait_names[wm],
			c.fd >= 0 ? ", forwarded write" : "");
		rc = invoke(how, f_cksum, &c, &o, rets, &ncalled);
		for (unsigned int k = 0; k < ncalled && !rc; k++)
			if (rets[k] !=
			    expect_cksum(&c, how == CALL_ALL ? k : 0))
				bad = 1;
		add(&S->attempted, 1);
		if (rc == -ETIMEDOUT) {
			add(&S->stuck, 1);
			note("%s: -ETIMEDOUT", S->cur[w]);
		} else if (rc || bad) {
			add(&S->lost, 1);
			note("%s: rc %d%s", S->cur[w], rc,
			     bad ? ", wrong checksum" : "");
		} else {
			add(&S->survived, 1);
			add(&S->cnt[0], (long)c.len * ncalled);
		}
		if (fresh)
			munmap(fresh, 16384);
		clear_cur(w);
	}
	free(buf);
	return NULL;
}

static void load_proc(int p)
{
	pthread_t th[MAXW];
	int t;

	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (hrt_open())
		_exit(2);
	if (p == 0)
		start_watch();
	for (t = 0; t < la.threads; t++)
		pthread_create(&th[t], NULL, load_thread,
			       (void *)(intptr_t)(p * la.threads + t));
	for (t = 0; t < la.threads; t++)
		pthread_join(th[t], NULL);
	_exit(0);
}

static void c_load(int procs, int threads, int secs)
{
	pid_t pids[MAXW];
	int bad = 0;

	if (procs * threads > MAXW)
		threads = MAXW / procs;
	la = (struct load_arg){ procs, threads, secs };
	begin("load", "processes x threads invoking a checksum of a per-call "
		      "buffer, every result checked");
	printf("# load: %d processes x %d threads for %d s\n", procs, threads,
	       secs);
	load_deadline = now_ms() + (uint64_t)secs * 1000;
	fflush(stdout);
	for (int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			setpgid(0, 0);
			load_proc(p);
		}
	}
	for (int p = 0; p < procs; p++) {
		int st = wait_for(pids[p], (unsigned int)secs * 1000 + 120000);

		if (st == -1) {
			printf("# load: process %d did not finish; in "
			       "flight:\n",
			       p);
			for (int t = 0; t < threads; t++)
				if (S->inflight[p * threads + t]) {
					printf("#   %s\n",
					       S->cur[p * threads + t]);
					add(&S->stuck, 1);
				}
			kill_reap(pids[p], 10000);
			bad++;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("# load: process %d ended with status %#x\n", p,
			       st);
			bad++;
		}
	}
	printf("# load: %ld invocations in %d s (%.0f/s), %.1f MiB "
	       "checksummed\n",
	       S->attempted, secs, (double)S->attempted / secs,
	       (double)S->cnt[0] / (1 << 20));
	verdict(!bad && S->attempted > 0,
		"%d processes x %d threads ran %d s and ended (%ld "
		"invocations)",
		procs, threads, secs, S->attempted);
	end("load", 5);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	struct hvm_info in;
	int fd, i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED)
		return 2;
	g_seed = getenv("STRESS_SEED")
			 ? strtoull(getenv("STRESS_SEED"), NULL, 0)
			 : 1;
	if (argc > 2 && !strcmp(argv[1], "--seed")) {
		g_seed = strtoull(argv[2], NULL, 0);
		i = 3;
	}
	if (i >= argc || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
		fputs(usage_text, i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	fd = dev_open();
	if (fd < 0 || ioctl(fd, HVM_IOC_INFO, &in)) {
		printf("not ok - stress: open %s: %s\n", HVM_DEV_PATH,
		       strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	ncores = in.hrt_cpus ? in.hrt_cpus : 1;
	tsc_khz = in.tsc_khz ? in.tsc_khz : 1000000;
	close(fd);
	signal(SIGPIPE, SIG_IGN);
	printf("# hvm-stress: seed %llu, %u HRT core(s), %ld ROS CPU(s)\n",
	       (unsigned long long)g_seed, ncores,
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		long v = eq ? atol(eq + 1) : 0;

		if (!strncmp(a, "faults=", 7))
			c_faults(v);
		else if (!strncmp(a, "reboots=", 8))
			c_reboots(v);
		else if (!strncmp(a, "kills=", 6))
			c_kills(v);
		else if (!strncmp(a, "fuzz=", 5))
			c_fuzz(v, a);
		else if (!strcmp(a, "images=fixed"))
			c_images(2, 0, 1);
		else if (!strncmp(a, "images=", 7))
			c_images(v,
				 strchr(a, ',') ? atol(strchr(a, ',') + 1) : 0,
				 0);
		else if (!strcmp(a, "unpriv"))
			c_unpriv();
		else if (!strncmp(a, "load=", 5)) {
			int p = 2, t = 2, s = 5;

			if (sscanf(eq + 1, "%d,%d,%d", &p, &t, &s) < 1 ||
			    p < 1 || t < 1 || s < 1 || p > MAXW) {
				fprintf(stderr, "hvm-stress: bad %s\n", a);
				return 2;
			}
			c_load(p, t, s);
		} else {
			fprintf(stderr, "hvm-stress: unknown campaign '%s'\n%s",
				a, usage_text);
			return 2;
		}
	}
	printf("%d passed, %d failed\n", npass, nfail);
	printf("hvm-stress: done\n");
	return nfail ? 1 : 0;
}
