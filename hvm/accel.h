/* accel.h - decides between KVM and TCG, timing KVM's guest kernel mode. */
#ifndef HVM_ACCEL_H
#define HVM_ACCEL_H

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

#endif
