/* SPDX-License-Identifier: MIT */
/* cluster.h - --cluster NAME:I/N: hvm-run VMs joined on one private network. */
#ifndef HVM_CLUSTER_H
#define HVM_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"

/*
 * The cluster network, the same for host and guest: node I is
 * CLUSTER_NET_PREFIX (I+1), its NIC's MAC CLUSTER_MAC_PREFIX followed by I.
 * The nodes' QEMUs meet on 127.0.0.1 only: node 0 listens on port
 * base+I for node I (I = 1..N-1), and its QEMU's hub joins them, so any
 * node reaches any other.  base = CLUSTER_PORT_FIRST + CLUSTER_PORT_SPAN *
 * (FNV-1a(NAME) % CLUSTER_PORT_SLOTS): ports 42000..61199.
 */
#define CLUSTER_NAME_MAX    32
#define CLUSTER_NODES_MAX   63
#define CLUSTER_PORT_FIRST  42000u
#define CLUSTER_PORT_SPAN   64u
#define CLUSTER_PORT_SLOTS  300u
#define CLUSTER_NET_PREFIX  "10.66.0."
#define CLUSTER_NET_MASK    "255.255.255.0"
#define CLUSTER_MAC_PREFIX  "52:54:00:c1:00:"
#define CLUSTER_WAIT_S	    300u /* default --cluster-wait */
/* Where the guest finds the cluster's keys (initramfs) and puts them. */
#define CLUSTER_GUEST_FILES "/hvm/cluster"
#define CLUSTER_GUEST_DIR   "/run/hvm/cluster"

/* What --cluster NAME:I/N says. */
struct cluster_spec {
	char name[CLUSTER_NAME_MAX + 1];
	unsigned int node, nodes;
};

/*
 * Parses (arg), "NAME:I/N" (NAME of letters, digits, '-', '_'; 0 <= I < N,
 * 2 <= N <= CLUSTER_NODES_MAX), into (s).  Returns 0, or -EINVAL with a
 * one-line reason in (err).
 */
int cluster_parse(const char *arg, struct cluster_spec *s, char *err,
		  size_t len);

/* The first of the CLUSTER_PORT_SPAN ports cluster (name) uses. */
unsigned int cluster_port_base(const char *name);

/* One node's hold on its cluster, from cluster_join to cluster_leave. */
struct cluster {
	struct cluster_spec spec;
	unsigned int port_base;
	char dir[200]; /* the cluster's folder: keys, locks, node0.ready */
	int node_fd;   /* flock held on nodeI.lock while this node runs; -1 */
};

/*
 * Joins (s): makes the cluster's folder ($XDG_RUNTIME_DIR or /tmp, then
 * hvm-cluster-UID/NAME, mode 0700) and its keys once (ssh-keygen and
 * dropbearconvert, under a lock, so nodes started together agree), takes
 * this node's lock, and then node 0 checks that its ports are free while
 * node I > 0 waits up to (wait_s) for node 0 to announce itself, saying
 * so through (say) once.  Returns 0, or a negative errno with a one-line
 * reason in (err).
 */
int cluster_join(struct cluster *c, const struct cluster_spec *s,
		 unsigned int wait_s, void (*say)(const char *msg), char *err,
		 size_t len);

/* Appends the QEMU arguments of node (s)'s cluster NIC to (out). */
int cluster_qemu_args(const struct cluster_spec *s, struct strv *out);

/* Node 0, once its QEMU listens: tells the other nodes.  0 or -errno. */
int cluster_announce(struct cluster *c);

/* Node I > 0: whether node 0's hvm-run has ended (its lock is free). */
bool cluster_leader_gone(const struct cluster *c);

/*
 * The files of the cluster's folder the guest gets, by the same names, in
 * CLUSTER_GUEST_FILES, and their modes there: the client key, its public
 * half (root's authorized key), dropbear's host key, known_hosts pinning it.
 */
#define CLUSTER_FILES                                                          \
	{                                                                      \
		"id_ed25519", "id_ed25519.pub", "host_key.dropbear",           \
			"known_hosts", NULL                                    \
	}
#define CLUSTER_FILE_MODES                                                     \
	{                                                                      \
		0600, 0644, 0600, 0644                                         \
	}

/* Releases the locks; node 0 withdraws its announcement. */
void cluster_leave(struct cluster *c);

#endif
