// SPDX-License-Identifier: MIT
/* boot.c - both entries (HVM boot-info, standalone PVH) normalised into one boot-info record. */
#include "boot.h"
#include "acpi.h"
#include "apic.h"
#include "bench.h"
#include "buddy.h"
#include "chan.h"
#include "cmdline.h"
#include "console.h"
#include "fpu.h"
#include "health.h"
#include "hvmipi.h"
#include "idt.h"
#include "log.h"
#include "mm.h"
#include "sched.h"
#include "selftest.h"
#include "slab.h"
#include "smp.h"
#include "string.h"
#include "symbols.h"
#include "thread.h"
#include "timer.h"
#include "x86.h"

/* The note hvm.ko insists on (hvm_abi.h): the ABI this image speaks. */
static const struct hvm_abi_note hrt_abi_note __section(".note.hvm")
	__aligned(4) __used = HVM_ABI_NOTE_INIT;

bool hrt_hvm_mode;
bool hrt_boot_percpu_ready;
struct hvm_bootinfo *hrt_bootinfo;
struct hvm_shm_header *hrt_shm;

/* Our own copy: the driver may rewrite its page for the next boot. */
static struct hvm_bootinfo hrt_bi_copy;
static struct hvm_bootinfo *hrt_bi_live; /* the driver's record (HVM mode) */
/* Entry page tables: the APs' trampoline uses them in long mode. */
static u64 hrt_boot_cr3;

/* PVH start_info (xen/include/public/arch-x86/hvm/start_info.h). */
struct hrt_pvh_start_info {
	u32 magic; /* 0x336ec578 */
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr; /* version >= 1 */
	u32 memmap_entries;
	u32 reserved;
};

struct hrt_pvh_memmap {
	u64 addr, size;
	u32 type, reserved;
};

#define PVH_MAGIC 0x336ec578u
#define E820_RAM  1

static void hrt_early_percpu(void)
{
	struct hrt_cpu *c = &hrt_cpus[0];

	c->self = c;
	hrt_wrmsr(MSR_GS_BASE, (u64)c);
	hrt_boot_percpu_ready = true;
}

int hrt_bootinfo_check(const struct hvm_bootinfo *bi, char *why, size_t n)
{
	const char *err = NULL;
	u32 i;

	if (bi->magic != HVM_BOOTINFO_MAGIC)
		err = "bad magic";
	else if (bi->abi_version != HVM_ABI_VERSION)
		err = "ABI version mismatch";
	else if (bi->size != sizeof(*bi))
		err = "record size mismatch";
	else if (!bi->ncpus || bi->ncpus > HVM_MAX_HRT_CPUS)
		err = "bad CPU count";
	else if (bi->nr_ros_ranges > HVM_MAX_ROS_RANGES)
		err = "too many ROS ranges";
	else if ((bi->kernel_phys & 0xfff) || bi->kernel_end <= bi->kernel_phys)
		err = "bad kernel placement";
	else if (bi->mem_size < (1ull << 20) || (bi->mem_phys & 0xfff) ||
		 bi->mem_phys < bi->kernel_end)
		err = "bad HRT memory range";
	else if (!bi->tsc_khz)
		err = "no TSC frequency";
	else if (bi->trampoline_phys >= 0x100000 ||
		 (bi->trampoline_phys & 0xfff))
		err = "trampoline not a page below 1 MiB";
	else if ((bi->trampoline_cr3 >> 32) || (bi->trampoline_cr3 & 0xfff))
		err = "trampoline page tables not a page below 4 GiB";
	else if (!hrt_has_nul(bi->cmdline, sizeof(bi->cmdline)))
		err = "command line not terminated";
	for (i = 1; !err && i < bi->ncpus; i++)
		if (bi->apic_ids[i] == bi->apic_ids[0])
			err = "duplicate APIC ID";
	if (err) {
		hrt_strlcpy(why, err, n);
		return -EINVAL;
	}
	return 0;
}

static long hrt_main_thread(void *arg)
{
	int failed = 0;
	bool bench = hrt_cmdline_has("bench");

	bool selftest = hrt_bootinfo->flags & HVM_BOOT_SELFTEST;

	(void)arg;
	if (!selftest && !bench)
		hrt_printf("hrt: idle, serving\n");
	if (bench)
		hrt_bench_run();
	/* Last, so "N passed, N failed" ends the log of a self-test run. */
	if (selftest)
		failed = hrt_selftest_run();
	if (!hrt_hvm_mode)
		hrt_exit(failed ? HRT_EXIT_FAIL : HRT_EXIT_PASS);
	return 0;
}

static __noreturn void hrt_kmain(void)
{
	struct hvm_bootinfo *bi = hrt_bootinfo;
	u64 top = bi->mem_phys + bi->mem_size, low_cr3, arena;
	bool all_up;
	u32 i;
	int r;

	hrt_printf(
		"hrt: %s boot, %u cpu(s), memory %lx+%lx (%lu MiB), kernel at %lx, tsc %lu kHz\n",
		hrt_hvm_mode ? "HVM" : "standalone", bi->ncpus, bi->mem_phys,
		bi->mem_size, bi->mem_size >> 20, bi->kernel_phys, bi->tsc_khz);

	/* Direct map all guest-physical memory we know of. */
	if (bi->region_size)
		top = MAX(top, bi->region_phys + bi->region_size);
	for (i = 0; i < bi->nr_ros_ranges; i++)
		top = MAX(top, bi->ros_ram[i].start + bi->ros_ram[i].size);
	top = MAX(top, bi->lapic_phys + PAGE_SIZE);
	/* The page tables get their own pages first (mm.c), the rest is free. */
	arena = hrt_mm_arena_bytes(top);
	if (arena + (1ull << 20) > bi->mem_size ||
	    hrt_pages_add_range(bi->mem_phys + arena, bi->mem_size - arena))
		hrt_panic("no usable HRT memory\n");
	r = hrt_mm_init(top, bi->mem_phys, arena);
	if (r)
		hrt_panic("page tables: %d\n", r);

	hrt_tsc_khz = bi->tsc_khz;
	hrt_smp_init_bsp();
	hrt_hvm_irq_init(hrt_bi_live);
	hrt_fpu_init_cpu();
	hrt_sched_init_cpu();
	hrt_timer_init_cpu();
	hrt_sti();
	/*
	 * HVM: the entry tables may sit above 4 GiB, out of reach of the
	 * trampoline's 32-bit mov to %cr3, so it enters long mode on the
	 * driver's low tables and switches to the entry tables there.
	 */
	low_cr3 = hrt_hvm_mode && bi->trampoline_cr3 ? bi->trampoline_cr3
						     : hrt_boot_cr3;
	all_up = hrt_smp_boot_aps(bi->trampoline_phys, low_cr3, hrt_boot_cr3);
	if (hrt_hvm_mode && all_up &&
	    bi->mem_phys - bi->kernel_end >= (64u << 10)) {
		/* Every core runs on our tables now: the entry tables are free. */
		if (!hrt_pages_add_range(bi->kernel_end,
					 bi->mem_phys - bi->kernel_end))
			hrt_printf(
				"hrt: reclaimed the entry page tables, %lx+%lx\n",
				bi->kernel_end, bi->mem_phys - bi->kernel_end);
	}
	hrt_printf(
		"hrt: %u of %u cpu(s) online, %s, fpu %s %u bytes (xcr0 %lx), %lu symbols\n",
		hrt_online_cpus, hrt_ncpus, hrt_x2apic ? "x2APIC" : "xAPIC",
		hrt_fpu_xsave ? "xsave" : "fxsave", hrt_fpu_size, hrt_xcr0,
		hrt_symbol_count());
	/* Before READY: a request posted right after must not be missed. */
	hrt_chan_start();
	if (hrt_hvm_mode) {
		u64 online = 0;
		u32 i;

		/* Before READY: hvm.ko watches the heartbeat of these cores. */
		for (i = 0; i < hrt_ncpus && i < HVM_MAX_HRT_CPUS; i++)
			if (hrt_cpus[i].online)
				online |= 1ull << i;
		__atomic_store_n(&hrt_shm->hrt_cpus_online, online,
				 __ATOMIC_RELEASE);
		hrt_health_ready();
	}
	hrt_printf("hrt: ready\n");
	if (!hrt_thread_create(hrt_main_thread, NULL, "main", 0, 0))
		hrt_panic("cannot create the main thread\n");
	hrt_idle_loop();
}

/*
 * HVM entry (see struct hvm_bootinfo in hvm_abi.h).  The region is mapped at
 * HVM_DIRECT_MAP_BASE + region_phys by the driver's page tables, so the log
 * ring and header are reachable before we build our own tables.
 */
/* A boot that cannot go on: the reason in the log, FAILED with err. */
static __noreturn void hrt_boot_fail(int err, const char *what, const char *why)
{
	hrt_printf("hrt: %s: %s\n", what, why);
	hrt_shm->hrt_error = err;
	__atomic_store_n(&hrt_shm->hrt_state, HVM_HRT_FAILED, __ATOMIC_RELEASE);
	hrt_halt_forever();
}

/*
 * Our page tables assume what hrt.ld links: the image mapped linearly,
 * virtual = physical + constant.  The loader only promises each PT_LOAD
 * at its own p_paddr, so check the entry tables before relying on it (a
 * moved p_paddr would otherwise show up as corruption after the switch).
 */
static const char *hrt_image_check(const struct hvm_bootinfo *bi)
{
	u64 va, phys = 0;

	if (bi->kernel_end - bi->kernel_phys <
	    (u64)(hrt_image_end - hrt_image_start))
		return "image larger than its load area";
	for (va = (u64)hrt_image_start; va < (u64)hrt_image_end;
	     va += PAGE_SIZE) {
		if (hrt_mm_lookup(va, &phys) &&
		    phys == hrt_virt_to_phys((void *)va))
			continue;
		hrt_printf("hrt: %lx maps to %lx, linked for %lx\n", va, phys,
			   hrt_virt_to_phys((void *)va));
		return "image not loaded as linked";
	}
	return NULL;
}

void hrt_hvm_main(struct hvm_bootinfo *bi, u64 magic)
{
	char why[64];
	const char *bad;
	struct hvm_shm_header *shm;

	hrt_early_percpu();
	hrt_boot_cr3 = hrt_read_cr3();
	if (magic != HVM_BOOTINFO_MAGIC || bi->magic != HVM_BOOTINFO_MAGIC)
		hrt_halt_forever(); /* nowhere trustworthy to report to */
	shm = hrt_phys_to_virt(bi->region_phys);
	hrt_shm = shm;
	hrt_hvm_mode = true;
	hrt_console_init_ring(hrt_phys_to_virt(bi->region_phys + HVM_LOG_OFF),
			      HVM_LOG_SIZE);
	/* Our own IDT, GDT and TSS: from here on we report our faults. */
	hrt_smp_early_bsp();
	hrt_bi_copy = *bi;
	hrt_bootinfo = &hrt_bi_copy;
	hrt_bi_live = bi;
	if (hrt_bootinfo_check(&hrt_bi_copy, why, sizeof(why)))
		hrt_boot_fail(-EINVAL, "bad boot info", why);
	hrt_kernel_phys = bi->kernel_phys;
	bad = hrt_image_check(&hrt_bi_copy);
	if (bad)
		hrt_boot_fail(-ENOEXEC, "bad image", bad);
	hrt_lapic_phys = bi->lapic_phys ? bi->lapic_phys : 0xfee00000;
	hrt_printf("hrt: HVM entry, boot info at %p, region %lx+%lx\n", bi,
		   bi->region_phys, bi->region_size);
	hrt_kmain();
}

/* Standalone: turn PVH start_info + ACPI + PIT into the same boot-info record. */
void hrt_pvh_main(u32 info_phys)
{
	struct hrt_pvh_start_info *si = hrt_phys_to_virt(info_phys);
	struct hvm_bootinfo *bi = &hrt_bi_copy;
	u64 kend = hrt_virt_to_phys(hrt_image_end), lapic = 0xfee00000;
	u64 best = 0, best_size = 0;
	u32 i, me, n;
	char why[64];

	hrt_early_percpu();
	hrt_boot_cr3 = hrt_read_cr3();
	hrt_console_init_serial();
	hrt_smp_early_bsp();
	/*
	 * Mask the 8259s: the firmware left the PIT ticking through them, and
	 * QEMU keeps a raised PIC line pending even with LINT0 masked, which
	 * arrives as an unexpected vector.  (HVM mode never touches them.)
	 */
	hrt_outb(0x21, 0xff);
	hrt_outb(0xa1, 0xff);
	hrt_printf("\nhrt: PVH entry, start_info at %x\n", info_phys);
	if (si->magic != PVH_MAGIC)
		hrt_panic("bad PVH start_info magic %x\n", si->magic);

	memset(bi, 0, sizeof(*bi));
	bi->magic = HVM_BOOTINFO_MAGIC;
	bi->abi_version = HVM_ABI_VERSION;
	bi->size = sizeof(*bi);
	bi->kernel_phys = HRT_LINK_PHYS; /* PVH loads PT_LOADs at p_paddr */
	bi->kernel_end = kend;
	if (si->cmdline_paddr)
		hrt_strlcpy(bi->cmdline, hrt_phys_to_virt(si->cmdline_paddr),
			    sizeof(bi->cmdline));
	if (si->version >= 1 && si->memmap_paddr) {
		struct hrt_pvh_memmap *m = hrt_phys_to_virt(si->memmap_paddr);

		for (i = 0; i < si->memmap_entries; i++) {
			u64 s = m[i].addr, e = m[i].addr + m[i].size;

			if (m[i].type != E820_RAM)
				continue;
			if (bi->nr_ros_ranges < HVM_MAX_ROS_RANGES) {
				bi->ros_ram[bi->nr_ros_ranges].start = s;
				bi->ros_ram[bi->nr_ros_ranges++].size = e - s;
			}
			/* Boot tables map 4 GiB: the allocator stays below. */
			s = MAX(s, ALIGN_UP(kend, PAGE_SIZE));
			e = MIN(e, 4ull << 30);
			if (e > s && e - s > best_size) {
				best = s;
				best_size = e - s;
			}
		}
	}
	bi->mem_phys = ALIGN_UP(best, PAGE_SIZE);
	bi->mem_size = ALIGN_DOWN(best_size, PAGE_SIZE);
	bi->flags = HVM_BOOT_SELFTEST;
	hrt_bootinfo = bi;
	if (hrt_cmdline_has("bench") || hrt_cmdline_has("idle"))
		bi->flags &= ~HVM_BOOT_SELFTEST;
	if (hrt_cmdline_has("selftest"))
		bi->flags |= HVM_BOOT_SELFTEST;

	/* CPUs: MADT order, but the boot CPU must come first. */
	n = hrt_acpi_find_cpus(si->rsdp_paddr, bi->apic_ids, HVM_MAX_HRT_CPUS,
			       &lapic);
	hrt_lapic_phys = lapic;
	bi->lapic_phys = lapic;
	me = hrt_cpuid_apic_id();
	if (!n) {
		n = 1;
		bi->apic_ids[0] = me;
	}
	for (i = 0; i < n; i++)
		if (bi->apic_ids[i] == me) {
			bi->apic_ids[i] = bi->apic_ids[0];
			bi->apic_ids[0] = me;
		}
	if (hrt_cmdline_has("nosmp"))
		n = 1;
	bi->ncpus = n;
	bi->tsc_khz = hrt_timer_calibrate_tsc();
	bi->trampoline_phys = HRT_STANDALONE_TRAMPOLINE;
	if (hrt_bootinfo_check(bi, why, sizeof(why)))
		hrt_panic("standalone boot info: %s\n", why);
	hrt_kmain();
}
