/* SPDX-License-Identifier: MIT */
/* pin.h - plans and applies vCPU-thread pinning to host cores. */
#ifndef HVM_PIN_H
#define HVM_PIN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Assigns each vCPU (ROS 0..ros-1, then HRT) a host CPU from (host_cpus)
 * (nhost entries) so that ROS and HRT vCPUs never share a host core:
 * the HRT takes the last cores, one per vCPU when there are enough.
 * Writes (assign)[ros+hrt].  Returns 0, or -ENOSPC when fewer than two
 * host cores exist (nothing to separate); (note) explains any compromise.
 */
int pin_plan(const int *host_cpus, int nhost, unsigned int ros,
	     unsigned int hrt, int *assign, char *note, size_t notelen);

/* Pins thread (tid) to host CPU (cpu).  Returns 0 or -errno. */
int pin_thread(pid_t tid, int cpu);

struct qmp;
struct plan;

/*
 * --pin: reads the vCPU threads from QMP (q) and pins them per pin_plan()
 * for (p) on the host cores hvm-run may use.  (say) gets a line for each
 * thing not done, and with (verbose) for each pin.
 */
void pin_vcpus(struct qmp *q, const struct plan *p, int verbose,
	       void (*say)(const char *fmt, ...));

/* The host cores hvm-run may run on (its affinity). */
int pin_host_cores(void);

#endif
