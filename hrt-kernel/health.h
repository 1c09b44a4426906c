/* SPDX-License-Identifier: MIT */
/* health.h - what hvm.ko watches: ready, per-core heartbeats, crash and exit. */
#ifndef HRT_HEALTH_H
#define HRT_HEALTH_H

#include "types.h"

/*
 * Publishes READY (HVM mode; the online-core mask is already out) and
 * rings the host; heartbeats count from here on.
 */
void hrt_health_ready(void);

/* One timer tick of HRT core (cpu): its heartbeat word in the header. */
void hrt_health_tick(u32 cpu);

/* Marks the HRT crashed, stops the other cores and halts. */
__noreturn void hrt_crash(void);

/* Ends a standalone run with (code) (isa-debug-exit); halts in HVM mode. */
__noreturn void hrt_exit(int code);

#endif /* HRT_HEALTH_H */
