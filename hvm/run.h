/* SPDX-License-Identifier: MIT */
/* run.h - one run's state and the launcher's helpers, for main.c and run.c. */
#ifndef HVM_RUN_H
#define HVM_RUN_H

#include <termios.h>

#include "cluster.h"
#include "input.h"
#include "ivshmem.h"
#include "logs.h"
#include "options.h"
#include "plan.h"
#include "qemu.h"
#include "qmp.h"
#include "region.h"
#include "status.h"

/* Exit statuses of hvm-run itself (the guest command's status otherwise). */
#define EXIT_TIMEOUT	 124
#define EXIT_LAUNCHER	 125
#define EXIT_SIGNAL_BASE 128

/* How many of QEMU's last stderr lines a failure shows. */
#define QEMU_ERR_LINES 10

/* Everything one run owns, so that every exit path can undo it. */
struct run {
	struct options opt;
	struct plan plan;
	struct region region;
	struct ivshmem ivs;
	struct qmp qmp;
	struct qemu qemu;
	struct logs logs;
	struct status status;
	struct input input;	/* hvm-run's stdin to the guest's stdin port */
	struct cluster cluster; /* --cluster: this node's hold on it */
	long long start_ms;	/* when hvm-run started (--timeout-total) */
	char tmpdir[80];
	char klog_path[96], out_path[96], err_path[96], in_path[96];
	char ivs_path[96], qmp_path[96], initrd_path[96];
	int klog_listen, out_listen, err_listen, in_listen, qmp_listen;
	int klog_fd, out_fd, err_fd, in_fd; /* ttyS0..2, stdin port */
	int sigfd;
	struct termios saved_tio;
	int tio_saved;
	int interactive; /* a shell on a terminal: stdin goes to ttyS1 */
	int stdin_port;	 /* stdin goes to the guest's stdin port */
};

extern struct run R;

long long now_ms(void);

/* One line on stderr after "hvm-run: ", unless -q. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The launcher's one way out on a fatal host error: says what and why. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Undoes everything the run set up (QEMU, sockets, files, terminal). */
void cleanup(void);

/* Stops QEMU: QMP quit, then SIGKILL if it lingers. */
void stop_qemu(void);

/*
 * The event loop: the guest's ports, doorbells, logs, signals, stdin and
 * deadlines, until the VM is gone.  Returns hvm-run's exit status.
 */
int run_vm(void);

#endif
