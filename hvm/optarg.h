/* SPDX-License-Identifier: MIT */
/* optarg.h - parsers for the values of hvm-run's option arguments. */
#ifndef HVM_OPTARG_H
#define HVM_OPTARG_H

#include <stddef.h>
#include <stdint.h>

/* A host path and where it appears in the guest. */
struct path_map {
	char *host;
	char *guest;
};

/* --forward [ADDR:]HOSTPORT:GUESTPORT: a host TCP port to a guest port. */
struct port_forward {
	char addr[16]; /* host address to listen on (IPv4), default 127.0.0.1 */
	unsigned int host_port;
	unsigned int guest_port;
};

/*
 * Parses the (len) decimal digits at (s), at most 9 of them, into (out).
 * Returns 0 or -EINVAL.
 */
int parse_uint(const char *s, size_t len, unsigned int *out);

/*
 * Parses a size such as "512M", "1G", "4096", "64k" into bytes (out).
 * Returns 0 or -EINVAL for garbage, a zero size or overflow.
 */
int parse_size(const char *s, uint64_t *out);

/* Parses "R:H" (cpus) into (ros) and (hrt).  Returns 0 or -EINVAL. */
int parse_cores(const char *s, unsigned int *ros, unsigned int *hrt);

/* Parses "ROS:HRT" sizes.  Returns 0 or -EINVAL. */
int parse_mem(const char *s, uint64_t *ros, uint64_t *hrt);

/*
 * Splits "HOST[:GUEST]" into (map); GUEST defaults to (def_dir)/basename(HOST)
 * when def_dir is non-NULL, else to HOST.  Returns 0 or -EINVAL.
 */
int parse_path_map(const char *s, const char *def_dir, struct path_map *map);

/*
 * Parses "[ADDR:]HOSTPORT:GUESTPORT" into (f); ADDR is an IPv4 address and
 * defaults to 127.0.0.1.  Returns 0 or -EINVAL.
 */
int parse_forward(const char *s, struct port_forward *f);

#endif
