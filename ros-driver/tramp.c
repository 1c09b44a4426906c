// SPDX-License-Identifier: GPL-2.0
/* tramp.c - the HRT's boot trampoline page: its code and data, the boot IDT, and the crash report that IDT leaves. */
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <asm/e820/api.h>

#include "hvm_x86.h"
#include "ros.h"

/* Mirrors the data block at the end of trampoline.S. */
struct ros_tramp_data {
	u64 low_cr3;
	u64 cr3;
	u64 entry;
	u64 bootinfo;
	u64 magic;
	u64 stack;
	u64 state_va;
};

/* Mirrors ros_trampoline_report: what the boot IDT caught. */
struct ros_tramp_report {
	u64 magic;
	u64 vector;
	u64 error;
	u64 rip;
	u64 rsp;
	u64 cr2;
	u64 busy;
};

#define ROS_TRAMP_REPORT_MAGIC 0x4843525442564821ull

/*
 * The trampoline page: the copied code and tables (at most CODE_MAX
 * bytes), the image's first stack below STACK_TOP, the boot IDT's own
 * stack (IST 1) above it.
 */
#define ROS_TRAMP_CODE_MAX  0x800
#define ROS_TRAMP_STACK_TOP 0xc00
#define ROS_TRAMP_IST_TOP   0x1000
#define ROS_TRAMP_VECTORS   32

/* Offset of trampoline.S symbol sym in the page, and its address there. */
#define TRAMP_OFF(sym) ((sym)-ros_trampoline_start)
#define TRAMP_PA(sym)  (ros_trampoline_phys + TRAMP_OFF(sym))

/*
 * The boot IDT, its TSS and the image's first stack, all in the trampoline
 * page (identity-mapped by the entry tables): an image that faults before
 * it installs an IDT of its own is reported, not a triple fault that
 * resets the whole VM.
 */
static void ros_boot_idt(struct ros_dev *rd, struct ros_tramp_data *d)
{
	struct hvm_idt_gate *idt = rd->tramp + TRAMP_OFF(ros_tramp_idt);
	struct hvm_tss64 *tss = rd->tramp + TRAMP_OFF(ros_tramp_tss);
	struct hvm_dtr *dt = rd->tramp + TRAMP_OFF(ros_tramp_idt_desc);
	u64 *desc = rd->tramp + TRAMP_OFF(ros_tramp_tss_desc);
	u64 base = TRAMP_PA(ros_tramp_tss), lim = sizeof(*tss) - 1;
	unsigned int v;

	for (v = 0; v < ROS_TRAMP_VECTORS; v++) {
		u64 h = TRAMP_PA(ros_tramp_stubs) + 16 * v;

		idt[v] = hvm_idt_gate(h, 0x08, 1);
	}
	dt->limit = ROS_TRAMP_VECTORS * sizeof(*idt) - 1;
	dt->base = TRAMP_PA(ros_tramp_idt);
	memset(tss, 0, sizeof(*tss));
	tss->ist[0] = ros_trampoline_phys + ROS_TRAMP_IST_TOP;
	tss->iomap_base = sizeof(*tss);
	/* 64-bit available TSS (type 9), 16 bytes */
	desc[0] = (lim & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		  (((lim >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	desc[1] = base >> 32;
	d->stack = ros_trampoline_phys + ROS_TRAMP_STACK_TOP;
	d->state_va = HVM_DIRECT_MAP_BASE + rd->shm_phys +
		      offsetof(struct hvm_shm_header, hrt_state);
}

void ros_tramp_write(struct ros_dev *rd, u64 cr3, u64 entry)
{
	size_t len = ros_trampoline_end - ros_trampoline_start;
	struct ros_tramp_data *d;

	memcpy(rd->tramp, ros_trampoline_start, len);
	d = rd->tramp + TRAMP_OFF(ros_trampoline_data);
	d->low_cr3 = page_to_phys(rd->low_pt);
	d->cr3 = cr3;
	d->entry = entry;
	d->bootinfo = HVM_DIRECT_MAP_BASE + rd->shm_phys + HVM_BOOTINFO_OFF;
	d->magic = HVM_BOOTINFO_MAGIC;
	ros_boot_idt(rd, d);
	wmb(); /* visible before the SIPI */
}

static const char *const ros_exc_names[ROS_TRAMP_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "reserved",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

bool ros_tramp_crash_report(struct ros_dev *rd)
{
	const struct ros_tramp_report *r =
		rd->tramp + TRAMP_OFF(ros_trampoline_report);
	struct ros_tramp_report c;

	if (READ_ONCE(r->magic) != ROS_TRAMP_REPORT_MAGIC)
		return false;
	rmb(); /* the fields were stored before the magic */
	memcpy(&c, r, sizeof(c));
	dev_err(&rd->pdev->dev,
		"hrt boot failed: crashed during boot: vector %llu (%s), RIP %#llx (error %#llx, RSP %#llx, CR2 %#llx)\n",
		c.vector,
		c.vector < ROS_TRAMP_VECTORS && ros_exc_names[c.vector]
			? ros_exc_names[c.vector]
			: "reserved",
		c.rip, c.error, c.rsp, c.cr2);
	return true;
}

int ros_tramp_init(struct ros_dev *rd)
{
	struct device *dev = &rd->pdev->dev;
	u64 *pml4, *pdpt, *pd;
	phys_addr_t tp = ros_trampoline_phys;

	BUILD_BUG_ON(sizeof(struct ros_tramp_data) != 56);
	BUILD_BUG_ON(sizeof(struct hvm_tss64) != 104);
	if ((tp & ~PAGE_MASK) || tp == 0 || tp >= SZ_1M) {
		dev_err(dev, "trampoline=%#llx must be a page below 1 MiB\n",
			(u64)tp);
		return -EINVAL;
	}
	/* Writing into ROS RAM would corrupt Linux: insist on memmap=. */
	if (e820__mapped_any(tp, tp + PAGE_SIZE, E820_TYPE_RAM) ||
	    !e820__mapped_any(tp, tp + PAGE_SIZE, E820_TYPE_RESERVED)) {
		dev_err(dev,
			"trampoline page %#llx is not reserved (boot the ROS with memmap=4K$%#llx)\n",
			(u64)tp, (u64)tp);
		return -EINVAL;
	}
	if (ros_trampoline_end - ros_trampoline_start > ROS_TRAMP_CODE_MAX)
		return -E2BIG;
	rd->tramp = devm_memremap(dev, tp, PAGE_SIZE, MEMREMAP_WB);
	if (IS_ERR(rd->tramp))
		return PTR_ERR(rd->tramp);

	/*
	 * The trampoline loads %cr3 from 32-bit code, so its first tables
	 * must sit below 4 GiB; the region may not.  Identity-map 0..2 MiB.
	 */
	rd->low_pt = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_ZERO, 2);
	if (!rd->low_pt)
		return -ENOMEM;
	pml4 = page_address(rd->low_pt);
	pdpt = pml4 + 512;
	pd = pml4 + 1024;
	pml4[0] = page_to_phys(rd->low_pt + 1) | PTE_P | PTE_RW;
	pdpt[0] = page_to_phys(rd->low_pt + 2) | PTE_P | PTE_RW;
	pd[0] = PTE_P | PTE_RW | PTE_PS;
	return 0;
}

void ros_tramp_exit(struct ros_dev *rd)
{
	if (rd->low_pt)
		__free_pages(rd->low_pt, 2);
	rd->low_pt = NULL;
}
