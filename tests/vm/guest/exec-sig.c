// SPDX-License-Identifier: MIT
/* exec-sig.c - signal handlers in an unmodified program, for tests/vm/exec.sh. */
/*
 * usage: exec-sig CASE
 *   alarm      SIGALRM handler, alarm(1), main spins on a volatile flag
 *   pause      SIGALRM handler, alarm(1), pause() returns -1/EINTR
 *   term-self  SIGTERM handler, kill(getpid(), SIGTERM); exits 0
 *   term-wait  SIGTERM handler, prints "ready", spins until a SIGTERM
 *              from outside; exits 0
 *   restart    SIGALRM handler with SA_RESTART interrupts a read from a
 *              pipe that a child fills 2 s later: the read is restarted
 *   altstack   SIGUSR1 handler with SA_ONSTACK on a sigaltstack
 *   resethand  SIGUSR1 handler with SA_RESETHAND | SA_SIGINFO runs once;
 *              sigaction then reads back SIG_DFL with both flags kept
 *   longjmp    SIGSEGV handler that siglongjmps out without restoring
 *              the mask: with SA_NODEFER 50 faults are all caught; without
 *              it, SIGSEGV stays blocked (as sigprocmask reads back)
 *   queue      blocked, SIGUSR1 raised 3 times is delivered once and
 *              SIGRTMIN queued 8 times (values 0-7) 8 times, in order
 *   flood      20 children; 20 rounds of SIGUSR1 to each, each answering
 *              SIGUSR2 before the next is sent (sigsuspend)
 *   flood-exec the same with children that exec this program (so, under
 *              hrt-exec, on the HRT too)
 *   storm      8 children each queue 200 SIGRTMIN and raise SIGUSR1 200
 *              times at the parent while it runs: every SIGRTMIN arrives,
 *              SIGUSR1 at least once
 *   itimer     200 rounds of a 1-11 us ITIMER_REAL and SIGUSR1 to itself,
 *              each round waiting (nanosleep) for both handlers: none
 *              lost, neither signal blocked after (Python's StressTest)
 *   forkfault  1000 faults caught (SA_ONSTACK, a malloc'd sigaltstack,
 *              siglongjmp out) while another thread forks all along: each
 *              fork write-protects the pages the next frame goes to
 * Prints one line per case with the CPL (from %cs) the handler ran at
 * (CPL 3 natively; the HRT's CPL 0 under hrt-exec) and what main saw.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ALT_SIZE (64 * 1024)

static volatile sig_atomic_t got, handler_cpl = -1;
static volatile uintptr_t handler_sp;

static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static void handler(int sig)
{
	uintptr_t sp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	handler_sp = sp;
	handler_cpl = cpl();
	got = sig;
}

static void install_fn(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL)) {
		perror("exec-sig: sigaction");
		exit(1);
	}
}

static void install(int sig, int flags)
{
	install_fn(sig, handler, flags);
}

static void spin_until_signal(void)
{
	while (!got)
		;
}

static int restart_case(void)
{
	char buf[16] = "";
	int fds[2], st, e;
	ssize_t n;
	pid_t pid;

	install(SIGALRM, SA_RESTART);
	if (pipe(fds)) {
		perror("exec-sig: pipe");
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		sleep(3);
		if (write(fds[1], "data", 4) != 4)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	alarm(1);
	n = read(fds[0], buf, sizeof(buf) - 1);
	e = errno;
	waitpid(pid, &st, 0);
	if (n < 0)
		printf("restart: handler cpl %d; read failed: %s\n",
		       (int)handler_cpl, strerror(e));
	else
		printf("restart: handler cpl %d; handler %s; read returned "
		       "%zd '%s'\n",
		       (int)handler_cpl, got ? "ran" : "did not run", n, buf);
	return 0;
}

static int altstack_case(void)
{
	char *alt = malloc(ALT_SIZE);
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE };
	int on;

	if (!alt || sigaltstack(&ss, NULL)) {
		perror("exec-sig: sigaltstack");
		return 1;
	}
	install(SIGUSR1, SA_ONSTACK);
	kill(getpid(), SIGUSR1);
	spin_until_signal();
	on = handler_sp >= (uintptr_t)alt &&
	     handler_sp < (uintptr_t)alt + ALT_SIZE;
	printf("altstack: handler cpl %d; on the alternate stack: %s\n",
	       (int)handler_cpl, on ? "yes" : "no");
	return 0;
}

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	handler_cpl = cpl();
	got = sig;
}

static int resethand_case(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = info_handler;
	sa.sa_flags = SA_RESETHAND | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	if (sigaction(SIGUSR1, &sa, NULL)) {
		perror("exec-sig: sigaction");
		return 1;
	}
	kill(getpid(), SIGUSR1);
	spin_until_signal();
	sigaction(SIGUSR1, NULL, &old);
	printf("resethand: handler cpl %d; then handler %s, SA_SIGINFO %s, "
	       "SA_RESETHAND %s, SIGUSR2 in sa_mask %s\n",
	       (int)handler_cpl,
	       old.sa_handler == SIG_DFL ? "SIG_DFL" : "not SIG_DFL",
	       old.sa_flags & SA_SIGINFO ? "kept" : "lost",
	       old.sa_flags & SA_RESETHAND ? "kept" : "lost",
	       sigismember(&old.sa_mask, SIGUSR2) ? "yes" : "no");
	return 0;
}

static sigjmp_buf jb;
static volatile int faults;

static void segv_handler(int sig)
{
	handler_cpl = cpl();
	got = sig;
	faults++;
	siglongjmp(jb, 1);
}

/* Faults on (page) (times) times, out of the handler by siglongjmp. */
static int longjmp_faults(volatile char *page, int flags, int times)
{
	struct sigaction sa;
	sigset_t now;
	volatile int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = segv_handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	faults = 0;
	for (i = 0; i < times; i++)
		if (sigsetjmp(jb, 0) == 0)
			(void)page[0];
	sigprocmask(SIG_SETMASK, NULL, &now);
	return sigismember(&now, SIGSEGV);
}

static int longjmp_case(void)
{
	volatile char *page =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int blocked, st;
	pid_t pid;

	if (page == MAP_FAILED) {
		perror("exec-sig: mmap");
		return 1;
	}
	blocked = longjmp_faults(page, SA_NODEFER, 50);
	printf("longjmp: handler cpl %d; SA_NODEFER: %d of 50 faults caught, "
	       "SIGSEGV blocked after: %s\n",
	       (int)handler_cpl, faults, blocked ? "yes" : "no");
	/* Without SA_NODEFER the second fault finds SIGSEGV blocked: death. */
	pid = fork();
	if (pid == 0)
		_exit(longjmp_faults(page, 0, 1) ? 7 : 8);
	waitpid(pid, &st, 0);
	printf("longjmp: handler cpl %d; without it, 1 fault: child exit %d; ",
	       (int)handler_cpl, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* ...and here, on the HRT if we are there. */
	blocked = longjmp_faults(page, 0, 1);
	printf("SIGSEGV blocked after: %s; ", blocked ? "yes" : "no");
	pid = fork();
	if (pid == 0) {
		longjmp_faults(page, 0, 2);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("2 faults: child killed by signal %d\n",
	       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}

static volatile int rt_vals[64], rt_n, rt_total, usr1_n;

static void queue_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	handler_cpl = cpl();
	if (sig == SIGUSR1) {
		usr1_n++;
		return;
	}
	rt_total++;
	if (rt_n < 64)
		rt_vals[rt_n++] = si->si_value.sival_int;
}

static void install_info(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int queue_case(void)
{
	union sigval v;
	sigset_t set;
	int i, order = 1;

	install_info(SIGUSR1, queue_handler);
	install_info(SIGRTMIN, queue_handler);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < 3; i++)
		kill(getpid(), SIGUSR1);
	for (i = 0; i < 8; i++) {
		v.sival_int = i;
		sigqueue(getpid(), SIGRTMIN, v);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (i = 0; i < rt_n; i++)
		order &= rt_vals[i] == i;
	printf("queue: handler cpl %d; SIGUSR1 x3 delivered %d time(s), "
	       "SIGRTMIN x8 delivered %d time(s), in order: %s\n",
	       (int)handler_cpl, usr1_n, rt_n, order ? "yes" : "no");
	return 0;
}

static volatile sig_atomic_t acks, pokes;

static void ack_handler(int sig)
{
	handler_cpl = cpl();
	(void)sig;
	acks++;
}

static void poke_handler(int sig)
{
	(void)sig;
	pokes++;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

#define FLOOD_KIDS   20
#define FLOOD_ROUNDS 20

/* A child's side: (ready) says it exists; one SIGUSR2 per SIGUSR1 after. */
static int flood_child(const sigset_t *wait_mask, bool ready)
{
	pid_t parent = getppid();
	int i;

	if (ready)
		kill(parent, SIGUSR2);
	for (i = 0; i < FLOOD_ROUNDS; i++) {
		while (pokes == i)
			sigsuspend(wait_mask);
		kill(parent, SIGUSR2);
	}
	return 0;
}

static void flood_setup(sigset_t *wait_mask)
{
	sigset_t block;

	install_fn(SIGUSR2, ack_handler, 0);
	install_fn(SIGUSR1, poke_handler, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGUSR1);
	sigdelset(wait_mask, SIGUSR2);
}

/*
 * (self): the children run this program again (flood-child), so under
 * hrt-exec they are HRT code too, each announcing itself first.
 */
static int flood_case(const char *self)
{
	pid_t kids[FLOOD_KIDS];
	sigset_t wait_mask;
	int i, k, st, bad = 0, ready;
	double t0 = now_s();

	flood_setup(&wait_mask);
	for (k = 0; k < FLOOD_KIDS; k++) {
		kids[k] = fork();
		if (kids[k] == 0 && self) {
			execl(self, self, "flood-child", (char *)NULL);
			_exit(127);
		}
		if (kids[k] == 0)
			_exit(flood_child(&wait_mask, false));
		while (self && acks < k + 1)
			sigsuspend(&wait_mask);
	}
	ready = acks;
	for (i = 0; i < FLOOD_ROUNDS; i++)
		for (k = 0; k < FLOOD_KIDS; k++) {
			int want = acks + 1;

			kill(kids[k], SIGUSR1);
			while (acks < want)
				sigsuspend(&wait_mask);
		}
	for (k = 0; k < FLOOD_KIDS; k++)
		if (waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			bad++;
	fprintf(stderr, "flood: %.2f s\n", now_s() - t0);
	printf("%s: handler cpl %d; %d acknowledgements from %d children, "
	       "%d failed\n",
	       self ? "flood-exec" : "flood", (int)handler_cpl,
	       (int)acks - ready, FLOOD_KIDS, bad);
	return 0;
}

#define STORM_KIDS 8
#define STORM_SIGS 200

static int storm_case(void)
{
	pid_t kids[STORM_KIDS], parent = getpid();
	int k, i, st, bad = 0;
	volatile unsigned long spin = 0;
	double t0;

	install_info(SIGUSR1, queue_handler);
	install_info(SIGRTMIN, queue_handler);
	rt_n = 0;
	for (k = 0; k < STORM_KIDS; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			union sigval v = { .sival_int = 0 };

			for (i = 0; i < STORM_SIGS; i++) {
				kill(parent, SIGUSR1);
				/* EAGAIN: the queue is full for now; again. */
				while (sigqueue(parent, SIGRTMIN, v) &&
				       errno == EAGAIN)
					usleep(1000);
			}
			_exit(0);
		}
	}
	/* Spin and call alternately: signals land in both. */
	for (k = 0; k < STORM_KIDS; k++) {
		while (waitpid(kids[k], &st, WNOHANG) == 0)
			for (i = 0; i < 100000; i++)
				spin++;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	t0 = now_s();
	/* All were queued before the children exited: they come now. */
	while (rt_total < STORM_KIDS * STORM_SIGS && now_s() - t0 < 10)
		usleep(1000);
	printf("storm: handler cpl %d; %d children: SIGRTMIN %d of %d "
	       "arrived, SIGUSR1 at least once: %s, %d failed\n",
	       (int)handler_cpl, STORM_KIDS, (int)rt_total,
	       STORM_KIDS * STORM_SIGS, usr1_n ? "yes" : "no", bad);
	return 0;
}

static volatile sig_atomic_t usr1_got, alrm_got;

static void itimer_handler(int sig)
{
	handler_cpl = cpl();
	if (sig == SIGUSR1)
		usr1_got++;
	else
		alrm_got++;
}

/* A timer signal meets SIGUSR1's handler; each round waits for both. */
static int itimer_case(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	struct timespec nap = { 0, 10000 };
	int round, late = 0;
	sigset_t now;
	double t;

	install_fn(SIGUSR1, itimer_handler, 0);
	install_fn(SIGALRM, itimer_handler, 0);
	srand(1);
	for (round = 1; round <= 200; round++) {
		it.it_value.tv_usec = 1 + rand() % 11;
		setitimer(ITIMER_REAL, &it, NULL);
		kill(getpid(), SIGUSR1);
		t = now_s();
		while ((usr1_got < round || alrm_got < round) &&
		       now_s() - t < 5)
			nanosleep(&nap, NULL);
		if (usr1_got < round || alrm_got < round) {
			late++;
			usr1_got = alrm_got = round; /* go on counting */
		}
	}
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("itimer: handler cpl %d; 200 rounds, %d without both "
	       "signals; blocked after: SIGUSR1 %s, SIGALRM %s\n",
	       (int)handler_cpl, late,
	       sigismember(&now, SIGUSR1) ? "yes" : "no",
	       sigismember(&now, SIGALRM) ? "yes" : "no");
	return 0;
}

static volatile int forkfault_done;

/* Forks until told to stop: each fork makes the parent's pages CoW. */
static void *forkfault_forker(void *arg)
{
	int *forks = arg;
	pid_t pid;

	while (!forkfault_done) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0 && waitpid(pid, NULL, 0) == pid)
			++*forks;
	}
	return NULL;
}

static int forkfault_case(void)
{
	volatile char *page =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = { .ss_sp = malloc(ALT_SIZE), .ss_size = ALT_SIZE };
	struct sigaction sa;
	pthread_t t;
	int forks = 0;
	volatile int i;

	if (page == MAP_FAILED || !ss.ss_sp || sigaltstack(&ss, NULL)) {
		perror("exec-sig: forkfault setup");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = segv_handler;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	faults = 0;
	if (pthread_create(&t, NULL, forkfault_forker, &forks)) {
		fprintf(stderr, "exec-sig: pthread_create failed\n");
		return 1;
	}
	for (i = 0; i < 1000; i++)
		if (sigsetjmp(jb, 0) == 0)
			(void)page[0];
	forkfault_done = 1;
	pthread_join(t, NULL);
	fprintf(stderr, "forkfault: %d forks beside\n", forks);
	printf("forkfault: handler cpl %d; %d of 1000 faults caught, "
	       "forks beside: %s\n",
	       (int)handler_cpl, faults, forks > 0 ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	int r, e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(c, "alarm")) {
		install(SIGALRM, 0);
		alarm(1);
		spin_until_signal();
		printf("alarm: handler cpl %d; main cpl %d resumed after "
		       "signal %d\n",
		       (int)handler_cpl, cpl(), (int)got);
	} else if (!strcmp(c, "pause")) {
		install(SIGALRM, 0);
		alarm(1);
		r = pause();
		e = errno;
		printf("pause: handler cpl %d; pause returned %d (%s)\n",
		       (int)handler_cpl, r, strerror(e));
	} else if (!strcmp(c, "term-self")) {
		install(SIGTERM, 0);
		kill(getpid(), SIGTERM);
		spin_until_signal();
		printf("term-self: handler cpl %d; exiting 0\n",
		       (int)handler_cpl);
	} else if (!strcmp(c, "term-wait")) {
		install(SIGTERM, 0);
		printf("ready cpl %d\n", cpl());
		spin_until_signal();
		printf("term-wait: handler cpl %d; exiting 0\n",
		       (int)handler_cpl);
	} else if (!strcmp(c, "restart")) {
		return restart_case();
	} else if (!strcmp(c, "altstack")) {
		return altstack_case();
	} else if (!strcmp(c, "resethand")) {
		return resethand_case();
	} else if (!strcmp(c, "longjmp")) {
		return longjmp_case();
	} else if (!strcmp(c, "queue")) {
		return queue_case();
	} else if (!strcmp(c, "flood")) {
		return flood_case(NULL);
	} else if (!strcmp(c, "flood-exec")) {
		return flood_case("/proc/self/exe");
	} else if (!strcmp(c, "flood-child")) {
		sigset_t wait_mask;

		flood_setup(&wait_mask);
		return flood_child(&wait_mask, true);
	} else if (!strcmp(c, "storm")) {
		return storm_case();
	} else if (!strcmp(c, "itimer")) {
		return itimer_case();
	} else if (!strcmp(c, "forkfault")) {
		return forkfault_case();
	} else {
		fprintf(stderr, "usage: exec-sig alarm|pause|term-self|"
				"term-wait|restart|altstack|resethand|"
				"longjmp|queue|flood|flood-exec|storm|itimer|"
				"forkfault\n");
		return 2;
	}
	return 0;
}
