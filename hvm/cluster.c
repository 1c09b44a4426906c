// SPDX-License-Identifier: MIT
/* cluster.c - --cluster on the host: keys, locks, ports and QEMU's NIC. */
#include "cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"

int cluster_parse(const char *arg, struct cluster_spec *s, char *err,
		  size_t len)
{
	const char *colon = strrchr(arg, ':'), *p;
	unsigned long i, n;
	char *end;

	memset(s, 0, sizeof(*s));
	if (!colon || colon == arg)
		return errbuf_set(err, len,
				  "--cluster wants NAME:I/N (node I of N), "
				  "not '%s'",
				  arg);
	if ((size_t)(colon - arg) > CLUSTER_NAME_MAX)
		return errbuf_set(err, len,
				  "--cluster: the name is longer than %d "
				  "characters",
				  CLUSTER_NAME_MAX);
	for (p = arg; p < colon; p++)
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return errbuf_set(err, len,
					  "--cluster: the name may hold "
					  "letters, digits, '-' and '_' only, "
					  "not '%.*s'",
					  (int)(colon - arg), arg);
	errno = 0;
	i = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '/' || colon[1] == '-')
		return errbuf_set(err, len,
				  "--cluster wants NAME:I/N (node I of N), "
				  "not '%s'",
				  arg);
	p = end + 1;
	n = strtoul(p, &end, 10);
	if (end == p || *end || *p == '-' || errno)
		return errbuf_set(err, len,
				  "--cluster wants NAME:I/N (node I of N), "
				  "not '%s'",
				  arg);
	if (n < 2 || n > CLUSTER_NODES_MAX)
		return errbuf_set(err, len,
				  "--cluster: N is %lu; a cluster has 2 to %d "
				  "nodes",
				  n, CLUSTER_NODES_MAX);
	if (i >= n)
		return errbuf_set(err, len,
				  "--cluster: node %lu of %lu does not exist "
				  "(I is 0 to %lu)",
				  i, n, n - 1);
	memcpy(s->name, arg, (size_t)(colon - arg));
	s->node = (unsigned int)i;
	s->nodes = (unsigned int)n;
	return 0;
}

unsigned int cluster_port_base(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a, 32 bits */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return CLUSTER_PORT_FIRST +
	       CLUSTER_PORT_SPAN * (h % CLUSTER_PORT_SLOTS);
}

static int path_in(const struct cluster *c, const char *file, char *out,
		   size_t len)
{
	if ((size_t)snprintf(out, len, "%s/%s", c->dir, file) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Runs (argv) with its output discarded; 0, or -EIO when it fails. */
static int run_tool(char *const argv[])
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/*
 * The cluster's keys, made once: the client key every node logs in with
 * (root's authorized key everywhere), the host key every node's dropbear
 * serves (one for the cluster, so known_hosts pins it for all nodes).
 * The caller holds keys.lock.
 */
static int make_keys(struct cluster *c, char *err, size_t len)
{
	char id[256], host[256], hostdb[256], pub[300], known[256];
	char comment[64], line[512], tmp[280];
	FILE *in, *out;
	int e;

	if ((e = path_in(c, "id_ed25519", id, sizeof(id))) ||
	    (e = path_in(c, "host_key", host, sizeof(host))) ||
	    (e = path_in(c, "host_key.dropbear", hostdb, sizeof(hostdb))) ||
	    (e = path_in(c, "known_hosts", known, sizeof(known))))
		return errbuf_set(err, len, "--cluster: folder %s: %s", c->dir,
				  strerror(-e));
	if (!access(known, R_OK) && !access(hostdb, R_OK) && !access(id, R_OK))
		return 0;
	snprintf(comment, sizeof(comment), "hvm-cluster-%s", c->spec.name);
	unlink(id);
	unlink(host);
	unlink(hostdb);
	{
		char *kg_id[] = { "ssh-keygen", "-q", "-t", "ed25519",
				  "-N",		"",   "-C", comment,
				  "-f",		id,   NULL };
		char *kg_host[] = { "ssh-keygen", "-q", "-t", "ed25519",
				    "-N",	  "",	"-C", comment,
				    "-f",	  host, NULL };
		char *conv[] = { "dropbearconvert",
				 "openssh",
				 "dropbear",
				 host,
				 hostdb,
				 NULL };

		e = run_tool(kg_id);
		e = e ?: run_tool(kg_host);
		if (e)
			return errbuf_set(err, len,
					  "--cluster: ssh-keygen failed: %s "
					  "(is openssh-client installed?)",
					  strerror(-e));
		e = run_tool(conv);
		if (e)
			return errbuf_set(err, len,
					  "--cluster: dropbearconvert failed: "
					  "%s (is dropbear-bin installed?)",
					  strerror(-e));
	}
	/* known_hosts: the one host key, for every node's name and address. */
	snprintf(pub, sizeof(pub), "%s.pub", host);
	snprintf(tmp, sizeof(tmp), "%s.new", known);
	in = fopen(pub, "re");
	out = fopen(tmp, "we");
	if (!in || !out || !fgets(line, sizeof(line), in) ||
	    fprintf(out, "node*,%s* %s", CLUSTER_NET_PREFIX, line) < 0 ||
	    fclose(out)) {
		e = errno ? -errno : -EIO;
		if (in)
			fclose(in);
		return errbuf_set(err, len, "--cluster: writing %s: %s", known,
				  strerror(-e));
	}
	fclose(in);
	if (rename(tmp, known))
		return errbuf_set(err, len, "--cluster: writing %s: %s", known,
				  strerror(errno));
	return 0;
}

/* Opens (file) of the folder and takes flock (op) on it: fd or -errno. */
static int lock_file(const struct cluster *c, const char *file, int op)
{
	char path[256];
	int fd, e = path_in(c, file, path, sizeof(path));

	if (e)
		return e;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, op)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int make_dir(struct cluster *c, char *err, size_t len)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char top[160];
	struct stat st;

	if (!base || !*base || access(base, W_OK))
		base = "/tmp";
	snprintf(top, sizeof(top), "%s/hvm-cluster-%u", base,
		 (unsigned int)getuid());
	if (mkdir(top, 0700) && errno != EEXIST)
		return errbuf_set(err, len, "--cluster: cannot create %s: %s",
				  top, strerror(errno));
	/* Another user's folder of that name must not hold our keys. */
	if (lstat(top, &st) || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077))
		return errbuf_set(err, len,
				  "--cluster: %s is not a private folder of "
				  "this user",
				  top);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", top, c->spec.name);
	if (mkdir(c->dir, 0700) && errno != EEXIST)
		return errbuf_set(err, len, "--cluster: cannot create %s: %s",
				  c->dir, strerror(errno));
	return 0;
}

/* Node 0: every port it will listen on must be free on 127.0.0.1. */
static int check_ports(const struct cluster *c, char *err, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned int i;
	int fd, e, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 1; i < c->spec.nodes; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return errbuf_set(err, len, "--cluster: socket: %s",
					  strerror(errno));
		/* As QEMU will: a port in TIME_WAIT is not "in use". */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		a.sin_port = htons((uint16_t)(c->port_base + i));
		e = bind(fd, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
		close(fd);
		if (e)
			return errbuf_set(err, len,
					  "--cluster %s: port %u on 127.0.0.1 "
					  "is taken (%s); the cluster uses "
					  "ports %u-%u: free them or choose "
					  "another name",
					  c->spec.name, c->port_base + i,
					  strerror(e), c->port_base + 1,
					  c->port_base + c->spec.nodes - 1);
	}
	return 0;
}

/* Node I > 0: node 0 runs (its lock is held) and has announced itself. */
static int leader_state(const struct cluster *c, unsigned int *nodes)
{
	char path[256], text[64];
	unsigned int base = 0, n = 0;
	FILE *f;
	int fd;

	fd = lock_file(c, "node0.lock", LOCK_SH | LOCK_NB);
	if (fd >= 0) {
		close(fd);
		return -ENOENT; /* nobody holds it: node 0 is not running */
	}
	if (fd != -EWOULDBLOCK)
		return fd;
	if (path_in(c, "node0.ready", path, sizeof(path)))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -EAGAIN;
	if (!fgets(text, sizeof(text), f) ||
	    sscanf(text, "%u %u", &base, &n) != 2 || base != c->port_base) {
		fclose(f);
		return -EAGAIN;
	}
	fclose(f);
	*nodes = n;
	return 0;
}

static int wait_leader(struct cluster *c, unsigned int wait_s,
		       void (*say)(const char *msg), char *err, size_t len)
{
	struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
	unsigned int n = 0, tenths;
	sigset_t sigs;
	char msg[160];
	int e;

	for (tenths = 0;; tenths++) {
		e = leader_state(c, &n);
		if (!e)
			break;
		/* hvm-run blocks these for its event loop: look for them. */
		if (!sigpending(&sigs) &&
		    (sigismember(&sigs, SIGINT) ||
		     sigismember(&sigs, SIGTERM) || sigismember(&sigs, SIGHUP)))
			return errbuf_set(err, len,
					  "--cluster %s: interrupted while "
					  "waiting for node 0",
					  c->spec.name);
		if (e != -ENOENT && e != -EAGAIN)
			return errbuf_set(err, len, "--cluster: %s: %s", c->dir,
					  strerror(-e));
		if (tenths >= wait_s * 10u)
			return errbuf_set(err, len,
					  "--cluster %s: node 0 did not come "
					  "up within %u s (--cluster-wait); "
					  "start it with --cluster %s:0/%u",
					  c->spec.name, wait_s, c->spec.name,
					  c->spec.nodes);
		if (tenths == 10 && say) {
			snprintf(msg, sizeof(msg),
				 "waiting for node 0 of cluster %s (up to %u "
				 "s)",
				 c->spec.name, wait_s);
			say(msg);
		}
		nanosleep(&pause, NULL);
	}
	if (n != c->spec.nodes)
		return errbuf_set(err, len,
				  "--cluster %s: node 0 runs a cluster of %u "
				  "nodes, this node was given %u",
				  c->spec.name, n, c->spec.nodes);
	return 0;
}

/*
 * Takes nodeI.lock for good.  Node I > 0 probes node0.lock with a brief
 * shared lock, so node 0 retries for a second before it concludes that
 * another node 0 holds it.
 */
static int lock_node(struct cluster *c, char *err, size_t len)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	char file[32];
	int tries, fd = -EWOULDBLOCK;

	snprintf(file, sizeof(file), "node%u.lock", c->spec.node);
	for (tries = 0; tries < 100 && fd == -EWOULDBLOCK; tries++) {
		fd = lock_file(c, file, LOCK_EX | LOCK_NB);
		if (fd == -EWOULDBLOCK)
			nanosleep(&pause, NULL);
	}
	if (fd == -EWOULDBLOCK)
		return errbuf_set(err, len,
				  "--cluster %s: node %u is already running",
				  c->spec.name, c->spec.node);
	if (fd < 0)
		return errbuf_set(err, len, "--cluster: %s/%s: %s", c->dir,
				  file, strerror(-fd));
	c->node_fd = fd;
	return 0;
}

int cluster_join(struct cluster *c, const struct cluster_spec *s,
		 unsigned int wait_s, void (*say)(const char *msg), char *err,
		 size_t len)
{
	char path[256];
	int e, fd;

	memset(c, 0, sizeof(*c));
	c->spec = *s;
	c->node_fd = -1;
	c->port_base = cluster_port_base(s->name);
	e = make_dir(c, err, len);
	if (e)
		return e;
	fd = lock_file(c, "keys.lock", LOCK_EX);
	if (fd < 0)
		return errbuf_set(err, len, "--cluster: %s/keys.lock: %s",
				  c->dir, strerror(-fd));
	e = make_keys(c, err, len);
	close(fd);
	if (e)
		return e;
	e = lock_node(c, err, len);
	if (e)
		return e;
	if (s->node) {
		e = wait_leader(c, wait_s, say, err, len);
	} else {
		/* A node 0 killed earlier may have left its announcement. */
		if (!path_in(c, "node0.ready", path, sizeof(path)))
			unlink(path);
		e = check_ports(c, err, len);
	}
	if (e)
		cluster_leave(c);
	return e;
}

int cluster_qemu_args(const struct cluster_spec *s, struct strv *out)
{
	unsigned int i, base = cluster_port_base(s->name);

	if (s->node) {
		strv_add(out, "-netdev");
		strv_addf(out, "socket,id=cl0,connect=127.0.0.1:%u",
			  base + s->node);
		strv_add(out, "-device");
		strv_addf(out, "virtio-net-pci,netdev=cl0,mac=%s%02x",
			  CLUSTER_MAC_PREFIX, s->node);
		return out->oom ? -ENOMEM : 0;
	}
	/* Node 0: a hub joins its NIC and one listening socket per node. */
	for (i = 1; i < s->nodes; i++) {
		strv_add(out, "-netdev");
		strv_addf(out, "socket,id=cl%u,listen=127.0.0.1:%u", i,
			  base + i);
		strv_add(out, "-netdev");
		strv_addf(out, "hubport,id=clh%u,hubid=66,netdev=cl%u", i, i);
	}
	strv_add(out, "-netdev");
	strv_add(out, "hubport,id=clnic,hubid=66");
	strv_add(out, "-device");
	strv_addf(out, "virtio-net-pci,netdev=clnic,mac=%s00",
		  CLUSTER_MAC_PREFIX);
	return out->oom ? -ENOMEM : 0;
}

int cluster_announce(struct cluster *c)
{
	char path[256], tmp[264];
	FILE *f;
	int e = path_in(c, "node0.ready", path, sizeof(path));

	if (e || c->spec.node)
		return e;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%u %u\n", c->port_base, c->spec.nodes);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

bool cluster_leader_gone(const struct cluster *c)
{
	int fd = lock_file(c, "node0.lock", LOCK_SH | LOCK_NB);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void cluster_leave(struct cluster *c)
{
	char path[256];

	if (c->node_fd < 0)
		return;
	if (!c->spec.node && !path_in(c, "node0.ready", path, sizeof(path)))
		unlink(path);
	close(c->node_fd);
	c->node_fd = -1;
}
