// SPDX-License-Identifier: MIT
/* exec-proc.c - child processes from a program, for tests/vm/exec.sh. */
/*
 * system(), popen(), fork+exec, fork alone, a child killed by a signal and
 * posix_spawnp: one line per case with what the parent saw, then the
 * parent's own CPL (from %cs).
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static void status(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: status %#x\n", what, st);
	fflush(stdout);
}

int main(void)
{
	char *sh_argv[] = { "sh", "-c", "echo spawned $0; exit 4", "arg0",
			    NULL };
	char line[256] = "";
	pid_t pid;
	FILE *p;
	int st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	status("system", system("echo system says hello; exit 5"));

	p = popen("seq 1 1000 | md5sum", "r");
	if (!p || !fgets(line, sizeof(line), p))
		printf("popen: failed\n");
	else
		printf("popen: %s", line);
	status("pclose", p ? pclose(p) : -1);

	pid = fork();
	if (pid == 0) {
		execlp("sh", "sh", "-c", "echo child of fork says $0; exit 7",
		       "hi", NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	status("fork+exec", st);

	pid = fork();
	if (pid == 0)
		_exit(9);
	waitpid(pid, &st, 0);
	status("fork", st);

	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		pause();
		_exit(1);
	}
	waitpid(pid, &st, 0);
	status("fork+kill", st);

	if (posix_spawnp(&pid, "sh", NULL, NULL, sh_argv, environ) ||
	    waitpid(pid, &st, 0) != pid)
		printf("posix_spawnp: failed\n");
	else
		status("posix_spawnp", st);

	printf("parent cpl %d\n", cpl());
	return 0;
}
