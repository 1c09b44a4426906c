// SPDX-License-Identifier: MIT
/* optarg.c - parsers for the values of hvm-run's option arguments. */
#include "optarg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	/* strtoull would skip blanks and accept a sign: digits only. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' || *end == 'B' || *end == 'b') {
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end || v == 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_uint(const char *s, size_t len, unsigned int *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 9)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = (unsigned int)v;
	return 0;
}

int parse_cores(const char *s, unsigned int *ros, unsigned int *hrt)
{
	const char *colon;

	if (!s || !(colon = strchr(s, ':')))
		return -EINVAL;
	if (parse_uint(s, (size_t)(colon - s), ros) ||
	    parse_uint(colon + 1, strlen(colon + 1), hrt))
		return -EINVAL;
	return 0;
}

int parse_mem(const char *s, uint64_t *ros, uint64_t *hrt)
{
	char buf[64];
	char *colon;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_size(buf, ros) || parse_size(colon + 1, hrt))
		return -EINVAL;
	return 0;
}

int parse_path_map(const char *s, const char *def_dir, struct path_map *map)
{
	const char *colon;
	char *tmp;

	if (!s || !*s)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (colon) {
		if (colon == s || !colon[1] || colon[1] != '/')
			return -EINVAL;
		map->host = strndup(s, (size_t)(colon - s));
		map->guest = strdup(colon + 1);
	} else if (def_dir) {
		tmp = strdup(s);
		if (!tmp)
			return -ENOMEM;
		if (asprintf(&map->guest, "%s/%s", def_dir, basename(tmp)) < 0)
			map->guest = NULL;
		free(tmp);
		map->host = strdup(s);
	} else {
		map->host = strdup(s);
		map->guest = strdup(s);
	}
	if (!map->host || !map->guest) {
		free(map->host);
		free(map->guest);
		return -ENOMEM;
	}
	return 0;
}

int parse_forward(const char *s, struct port_forward *f)
{
	const char *last, *first;
	struct in_addr a;
	size_t alen;

	if (!s || !(last = strrchr(s, ':')))
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	first = last;
	while (first > s && first[-1] != ':')
		first--;
	if (parse_uint(first, (size_t)(last - first), &f->host_port) ||
	    parse_uint(last + 1, strlen(last + 1), &f->guest_port) ||
	    !f->host_port || f->host_port > 65535 || !f->guest_port ||
	    f->guest_port > 65535)
		return -EINVAL;
	strcpy(f->addr, "127.0.0.1");
	if (first == s)
		return 0;
	alen = (size_t)(first - 1 - s);
	if (alen == 0 || alen >= sizeof(f->addr))
		return -EINVAL;
	memcpy(f->addr, s, alen);
	f->addr[alen] = '\0';
	return inet_pton(AF_INET, f->addr, &a) == 1 ? 0 : -EINVAL;
}
