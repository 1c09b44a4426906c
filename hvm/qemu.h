/* SPDX-License-Identifier: MIT */
/* qemu.h - the QEMU process: start, watch, stop, and what it said on stderr. */
#ifndef HVM_QEMU_H
#define HVM_QEMU_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "console.h"
#include "qmp.h"

struct qemu {
	pid_t pid;		 /* 0: not running (never started, or reaped) */
	int status;		 /* wait status once reaped */
	int err_fd;		 /* read end of its stderr, or -1 */
	struct console_tail err; /* the last bytes of its stderr */
};

void qemu_init(struct qemu *q);

/*
 * Starts argv[0] with stdin and stdout on /dev/null, stderr kept, in its own
 * process group (Ctrl-C reaches hvm-run, which stops QEMU).  0 or -errno.
 */
int qemu_start(struct qemu *q, char **argv);

/* Takes whatever QEMU wrote to stderr since the last call. */
void qemu_read_err(struct qemu *q);

/* Reaps QEMU if it ended; true when it is gone. */
bool qemu_reaped(struct qemu *q);

/* Waits up to (ms) for QEMU to end by itself; true when it is gone. */
bool qemu_wait(struct qemu *q, int ms);

/* Stops QEMU: QMP quit (if (qmp) is connected), SIGKILL after 5 s. */
void qemu_stop(struct qemu *q, struct qmp *qmp);

/* Kills and reaps QEMU now, and closes its stderr. */
void qemu_kill(struct qemu *q);

/*
 * Writes the last (lines) lines of QEMU's stderr to (out), each after
 * (prefix).  Returns how many it wrote.
 */
int qemu_print_err(const struct qemu *q, int lines, FILE *out,
		   const char *prefix);

/* "exit status N" or "killed by signal N (NAME)" for QEMU's end. */
void qemu_describe_end(const struct qemu *q, char *out, size_t len);

#endif
