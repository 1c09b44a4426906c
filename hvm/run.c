// SPDX-License-Identifier: MIT
/* run.c - the event loop of one run: ports, stdin, deadlines, exit status. */
#include "run.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void copy_out(FILE *f, const char *buf, size_t n)
{
	if (fwrite(buf, 1, n, f) != n)
		clearerr(f);
	fflush(f);
}

/* Reads one serial port socket; closes it at EOF.  Returns bytes or 0. */
static ssize_t read_port(int *fd, char *buf, size_t len)
{
	ssize_t n = read(*fd, buf, len);

	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	return n;
}

/* The status line's words for how far the boot got. */
static const char *boot_stage(const struct hvm_shm_header *h)
{
	uint32_t guest = __atomic_load_n(&h->guest_stage, __ATOMIC_ACQUIRE);
	uint32_t hrt = __atomic_load_n(&h->hrt_state, __ATOMIC_ACQUIRE);

	if (guest == HVM_GUEST_NONE)
		return "ROS booting";
	if (hrt == HVM_HRT_BOOTING)
		return "HRT booting";
	if (hrt == HVM_HRT_READY)
		return "HRT ready";
	return "ROS setting up";
}

/* A deadline passed: says which, stops the VM; returns the exit status. */
static int timed_out(const char *fmt, unsigned int s, int boot)
{
	status_clear(&R.status);
	fflush(stdout);
	if (R.tio_saved)
		tcsetattr(0, TCSANOW, &R.saved_tio);
	R.tio_saved = 0;
	fputs("\nhvm-run: ", stderr);
	fprintf(stderr, fmt, s);
	fputc('\n', stderr);
	if (boot)
		logs_print_tail(&R.logs, stderr);
	stop_qemu();
	return boot ? EXIT_LAUNCHER : EXIT_TIMEOUT;
}

/* The guest's end, once QEMU and the ports are gone: its exit status. */
static int guest_result(const struct hvm_shm_header *h)
{
	switch (h->guest_stage) {
	case HVM_GUEST_DONE:
		if (h->guest_exit_kind == HVM_EXIT_SIGNAL) {
			note("command killed by signal %d (%s)",
			     h->guest_exit_code, strsignal(h->guest_exit_code));
			return EXIT_SIGNAL_BASE + h->guest_exit_code;
		}
		return h->guest_exit_code & 0xff;
	case HVM_GUEST_FAILED:
		fprintf(stderr, "hvm-run: guest init failed: %s\n",
			strerror(h->guest_exit_code));
		logs_print_tail(&R.logs, stderr);
		return EXIT_LAUNCHER;
	default:
		fprintf(stderr, "hvm-run: the VM ended before %s\n",
			h->guest_stage < HVM_GUEST_USERSPACE
				? "reaching user space"
				: "the command reported an exit status");
		if (R.qemu.err.len) {
			fprintf(stderr, "hvm-run: QEMU said:\n");
			qemu_print_err(&R.qemu, QEMU_ERR_LINES, stderr, "  | ");
		}
		logs_print_tail(&R.logs, stderr);
		return EXIT_LAUNCHER;
	}
}

/* Typed input in the interactive shell: to ttyS1; Ctrl-] leaves. */
static int typed_input(int *stdin_open, char *buf, size_t len)
{
	ssize_t n = read(0, buf, len);

	if (n <= 0) {
		*stdin_open = 0;
	} else if (R.tio_saved && memchr(buf, 0x1d, (size_t)n)) {
		fprintf(stderr, "\r\nhvm-run: Ctrl-] pressed; shutting the VM "
				"down\r\n");
		stop_qemu();
		return EXIT_SIGNAL_BASE + SIGINT;
	} else if (R.out_fd >= 0 && write(R.out_fd, buf, (size_t)n) < 0) {
		*stdin_open = 0;
	}
	return -1;
}

int run_vm(void)
{
	struct hvm_shm_header *h = region_header(&R.region);
	long long start = now_ms(), ready_at = 0, done_at = 0;
	long long boot_deadline = start + R.opt.boot_timeout * 1000ll;
	long long total_deadline = R.start_ms + R.opt.timeout_total * 1000ll;
	int stdin_open = R.interactive, rc;
	long long leader_check = 0;
	char buf[4096];

	for (;;) {
		struct pollfd p[9 + HVM_NR_VECTORS];
		uint32_t stage =
			__atomic_load_n(&h->guest_stage, __ATOMIC_ACQUIRE);
		long long t = now_ms();
		int np = 0, i;
		ssize_t n;

		logs_hrt(&R.logs, R.region.base);
		qemu_read_err(&R.qemu);
		if (stage >= HVM_GUEST_READY && !ready_at) {
			ready_at = t;
			status_clear(&R.status);
			if (R.opt.verbose > 0)
				note("guest ready after %.2f s",
				     (t - start) / 1000.0);
		} else if (!ready_at) {
			status_stage(&R.status, boot_stage(h), t);
		}
		if ((stage == HVM_GUEST_DONE || stage == HVM_GUEST_FAILED) &&
		    !done_at)
			done_at = t;
		/* The guest powers off by itself; QEMU gets 10 s, then quit. */
		if (done_at && t - done_at > 10000)
			stop_qemu();
		if (!ready_at && !done_at && t > boot_deadline)
			return timed_out(
				stage < HVM_GUEST_USERSPACE
					? "guest did not reach user "
					  "space within %u s "
					  "(--boot-timeout)"
					: "guest did not finish setting "
					  "up within %u s "
					  "(--boot-timeout)",
				R.opt.boot_timeout, 1);
		if (ready_at && !done_at && R.opt.timeout &&
		    t > ready_at + R.opt.timeout * 1000ll)
			return timed_out("command timed out after %u s",
					 R.opt.timeout, 0);
		if (!done_at && R.opt.timeout_total && t > total_deadline)
			return timed_out("run timed out after %u s "
					 "(--timeout-total)",
					 R.opt.timeout_total, 0);
		if (qemu_reaped(&R.qemu) && R.out_fd < 0 && R.err_fd < 0 &&
		    R.klog_fd < 0)
			break;
		/* A node serves the others only while node 0 runs. */
		if (R.opt.cluster_set && R.opt.cluster.node && !done_at &&
		    t - leader_check >= 500) {
			leader_check = t;
			if (cluster_leader_gone(&R.cluster)) {
				status_clear(&R.status);
				note("node 0 of cluster %s has ended; shutting "
				     "node %u down",
				     R.opt.cluster.name, R.opt.cluster.node);
				stop_qemu();
				return 0;
			}
		}

		p[np++] = (struct pollfd){ .fd = R.sigfd, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = R.out_fd, .events = POLLIN };
		/* Typed input waits until the guest has opened its terminal. */
		p[np++] =
			(struct pollfd){ .fd = stdin_open && ready_at ? 0 : -1,
					 .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = R.qmp.fd, .events = POLLIN };
		for (i = 0; i < (int)HVM_NR_VECTORS; i++)
			p[np++] = (struct pollfd){ .fd = R.ivs.host_efd[i],
						   .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = R.err_fd, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = R.klog_fd, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = R.qemu.err_fd,
					   .events = POLLIN };
		if (R.in_fd >= 0)
			input_pollfds(&R.input, &p[np], &p[np + 1]);
		else
			p[np].fd = p[np + 1].fd = -1;
		np += 2;
		if (poll(p, (nfds_t)np, 50) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));

		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(R.sigfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGCHLD) {
				status_clear(&R.status);
				fflush(stdout);
				fprintf(stderr,
					"\nhvm-run: %s; shutting the VM down\n",
					strsignal((int)si.ssi_signo));
				stop_qemu();
				return EXIT_SIGNAL_BASE + (int)si.ssi_signo;
			}
		}
		/* EOF on a port means QEMU is going away. */
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (n = read_port(&R.out_fd, buf, sizeof(buf))))
			copy_out(stdout, buf, (size_t)n);
		if ((p[4 + HVM_NR_VECTORS].revents &
		     (POLLIN | POLLHUP | POLLERR)) &&
		    (n = read_port(&R.err_fd, buf, sizeof(buf))))
			copy_out(stderr, buf, (size_t)n);
		if ((p[5 + HVM_NR_VECTORS].revents &
		     (POLLIN | POLLHUP | POLLERR)) &&
		    (n = read_port(&R.klog_fd, buf, sizeof(buf))))
			logs_klog(&R.logs, buf, (size_t)n);
		if (R.in_fd >= 0)
			input_pump(&R.input, p[7 + HVM_NR_VECTORS].revents,
				   p[8 + HVM_NR_VECTORS].revents);
		if ((p[2].revents & (POLLIN | POLLHUP)) &&
		    (rc = typed_input(&stdin_open, buf, sizeof(buf))) >= 0)
			return rc;
		if (p[3].revents & (POLLIN | POLLHUP)) {
			/* Events (SHUTDOWN, ...) are not needed: drain them. */
			n = read(R.qmp.fd, buf, sizeof(buf));
			if (n <= 0)
				qmp_close(&R.qmp);
		}
		for (i = 0; i < (int)HVM_NR_VECTORS; i++) {
			if (!(p[4 + i].revents & POLLIN) ||
			    ivshmem_drain(&R.ivs, (unsigned int)i) <= 0)
				continue;
			if (R.opt.verbose > 1)
				note("doorbell: guest rang host vector %d", i);
			/* The spare vector is an echo: the guest can time a
			 * host round trip. */
			if (i == HVM_VEC_SPARE)
				ivshmem_notify_guest(&R.ivs, HVM_VEC_SPARE);
		}
		if (R.out_fd < 0 && R.qemu.pid > 0 && !qemu_reaped(&R.qemu))
			usleep(20000);
	}
	logs_hrt(&R.logs, R.region.base);
	return guest_result(h);
}
