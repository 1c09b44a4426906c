/* SPDX-License-Identifier: MIT */
/* node.h - --cluster in the ROS: the cluster NIC, names, ssh server and client. */
#ifndef HVM_NODE_H
#define HVM_NODE_H

#include <stddef.h>

#include "cluster.h"

/* What /hvm/config says of this node ("cluster NAME I N", "cluster_wait"). */
struct node_cfg {
	char name[CLUSTER_NAME_MAX + 1];
	unsigned int node, nodes; /* nodes == 0: not in a cluster */
	unsigned int wait_s;
};

/* The /etc/hosts lines naming every node, "10.66.0.1\tnode0\n"... */
void node_hosts_text(const struct node_cfg *c, char *out, size_t len);

/*
 * Gives the NIC whose MAC is this node's (CLUSTER_MAC_PREFIX) its address
 * and brings it up; puts its name into (ifname).  Returns 0 or -errno.
 */
int node_net(const struct node_cfg *c, char *ifname, size_t len);

/*
 * The ssh side, in the command's root (root: "" or HOSTROOT_DIR): the keys
 * under CLUSTER_GUEST_DIR, root's authorized key and ssh client settings
 * (keep-alives, so a node that dies ends the ssh sessions to it), the MCA
 * settings Open MPI needs here in the environment, then dropbear on port 22
 * passing that environment on (PATH with hrt-exec).  Returns 0 or -errno
 * with (what) naming the step that failed.
 */
int node_ssh(const struct node_cfg *c, const char *root, const char **what);

/*
 * Node 0: waits up to c->wait_s seconds until every other node's ssh port
 * answers.  Returns 0, or -ETIMEDOUT with the first missing node in (late).
 */
int node_wait_peers(const struct node_cfg *c, unsigned int *late);

#endif
