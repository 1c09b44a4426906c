/* pin.c - keeps ROS and HRT vCPU threads on separate host cores. */
#include "pin.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>

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
