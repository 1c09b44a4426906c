/* SPDX-License-Identifier: MIT */
/* accel.h - decides between KVM and TCG, timing KVM's guest kernel mode. */
#ifndef HVM_ACCEL_H
#define HVM_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

/* Below this rate KVM emulates guest ring 0 and a Linux guest crawls. */
#define ACCEL_MIN_RING0_IPS 50000000.0

/*
 * Runs a tiny ring-0 guest through /dev/kvm (dev) that executes a counted
 * loop and returns its rate in instructions per second in (ips).  Returns
 * 0 or a negative errno (-ENOENT/-EACCES for the device, -ETIMEDOUT when
 * the loop did not finish in time).
 */
int accel_kvm_probe(const char *dev, double *ips);

/*
 * Picks the accelerator for (mode) (enum accel, options.h): returns 1 for
 * KVM, 0 for TCG, or -errno when --accel kvm cannot open /dev/kvm.  (why)
 * gets one line on the choice; (*fallback) is set when a usable /dev/kvm
 * was turned down for TCG (a probe that failed or found KVM too slow).
 */
int accel_choose(int mode, char *why, size_t len, bool *fallback);

#endif
