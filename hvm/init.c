/* init.c - the ROS's /init: mounts, modules, shares, hvm.ko, the command. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hvm_abi.h"

static volatile struct hvm_shm_header *hdr;
static volatile uint32_t *doorbell;
static int verbose;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hvm-init: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void ring_host(unsigned int vector)
{
	if (doorbell)
		*doorbell = (HVM_PEER_HOST << 16) | vector;
}

static void set_stage(uint32_t stage)
{
	if (!hdr)
		return;
	__atomic_store_n(&hdr->guest_stage, stage, __ATOMIC_RELEASE);
	ring_host(HVM_VEC_GUEST_STAGE);
}

static unsigned long read_hex(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return strtoul(buf, NULL, 16);
}

/* Finds our ivshmem device and maps its region (BAR2) and registers (BAR0). */
static void find_region(void)
{
	char path[512];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir("/sys/bus/pci/devices");
	void *m;
	int fd;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (read_hex(path) != HVM_PCI_VENDOR)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (read_hex(path) != HVM_PCI_DEVICE)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/resource2", de->d_name);
		fd = open(path, O_RDWR | O_SYNC);
		if (fd < 0 || fstat(fd, &st) < 0)
			continue;
		m = mmap(NULL, HVM_HEADER_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			continue;
		if (((struct hvm_shm_header *)m)->magic != HVM_ABI_MAGIC) {
			munmap(m, HVM_HEADER_SIZE);
			continue;
		}
		hdr = m;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/resource0", de->d_name);
		fd = open(path, O_RDWR | O_SYNC);
		if (fd >= 0) {
			m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			if (m != MAP_FAILED)
				doorbell =
					(uint32_t *)((char *)m +
						     HVM_IVSHMEM_REG_DOORBELL);
			close(fd);
		}
		break;
	}
	if (d)
		closedir(d);
}

/* Module parameters for (mod) from the kernel command line, "mod.k=v". */
static void module_params(const char *mod, char *out, size_t len)
{
	char cmdline[4096] = "", *tok, *save;
	size_t ml = strlen(mod), used = 0;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;

	if (fd >= 0)
		close(fd);
	out[0] = '\0';
	if (n <= 0)
		return;
	cmdline[n] = '\0';
	for (tok = strtok_r(cmdline, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (strncmp(tok, mod, ml) || tok[ml] != '.')
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 used ? " " : "", tok + ml + 1);
		if (used >= len)
			break;
	}
}

static int load_module(const char *path)
{
	char name[128], params[1024];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int fd, err = 0;

	snprintf(name, sizeof(name), "%s", base);
	if (strstr(name, ".ko"))
		*strstr(name, ".ko") = '\0';
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	module_params(name, params, sizeof(params));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0) < 0 && errno != EEXIST)
		err = -errno;
	close(fd);
	return err;
}

static void mkdirs(const char *path)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

static int mount_9p(const char *tag, const char *dir, unsigned long flags)
{
	mkdirs(dir);
	return mount(tag, dir, "9p", flags,
		     "trans=virtio,version=9p2000.L,msize=512000,cache=loose");
}

static char **read_argv(void)
{
	static char buf[65536];
	static char *argv[1024];
	ssize_t n;
	int fd = open("/hvm/argv", O_RDONLY), argc = 0;
	char *p;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	for (p = buf; p < buf + n && argc < 1023; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	return argv;
}

static void fail_boot(int err, const char *what)
{
	say("%s: %s", what, strerror(err));
	if (hdr) {
		hdr->guest_exit_code = err;
		set_stage(HVM_GUEST_FAILED);
	}
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/*
 * The kernel console is ttyS0; the command gets ttyS1 (stdout, and stdin
 * when interactive) and ttyS2 (stderr), so its output is never mixed with
 * kernel messages and hvm-run can keep the two streams apart.
 */
static int open_port(const char *dev, int flags)
{
	struct termios t;
	int fd = open(dev, flags | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (!tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

/* The command's stdio, opened before "ready" so no typed byte is lost. */
static int cmd_in = -1, cmd_out = -1, cmd_err = -1;

static void stdio_open(int interactive)
{
	cmd_out = open_port("/dev/ttyS1", O_RDWR);
	if (cmd_out < 0) {
		say("/dev/ttyS1: %s; command output goes to the console",
		    strerror(errno));
		return;
	}
	if (interactive) {
		struct termios t;

		/* A real terminal for the shell: line editing, echo, ^C. */
		if (!tcgetattr(cmd_out, &t)) {
			t.c_iflag = ICRNL | IXON;
			t.c_oflag = OPOST | ONLCR;
			t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK |
				    IEXTEN | ECHOCTL | ECHOKE;
			t.c_cflag |= CS8 | CREAD;
			tcsetattr(cmd_out, TCSANOW, &t);
		}
		cmd_err = cmd_in = cmd_out;
	} else {
		cmd_err = open_port("/dev/ttyS2", O_WRONLY);
		if (cmd_err < 0)
			cmd_err = cmd_out;
		cmd_in = open("/dev/null", O_RDONLY);
	}
}

/* In the child: the opened ports become fds 0..2. */
static void stdio_setup(void)
{
	if (cmd_out < 0)
		return;
	dup2(cmd_in, 0);
	dup2(cmd_out, 1);
	dup2(cmd_err, 2);
	if (cmd_in > 2)
		close(cmd_in);
	if (cmd_err > 2 && cmd_err != cmd_in)
		close(cmd_err);
	if (cmd_out > 2 && cmd_out != cmd_in && cmd_out != cmd_err)
		close(cmd_out);
}

static void console_setup(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int main(void)
{
	char line[1024], hostroot[64] = "";
	int interactive = 0, status, err;
	char **argv;
	FILE *cfg;
	pid_t pid;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
	mount("tmpfs", "/run", "tmpfs", 0, "mode=755");
	/* /run/hvm/bin: the project's tools in a --host-root guest. */
	setenv("PATH",
	       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:"
	       "/run/hvm/bin",
	       1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "linux", 0);

	console_setup();
	find_region();
	set_stage(HVM_GUEST_USERSPACE);

	cfg = fopen("/hvm/config", "re");
	if (!cfg)
		fail_boot(errno, "/hvm/config");
	while (fgets(line, sizeof(line), cfg)) {
		char *key = line, *val = strchr(line, ' ');

		line[strcspn(line, "\n")] = '\0';
		if (!val)
			continue;
		*val++ = '\0';
		if (!strcmp(key, "verbose")) {
			verbose = 1;
		} else if (!strcmp(key, "interactive")) {
			interactive = 1;
		} else if (!strcmp(key, "module")) {
			err = load_module(val);
			if (err)
				fail_boot(-err, val);
		} else if (!strcmp(key, "share")) {
			char *dir = strchr(val, ' ');

			if (!dir)
				continue;
			*dir++ = '\0';
			if (mount_9p(val, dir, 0))
				fail_boot(errno, dir);
		} else if (!strcmp(key, "hostroot")) {
			snprintf(hostroot, sizeof(hostroot), "%s", val);
		} else if (!strcmp(key, "hvmko")) {
			err = load_module(val);
			/* The HRT's state says why; the ROS stays usable. */
			if (err)
				say("loading %s: %s (see dmesg; the ROS "
				    "carries on)",
				    val, strerror(-err));
		}
	}
	fclose(cfg);

	if (hostroot[0]) {
		static const char *const tmpfs_dirs[] = {
			"/tmp", "/run", "/var/tmp", "/root", NULL};

		if (mount_9p(hostroot, "/host", MS_RDONLY))
			fail_boot(errno, "mounting the host root");
		mount("proc", "/host/proc", "proc", 0, NULL);
		mount("sysfs", "/host/sys", "sysfs", 0, NULL);
		mount("/dev", "/host/dev", NULL, MS_BIND | MS_REC, NULL);
		for (int i = 0; tmpfs_dirs[i]; i++) {
			char d[64];

			snprintf(d, sizeof(d), "/host%s", tmpfs_dirs[i]);
			mount("tmpfs", d, "tmpfs", 0, "mode=1777");
		}
		/*
		 * The project's tools and runtime stay reachable in the host's
		 * tree: /run/hvm/bin (on PATH) and /run/hvm/lib, on its tmpfs.
		 */
		mkdir("/host/run/hvm", 0755);
		mkdir("/host/run/hvm/bin", 0755);
		mkdir("/host/run/hvm/lib", 0755);
		if (mount("/usr/bin", "/host/run/hvm/bin", NULL, MS_BIND, NULL) ||
		    mount("/usr/lib", "/host/run/hvm/lib", NULL, MS_BIND, NULL))
			say("binding the project's tools under /run/hvm: %s",
			    strerror(errno));
	}

	argv = read_argv();
	stdio_open(interactive);
	set_stage(HVM_GUEST_READY);

	pid = fork();
	if (pid == 0) {
		static char *sh[] = {"/bin/sh", "-l", NULL};

		if (hostroot[0] && (chroot("/host") || chdir("/"))) {
			say("chroot /host: %s", strerror(errno));
			_exit(126);
		}
		if (!hostroot[0] && chdir("/root"))
			_exit(126);
		if (!argv || interactive)
			argv = sh;
		stdio_setup();
		if (interactive) {
			setsid();
			ioctl(0, TIOCSCTTY, 1);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		say("%s: %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (pid < 0)
		fail_boot(errno, "fork");
	/* As PID 1 we also reap orphans; only our child's status counts. */
	for (;;) {
		pid_t w = wait(&status);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			fail_boot(errno, "wait");
	}
	/* Everything the command wrote reaches the host before "done". */
	{
		int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY | O_NONBLOCK);

		if (fd >= 0) {
			tcdrain(fd);
			close(fd);
		}
		fd = open("/dev/ttyS2", O_WRONLY | O_NOCTTY | O_NONBLOCK);
		if (fd >= 0) {
			tcdrain(fd);
			close(fd);
		}
	}
	if (hdr) {
		if (WIFSIGNALED(status)) {
			hdr->guest_exit_kind = HVM_EXIT_SIGNAL;
			hdr->guest_exit_code = WTERMSIG(status);
		} else {
			hdr->guest_exit_kind = HVM_EXIT_CODE;
			hdr->guest_exit_code = WEXITSTATUS(status);
		}
		set_stage(HVM_GUEST_DONE);
	}
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
