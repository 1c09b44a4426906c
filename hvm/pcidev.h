/* SPDX-License-Identifier: MIT */
/* pcidev.h - finding HVM's ivshmem device through sysfs, for hvm-init and hvm-partition. */
#ifndef HVM_PCIDEV_H
#define HVM_PCIDEV_H

#include <stddef.h>

/*
 * Calls (take)(bdf, arg) for every PCI device whose vendor and device IDs
 * are HVM_PCI_VENDOR and HVM_PCI_DEVICE (hvm_abi.h), in sysfs order, until
 * take returns 0.  Returns 0 then, or -ENODEV when no device was taken.
 */
int pcidev_find(int (*take)(const char *bdf, void *arg), void *arg);

/* Writes "/sys/bus/pci/devices/BDF/FILE" into (buf); returns (buf). */
char *pcidev_path(char *buf, size_t len, const char *bdf, const char *file);

#endif /* HVM_PCIDEV_H */
