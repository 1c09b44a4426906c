// SPDX-License-Identifier: MIT
/* node.c - --cluster in the ROS: the cluster NIC, names, ssh server and client. */
#include "node.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostroot.h"
#include "netcfg.h"

void node_hosts_text(const struct node_cfg *c, char *out, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int n;

	out[0] = '\0';
	for (i = 0; i < c->nodes && used < len; i++) {
		n = snprintf(out + used, len - used,
			     CLUSTER_NET_PREFIX "%u\tnode%u\n", i + 1, i);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The interface whose MAC starts with (mac), waited for up to (ms). */
static int find_by_mac(const char *mac, char *out, size_t len, int ms)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	char path[300], addr[32];
	struct dirent *de;
	int waited, fd;
	ssize_t n;
	DIR *d;

	for (waited = 0; waited <= ms; waited += 10) {
		d = opendir("/sys/class/net");
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.' || strlen(de->d_name) >= len)
				continue;
			snprintf(path, sizeof(path),
				 "/sys/class/net/%s/address", de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, addr, sizeof(addr) - 1);
			close(fd);
			addr[n > 0 ? n : 0] = '\0';
			if (!strncasecmp(addr, mac, strlen(mac))) {
				strcpy(out, de->d_name);
				closedir(d);
				return 0;
			}
		}
		if (d)
			closedir(d);
		nanosleep(&pause, NULL);
	}
	return -ENODEV;
}

int node_net(const struct node_cfg *c, char *ifname, size_t len)
{
	char mac[32], addr[24];

	snprintf(mac, sizeof(mac), CLUSTER_MAC_PREFIX "%02x", c->node);
	snprintf(addr, sizeof(addr), CLUSTER_NET_PREFIX "%u", c->node + 1);
	return find_by_mac(mac, ifname, len, 5000) ?:
	       netcfg_address(ifname, addr, CLUSTER_NET_MASK) ?:
	       netcfg_up(ifname);
}

/* Copies (from) to (to) with (mode).  Returns 0 or -errno. */
static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[8192];
	int in, out, err = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err = -EIO;
			break;
		}
	if (n < 0)
		err = -errno;
	close(in);
	if (close(out) && !err)
		err = -errno;
	return err;
}

static int write_text(const char *path, const char *text, mode_t mode)
{
	int fd, err = 0;
	size_t len = strlen(text);

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/*
 * ssh's settings for the nodes.  The keep-alives make an ssh session to a
 * node whose VM died end within about 6 s, so mpirun sees its daemon go
 * and ends the job instead of hanging on a TCP connection nobody closes.
 */
static const char ssh_config[] =
	"Host node* " CLUSTER_NET_PREFIX "*\n"
	"\tUser root\n"
	"\tIdentityFile " CLUSTER_GUEST_DIR "/id_ed25519\n"
	"\tUserKnownHostsFile " CLUSTER_GUEST_DIR "/known_hosts\n"
	"\tStrictHostKeyChecking yes\n"
	"\tBatchMode yes\n"
	"\tConnectTimeout 10\n"
	"\tServerAliveInterval 2\n"
	"\tServerAliveCountMax 3\n"
	"\tLogLevel ERROR\n";

/*
 * dropbear gives a session its own PATH; bash sources ~/.bashrc for an
 * ssh command (Debian builds it so) and a login shell ~/.profile, so both
 * put the project's tools back (mpirun's remote daemons find hrt-exec).
 */
static const char shell_rc[] =
	"# hvm-run --cluster: hrt-exec and the project's tools on PATH.\n"
	"case \":$PATH:\" in *:/run/hvm/bin:*) ;; "
	"*) PATH=$PATH:/run/hvm/bin; export PATH ;; esac\n";

/*
 * Open MPI, as root on the cluster's network: TCP between the VMs and its
 * out-of-band channel on the cluster NIC only (not lo, not QEMU's user
 * network), and root allowed, as a batch system's user would be.
 */
static void mpi_env(void)
{
	setenv("OMPI_MCA_btl_tcp_if_include", CLUSTER_NET_PREFIX "0/24", 0);
	setenv("OMPI_MCA_oob_tcp_if_include", CLUSTER_NET_PREFIX "0/24", 0);
	setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
	setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
}

int node_ssh(const struct node_cfg *c, const char *root, const char **what)
{
	char dir[128], ssh[128], from[160], to[200], log[200];
	static const char *const cluster_files[] = CLUSTER_FILES;
	static const mode_t modes[] = CLUSTER_FILE_MODES;
	unsigned int k;
	pid_t pid;
	int err;

	(void)c;
	snprintf(dir, sizeof(dir), "%s" CLUSTER_GUEST_DIR, root);
	snprintf(ssh, sizeof(ssh), "%s/root/.ssh", root);
	mkdirs(dir);
	mkdirs(ssh);
	*what = "copying the cluster's keys";
	for (k = 0; cluster_files[k]; k++) {
		snprintf(from, sizeof(from), CLUSTER_GUEST_FILES "/%s",
			 cluster_files[k]);
		snprintf(to, sizeof(to), "%s/%s", dir, cluster_files[k]);
		err = copy_file(from, to, modes[k]);
		if (err)
			return err;
	}
	/* dropbear and ssh refuse a home or .ssh others may write to. */
	snprintf(to, sizeof(to), "%s/root", root);
	*what = "root's .ssh";
	if (chmod(to, 0700) || chmod(ssh, 0700))
		return -errno;
	snprintf(from, sizeof(from), CLUSTER_GUEST_FILES "/id_ed25519.pub");
	snprintf(to, sizeof(to), "%s/authorized_keys", ssh);
	err = copy_file(from, to, 0600);
	snprintf(to, sizeof(to), "%s/config", ssh);
	err = err ?: write_text(to, ssh_config, 0600);
	snprintf(to, sizeof(to), "%s/root/.bashrc", root);
	err = err ?: write_text(to, shell_rc, 0644);
	snprintf(to, sizeof(to), "%s/root/.profile", root);
	err = err ?: write_text(to, shell_rc, 0644);
	if (err)
		return err;
	mpi_env();

	*what = "starting dropbear";
	snprintf(log, sizeof(log), CLUSTER_GUEST_DIR "/dropbear.log");
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd;

		if (root[0] && (chroot(root) || chdir("/")))
			_exit(126);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setsid();
		/* -e: sessions get this environment (PATH with hrt-exec). */
		execl("/usr/sbin/dropbear", "dropbear", "-F", "-E", "-e", "-s",
		      "-m", "-p", "22", "-K", "3", "-r",
		      CLUSTER_GUEST_DIR "/host_key.dropbear", "-P",
		      CLUSTER_GUEST_DIR "/dropbear.pid", (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* Whether (addr):22 accepts a connection within (ms). */
static int port_open(const char *addr, int ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(22) };
	struct pollfd p;
	socklen_t sl = sizeof(int);
	int fd, e = -1, so = 0;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		e = 0;
	} else if (errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, ms) == 1 &&
		    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) && !so)
			e = 0;
	}
	close(fd);
	return e == 0;
}

int node_wait_peers(const struct node_cfg *c, unsigned int *late)
{
	struct timespec pause = { .tv_nsec = 200 * 1000 * 1000 }, t0, t;
	char addr[24];
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i < c->nodes; i++) {
		snprintf(addr, sizeof(addr), CLUSTER_NET_PREFIX "%u", i + 1);
		while (!port_open(addr, 1000)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec >= (time_t)c->wait_s) {
				*late = i;
				return -ETIMEDOUT;
			}
			nanosleep(&pause, NULL);
		}
	}
	return 0;
}
