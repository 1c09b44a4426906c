// SPDX-License-Identifier: GPL-2.0
/* boot.c - boots the HRT: bootinfo, temporary page tables, INIT/SIPI and the ready wait. */
#include <linux/delay.h>
#include <linux/elf.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sizes.h>
#include <asm/apic.h>
#include <asm/msr.h>

#include "ros.h"

/* Page-table pages handed out from a pool in the region, after the image. */
struct ros_pt {
	void *va; /* pool start in our mapping */
	u64 pa;	  /* its guest-physical address */
	unsigned int used, max;
	u64 *root;
	u64 root_pa;
};

static u64 *ros_pt_alloc(struct ros_pt *pt, u64 *pa)
{
	void *p;

	if (pt->used >= pt->max)
		return NULL;
	p = pt->va + (size_t)pt->used * PAGE_SIZE;
	*pa = pt->pa + (u64)pt->used * PAGE_SIZE;
	pt->used++;
	memset(p, 0, PAGE_SIZE);
	return p;
}

static u64 *ros_pt_table(struct ros_pt *pt, u64 entry)
{
	return pt->va + ((entry & PTE_ADDR) - pt->pa);
}

/*
 * Map one page of size 4 KiB (level 1) or 2 MiB (level 2).  A mapping that
 * conflicts with an existing one is an error: it means two parts of the
 * entry contract (image, direct map, trampoline) overlap in virtual space.
 */
static int ros_pt_map(struct ros_pt *pt, u64 va, u64 pa, int level)
{
	u64 *table = pt->root, want;
	int l;

	for (l = 4; l > level; l--) {
		u64 *e = &table[(va >> (12 + 9 * (l - 1))) & 511];

		if (!(*e & PTE_P)) {
			u64 npa;

			if (!ros_pt_alloc(pt, &npa))
				return -ENOSPC;
			*e = npa | PTE_P | PTE_RW;
		} else if (*e & PTE_PS) {
			return -EEXIST;
		}
		table = ros_pt_table(pt, *e);
	}
	want = pa | PTE_P | PTE_RW | (level == 2 ? PTE_PS : 0);
	table += (va >> (12 + 9 * (level - 1))) & 511;
	if (*table && *table != want)
		return -EEXIST;
	*table = want;
	return 0;
}

/* Pool pages the mappings below can need, with slack for alignment. */
static unsigned int ros_pt_pages(struct ros_dev *rd,
				 const struct ros_elf_info *info)
{
	return 8 + DIV_ROUND_UP(rd->region_size, SZ_1G) + 3 * info->nload +
	       2 * DIV_ROUND_UP(info->span, SZ_2M) +
	       2 * DIV_ROUND_UP(info->span, SZ_1G);
}

static int ros_build_tables(struct ros_dev *rd, const void *img,
			    const struct ros_elf_info *info, struct ros_pt *pt)
{
	const Elf64_Ehdr *eh = img;
	const Elf64_Phdr *ph = img + eh->e_phoff;
	u64 off, va;
	unsigned int i;
	int ret;

	pt->root = ros_pt_alloc(pt, &pt->root_pa);
	if (!pt->root)
		return -ENOSPC;
	/* (b) the whole region at the direct-map base, 2 MiB pages */
	for (off = 0; off < rd->region_size; off += SZ_2M) {
		ret = ros_pt_map(pt, HVM_DIRECT_MAP_BASE + rd->shm_phys + off,
				 rd->shm_phys + off, 2);
		if (ret)
			return ret;
	}
	/* (c) the trampoline page, identity */
	ret = ros_pt_map(pt, ros_trampoline_phys, ros_trampoline_phys, 1);
	if (ret)
		return ret;
	/* (a) every PT_LOAD at its vaddr, 4 KiB pages */
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		u64 start, end;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		start = p->p_vaddr & PAGE_MASK;
		end = PAGE_ALIGN(p->p_vaddr + p->p_memsz);
		for (va = start; va < end; va += PAGE_SIZE) {
			u64 pa = rd->kernel_phys +
				 ((p->p_paddr & PAGE_MASK) - info->low_paddr) +
				 (va - start);

			ret = ros_pt_map(pt, va, pa, 1);
			if (ret) {
				dev_err(&rd->pdev->dev,
					"hrt image rejected: segment %u at %#llx collides with the direct map or trampoline\n",
					i, va);
				return ret;
			}
		}
	}
	return 0;
}

struct ros_ram_walk {
	struct hvm_bootinfo *bi;
	unsigned int dropped;
};

static int ros_ram_range(struct resource *res, void *arg)
{
	struct ros_ram_walk *w = arg;
	struct hvm_bootinfo *bi = w->bi;
	u64 start = res->start, size = resource_size(res);
	unsigned int n = bi->nr_ros_ranges;

	if (n && bi->ros_ram[n - 1].start + bi->ros_ram[n - 1].size == start) {
		bi->ros_ram[n - 1].size += size;
		return 0;
	}
	if (n >= HVM_MAX_ROS_RANGES) {
		w->dropped++;
		return 0;
	}
	bi->ros_ram[n].start = start;
	bi->ros_ram[n].size = size;
	bi->nr_ros_ranges = n + 1;
	return 0;
}

static void ros_fill_bootinfo(struct ros_dev *rd, u64 flags,
			      const char *cmdline)
{
	struct hvm_bootinfo *bi = rd->bi;
	struct ros_ram_walk w = { .bi = bi };
	unsigned int i;

	memset(bi, 0, sizeof(*bi));
	bi->abi_version = HVM_ABI_VERSION;
	bi->size = sizeof(*bi);
	bi->flags = flags;
	bi->region_phys = rd->shm_phys;
	bi->region_size = rd->region_size;
	bi->kernel_phys = rd->kernel_phys;
	bi->kernel_end = rd->kernel_end;
	bi->mem_phys = rd->mem_phys;
	bi->mem_size = rd->shm_phys + rd->region_size - rd->mem_phys;
	bi->tsc_khz = tsc_khz;
	bi->lapic_phys = rd->lapic_phys;
	bi->trampoline_phys = ros_trampoline_phys;
	/* The HRT starts its APs through these too: they stay while we do. */
	bi->trampoline_cr3 = page_to_phys(rd->low_pt);
	bi->doorbell_phys =
		rd->regs_phys ? rd->regs_phys + HVM_IVSHMEM_REG_DOORBELL : 0;
	bi->ncpus = rd->ncpus;
	bi->ros_irq_vector = rd->irq_vector;
	bi->ros_irq_apic_id = rd->irq_apic_id;
	for (i = 0; i < rd->ncpus; i++)
		bi->apic_ids[i] = rd->apic_ids[i];
	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, U64_MAX,
			    &w, ros_ram_range);
	if (w.dropped)
		dev_warn(&rd->pdev->dev,
			 "%u ROS RAM ranges beyond %u not passed to the HRT\n",
			 w.dropped, HVM_MAX_ROS_RANGES);
	strscpy(bi->cmdline, cmdline, sizeof(bi->cmdline));
	/* magic last: a half-written record never looks valid */
	smp_wmb();
	WRITE_ONCE(bi->magic, HVM_BOOTINFO_MAGIC);
}

/* One ICR write, waiting for the previous and this one to be delivered. */
static void ros_icr(u32 low, u32 apic_id)
{
	unsigned long flags;

	local_irq_save(flags);
	apic->wait_icr_idle();
	apic->icr_write(low, apic_id);
	apic->safe_wait_icr_idle();
	local_irq_restore(flags);
}

int ros_send_ipi(struct ros_dev *rd, unsigned int idx, u32 vector)
{
	if (idx >= rd->ncpus || vector < 0x20 || vector > 0xff)
		return -EINVAL;
	ros_icr(APIC_DM_FIXED | vector, rd->apic_ids[idx]);
	return 0;
}

int ros_irqoff_nmi(struct ros_dev *rd, unsigned int idx)
{
	struct hvm_shm_header *h = rd->hdr;

	if (idx >= rd->ncpus || idx >= HVM_MAX_HRT_CPUS)
		return -EINVAL;
	WRITE_ONCE(h->hrt_irqoff_nmi[idx],
		   READ_ONCE(h->hrt_irqoff_nmi[idx]) + 1);
	/* The count before the NMI: the HRT reads it in its handler. */
	smp_wmb();
	ros_icr(APIC_DM_NMI, rd->apic_ids[idx]);
	return 0;
}

void ros_halt_core(struct ros_dev *rd, unsigned int idx)
{
	if (idx >= rd->ncpus)
		return;
	/* A stopped core ends no section: the watchdog must not NMI it. */
	if (idx < HVM_MAX_HRT_CPUS)
		WRITE_ONCE(rd->hdr->hrt_irqoff_deadline[idx], 0);
	/* The trampoline page's halt (ros_reset_cores) is not needed: no SIPI is pending. */
	ros_icr(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT,
		rd->apic_ids[idx]);
	ros_icr(APIC_INT_LEVELTRIG | APIC_DM_INIT, rd->apic_ids[idx]);
}

/*
 * INIT is not maskable: it stops an HRT core whatever it does (busy,
 * spinning with interrupts off, halted after a crash) and leaves it waiting
 * for a SIPI.  This is what makes reboot work from every state.  (state)
 * is published as soon as the INITs are out: TLB flushes and channel
 * aborts stop waiting for cores that will never answer.  Then what the
 * driver keeps about the cores is reset too (ros_chan_reset).
 */
static void ros_reset_cores(struct ros_dev *rd, u32 state)
{
	/* real mode: cli; 1: hlt; jmp 1b */
	static const u8 halt[] = { 0xfa, 0xf4, 0xeb, 0xfd };
	unsigned int i;

	/*
	 * A SIPI still pending when a core takes the INIT (the second one of
	 * a start, if the image stopped within the first's 200 us) survives
	 * it: the core starts again at the trampoline page, which may hold a
	 * spent boot or the HRT's own AP code.  Make that a halt instead.
	 */
	memcpy(rd->tramp, halt, sizeof(halt));
	wmb(); /* the halt is in place before any INIT */
	for (i = 0; i < rd->ncpus; i++)
		ros_icr(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT,
			rd->apic_ids[i]);
	ros_set_state(rd, state);
	usleep_range(10000, 11000);
	for (i = 0; i < rd->ncpus; i++)
		ros_icr(APIC_INT_LEVELTRIG | APIC_DM_INIT, rd->apic_ids[i]);
	ros_chan_reset(rd);
}

static void ros_start_core(struct ros_dev *rd, unsigned int idx)
{
	u32 id = rd->apic_ids[idx];
	int i;

	ros_icr(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, id);
	usleep_range(10000, 11000);
	ros_icr(APIC_INT_LEVELTRIG | APIC_DM_INIT, id);
	for (i = 0; i < 2; i++) {
		ros_icr(APIC_DM_STARTUP | (ros_trampoline_phys >> 12), id);
		udelay(200);
	}
}

/*
 * Stops the HRT: state loaded (or empty without an image).  Caller holds
 * rd->lock (or owns the device alone: remove).
 */
void ros_stop(struct ros_dev *rd)
{
	ros_note_crash(rd);
	rd->boot_bg = false;
	ros_reset_cores(rd, READ_ONCE(rd->hdr->image_len) ? HVM_HRT_LOADED
							  : HVM_HRT_EMPTY);
}

/* Copy the slot so validation and loading see the same bytes. */
static void *ros_image_copy(struct ros_dev *rd, u64 *lenp)
{
	u64 len = READ_ONCE(rd->hdr->image_len);
	void *img;

	if (len == 0 || len > HVM_IMAGE_SIZE) {
		dev_err(&rd->pdev->dev,
			"no usable image in the slot (image_len %llu)\n", len);
		return ERR_PTR(len ? -E2BIG : -ENOENT);
	}
	img = vmalloc(len);
	if (!img)
		return ERR_PTR(-ENOMEM);
	memcpy(img, rd->shm + HVM_IMAGE_OFF, len);
	*lenp = len;
	return img;
}

static u64 ros_run_room(struct ros_dev *rd)
{
	/* Keep room for the page-table pool after the image. */
	return rd->region_size - HVM_RUN_OFF - SZ_2M;
}

static int ros_prepare(struct ros_dev *rd, u64 flags, const char *cmdline,
		       u64 *cr3, u64 *entry)
{
	struct ros_elf_info info;
	struct ros_pt pt = {};
	void *img;
	u64 len, pool;
	int ret;

	img = ros_image_copy(rd, &len);
	if (IS_ERR(img))
		return PTR_ERR(img);
	ret = ros_elf_check(rd, img, len, ros_run_room(rd), &info);
	if (ret)
		goto free_img;

	rd->kernel_phys = rd->shm_phys + HVM_RUN_OFF;
	rd->kernel_end = rd->kernel_phys + PAGE_ALIGN(info.span);
	pool = (u64)ros_pt_pages(rd, &info) * PAGE_SIZE;
	if (rd->kernel_end + pool > rd->shm_phys + rd->region_size) {
		dev_err(&rd->pdev->dev,
			"hrt image rejected: no room for page tables after it\n");
		ret = -E2BIG;
		goto free_img;
	}
	ret = ros_elf_load(rd, img, len, &info, rd->shm + HVM_RUN_OFF);
	if (ret)
		goto free_img;

	pt.va = rd->shm + (rd->kernel_end - rd->shm_phys);
	pt.pa = rd->kernel_end;
	pt.max = pool / PAGE_SIZE;
	ret = ros_build_tables(rd, img, &info, &pt);
	if (ret) {
		if (ret == -ENOSPC)
			dev_err(&rd->pdev->dev,
				"page-table pool of %u pages exhausted\n",
				pt.max);
		ret = -ENOEXEC;
		goto free_img;
	}
	/* Free HRT memory starts after the tables, on a 2 MiB boundary. */
	rd->mem_phys = ALIGN(pt.pa + (u64)pt.used * PAGE_SIZE, SZ_2M);
	if (rd->mem_phys > rd->shm_phys + rd->region_size)
		rd->mem_phys = rd->shm_phys + rd->region_size;
	ros_fill_bootinfo(rd, flags, cmdline);
	*cr3 = pt.root_pa;
	*entry = info.entry;
free_img:
	vfree(img);
	return ret;
}

/* Validate a new image (from user space) and put it in the slot. */
int ros_image_store(struct ros_dev *rd, const void *img, u64 len)
{
	struct ros_elf_info info;
	int ret;

	if (len == 0 || len > HVM_IMAGE_SIZE)
		return -EFBIG;
	ret = ros_elf_check(rd, img, len, ros_run_room(rd), &info);
	if (ret)
		return ret;
	if ((u64)ros_pt_pages(rd, &info) * PAGE_SIZE + PAGE_ALIGN(info.span) >
	    rd->region_size - HVM_RUN_OFF)
		return -EFBIG;
	/*
	 * Readers (hvm-run, a later boot) trust image_len: clear it before the
	 * slot changes and publish it only after the new bytes are in place.
	 */
	WRITE_ONCE(rd->hdr->image_len, 0);
	smp_wmb(); /* the zero length is visible before any new byte */
	memcpy(rd->shm + HVM_IMAGE_OFF, img, len);
	smp_wmb(); /* every byte is visible before the new length */
	WRITE_ONCE(rd->hdr->image_len, len);
	if (ros_state(rd) == HVM_HRT_EMPTY)
		ros_set_state(rd, HVM_HRT_LOADED);
	return 0;
}

/* The HRT reported ready: account the boot (t0: its start, ktime ns). */
static void ros_boot_ready(struct ros_dev *rd, u64 t0, u64 *boot_ns)
{
	struct hvm_shm_header *hdr = rd->hdr;
	u64 dt = ktime_get_ns() - t0;

	spin_lock(&rd->st_lock);
	rd->st.last_boot_ns = dt;
	if (!rd->st.min_boot_ns || dt < rd->st.min_boot_ns)
		rd->st.min_boot_ns = dt;
	rd->st.max_boot_ns = max(rd->st.max_boot_ns, dt);
	spin_unlock(&rd->st_lock);
	ros_hb_reset(rd);
	if (boot_ns)
		*boot_ns = dt;
	dev_info(&rd->pdev->dev,
		 "hrt ready on %u core%s in %llu us (boot %u)\n", rd->ncpus,
		 rd->ncpus == 1 ? "" : "s", dt / 1000,
		 READ_ONCE(hdr->hrt_boot_count));
	ros_event(rd);
}

/* The boot failed with (ret): stop what may run, state FAILED. */
static void ros_boot_failed(struct ros_dev *rd, int ret, bool stop)
{
	/* Readers acquire the state, then read the error. */
	WRITE_ONCE(rd->hdr->hrt_error, ret);
	/* Do not leave a half-booted core running on memory we may reload. */
	if (stop)
		ros_reset_cores(rd, HVM_HRT_FAILED);
	else
		ros_set_state(rd, HVM_HRT_FAILED);
	spin_lock(&rd->st_lock);
	rd->st.boot_failures++;
	spin_unlock(&rd->st_lock);
	ros_event(rd);
}

/*
 * Where a started boot stands: 0 ready, 1 still booting, or the negative
 * errno it failed with (the HRT's, or -ETIMEDOUT after (deadline)).
 */
static int ros_boot_check(struct ros_dev *rd, unsigned long deadline)
{
	u32 s = ros_state(rd);
	int ret;

	if (s == HVM_HRT_READY)
		return 0;
	if (s != HVM_HRT_BOOTING) {
		ret = READ_ONCE(rd->hdr->hrt_error);
		if (ret >= 0 || ret < -MAX_ERRNO)
			ret = -EIO;
		if (s != HVM_HRT_CRASHED || !ros_tramp_crash_report(rd))
			dev_err(&rd->pdev->dev,
				"hrt boot failed: the HRT reported state %s (error %d)\n",
				hvm_hrt_state_name(s), ret);
		return ret;
	}
	if (time_after(jiffies, deadline)) {
		dev_err(&rd->pdev->dev,
			"hrt boot failed: not ready in time (heartbeat %llu)\n",
			READ_ONCE(rd->hdr->hrt_heartbeat));
		return -ETIMEDOUT;
	}
	return 1;
}

/*
 * Boot (or reboot: the same thing, INIT first) and wait for ready.  Caller
 * holds rd->lock.  Returns 0 or a negative errno that is also left in
 * hdr->hrt_error with hrt_state = FAILED.  A signal ends the wait, not the
 * boot: -EINTR, the state stays BOOTING and the heartbeat watch finishes
 * the boot (ros_boot_poll) as this wait would have.
 */
int ros_boot(struct ros_dev *rd, u64 flags, const char *cmdline,
	     unsigned int timeout_ms, u64 *boot_ns)
{
	struct hvm_shm_header *hdr = rd->hdr;
	u64 t0 = ktime_get_ns(), cr3 = 0, entry = 0;
	unsigned long deadline;
	unsigned int i;
	int ret;

	ros_note_crash(rd);
	rd->boot_bg = false;
	ros_reset_cores(rd, HVM_HRT_BOOTING);
	WRITE_ONCE(hdr->hrt_error, 0);
	/* After BOOTING: CHAN_OPEN reads the count first (ros_ioc_chan_open). */
	smp_wmb();
	WRITE_ONCE(hdr->hrt_boot_count, READ_ONCE(hdr->hrt_boot_count) + 1);
	WRITE_ONCE(hdr->hrt_heartbeat, 0);
	/* The new HRT names its cores again before it is ready. */
	WRITE_ONCE(hdr->hrt_cpus_online, 0);
	for (i = 0; i < HVM_MAX_HRT_CPUS; i++)
		WRITE_ONCE(hdr->hrt_core_heartbeat[i], 0);
	WRITE_ONCE(hdr->hrt_ready_tsc, 0);
	spin_lock(&rd->st_lock);
	rd->st.boots++;
	spin_unlock(&rd->st_lock);

	ret = ros_prepare(rd, flags, cmdline, &cr3, &entry);
	if (ret) {
		ros_boot_failed(rd, ret, false);
		return ret;
	}
	ros_tramp_write(rd, cr3, entry);
	ros_start_core(rd, 0);

	deadline = jiffies + msecs_to_jiffies(timeout_ms);
	while ((ret = ros_boot_check(rd, deadline)) > 0) {
		if (signal_pending(current)) {
			rd->boot_t0 = t0;
			rd->boot_deadline = deadline;
			rd->boot_bg = true;
			dev_info(
				&rd->pdev->dev,
				"hrt boot goes on without its caller (interrupted by a signal)\n");
			return -EINTR;
		}
		usleep_range(100, 200);
	}
	if (ret) {
		ros_boot_failed(rd, ret, true);
		return ret;
	}
	ros_boot_ready(rd, t0, boot_ns);
	return 0;
}

/*
 * The heartbeat watch's part of a boot whose caller was interrupted
 * (rd->boot_bg): finish it like ros_boot would have.  Caller holds rd->lock.
 */
void ros_boot_poll(struct ros_dev *rd)
{
	int ret = ros_boot_check(rd, rd->boot_deadline);

	if (ret > 0)
		return;
	rd->boot_bg = false;
	if (ret)
		ros_boot_failed(rd, ret, true);
	else
		ros_boot_ready(rd, rd->boot_t0, NULL);
}

int ros_boot_init(struct ros_dev *rd)
{
	u64 apicbase;
	int ret;

	ret = ros_tramp_init(rd);
	if (ret)
		return ret;
	rdmsrl(MSR_IA32_APICBASE, apicbase);
	rd->lapic_phys = apicbase & MSR_IA32_APICBASE_BASE;
	if (!rd->lapic_phys)
		rd->lapic_phys = APIC_DEFAULT_PHYS_BASE;
	return 0;
}

void ros_boot_exit(struct ros_dev *rd)
{
	ros_tramp_exit(rd);
}
