/* main.c - hvm-run: plans the split, serves the region, runs QEMU, reports. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "console.h"
#include "initramfs.h"
#include "ivshmem.h"
#include "options.h"
#include "pin.h"
#include "plan.h"
#include "qmp.h"
#include "region.h"
#include "vm.h"

/* Exit statuses of hvm-run itself (the guest command's status otherwise). */
#define EXIT_TIMEOUT 124
#define EXIT_LAUNCHER 125
#define EXIT_SIGNAL_BASE 128

/* Everything one run owns, so that every exit path can undo it. */
struct run {
	struct options opt;
	struct plan plan;
	struct region region;
	struct ivshmem ivs;
	struct qmp qmp;
	struct console_tail tail;
	char tmpdir[80];
	char klog_path[96], out_path[96], err_path[96];
	char ivs_path[96], qmp_path[96], initrd_path[96];
	int klog_listen, out_listen, err_listen, qmp_listen;
	int klog_fd, out_fd, err_fd; /* ttyS0..2 */
	int sigfd;
	pid_t qemu;
	int qemu_status;
	int qemu_err_fd; /* QEMU's stderr, shown when it fails */
	char qemu_err[2048];
	size_t qemu_err_len;
	FILE *hrt_log;
	uint64_t log_pos;
	/* -v: partial lines of the kernel and HRT logs, so they never mix. */
	char klog_line[512], hrt_line[512];
	size_t klog_len, hrt_len;
	struct termios saved_tio;
	int tio_saved;
	int interactive;
};

static struct run R = {
	.klog_listen = -1,
	.out_listen = -1,
	.err_listen = -1,
	.qmp_listen = -1,
	.klog_fd = -1,
	.out_fd = -1,
	.err_fd = -1,
	.sigfd = -1,
	.qemu_err_fd = -1,
	.qmp = {.fd = -1},
	.region = {.fd = -1},
	.ivs = {.listen_fd = -1, .client_fd = -1},
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	if (R.opt.verbose < 0)
		return;
	va_start(ap, fmt);
	fputs("hvm-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void cleanup(void)
{
	if (R.tio_saved)
		tcsetattr(0, TCSANOW, &R.saved_tio);
	R.tio_saved = 0;
	if (R.qemu > 0) {
		kill(R.qemu, SIGKILL);
		waitpid(R.qemu, NULL, 0);
		R.qemu = 0;
	}
	qmp_close(&R.qmp);
	ivshmem_destroy(&R.ivs);
	{
		int *fds[] = {&R.klog_fd,     &R.out_fd,     &R.err_fd,
			      &R.klog_listen, &R.out_listen, &R.err_listen,
			      &R.qmp_listen};

		for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++) {
			if (*fds[k] >= 0)
				close(*fds[k]);
			*fds[k] = -1;
		}
	}
	region_destroy(&R.region);
	if (R.hrt_log)
		fclose(R.hrt_log);
	R.hrt_log = NULL;
	if (R.tmpdir[0]) {
		unlink(R.klog_path);
		unlink(R.out_path);
		unlink(R.err_path);
		unlink(R.ivs_path);
		unlink(R.qmp_path);
		unlink(R.initrd_path);
		rmdir(R.tmpdir);
		R.tmpdir[0] = '\0';
	}
	options_free(&R.opt);
}

/* The launcher's one way out on a fatal host error: say what and why. */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hvm-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	cleanup();
	exit(EXIT_LAUNCHER);
}

/* The folder hvm-run was built into ($(O)), to find the other parts. */
static char *build_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

	if (n <= 0)
		die("cannot read /proc/self/exe: %s", strerror(errno));
	dir[n] = '\0';
	return dirname(dirname(dir));
}

static int find_in_path(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save;
	int found = 0;

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK) == 0;
	}
	copy = strdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, prog);
		found = access(out, X_OK) == 0;
	}
	free(copy);
	return found;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1))
		die("cannot listen on %s: %s", path, strerror(errno));
	return fd;
}

static int choose_kvm(void)
{
	double ips = 0;
	int err;

	switch (R.opt.accel) {
	case ACCEL_TCG:
		return 0;
	case ACCEL_KVM:
		if (access("/dev/kvm", R_OK | W_OK))
			die("--accel kvm: /dev/kvm is not accessible: %s",
			    strerror(errno));
		return 1;
	case ACCEL_AUTO:
		break;
	}
	if (access("/dev/kvm", R_OK | W_OK)) {
		if (R.opt.verbose > 0)
			note("no usable /dev/kvm (%s); using TCG",
			     strerror(errno));
		return 0;
	}
	err = accel_kvm_probe("/dev/kvm", &ips);
	if (err) {
		note("KVM probe failed (%s); using TCG", strerror(-err));
		return 0;
	}
	if (ips < ACCEL_MIN_RING0_IPS) {
		note("KVM here emulates guest kernel mode (%.1fM "
		     "instructions/s); using TCG",
		     ips / 1e6);
		return 0;
	}
	if (R.opt.verbose > 0)
		note("KVM runs guest kernel mode at %.0fM instructions/s; "
		     "using KVM",
		     ips / 1e6);
	return 1;
}

static void start_qemu(char **argv)
{
	int errpipe[2], devnull;

	if (pipe2(errpipe, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	R.qemu = fork();
	if (R.qemu < 0)
		die("fork: %s", strerror(errno));
	if (R.qemu == 0) {
		/* QEMU must not touch the terminal: the console is ours. */
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(errpipe[1], 2);
		setpgid(0,
			0); /* Ctrl-C reaches hvm-run, which shuts QEMU down */
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(errpipe[1]);
	R.qemu_err_fd = errpipe[0];
	fcntl(R.qemu_err_fd, F_SETFL, O_NONBLOCK);
}

static void read_qemu_err(void)
{
	ssize_t n;

	if (R.qemu_err_fd < 0)
		return;
	while (R.qemu_err_len < sizeof(R.qemu_err) - 1 &&
	       (n = read(R.qemu_err_fd, R.qemu_err + R.qemu_err_len,
			 sizeof(R.qemu_err) - 1 - R.qemu_err_len)) > 0)
		R.qemu_err_len += (size_t)n;
	R.qemu_err[R.qemu_err_len] = '\0';
}

/* Reaps QEMU if it ended; returns 1 when it is gone. */
static int qemu_reaped(void)
{
	int st;

	if (R.qemu <= 0)
		return 1;
	if (waitpid(R.qemu, &st, WNOHANG) == R.qemu) {
		R.qemu = 0;
		R.qemu_status = st;
		read_qemu_err();
		return 1;
	}
	return 0;
}

static void __attribute__((noreturn)) die_qemu(const char *what)
{
	char *nl;

	read_qemu_err();
	nl = strchr(R.qemu_err, '\n');
	if (nl)
		*nl = '\0';
	die("%s%s%s", what, R.qemu_err[0] ? ": " : "", R.qemu_err);
}

/* Accepts one connection on (fd) within (ms), watching QEMU meanwhile. */
static int accept_from_qemu(int fd, int ms, const char *what)
{
	long long deadline = now_ms() + ms;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int c;

		if (poll(&p, 1, 100) > 0) {
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				return c;
		}
		if (qemu_reaped())
			die_qemu("QEMU exited during start-up");
		if (now_ms() > deadline)
			die("QEMU did not connect its %s within %d s", what,
			    ms / 1000);
	}
}

static void do_pin(void)
{
	pid_t tids[PLAN_MAX_VCPUS + 1];
	int host[CPU_SETSIZE], assign[PLAN_MAX_VCPUS + 1], nhost = 0, n, i;
	char msg[256];
	cpu_set_t set;

	n = qmp_vcpu_threads(&R.qmp, tids, PLAN_MAX_VCPUS + 1, 10000);
	if (n != (int)R.plan.vcpus) {
		note("--pin: cannot read vCPU threads from QMP (%s); not "
		     "pinning",
		     n < 0 ? strerror(-n) : "wrong count");
		return;
	}
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				host[nhost++] = i;
	if (pin_plan(host, nhost, R.plan.ros_cpus, R.plan.hrt_cpus, assign, msg,
		     sizeof(msg))) {
		note("%s", msg);
		return;
	}
	if (msg[0])
		note("%s", msg);
	for (i = 0; i < n; i++) {
		int err = pin_thread(tids[i], assign[i]);

		if (err)
			note("--pin: vCPU %d: %s", i, strerror(-err));
		else if (R.opt.verbose > 0)
			note("pinned %s vCPU %d (thread %d) to host CPU %d",
			     i < (int)R.plan.ros_cpus ? "ROS" : "HRT", i,
			     tids[i], assign[i]);
	}
}

/*
 * Appends (len) bytes to the line buffer (line, *used) and writes every
 * completed line to stderr with (prefix); an overlong line is cut.
 */
static void line_out(char *line, size_t *used, size_t cap, const char *prefix,
		     const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = data[i];

		if (ch == '\r')
			continue;
		if (ch != '\n' && *used < cap - 1) {
			line[(*used)++] = ch;
			continue;
		}
		if (ch != '\n' && *used < cap)
			continue; /* drop the rest of an overlong line */
		fprintf(stderr, "%s%.*s\n", prefix, (int)*used, line);
		*used = 0;
	}
}

/* Copies new HRT log bytes to stderr (-v) and the --hrt-log file. */
static void pump_hrt_log(void)
{
	struct hvm_log *log =
		(struct hvm_log *)((char *)R.region.base + HVM_LOG_OFF);
	uint64_t head = __atomic_load_n(&log->head, __ATOMIC_ACQUIRE);
	uint64_t size = HVM_LOG_SIZE - sizeof(*log);

	if (!R.hrt_log && R.opt.verbose <= 0)
		return;
	if (head < R.log_pos) /* the HRT rebooted and restarted its log */
		R.log_pos = 0;
	if (head - R.log_pos > size) {
		fprintf(stderr, "[hrt] ... %llu bytes of HRT log lost ...\n",
			(unsigned long long)(head - R.log_pos - size));
		R.log_pos = head - size;
	}
	for (; R.log_pos < head; R.log_pos++) {
		char ch = log->data[R.log_pos % size];

		if (R.hrt_log)
			fputc(ch, R.hrt_log);
		if (R.opt.verbose > 0)
			line_out(R.hrt_line, &R.hrt_len, sizeof(R.hrt_line),
				 "[hrt] ", &ch, 1);
	}
	if (R.hrt_log)
		fflush(R.hrt_log);
}

static uint32_t guest_stage(void)
{
	return __atomic_load_n(&region_header(&R.region)->guest_stage,
			       __ATOMIC_ACQUIRE);
}

/* Kernel console: kept for error reports, shown with -v. */
static void klog_out(const char *buf, size_t n)
{
	console_tail_add(&R.tail, buf, n);
	if (R.opt.verbose > 0)
		line_out(R.klog_line, &R.klog_len, sizeof(R.klog_line), "", buf,
			 n);
}

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

static void raw_terminal(void)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &R.saved_tio))
		return;
	R.tio_saved = 1;
	t = R.saved_tio;
	cfmakeraw(&t);
	tcsetattr(0, TCSANOW, &t);
}

static void print_tail(void)
{
	if (R.tail.len) {
		fprintf(stderr, "hvm-run: last console lines:\n");
		console_tail_print(&R.tail, 15, stderr, "  | ");
	}
}

/* Stops QEMU: QMP quit, then SIGKILL if it lingers. */
static void stop_qemu(void)
{
	long long deadline = now_ms() + 5000;

	if (R.qemu <= 0)
		return;
	qmp_quit(&R.qmp);
	while (!qemu_reaped() && now_ms() < deadline)
		usleep(10000);
	if (R.qemu > 0)
		kill(R.qemu, SIGKILL);
	qemu_reaped();
}

static int run_vm(void)
{
	struct hvm_shm_header *h = region_header(&R.region);
	long long start = now_ms(), ready_at = 0, done_at = 0;
	long long boot_deadline = start + R.opt.boot_timeout * 1000ll;
	int stdin_open = R.interactive;
	char buf[4096];

	for (;;) {
		struct pollfd p[6 + HVM_NR_VECTORS];
		uint32_t stage = guest_stage();
		long long t = now_ms();
		int np = 0, i;
		ssize_t n;

		pump_hrt_log();
		if (stage >= HVM_GUEST_READY && !ready_at) {
			ready_at = t;
			if (R.opt.verbose > 0)
				note("guest ready after %.2f s",
				     (t - start) / 1000.0);
		}
		if ((stage == HVM_GUEST_DONE || stage == HVM_GUEST_FAILED) &&
		    !done_at)
			done_at = t;
		/* The guest powers off by itself; QEMU gets 10 s, then quit. */
		if (done_at && t - done_at > 10000)
			stop_qemu();
		if (!ready_at && !done_at && t > boot_deadline) {
			fprintf(stderr,
				"hvm-run: guest did not %s within %u s "
				"(--boot-timeout)\n",
				stage < HVM_GUEST_USERSPACE
					? "reach user space"
					: "finish setting up",
				R.opt.boot_timeout);
			print_tail();
			stop_qemu();
			return EXIT_LAUNCHER;
		}
		if (ready_at && !done_at && R.opt.timeout &&
		    t > ready_at + R.opt.timeout * 1000ll) {
			fflush(stdout);
			fprintf(stderr,
				"\nhvm-run: command timed out after %u s\n",
				R.opt.timeout);
			stop_qemu();
			return EXIT_TIMEOUT;
		}
		if (qemu_reaped() && R.out_fd < 0 && R.err_fd < 0 &&
		    R.klog_fd < 0)
			break;

		p[np++] = (struct pollfd){.fd = R.sigfd, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = R.out_fd, .events = POLLIN};
		/* Typed input waits until the guest has opened its terminal. */
		p[np++] = (struct pollfd){.fd = stdin_open && ready_at ? 0 : -1,
					  .events = POLLIN};
		p[np++] = (struct pollfd){.fd = R.qmp.fd, .events = POLLIN};
		for (i = 0; i < (int)HVM_NR_VECTORS; i++)
			p[np++] = (struct pollfd){.fd = R.ivs.host_efd[i],
						  .events = POLLIN};
		p[np++] = (struct pollfd){.fd = R.err_fd, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = R.klog_fd, .events = POLLIN};
		if (poll(p, (nfds_t)np, 50) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));

		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(R.sigfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGCHLD) {
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
			klog_out(buf, (size_t)n);
		if (p[2].revents & (POLLIN | POLLHUP)) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				stdin_open = 0;
			} else if (R.tio_saved &&
				   memchr(buf, 0x1d, (size_t)n)) {
				/* Ctrl-]: the user leaves the interactive VM. */
				fprintf(stderr, "\r\nhvm-run: Ctrl-] pressed; "
						"shutting the VM down\r\n");
				stop_qemu();
				return EXIT_SIGNAL_BASE + SIGINT;
			} else if (R.out_fd >= 0 &&
				   write(R.out_fd, buf, (size_t)n) < 0) {
				stdin_open = 0;
			}
		}
		if (p[3].revents & (POLLIN | POLLHUP)) {
			/* Events (SHUTDOWN, ...) are not needed: drain them. */
			n = read(R.qmp.fd, buf, sizeof(buf));
			if (n <= 0) {
				qmp_close(&R.qmp);
			}
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
		if (R.out_fd < 0 && R.qemu > 0)
			qemu_reaped() || (usleep(20000), 0);
	}
	pump_hrt_log();

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
		print_tail();
		return EXIT_LAUNCHER;
	default:
		fprintf(stderr, "hvm-run: the VM ended before %s\n",
			h->guest_stage < HVM_GUEST_USERSPACE
				? "reaching user space"
				: "the command reported an exit status");
		if (R.qemu_err[0])
			fprintf(stderr, "hvm-run: QEMU said: %s", R.qemu_err);
		print_tail();
		return EXIT_LAUNCHER;
	}
}

int main(int argc, char **argv)
{
	char err[512], note_buf[256], qemu_path[PATH_MAX];
	const char *share_tags[OPTIONS_MAX_MAPS];
	char share_tag_buf[OPTIONS_MAX_MAPS][16];
	struct vm_paths paths;
	struct strv qargv = {0};
	struct compose co;
	struct stat st;
	sigset_t mask;
	char *bdir, *kernel, *hrt, *init, *guest, *modules;
	FILE *out;
	int kvm, rc, fd;
	unsigned int i;

	rc = options_parse(&R.opt, argc, argv, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "hvm-run: %s\n", err);
		options_free(&R.opt);
		return EXIT_LAUNCHER;
	}
	if (plan_make(&R.plan, R.opt.ros_cpus, R.opt.hrt_cpus, R.opt.ros_mem,
		      R.opt.hrt_mem, err, sizeof(err)))
		die("%s", err);
	R.interactive = !R.opt.cmd;

	/* Everything the VM needs must exist before anything starts. */
	bdir = build_dir();
	if (!find_in_path(R.opt.qemu, qemu_path, sizeof(qemu_path)))
		die("QEMU not found: %s (install Debian's qemu-system-x86, or "
		    "--qemu PATH)",
		    R.opt.qemu);
	R.opt.qemu = qemu_path;
	if (asprintf(&kernel, "%s/kernel/vmlinuz", bdir) < 0 ||
	    asprintf(&hrt, "%s/hrt-kernel/hrt.elf", bdir) < 0 ||
	    asprintf(&init, "%s/hvm/hvm-init", bdir) < 0 ||
	    asprintf(&guest, "%s/guest", bdir) < 0 ||
	    asprintf(&modules, "%s/kernel/modules", bdir) < 0)
		die("out of memory");
	if (R.opt.kernel)
		kernel = (char *)R.opt.kernel;
	if (access(kernel, R_OK))
		die("ROS kernel not found: %s: %s (run 'make kernel' or pass "
		    "--kernel)",
		    kernel, strerror(errno));
	if (access(init, R_OK))
		die("guest init not found: %s (run 'make')", init);
	if (access(modules, R_OK))
		die("ROS kernel modules not found: %s (run 'make kernel')",
		    modules);
	for (i = 0; i < R.opt.nr_shares; i++) {
		const char *d = R.opt.shares[i].host;

		if (stat(d, &st) || !S_ISDIR(st.st_mode) ||
		    access(d, R_OK | X_OK))
			die("cannot share %s: %s", d,
			    errno ? strerror(errno) : "not a directory");
		snprintf(share_tag_buf[i], sizeof(share_tag_buf[i]), "share%u",
			 i);
		share_tags[i] = share_tag_buf[i];
	}
	for (i = 0; i < R.opt.nr_adds; i++)
		if (stat(R.opt.adds[i].host, &st) || !S_ISREG(st.st_mode))
			die("cannot add %s: %s", R.opt.adds[i].host,
			    errno ? strerror(errno) : "not a regular file");
	if (R.opt.hrt_image)
		hrt = (char *)R.opt.hrt_image;
	if (R.opt.hrt_image && access(hrt, R_OK))
		die("HRT image %s: %s", hrt, strerror(errno));
	if (R.opt.hrt_log) {
		R.hrt_log = fopen(R.opt.hrt_log, "we");
		if (!R.hrt_log)
			die("--hrt-log %s: %s", R.opt.hrt_log, strerror(errno));
	}
	kvm = choose_kvm();

	/* Signals arrive through the event loop; cleanup is then ordinary. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	R.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);

	/* Unix socket paths are short: $TMPDIR must leave room for them. */
	{
		const char *tmp = getenv("TMPDIR");

		if (!tmp || !*tmp)
			tmp = "/tmp";
		if (strlen(tmp) > 60)
			die("TMPDIR %s is too long for unix socket paths (max "
			    "60 characters)",
			    tmp);
		snprintf(R.tmpdir, sizeof(R.tmpdir), "%s/hvm-run.XXXXXX", tmp);
		if (!mkdtemp(R.tmpdir)) {
			R.tmpdir[0] = '\0';
			die("cannot create a temporary folder in %s: %s", tmp,
			    strerror(errno));
		}
	}
	snprintf(R.klog_path, sizeof(R.klog_path), "%s/klog.sock", R.tmpdir);
	snprintf(R.out_path, sizeof(R.out_path), "%s/out.sock", R.tmpdir);
	snprintf(R.err_path, sizeof(R.err_path), "%s/err.sock", R.tmpdir);
	snprintf(R.ivs_path, sizeof(R.ivs_path), "%s/ivshmem.sock", R.tmpdir);
	snprintf(R.qmp_path, sizeof(R.qmp_path), "%s/qmp.sock", R.tmpdir);
	snprintf(R.initrd_path, sizeof(R.initrd_path), "%s/initrd.cpio",
		 R.tmpdir);

	rc = region_create(&R.region, &R.plan, R.opt.numa_node, note_buf,
			   sizeof(note_buf));
	if (rc)
		die("cannot create the HRT memory region: %s", strerror(-rc));
	if (note_buf[0])
		note("%s", note_buf);
	if (!R.opt.no_hrt && !access(hrt, R_OK)) {
		void *img;

		fd = open(hrt, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st))
			die("HRT image %s: %s", hrt, strerror(errno));
		img = malloc((size_t)st.st_size + 1);
		if (!img || read(fd, img, (size_t)st.st_size) != st.st_size)
			die("HRT image %s: cannot read it", hrt);
		close(fd);
		rc = region_load_image(R.region.base, img, (size_t)st.st_size);
		free(img);
		if (rc == -EFBIG)
			die("HRT image %s is %lld bytes; the image slot holds "
			    "%llu",
			    hrt, (long long)st.st_size, HVM_IMAGE_SIZE);
		if (rc)
			die("HRT image %s is not an ELF64 file", hrt);
	}

	memset(&co, 0, sizeof(co));
	co.busybox = "/bin/busybox";
	co.init = init;
	co.modules_dir = modules;
	co.guest_tree = guest;
	co.opt = &R.opt;
	co.share_tags = share_tags;
	co.interactive = R.interactive;
	if (access(co.busybox, X_OK))
		die("busybox not found at /bin/busybox (install "
		    "busybox-static)");
	out = fopen(R.initrd_path, "we");
	if (!out)
		die("%s: %s", R.initrd_path, strerror(errno));
	rc = initramfs_compose(&co, out, err, sizeof(err));
	if (fclose(out) && !rc)
		rc = -EIO;
	if (rc)
		die("initramfs: %s", err[0] ? err : strerror(-rc));
	if (R.opt.save_initrd) {
		char cmd[PATH_MAX * 2 + 16];

		snprintf(cmd, sizeof(cmd), "cp -- '%s' '%s'", R.initrd_path,
			 R.opt.save_initrd);
		if (strchr(R.opt.save_initrd, '\'') || system(cmd))
			die("--save-initrd %s: cannot write it",
			    R.opt.save_initrd);
	}

	R.klog_listen = listen_unix(R.klog_path);
	R.out_listen = listen_unix(R.out_path);
	R.err_listen = listen_unix(R.err_path);
	R.qmp_listen = listen_unix(R.qmp_path);
	rc = ivshmem_init(&R.ivs, R.ivs_path, R.region.fd, HVM_NR_VECTORS);
	if (rc)
		die("ivshmem server on %s: %s", R.ivs_path, strerror(-rc));

	paths.kernel = kernel;
	paths.initrd = R.initrd_path;
	paths.klog_sock = R.klog_path;
	paths.out_sock = R.out_path;
	paths.err_sock = R.err_path;
	paths.ivshmem_sock = R.ivs_path;
	paths.qmp_sock = R.qmp_path;
	if (vm_qemu_argv(&R.plan, &R.opt, &paths, kvm, share_tags, &qargv))
		die("out of memory");
	if (R.opt.verbose > 1) {
		char *line = strv_join(&qargv, " ");

		note("%s", line ? line : "");
		free(line);
	}
	start_qemu(qargv.v);
	strv_free(&qargv);

	/* QEMU connects the chardevs in command-line order during start-up. */
	R.klog_fd = accept_from_qemu(R.klog_listen, 30000, "console");
	R.out_fd = accept_from_qemu(R.out_listen, 30000, "stdout port");
	R.err_fd = accept_from_qemu(R.err_listen, 30000, "stderr port");
	fd = accept_from_qemu(R.ivs.listen_fd, 30000, "ivshmem device");
	rc = ivshmem_greet(&R.ivs, fd);
	if (rc)
		die("ivshmem: greeting QEMU failed: %s", strerror(-rc));
	R.ivs.client_fd = fd;
	fd = accept_from_qemu(R.qmp_listen, 30000, "QMP monitor");
	rc = qmp_open(&R.qmp, fd, 30000);
	if (rc) {
		if (qemu_reaped())
			die_qemu("QEMU exited during start-up");
		die("QMP handshake with QEMU failed: %s", strerror(-rc));
	}
	if (R.opt.pin)
		do_pin();
	if (R.interactive) {
		raw_terminal();
		if (R.tio_saved)
			note("interactive shell; Ctrl-] leaves\r");
	}

	rc = run_vm();
	fflush(stdout);
	read_qemu_err();
	if (R.opt.verbose > 1 && R.qemu_err[0])
		note("QEMU's stderr:\n%s", R.qemu_err);
	if (R.tio_saved)
		tcsetattr(0, TCSANOW, &R.saved_tio);
	R.tio_saved = 0;
	cleanup();
	return rc;
}
