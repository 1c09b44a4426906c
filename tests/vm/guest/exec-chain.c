// SPDX-License-Identifier: MIT
/* exec-chain.c - an execve chain for tests/vm/exec.sh. */
/*
 * usage: exec-chain [N [PID]]
 * Prints its CPL, then re-executes itself (from /proc/self/exe) with N-1;
 * at 0 it executes /bin/echo.  PID is the first image's: every image says
 * whether it is still the same process.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	long pid0 = argc > 2 ? atol(argv[2]) : (long)getpid();
	char self[PATH_MAX], next[16], pid[24];
	ssize_t len;

	printf("image %d cpl %d same pid %s\n", n, cpl(),
	       pid0 == (long)getpid() ? "yes" : "no");
	fflush(stdout);
	if (n <= 0) {
		execl("/bin/echo", "echo", "chain", "ends", "in", "echo", NULL);
		perror("exec-chain: /bin/echo");
		return 1;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0) {
		perror("exec-chain: /proc/self/exe");
		return 1;
	}
	self[len] = '\0';
	snprintf(next, sizeof(next), "%d", n - 1);
	snprintf(pid, sizeof(pid), "%ld", pid0);
	execl(self, argv[0], next, pid, NULL);
	perror("exec-chain: execl");
	return 1;
}
