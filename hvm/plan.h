/* SPDX-License-Identifier: MIT */
/* plan.h - validates a ROS/HRT split and derives the VM's shape from it. */
#ifndef HVM_PLAN_H
#define HVM_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hvm_abi.h"

/* xAPIC IDs are 8 bits and 0xff is broadcast; TCG offers no x2APIC. */
#define PLAN_MAX_VCPUS	 255u
#define PLAN_MIN_ROS_MEM (128ull << 20)
#define PLAN_MAX_ROS_MEM (1ull << 40)

struct plan {
	unsigned int ros_cpus;
	unsigned int hrt_cpus;
	unsigned int vcpus;
	uint64_t ros_mem;
	uint64_t region_size;
	uint32_t hrt_apic_ids[HVM_MAX_HRT_CPUS];
};

/*
 * Checks the split (ros, hrt cpus; ros_mem, hrt_mem bytes) and fills (p).
 * Returns 0, or -EINVAL with a one-line reason in (err).
 */
int plan_make(struct plan *p, unsigned int ros, unsigned int hrt,
	      uint64_t ros_mem, uint64_t hrt_mem, char *err, size_t errlen);

/* Formats (bytes) as "64M"/"1G"/"4096" into (buf). */
const char *plan_size_str(uint64_t bytes, char *buf, size_t len);

#endif
