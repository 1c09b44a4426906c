/* SPDX-License-Identifier: MIT */
/* netcfg.h - the ROS's network set-up, done by /init with plain ioctls. */
#ifndef HVM_NETCFG_H
#define HVM_NETCFG_H

#include <stddef.h>

/* QEMU user networking's fixed addresses (its built-in DHCP would agree). */
#define NETCFG_USER_ADDR "10.0.2.15"
#define NETCFG_USER_MASK "255.255.255.0"
#define NETCFG_USER_GW	 "10.0.2.2"
#define NETCFG_USER_DNS	 "10.0.2.3"

/* Brings interface (name) up.  Returns 0 or a negative errno. */
int netcfg_up(const char *name);

/* Gives (name) the IPv4 address (addr) with netmask (mask).  0 or -errno. */
int netcfg_address(const char *name, const char *addr, const char *mask);

/* Adds the default route via (gw) on (name).  Returns 0 or -errno. */
int netcfg_default_route(const char *name, const char *gw);

/*
 * Waits up to (ms) for a network interface other than lo and a cluster NIC
 * (CLUSTER_MAC_PREFIX) to appear; puts its name into (out).  Returns 0 or
 * -ENODEV.
 */
int netcfg_find_ether(char *out, size_t len, int ms);

/*
 * The text of an /etc/hosts naming localhost and (hostname) on 127.0.1.1,
 * or, with (nodes) lines (a cluster's; hostname among them), those instead
 * of the 127.0.1.1 line, so that a node's name is its cluster address.
 */
void netcfg_hosts_text(const char *hostname, const char *nodes, char *out,
		       size_t len);

/*
 * The user-networking set-up: finds the virtio-net interface, gives it
 * NETCFG_USER_ADDR, brings it up and routes through NETCFG_USER_GW; puts
 * the interface's name into (ifname).  Returns 0 or a negative errno.
 */
int netcfg_user(char *ifname, size_t len);

#endif
