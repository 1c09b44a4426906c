/* SPDX-License-Identifier: MIT */
/* acpi.h - just enough ACPI to find the CPUs (MADT) when booting standalone. */
#ifndef HRT_ACPI_H
#define HRT_ACPI_H

#include "types.h"

/* Fills apic_ids (enabled CPUs, MADT order) and *lapic; returns the count or 0. */
u32 hrt_acpi_find_cpus(u64 rsdp_phys, u32 *apic_ids, u32 max, u64 *lapic);

#endif /* HRT_ACPI_H */
