// SPDX-License-Identifier: MIT
/* acpi.c - walks RSDP -> XSDT/RSDT -> MADT for local APIC entries (standalone only). */
#include "acpi.h"
#include "mm.h"
#include "string.h"

struct hrt_acpi_hdr {
	char sig[4];
	u32 len;
	u8 rev, csum;
	char oem[6], oemtab[8];
	u32 oemrev, creator, creatorrev;
} __packed;

static u64 hrt_acpi_scan(u64 start, u64 len)
{
	u64 p;

	for (p = start; p < start + len; p += 16)
		if (!memcmp(hrt_phys_to_virt(p), "RSD PTR ", 8))
			return p;
	return 0;
}

u32 hrt_acpi_find_cpus(u64 rsdp_phys, u32 *ids, u32 max, u64 *lapic)
{
	u8 *rsdp;
	struct hrt_acpi_hdr *sdt, *madt = NULL;
	int entsz, i, n;
	u8 *p, *end;
	u32 count = 0;

	if (!rsdp_phys)
		rsdp_phys = hrt_acpi_scan(0xe0000, 0x20000);
	if (!rsdp_phys)
		return 0;
	rsdp = hrt_phys_to_virt(rsdp_phys);
	if (rsdp[15] >= 2 && *(u64 *)(rsdp + 24)) {
		sdt = hrt_phys_to_virt(*(u64 *)(rsdp + 24));
		entsz = 8;
	} else {
		sdt = hrt_phys_to_virt(*(u32 *)(rsdp + 16));
		entsz = 4;
	}
	n = (sdt->len - sizeof(*sdt)) / entsz;
	for (i = 0; i < n && !madt; i++) {
		u8 *e = (u8 *)(sdt + 1) + i * entsz;
		u64 a = entsz == 8 ? *(u64 *)e : *(u32 *)e;
		struct hrt_acpi_hdr *h = hrt_phys_to_virt(a);

		if (!memcmp(h->sig, "APIC", 4))
			madt = h;
	}
	if (!madt)
		return 0;
	*lapic = *(u32 *)(madt + 1);
	p = (u8 *)(madt + 1) + 8;
	end = (u8 *)madt + madt->len;
	for (; p + 2 <= end && p[1]; p += p[1]) {
		if (p[0] == 0 && (*(u32 *)(p + 4) & 1) && count < max)
			ids[count++] = p[3]; /* processor local APIC */
		else if (p[0] == 9 && (*(u32 *)(p + 8) & 1) && count < max)
			ids[count++] = *(u32 *)(p + 4); /* local x2APIC */
		else if (p[0] == 5)
			*lapic = *(u64 *)(p + 4); /* address override */
	}
	return count;
}
