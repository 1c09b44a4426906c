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
 * Prints one line per case with the CPL (from %cs) the handler ran at
 * (CPL 3 natively; the HRT's CPL 0 under hrt-exec) and what main saw.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static void install(int sig, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL)) {
		perror("exec-sig: sigaction");
		exit(1);
	}
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
	} else {
		fprintf(stderr, "usage: exec-sig alarm|pause|term-self|"
				"term-wait|restart|altstack\n");
		return 2;
	}
	return 0;
}
