// SPDX-License-Identifier: MIT
/* main.c - hvm-run: plans the split, serves the region, runs QEMU, reports. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "initramfs.h"
#include "input.h"
#include "ivshmem.h"
#include "logs.h"
#include "options.h"
#include "pin.h"
#include "plan.h"
#include "qemu.h"
#include "qmp.h"
#include "region.h"
#include "run.h"
#include "status.h"
#include "vm.h"

struct run R = {
	.klog_listen = -1,
	.out_listen = -1,
	.err_listen = -1,
	.in_listen = -1,
	.qmp_listen = -1,
	.klog_fd = -1,
	.out_fd = -1,
	.err_fd = -1,
	.in_fd = -1,
	.sigfd = -1,
	.qmp = { .fd = -1 },
	.qemu = { .err_fd = -1 },
	.region = { .fd = -1 },
	.ivs = { .listen_fd = -1, .client_fd = -1 },
	.cluster = { .node_fd = -1 },
};

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (R.opt.verbose < 0)
		return;
	status_clear(&R.status);
	va_start(ap, fmt);
	fputs("hvm-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(R.tio_saved ? "\r\n" : "\n", stderr);
	va_end(ap);
}

void cleanup(void)
{
	int *fds[] = { &R.klog_fd,    &R.out_fd,      &R.err_fd,
		       &R.in_fd,      &R.klog_listen, &R.out_listen,
		       &R.err_listen, &R.in_listen,   &R.qmp_listen };
	char *files[] = { R.klog_path, R.out_path, R.err_path,	 R.in_path,
			  R.ivs_path,  R.qmp_path, R.initrd_path };
	size_t k;

	status_clear(&R.status);
	if (R.tio_saved)
		tcsetattr(0, TCSANOW, &R.saved_tio);
	R.tio_saved = 0;
	qemu_kill(&R.qemu);
	qmp_close(&R.qmp);
	ivshmem_destroy(&R.ivs);
	for (k = 0; k < sizeof(fds) / sizeof(fds[0]); k++) {
		if (*fds[k] >= 0)
			close(*fds[k]);
		*fds[k] = -1;
	}
	region_destroy(&R.region);
	cluster_leave(&R.cluster);
	logs_close(&R.logs);
	if (R.tmpdir[0]) {
		for (k = 0; k < sizeof(files) / sizeof(files[0]); k++)
			if (files[k][0])
				unlink(files[k]);
		rmdir(R.tmpdir);
		R.tmpdir[0] = '\0';
	}
	options_free(&R.opt);
}

/* The launcher's one way out on a fatal host error: say what and why. */
void die(const char *fmt, ...)
{
	va_list ap;

	status_clear(&R.status);
	if (R.tio_saved)
		tcsetattr(0, TCSANOW, &R.saved_tio);
	R.tio_saved = 0;
	va_start(ap, fmt);
	fputs("hvm-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	cleanup();
	exit(EXIT_LAUNCHER);
}

/*
 * The folder with the other parts, found from hvm-run's own path: installed
 * as PREFIX/bin/hvm-run (make install), PREFIX/lib/hvm; else the folder it
 * was built into ($(O), from $(O)/hvm/hvm-run).  Both have the same layout.
 */
static char *build_dir(void)
{
	static char dir[PATH_MAX], lib[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	char *base;

	if (n <= 0)
		die("cannot read /proc/self/exe: %s", strerror(errno));
	dir[n] = '\0';
	base = dirname(dirname(dir));
	snprintf(lib, sizeof(lib), "%s/lib/hvm", base);
	return access(lib, X_OK) ? base : lib;
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1))
		die("cannot listen on %s: %s", path, strerror(errno));
	return fd;
}

/*
 * QEMU failed at (what): says so with how QEMU ended and its own last
 * stderr lines, which name the real cause (a bad option, a port in use).
 */
static void __attribute__((noreturn)) die_qemu(const char *what)
{
	char how[96];

	qemu_wait(&R.qemu, 2000); /* it is usually on its way out */
	qemu_read_err(&R.qemu);
	qemu_describe_end(&R.qemu, how, sizeof(how));
	status_clear(&R.status);
	fprintf(stderr, "hvm-run: %s (%s)%s\n", what, how,
		R.qemu.err.len ? "; QEMU said:" : "");
	qemu_print_err(&R.qemu, QEMU_ERR_LINES, stderr, "  | ");
	cleanup();
	exit(EXIT_LAUNCHER);
}

/* Accepts one connection on (fd) within (ms), watching QEMU meanwhile. */
static int accept_from_qemu(int fd, int ms, const char *what)
{
	long long deadline = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int c;

		if (poll(&p, 1, 100) > 0) {
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				return c;
		}
		qemu_read_err(&R.qemu);
		status_tick(&R.status, now_ms());
		if (qemu_reaped(&R.qemu))
			die_qemu("QEMU exited during start-up");
		if (now_ms() > deadline) {
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "QEMU did not connect its %s within %d s",
				 what, ms / 1000);
			die_qemu(msg);
		}
	}
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

void stop_qemu(void)
{
	qemu_stop(&R.qemu, &R.qmp);
}

/*
 * Whether to tell that a present KVM was turned down for TCG: always in
 * logs (stderr not a terminal), on a terminal once per session (a stamp
 * named after the user and the session id, in $XDG_RUNTIME_DIR or /tmp).
 */
static bool accel_notice_due(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	char stamp[PATH_MAX];
	int fd;

	if (!isatty(2))
		return true;
	snprintf(stamp, sizeof(stamp), "%s/hvm-run-accel-notice.%u.%d",
		 dir && *dir ? dir : "/tmp", (unsigned int)getuid(),
		 (int)getsid(0));
	fd = open(stamp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno != EEXIST;
	close(fd);
	return true;
}

/* Copies the HRT image (path) into the region's image slot. */
static void load_hrt_image(const char *hrt)
{
	struct stat st;
	void *img;
	int fd, rc;

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
		die("HRT image %s is %lld bytes; the image slot holds %llu",
		    hrt, (long long)st.st_size, HVM_IMAGE_SIZE);
	if (rc)
		die("HRT image %s is not an ELF64 file", hrt);
}

/* Writes the initramfs for this run to R.initrd_path (and --save-initrd). */
static void compose_initrd(struct compose *co)
{
	struct strv warnings = { 0 };
	char err[PATH_MAX + 600];
	FILE *out;
	size_t i;
	int rc;

	co->ld_library_path = getenv("LD_LIBRARY_PATH");
	co->ld_cache = "/etc/ld.so.cache";
	co->warnings = &warnings;
	out = fopen(R.initrd_path, "we");
	if (!out)
		die("%s: %s", R.initrd_path, strerror(errno));
	rc = initramfs_compose(co, out, err, sizeof(err));
	if (fclose(out) && !rc)
		rc = -EIO;
	for (i = 0; i < warnings.n; i++)
		note("--add: %s", warnings.v[i]);
	strv_free(&warnings);
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
}

/* The private folder for sockets and the initramfs, under $TMPDIR. */
static void make_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");

	/* Unix socket paths are short: $TMPDIR must leave room for them. */
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (strlen(tmp) > 60)
		die("TMPDIR %s is too long for unix socket paths (max 60 "
		    "characters)",
		    tmp);
	snprintf(R.tmpdir, sizeof(R.tmpdir), "%s/hvm-run.XXXXXX", tmp);
	if (!mkdtemp(R.tmpdir)) {
		R.tmpdir[0] = '\0';
		die("cannot create a temporary folder in %s: %s", tmp,
		    strerror(errno));
	}
	snprintf(R.klog_path, sizeof(R.klog_path), "%s/klog.sock", R.tmpdir);
	snprintf(R.out_path, sizeof(R.out_path), "%s/out.sock", R.tmpdir);
	snprintf(R.err_path, sizeof(R.err_path), "%s/err.sock", R.tmpdir);
	if (R.stdin_port)
		snprintf(R.in_path, sizeof(R.in_path), "%s/in.sock", R.tmpdir);
	snprintf(R.ivs_path, sizeof(R.ivs_path), "%s/ivshmem.sock", R.tmpdir);
	snprintf(R.qmp_path, sizeof(R.qmp_path), "%s/qmp.sock", R.tmpdir);
	snprintf(R.initrd_path, sizeof(R.initrd_path), "%s/initrd.cpio",
		 R.tmpdir);
}

/* Starts QEMU and accepts its connections, in command-line order. */
static void start_vm(const char *kernel, int kvm, const char *const *tags)
{
	struct vm_paths paths = {
		.kernel = kernel,
		.initrd = R.initrd_path,
		.klog_sock = R.klog_path,
		.out_sock = R.out_path,
		.err_sock = R.err_path,
		.in_sock = R.stdin_port ? R.in_path : NULL,
		.ivshmem_sock = R.ivs_path,
		.qmp_sock = R.qmp_path,
	};
	struct strv qargv = { 0 };
	int rc, fd;

	R.klog_listen = listen_unix(R.klog_path);
	R.out_listen = listen_unix(R.out_path);
	R.err_listen = listen_unix(R.err_path);
	if (R.stdin_port)
		R.in_listen = listen_unix(R.in_path);
	R.qmp_listen = listen_unix(R.qmp_path);
	rc = ivshmem_init(&R.ivs, R.ivs_path, R.region.fd, HVM_NR_VECTORS);
	if (rc)
		die("ivshmem server on %s: %s", R.ivs_path, strerror(-rc));
	if (vm_qemu_argv(&R.plan, &R.opt, &paths, kvm, tags, &qargv))
		die("out of memory");
	if (R.opt.verbose > 1) {
		char *line = strv_join(&qargv, " ");

		note("%s", line ? line : "");
		free(line);
	}
	status_stage(&R.status, "starting QEMU", now_ms());
	rc = qemu_start(&R.qemu, qargv.v);
	strv_free(&qargv);
	if (rc)
		die("cannot start QEMU: %s", strerror(-rc));

	R.klog_fd = accept_from_qemu(R.klog_listen, 30000, "console");
	R.out_fd = accept_from_qemu(R.out_listen, 30000, "stdout port");
	R.err_fd = accept_from_qemu(R.err_listen, 30000, "stderr port");
	if (R.stdin_port) {
		R.in_fd = accept_from_qemu(R.in_listen, 30000, "stdin port");
		input_init(&R.input, 0, R.in_fd);
	}
	fd = accept_from_qemu(R.ivs.listen_fd, 30000, "ivshmem device");
	rc = ivshmem_greet(&R.ivs, fd);
	if (rc)
		die("ivshmem: greeting QEMU failed: %s", strerror(-rc));
	R.ivs.client_fd = fd;
	fd = accept_from_qemu(R.qmp_listen, 30000, "QMP monitor");
	rc = qmp_open(&R.qmp, fd, 30000);
	if (rc) {
		char msg[96];

		snprintf(msg, sizeof(msg), "QMP handshake with QEMU failed: %s",
			 strerror(-rc));
		die_qemu(msg);
	}
	/* QEMU listens for the other nodes once it answers QMP. */
	if (R.opt.cluster_set) {
		rc = cluster_announce(&R.cluster);
		if (rc)
			die("--cluster: cannot announce node 0: %s",
			    strerror(-rc));
	}
	status_stage(&R.status, "ROS booting", now_ms());
}

static void cluster_say(const char *msg)
{
	note("%s", msg);
}

/* Everything the VM needs must exist before anything starts. */
static void check_inputs(const char *kernel, const char *init,
			 const char *modules)
{
	struct stat st;
	unsigned int i;

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

		errno = 0;
		if (stat(d, &st) || !S_ISDIR(st.st_mode) ||
		    access(d, R_OK | X_OK))
			die("cannot share %s: %s", d,
			    errno ? strerror(errno) : "not a directory");
	}
	for (i = 0; i < R.opt.nr_adds; i++) {
		errno = 0;
		if (stat(R.opt.adds[i].host, &st) ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			die("cannot add %s: %s", R.opt.adds[i].host,
			    errno ? strerror(errno)
				  : "not a regular file or folder");
	}
}

int main(int argc, char **argv)
{
	char err[512], note_buf[256], qemu_path[PATH_MAX], hostname[16];
	const char *share_tags[OPTIONS_MAX_MAPS];
	char share_tag_buf[OPTIONS_MAX_MAPS][16];
	struct compose co;
	FILE *hrt_log = NULL;
	sigset_t mask;
	char *bdir, *kernel, *hrt, *init, *guest, *modules;
	int kvm, rc, cores;
	bool fallback;
	unsigned int i;

	R.start_ms = now_ms();
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
	/*
	 * No command: a shell on a terminal when stdin is one, else a shell
	 * reading stdin.  A command reads stdin only with -i.
	 */
	R.interactive = !R.opt.cmd && isatty(0);
	R.stdin_port = R.opt.cmd ? R.opt.stdin_cmd : !R.interactive;
	status_init(&R.status, stderr, R.opt.verbose == 0 && isatty(2),
		    R.start_ms);
	cores = pin_host_cores();
	if (R.plan.vcpus > (unsigned int)cores)
		note("%u vCPUs on %d host core%s: they take turns, so the ROS "
		     "and the HRT run slower",
		     R.plan.vcpus, cores, cores == 1 ? "" : "s");

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
	check_inputs(kernel, init, modules);
	for (i = 0; i < R.opt.nr_shares; i++) {
		snprintf(share_tag_buf[i], sizeof(share_tag_buf[i]), "share%u",
			 i);
		share_tags[i] = share_tag_buf[i];
	}
	if (R.opt.hrt_image)
		hrt = (char *)R.opt.hrt_image;
	if (R.opt.hrt_image && access(hrt, R_OK))
		die("HRT image %s: %s", hrt, strerror(errno));
	if (R.opt.hrt_log) {
		hrt_log = fopen(R.opt.hrt_log, "we");
		if (!hrt_log)
			die("--hrt-log %s: %s", R.opt.hrt_log, strerror(errno));
	}
	logs_init(&R.logs, stderr, R.opt.verbose, hrt_log);
	kvm = accel_choose(R.opt.accel, note_buf, sizeof(note_buf), &fallback);
	if (kvm < 0)
		die("--accel kvm: /dev/kvm is not accessible: %s",
		    strerror(-kvm));
	if (note_buf[0] &&
	    (R.opt.verbose > 0 || (fallback && accel_notice_due())))
		note("%s", note_buf);

	/* Signals arrive through the event loop; cleanup is then ordinary. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	R.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	make_tmpdir();

	rc = region_create(&R.region, &R.plan, R.opt.numa_node, note_buf,
			   sizeof(note_buf));
	if (rc)
		die("cannot create the HRT memory region: %s", strerror(-rc));
	if (note_buf[0])
		note("%s", note_buf);
	if (!R.opt.no_hrt && !access(hrt, R_OK))
		load_hrt_image(hrt);

	if (R.opt.cluster_set) {
		rc = cluster_join(&R.cluster, &R.opt.cluster,
				  R.opt.cluster_wait, cluster_say, err,
				  sizeof(err));
		if (rc)
			die("%s", err);
		snprintf(hostname, sizeof(hostname), "node%u",
			 R.opt.cluster.node);
	}

	memset(&co, 0, sizeof(co));
	co.busybox = "/bin/busybox";
	co.init = init;
	co.modules_dir = modules;
	co.guest_tree = guest;
	co.opt = &R.opt;
	co.share_tags = share_tags;
	co.interactive = R.interactive;
	co.onlcr = isatty(1);
	co.stdin_port = R.stdin_port;
	if (R.opt.cluster_set) {
		co.hostname = hostname;
		co.cluster_dir = R.cluster.dir;
	}
	if (access(co.busybox, X_OK))
		die("busybox not found at /bin/busybox (install "
		    "busybox-static)");
	compose_initrd(&co);

	start_vm(kernel, kvm, share_tags);
	if (R.opt.pin)
		pin_vcpus(&R.qmp, &R.plan, R.opt.verbose, note);
	if (R.interactive) {
		status_clear(&R.status);
		raw_terminal();
		if (R.tio_saved)
			note("interactive shell; Ctrl-] leaves");
	}

	rc = run_vm();
	fflush(stdout);
	qemu_read_err(&R.qemu);
	if (R.opt.verbose > 1 && R.qemu.err.len) {
		note("QEMU's stderr:");
		qemu_print_err(&R.qemu, 1000, stderr, "  | ");
	}
	cleanup();
	return rc;
}
