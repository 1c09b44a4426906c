// SPDX-License-Identifier: MIT
/* plan.c - checks a ROS/HRT split and plans vCPUs, APIC IDs and the region. */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

const char *plan_size_str(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--) {
		uint64_t unit = 1ull << (10 * (i + 1));

		if (bytes >= unit && bytes % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes / unit,
				 units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
	return buf;
}

int plan_make(struct plan *p, unsigned int ros, unsigned int hrt,
	      uint64_t ros_mem, uint64_t hrt_mem, char *err, size_t errlen)
{
	char a[32], b[32];
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (hrt == 0)
		return errbuf_set(err, errlen,
				  "impossible split: zero HRT cores (--cores "
				  "R:H needs H >= 1)");
	if (ros == 0)
		return errbuf_set(err, errlen,
				  "impossible split: zero ROS cores (--cores "
				  "R:H needs R >= 1)");
	if (hrt > HVM_MAX_HRT_CPUS)
		return errbuf_set(err, errlen,
				  "impossible split: %u HRT cores, the HRT "
				  "supports at most %u",
				  hrt, HVM_MAX_HRT_CPUS);
	if (ros + hrt > PLAN_MAX_VCPUS)
		return errbuf_set(err, errlen,
				  "impossible split: %u vCPUs, QEMU allows at "
				  "most %u without x2APIC",
				  ros + hrt, PLAN_MAX_VCPUS);
	if (hrt_mem & (hrt_mem - 1))
		return errbuf_set(err, errlen,
				  "impossible split: HRT memory %s is not a "
				  "power of two (a PCI BAR is)",
				  plan_size_str(hrt_mem, a, sizeof(a)));
	if (hrt_mem < HVM_REGION_MIN || hrt_mem > HVM_REGION_MAX)
		return errbuf_set(
			err, errlen,
			"impossible split: HRT memory %s outside %s..%s",
			plan_size_str(hrt_mem, a, sizeof(a)),
			plan_size_str(HVM_REGION_MIN, b, sizeof(b)),
			plan_size_str(HVM_REGION_MAX, a + 16, sizeof(a) - 16));
	if (ros_mem < PLAN_MIN_ROS_MEM)
		return errbuf_set(err, errlen,
				  "impossible split: ROS memory %s is too "
				  "small to boot Linux (need %s)",
				  plan_size_str(ros_mem, a, sizeof(a)),
				  plan_size_str(PLAN_MIN_ROS_MEM, b,
						sizeof(b)));
	if (ros_mem > PLAN_MAX_ROS_MEM)
		return errbuf_set(err, errlen,
				  "impossible split: ROS memory %s is absurd",
				  plan_size_str(ros_mem, a, sizeof(a)));
	p->ros_cpus = ros;
	p->hrt_cpus = hrt;
	p->vcpus = ros + hrt;
	p->ros_mem = ros_mem;
	p->region_size = hrt_mem;
	/*
	 * With -smp N,sockets=1,cores=N,threads=1 QEMU numbers APIC IDs 0..N-1
	 * in CPU index order, and Linux with maxcpus=R onlines the first R.
	 */
	for (i = 0; i < hrt; i++)
		p->hrt_apic_ids[i] = ros + i;
	return 0;
}
