// SPDX-License-Identifier: MIT
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
#include <time.h>
#include <unistd.h>

#include "hvm_abi.h"
#include "hostroot.h"
#include "netcfg.h"
#include "node.h"
#include "pcidev.h"
#include "sysmounts.h"

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

/* Maps (bdf)'s region (BAR2) and registers (BAR0) if it is ours. */
static int take_region(const char *bdf, void *arg)
{
	char path[512];
	struct stat st;
	void *m;
	int fd;

	(void)arg;
	fd = open(pcidev_path(path, sizeof(path), bdf, "resource2"),
		  O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	m = mmap(NULL, HVM_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	if (((struct hvm_shm_header *)m)->magic != HVM_ABI_MAGIC) {
		munmap(m, HVM_HEADER_SIZE);
		return -1;
	}
	hdr = m;
	fd = open(pcidev_path(path, sizeof(path), bdf, "resource0"),
		  O_RDWR | O_SYNC);
	if (fd >= 0) {
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED)
			doorbell = (uint32_t *)((char *)m +
						HVM_IVSHMEM_REG_DOORBELL);
		close(fd);
	}
	return 0;
}

/* Finds our ivshmem device and maps its region (BAR2) and registers (BAR0). */
static void find_region(void)
{
	pcidev_find(take_region, NULL);
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

/*
 * The virtio-serial port named (name) (hvm-run's stdin): its /dev node, once
 * the driver has it.  Returns an open fd or -1.
 */
static int open_stdin_port(const char *name)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	char path[300], buf[64];
	int i, fd;

	for (i = 0; i < 500; i++) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path),
				 "/sys/class/virtio-ports/%s/name", de->d_name);
			fd = open(path, O_RDONLY);
			buf[0] = '\0';
			if (fd >= 0) {
				ssize_t n = read(fd, buf, sizeof(buf) - 1);

				buf[n > 0 ? n : 0] = '\0';
				close(fd);
			}
			buf[strcspn(buf, "\n")] = '\0';
			if (strcmp(buf, name))
				continue;
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				closedir(d);
				return fd;
			}
		}
		if (d)
			closedir(d);
		nanosleep(&pause, NULL);
	}
	return -1;
}

/* The command's stdio, opened before "ready" so no typed byte is lost. */
static int cmd_in = -1, cmd_out = -1, cmd_err = -1;

/*
 * interactive: the shell gets ttyS1 as a terminal (stdin, stdout, stderr),
 * with \n turned into \r\n when (onlcr).  Otherwise ttyS1 and ttyS2 are raw
 * byte streams, and stdin is the port (stdin_fd) or /dev/null.
 */
static void stdio_open(int interactive, int onlcr, int stdin_fd)
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
			t.c_oflag = OPOST | (onlcr ? ONLCR : 0);
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
		cmd_in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
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

/*
 * The network every ROS has: lo up, a host name; QEMU's with --net user;
 * with --cluster the cluster NIC and every node's name.
 */
static void net_setup(const char *hostname, int net_user, int hostroot,
		      const struct node_cfg *node)
{
	char ifname[32], nodes[CLUSTER_NODES_MAX * 24 + 1];
	int err;

	err = netcfg_up("lo");
	if (err)
		say("bringing up lo: %s", strerror(-err));
	if (sethostname(hostname, strlen(hostname)))
		say("sethostname %s: %s", hostname, strerror(errno));
	if (net_user) {
		err = netcfg_user(ifname, sizeof(ifname));
		if (err)
			say("--net user: setting up the network: %s",
			    strerror(-err));
		else if (verbose)
			say("%s: " NETCFG_USER_ADDR "/24 via " NETCFG_USER_GW,
			    ifname);
	}
	if (node->nodes) {
		err = node_net(node, ifname, sizeof(ifname));
		if (err)
			fail_boot(-err, "--cluster: the cluster's network "
					"interface");
		if (verbose)
			say("%s: " CLUSTER_NET_PREFIX "%u/24, node %u of %u",
			    ifname, node->node + 1, node->node, node->nodes);
		node_hosts_text(node, nodes, sizeof(nodes));
	}
	err = hostroot ? hostroot_etc(hostname, node->nodes ? nodes : NULL,
				      net_user)
		       : etc_files("/etc", hostname, node->nodes ? nodes : NULL,
				   net_user);
	if (err)
		say("writing /etc/hosts%s: %s", net_user ? ", resolv.conf" : "",
		    strerror(-err));
}

/* --cluster: the ssh server and client; node 0 waits for the others. */
static void cluster_setup(const struct node_cfg *node, const char *root)
{
	const char *what = "";
	unsigned int late = 0;
	int err;

	err = node_ssh(node, root, &what);
	if (err)
		fail_boot(-err, what);
	if (node->node)
		return;
	err = node_wait_peers(node, &late);
	if (err) {
		say("--cluster %s: node%u did not answer on ssh within %u s "
		    "(--cluster-wait); is 'hvm-run --cluster %s:%u/%u' "
		    "running?",
		    node->name, late, node->wait_s, node->name, late,
		    node->nodes);
		fail_boot(ETIMEDOUT, "--cluster: waiting for the nodes");
	}
}

int main(void)
{
	char line[1024], hostroot[64] = "", hostname[65] = "hvm";
	char stdin_name[64] = "", *share_tag[64], *share_dir[64];
	struct node_cfg node = { .wait_s = CLUSTER_WAIT_S };
	int interactive = 0, onlcr = 0, net_user = 0, status, err, i;
	int nshares = 0, stdin_fd = -1;
	char **argv;
	FILE *cfg;
	pid_t pid;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
	mount("tmpfs", "/run", "tmpfs", 0, "mode=755");
	/*
	 * What programs expect of a booted Debian (POSIX shm and semaphores,
	 * pseudo-terminals, cgroups...); before the host root binds /dev.
	 */
	sysmounts_dev();
	sysmounts_sys_run("");
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
		} else if (!strcmp(key, "onlcr")) {
			onlcr = 1;
		} else if (!strcmp(key, "stdin")) {
			snprintf(stdin_name, sizeof(stdin_name), "%s", val);
		} else if (!strcmp(key, "hostname")) {
			snprintf(hostname, sizeof(hostname), "%s", val);
		} else if (!strcmp(key, "net")) {
			net_user = !strcmp(val, "user");
		} else if (!strcmp(key, "cluster")) {
			if (sscanf(val, "%32s %u %u", node.name, &node.node,
				   &node.nodes) != 3)
				node.nodes = 0;
		} else if (!strcmp(key, "cluster_wait")) {
			node.wait_s = (unsigned int)strtoul(val, NULL, 10);
		} else if (!strcmp(key, "module")) {
			err = load_module(val);
			if (err)
				fail_boot(-err, val);
		} else if (!strcmp(key, "share")) {
			char *dir = strchr(val, ' ');

			/* Mounted below: in the host root for --host-root. */
			if (!dir || nshares == 64)
				continue;
			*dir++ = '\0';
			share_tag[nshares] = strdup(val);
			share_dir[nshares++] = strdup(dir);
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
		err = hostroot_mount(hostroot);
		if (err)
			fail_boot(-err, "mounting the host root");
		/* Its own sysfs and /run: the same mounts and folders again. */
		sysmounts_sys_run(HOSTROOT_DIR);
		err = hostroot_tools();
		if (err)
			say("binding the project's tools under /run/hvm: %s",
			    strerror(-err));
	}
	for (i = 0; i < nshares; i++) {
		err = hostroot[0] ? hostroot_share(share_tag[i], share_dir[i])
				  : mount_9p(share_tag[i], share_dir[i], 0);
		if (err && hostroot[0])
			say("--share at %s: no such folder in the read-only "
			    "host root; use one under /mnt, /tmp, /run, /root "
			    "or an existing folder",
			    share_dir[i]);
		if (err)
			fail_boot(-err, share_dir[i]);
	}
	net_setup(hostname, net_user, hostroot[0], &node);
	if (node.nodes)
		cluster_setup(&node, hostroot[0] ? HOSTROOT_DIR : "");
	if (stdin_name[0]) {
		stdin_fd = open_stdin_port(stdin_name);
		if (stdin_fd < 0)
			say("no virtio port %s: the command's stdin is "
			    "/dev/null",
			    stdin_name);
	}

	argv = read_argv();
	stdio_open(interactive, onlcr, stdin_fd);
	set_stage(HVM_GUEST_READY);

	pid = fork();
	if (pid == 0) {
		static char *sh[] = { "/bin/sh", "-l", NULL };
		static char *sh_script[] = { "/bin/sh", NULL };

		if (hostroot[0] && (chroot("/host") || chdir("/"))) {
			say("chroot /host: %s", strerror(errno));
			_exit(126);
		}
		if (!hostroot[0] && chdir("/root"))
			_exit(126);
		if (interactive)
			argv = sh;
		else if (!argv) /* the commands come from stdin */
			argv = sh_script;
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
