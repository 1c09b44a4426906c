/* SPDX-License-Identifier: MIT */
/* console.h - output sinks: the shared-memory log ring (HVM) or COM1 (standalone). */
#ifndef HRT_CONSOLE_H
#define HRT_CONSOLE_H

#include "hvm_abi.h"
#include "types.h"

void hrt_console_init_serial(void);
void hrt_console_init_ring(struct hvm_log *log, u64 bytes);
/* Caller serialises (log.c's lock). */
void hrt_console_write(const char *s, size_t n);

#endif /* HRT_CONSOLE_H */
