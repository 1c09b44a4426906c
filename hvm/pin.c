// SPDX-License-Identifier: MIT
/* pin.c - keeps ROS and HRT vCPU threads on separate host cores. */
#include "pin.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "qmp.h"

int pin_plan(const int *host_cpus, int nhost, unsigned int ros,
	     unsigned int hrt, int *assign, char *note, size_t notelen)
{
	unsigned int i, nhrt, nros;

	note[0] = '\0';
	if (nhost < 2) {
		snprintf(note, notelen,
			 "--pin: only %d host core(s); ROS and HRT cannot be "
			 "separated, not pinning",
			 nhost);
		return -ENOSPC;
	}
	/* Give the HRT its own cores first: that is what users pin for. */
	nhrt = hrt < (unsigned int)nhost - 1 ? hrt : (unsigned int)nhost - 1;
	nros = (unsigned int)nhost - nhrt;
	if (nros > ros)
		nros = ros;
	for (i = 0; i < ros; i++)
		assign[i] = host_cpus[i % nros];
	for (i = 0; i < hrt; i++)
		assign[ros + i] = host_cpus[nhost - nhrt + i % nhrt];
	if (nhrt < hrt || nros < ros)
		snprintf(note, notelen,
			 "--pin: %d host cores for %u ROS + %u HRT vCPUs: %u "
			 "HRT vCPU(s) per core, ROS on %u core(s)",
			 nhost, ros, hrt, (hrt + nhrt - 1) / nhrt, nros);
	return 0;
}

int pin_thread(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

int pin_host_cores(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

void pin_vcpus(struct qmp *q, const struct plan *p, int verbose,
	       void (*say)(const char *fmt, ...))
{
	pid_t tids[PLAN_MAX_VCPUS + 1];
	int host[CPU_SETSIZE], assign[PLAN_MAX_VCPUS + 1], nhost = 0, n, i;
	char msg[256];
	cpu_set_t set;

	n = qmp_vcpu_threads(q, tids, PLAN_MAX_VCPUS + 1, 10000);
	if (n != (int)p->vcpus) {
		say("--pin: cannot read vCPU threads from QMP (%s); not "
		    "pinning",
		    n < 0 ? strerror(-n) : "wrong count");
		return;
	}
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				host[nhost++] = i;
	if (pin_plan(host, nhost, p->ros_cpus, p->hrt_cpus, assign, msg,
		     sizeof(msg))) {
		say("%s", msg);
		return;
	}
	if (msg[0])
		say("%s", msg);
	for (i = 0; i < n; i++) {
		int err = pin_thread(tids[i], assign[i]);

		if (err)
			say("--pin: vCPU %d: %s", i, strerror(-err));
		else if (verbose > 0)
			say("pinned %s vCPU %d (thread %d) to host CPU %d",
			    i < (int)p->ros_cpus ? "ROS" : "HRT", i, tids[i],
			    assign[i]);
	}
}
