// SPDX-License-Identifier: MIT
/* qemu.c - runs the QEMU process and keeps the tail of its stderr. */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

void qemu_init(struct qemu *q)
{
	memset(q, 0, sizeof(*q));
	q->err_fd = -1;
}

int qemu_start(struct qemu *q, char **argv)
{
	int errpipe[2], devnull, err;

	if (pipe2(errpipe, O_CLOEXEC))
		return -errno;
	q->pid = fork();
	if (q->pid < 0) {
		err = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		q->pid = 0;
		return err;
	}
	if (q->pid == 0) {
		/* QEMU must not touch the terminal: the console is ours. */
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(errpipe[1], 2);
		setpgid(0, 0);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(errpipe[1]);
	q->err_fd = errpipe[0];
	fcntl(q->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

void qemu_read_err(struct qemu *q)
{
	char buf[4096];
	ssize_t n = -1;

	while (q->err_fd >= 0 && (n = read(q->err_fd, buf, sizeof(buf))) > 0)
		console_tail_add(&q->err, buf, (size_t)n);
	if (q->err_fd >= 0 && n == 0) { /* QEMU and its children are gone */
		close(q->err_fd);
		q->err_fd = -1;
	}
}

bool qemu_reaped(struct qemu *q)
{
	int st;

	if (q->pid <= 0)
		return true;
	if (waitpid(q->pid, &st, WNOHANG) != q->pid)
		return false;
	q->pid = 0;
	q->status = st;
	qemu_read_err(q);
	return true;
}

bool qemu_wait(struct qemu *q, int ms)
{
	long long deadline = now_ms() + ms;
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };

	while (!qemu_reaped(q) && now_ms() < deadline) {
		qemu_read_err(q);
		nanosleep(&pause, NULL);
	}
	return q->pid == 0;
}

void qemu_stop(struct qemu *q, struct qmp *qmp)
{
	if (q->pid <= 0)
		return;
	if (qmp)
		qmp_quit(qmp);
	if (!qemu_wait(q, 5000))
		kill(q->pid, SIGKILL);
	qemu_wait(q, 5000);
}

void qemu_kill(struct qemu *q)
{
	if (q->pid > 0) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, NULL, 0);
		q->pid = 0;
	}
	if (q->err_fd >= 0)
		close(q->err_fd);
	q->err_fd = -1;
}

int qemu_print_err(const struct qemu *q, int lines, FILE *out,
		   const char *prefix)
{
	return console_tail_print(&q->err, lines, out, prefix);
}

void qemu_describe_end(const struct qemu *q, char *out, size_t len)
{
	if (q->pid > 0)
		snprintf(out, len, "still running");
	else if (WIFSIGNALED(q->status))
		snprintf(out, len, "killed by signal %d (%s)",
			 WTERMSIG(q->status), strsignal(WTERMSIG(q->status)));
	else
		snprintf(out, len, "exit status %d", WEXITSTATUS(q->status));
}
