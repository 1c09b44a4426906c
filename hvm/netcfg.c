// SPDX-License-Identifier: MIT
/* netcfg.c - brings up the ROS's loopback and QEMU user network (ioctls). */
#include "netcfg.h"
#include <stdbool.h>
#include <strings.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"

/* Runs one SIOC* ioctl on an AF_INET datagram socket. */
static int inet_ioctl(unsigned long req, void *arg)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, arg) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int ifreq_for(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	if (strlen(name) >= sizeof(ifr->ifr_name))
		return -EINVAL;
	strcpy(ifr->ifr_name, name);
	return 0;
}

static int inet_sockaddr(struct sockaddr *sa, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -EINVAL;
	memcpy(sa, &sin, sizeof(sin));
	return 0;
}

int netcfg_up(const char *name)
{
	struct ifreq ifr;
	int err = ifreq_for(&ifr, name);

	if (!err)
		err = inet_ioctl(SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return inet_ioctl(SIOCSIFFLAGS, &ifr);
}

int netcfg_address(const char *name, const char *addr, const char *mask)
{
	struct ifreq ifr;
	int err = ifreq_for(&ifr, name);

	if (!err)
		err = inet_sockaddr(&ifr.ifr_addr, addr);
	if (!err)
		err = inet_ioctl(SIOCSIFADDR, &ifr);
	if (!err)
		err = inet_sockaddr(&ifr.ifr_netmask, mask);
	return err ?: inet_ioctl(SIOCSIFNETMASK, &ifr);
}

int netcfg_default_route(const char *name, const char *gw)
{
	struct rtentry rt;
	char dev[IFNAMSIZ];
	int err;

	memset(&rt, 0, sizeof(rt));
	if (strlen(name) >= sizeof(dev))
		return -EINVAL;
	strcpy(dev, name);
	err = inet_sockaddr(&rt.rt_dst, "0.0.0.0") ?:
	      inet_sockaddr(&rt.rt_genmask, "0.0.0.0") ?:
	      inet_sockaddr(&rt.rt_gateway, gw);
	if (err)
		return err;
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = dev;
	err = inet_ioctl(SIOCADDRT, &rt);
	return err == -EEXIST ? 0 : err;
}

/* Whether interface (name) is a --cluster NIC, known by its MAC. */
static bool cluster_nic(const char *name)
{
	char path[300], addr[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", name);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(addr, sizeof(addr), f))
		addr[0] = '\0';
	fclose(f);
	return !strncasecmp(addr, CLUSTER_MAC_PREFIX,
			    strlen(CLUSTER_MAC_PREFIX));
}

int netcfg_find_ether(char *out, size_t len, int ms)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; waited <= ms; waited += 10) {
		DIR *d = opendir("/sys/class/net");
		struct dirent *de;
		int found = 0;

		while (d && !found && (de = readdir(d)))
			if (de->d_name[0] != '.' && strcmp(de->d_name, "lo") &&
			    strlen(de->d_name) < len &&
			    !cluster_nic(de->d_name)) {
				strcpy(out, de->d_name);
				found = 1;
			}
		if (d)
			closedir(d);
		if (found)
			return 0;
		nanosleep(&pause, NULL);
	}
	return -ENODEV;
}

void netcfg_hosts_text(const char *hostname, const char *nodes, char *out,
		       size_t len)
{
	if (nodes)
		snprintf(out, len,
			 "127.0.0.1\tlocalhost\n"
			 "%s"
			 "::1\tlocalhost ip6-localhost ip6-loopback\n",
			 nodes);
	else
		snprintf(out, len,
			 "127.0.0.1\tlocalhost\n"
			 "127.0.1.1\t%s\n"
			 "::1\tlocalhost ip6-localhost ip6-loopback\n",
			 hostname);
}

int netcfg_user(char *ifname, size_t len)
{
	return netcfg_find_ether(ifname, len, 3000) ?:
	       netcfg_address(ifname, NETCFG_USER_ADDR, NETCFG_USER_MASK) ?:
	       netcfg_up(ifname) ?:
	       netcfg_default_route(ifname, NETCFG_USER_GW);
}
