/* SPDX-License-Identifier: GPL-2.0 */
/* ros.h - internal declarations shared by the files of hvm.ko. */
#ifndef ROS_H
#define ROS_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/kref.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/miscdevice.h>
#include <linux/atomic.h>
#include <linux/pci.h>

#include "hvm_abi.h"
#include "hvm_uapi.h"

/* Module parameters (main.c). */
extern unsigned long ros_trampoline_phys;
extern unsigned int ros_boot_timeout_ms;
extern unsigned int ros_hung_timeout_ms;
extern bool ros_selftest;
extern char *ros_cmdline;
extern int ros_group;

/* Where the ELF loader put the image (loader.c -> boot.c). */
struct ros_elf_info {
	u64 entry;     /* virtual entry point */
	u64 low_paddr; /* lowest p_paddr, page aligned */
	u64 span; /* bytes from low_paddr to the end of the highest segment */
	unsigned int nload;
};

struct ros_dev {
	struct pci_dev *pdev;
	struct kref ref;
	/* Held for reading by every user of the mappings, for writing by remove. */
	struct rw_semaphore gone_sem;
	bool gone;
	/* Serialises boot, reboot, stop, load, ping and debug. */
	struct mutex lock;

	void __iomem *regs; /* BAR0: doorbell registers */
	phys_addr_t regs_phys;
	void *shm; /* BAR2 mapped write-back */
	phys_addr_t shm_phys;
	u64 region_size;
	struct hvm_shm_header *hdr;
	struct hvm_bootinfo *bi;

	unsigned int ncpus;
	u32 apic_ids[HVM_MAX_HRT_CPUS];
	int cpus[HVM_MAX_HRT_CPUS]; /* Linux CPU numbers */

	void *tramp;	     /* the reserved low page */
	struct page *low_pt; /* 3 pages below 4 GiB: trampoline tables */
	u64 lapic_phys;

	/* Interrupts (irq.c). */
	int nvec;
	u32 irq_vector; /* HRT-event vector, 0 = no MSI-X */
	u32 irq_apic_id;
	atomic64_t irqs[HVM_NR_VECTORS];
	atomic64_t events;
	wait_queue_head_t wq;
	u64 ping_expect;  /* seq the ISR is waiting for, 0 = none */
	u64 ping_seen_ns; /* set by the ISR */
	u64 ping_seq;

	/*
	 * Heartbeat watch (main.c): per HRT core, its word at the last change
	 * and when (jiffies).  Written by the watch and by ros_hb_reset (under
	 * lock); the watch decides hung only under lock.
	 */
	struct delayed_work hb_work;
	u64 hb_last[HVM_MAX_HRT_CPUS];
	unsigned long hb_changed[HVM_MAX_HRT_CPUS];
	int hb_hung_core; /* the core whose stall made the HRT hung ... */
	u64 hb_hung_beat; /* ... and its heartbeat then */
	u32 hb_state;	  /* state at the watch's last look */
	u32 crash_boot;	  /* boot count whose crash was counted */

	/*
	 * A boot whose caller was interrupted goes on; the watch finishes it
	 * (boot.c, under lock).
	 */
	bool boot_bg;
	unsigned long boot_deadline; /* jiffies */
	u64 boot_t0;		     /* ktime ns */

	/* Loaded image (boot.c). */
	u64 kernel_phys;
	u64 kernel_end;
	u64 mem_phys;

	/* Contexts and channels (bind.c, chan.c), under ctx_lock. */
	struct mutex ctx_lock;
	struct ros_bind *ctxs[HVM_CTX_MAX];
	DECLARE_BITMAP(chan_used, HVM_CHAN_MAX);
	/* Allocated to nobody: an aborted invocation did not end in time. */
	DECLARE_BITMAP(chan_retired, HVM_CHAN_MAX);
	u32 chan_boot[HVM_CHAN_MAX]; /* hrt_boot_count when opened */
	atomic64_t flush_timeouts;

	/* Counters (struct hvm_stats without the irq ones). */
	struct hvm_stats st;
	spinlock_t st_lock;

	struct miscdevice misc;
	char name[32];
};

struct ros_bind;

/* One open /dev/hvm. */
struct ros_file {
	struct ros_dev *rd;
	u64 seen;	   /* event counter value last returned by read() */
	struct mutex lock; /* bind and channel ownership below */
	struct ros_bind *bind;
	DECLARE_BITMAP(chans, HVM_CHAN_MAX);
};

static inline struct hvm_chan_area *ros_chan_area(struct ros_dev *rd)
{
	return rd->shm + HVM_CHAN_OFF;
}

static inline u32 ros_state(struct ros_dev *rd)
{
	/* Pairs with the release by whoever changed it (driver or HRT). */
	return smp_load_acquire(&rd->hdr->hrt_state);
}

void ros_set_state(struct ros_dev *rd, u32 state);
void ros_event(struct ros_dev *rd);
void ros_note_crash(struct ros_dev *rd);
void ros_hb_reset(struct ros_dev *rd);
void ros_dev_put(struct ros_dev *rd);

/* Entry bits of the boot page tables (boot.c, tramp.c). */
#define PTE_P	 0x001ull
#define PTE_RW	 0x002ull
#define PTE_PS	 0x080ull
#define PTE_ADDR 0x000ffffffffff000ull

/* loader.c */
int ros_elf_check(struct ros_dev *rd, const void *img, u64 len, u64 room,
		  struct ros_elf_info *info);
int ros_elf_load(struct ros_dev *rd, const void *img, u64 len,
		 const struct ros_elf_info *info, void *dst);

/* boot.c */
int ros_boot_init(struct ros_dev *rd);
void ros_boot_exit(struct ros_dev *rd);
int ros_boot(struct ros_dev *rd, u64 flags, const char *cmdline,
	     unsigned int timeout_ms, u64 *boot_ns);
void ros_stop(struct ros_dev *rd);
void ros_boot_poll(struct ros_dev *rd);
/*
 * An NMI to HRT core (idx) for its interrupt-off section (hvm_api.h): past
 * its limit, or in the way of a TLB flush or a context's end.
 */
int ros_irqoff_nmi(struct ros_dev *rd, unsigned int idx);
int ros_send_ipi(struct ros_dev *rd, unsigned int idx, u32 vector);
/*
 * Stops HRT core (idx) at once with an INIT, from any context (no sleep):
 * for a core that must not run on (it did not flush its TLB in time).
 */
void ros_halt_core(struct ros_dev *rd, unsigned int idx);
int ros_image_store(struct ros_dev *rd, const void *img, u64 len);

/* tramp.c */
/*
 * Checks the trampoline page (ros_trampoline_phys: a reserved page below
 * 1 MiB), maps it and allocates the identity tables the trampoline starts
 * on.  0 or -EINVAL, -E2BIG, -ENOMEM; ros_tramp_exit() frees the tables.
 */
int ros_tramp_init(struct ros_dev *rd);
void ros_tramp_exit(struct ros_dev *rd);
/*
 * Copies the trampoline into its page with the boot IDT and the data
 * block: the HRT's page tables (cr3) and (entry); visible before a SIPI.
 */
void ros_tramp_write(struct ros_dev *rd, u64 cr3, u64 entry);
/*
 * The boot IDT's record (trampoline.S), if it caught an exception of this
 * boot: logs "crashed during boot" with vector and RIP and returns true.
 */
bool ros_tramp_crash_report(struct ros_dev *rd);

/* irq.c */
int ros_irq_init(struct ros_dev *rd);
void ros_irq_exit(struct ros_dev *rd);
int ros_ping(struct ros_dev *rd, struct hvm_ping *p);

/* chardev.c */
int ros_chardev_init(struct ros_dev *rd);
void ros_chardev_exit(struct ros_dev *rd);
long ros_log_read(struct ros_dev *rd, struct hvm_log_read *lr);

/* bind.c */
void ros_bind_init(struct ros_dev *rd);
long ros_ioc_bind(struct ros_file *f, void __user *up);
void ros_unbind(struct ros_file *f);
void ros_bind_exit(struct ros_dev *rd);

/* chan.c */
long ros_ioc_chan_open(struct ros_file *f, void __user *up);
long ros_ioc_chan_close(struct ros_file *f, void __user *up);
long ros_ioc_kick(struct ros_file *f, void __user *up);
long ros_ioc_chan_wait(struct ros_file *f, void __user *up);
void ros_chan_release_all(struct ros_file *f);
void ros_chan_reset(struct ros_dev *rd);
void ros_chan_counts(struct ros_dev *rd, unsigned int *free,
		     unsigned int *retired, unsigned int *ctx_free);
int ros_chan_mmap(struct ros_file *f, struct vm_area_struct *vma);

/* sysfs.c */
extern const struct attribute_group *ros_attr_groups[];

/*
 * trampoline.S: the real-mode boot trampoline copied to the reserved page,
 * with the boot IDT's stubs, tables and crash report.
 */
extern const u8 ros_trampoline_start[], ros_trampoline_data[],
	ros_trampoline_end[], ros_tramp_stubs[], ros_tramp_tss_desc[],
	ros_tramp_idt_desc[], ros_tramp_tss[], ros_tramp_idt[],
	ros_trampoline_report[];

#endif /* ROS_H */
