/* chan.h - the channel service: offloaded invocations, syscall and page-fault forwarding. */
#ifndef HRT_CHAN_H
#define HRT_CHAN_H

#include "idt.h"
#include "types.h"

/* HVM mode: a service thread per online core, the CHAN vector, SYSCALL. */
void hrt_chan_start(void);
/*
 * Called first by the exception handler: true when the exception was
 * offloaded code's page fault that Linux served (retry).  An offloaded
 * function's other faults end its invocation here (no return); false
 * means the exception is the HRT's own.
 */
bool hrt_chan_exception(struct hrt_regs *r);

#endif /* HRT_CHAN_H */
