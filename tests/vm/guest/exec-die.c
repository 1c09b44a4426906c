// SPDX-License-Identifier: MIT
/* exec-die.c - programs that die, for tests/vm/exec.sh. */
/*
 * usage: exec-die kill SIG   kill(getpid(), SIG) with SIG's default action
 *        exec-die div0       an integer division by zero (SIGFPE)
 *        exec-die busy       print "ready cpl N", then spin on the CPU
 *        exec-die sleep      print "ready cpl N", then sleep in Linux
 * None installs a signal handler.  Each prints "survived" if it returns.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	volatile unsigned long spin = 0;
	volatile int num = 7, den = 0;

	if (!strcmp(mode, "kill") && argc > 2) {
		printf("killing myself with signal %d at cpl %d\n",
		       atoi(argv[2]), cpl());
		fflush(stdout);
		kill(getpid(), atoi(argv[2]));
		sleep(5);
	} else if (!strcmp(mode, "div0")) {
		printf("dividing by zero at cpl %d\n", cpl());
		fflush(stdout);
		printf("quotient %d\n", num / den);
	} else if (!strcmp(mode, "busy")) {
		printf("ready cpl %d\n", cpl());
		fflush(stdout);
		while (spin < 100000000000ul)
			spin++;
	} else if (!strcmp(mode, "sleep")) {
		printf("ready cpl %d\n", cpl());
		fflush(stdout);
		sleep(60);
	} else {
		fprintf(stderr, "usage: exec-die kill SIG|div0|busy|sleep\n");
		return 2;
	}
	printf("survived\n");
	return 0;
}
