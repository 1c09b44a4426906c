/* SPDX-License-Identifier: MIT */
/* qmp.h - a minimal QMP client: capabilities, vCPU threads, quit. */
#ifndef HVM_QMP_H
#define HVM_QMP_H

#include <sys/types.h>

struct qmp {
	int fd;
	char *buf; /* bytes received but not yet parsed */
	size_t len;
	size_t cap;
};

/* Takes ownership of connected socket (fd); reads the greeting and
 * negotiates capabilities, waiting at most (timeout_ms).  0 or -errno. */
int qmp_open(struct qmp *q, int fd, int timeout_ms);

/*
 * Fills (tids) with the host thread id of each vCPU, indexed by CPU index,
 * up to (max).  Returns the number of vCPUs or -errno.
 */
int qmp_vcpu_threads(struct qmp *q, pid_t *tids, int max, int timeout_ms);

/* Asks QEMU to quit now.  Returns 0 or -errno. */
int qmp_quit(struct qmp *q);

/*
 * Parses one QMP reply line (line) for query-cpus-fast (exposed for unit
 * tests).  Returns the number of vCPUs or -EPROTO / -EINVAL.
 */
int qmp_parse_cpus(const char *line, pid_t *tids, int max);

void qmp_close(struct qmp *q);

#endif
