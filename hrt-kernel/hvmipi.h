/* SPDX-License-Identifier: MIT */
/* hvmipi.h - handlers for the IPIs hvm.ko sends (HVM_HRT_VEC_*) and the ivshmem doorbell. */
#ifndef HRT_HVMIPI_H
#define HRT_HVMIPI_H

#include "hvm_abi.h"
#include "idt.h"
#include "types.h"

_Static_assert((HRT_VEC_RESCHED < HVM_HRT_VEC_PING_DOORBELL) &&
		       (HRT_VEC_CALL < HVM_HRT_VEC_PING_DOORBELL) &&
		       (HRT_VEC_STOP < HVM_HRT_VEC_PING_DOORBELL) &&
		       (HVM_HRT_VEC_DEBUG_CRASH < HRT_VEC_SPURIOUS) &&
		       (HVM_HRT_VEC_CHAN < HRT_VEC_SPURIOUS),
	       "HRT vectors collide with hvm.ko's");

/*
 * Registers the four HVM_HRT_VEC_* handlers (the handler table serves every
 * core's IDT).  live = the driver's boot-info record in the region (NULL
 * standalone), read at every send.
 */
void hrt_hvm_irq_init(struct hvm_bootinfo *live);
/*
 * Rings the ivshmem doorbell: (peer << 16) | vector, one 32-bit write to
 * bootinfo.doorbell_phys through an uncached mapping.  No-op without one.
 */
void hrt_hvm_doorbell(u32 peer, u32 vector);

/*
 * Interrupts the ROS's HRT-event handler (channel completions): a direct
 * IPI to ros_irq_vector/ros_irq_apic_id when the driver gave one, else the
 * doorbell.  No-op standalone.
 */
void hrt_hvm_notify_ros(void);

#endif /* HRT_HVMIPI_H */
