/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_abi.h - the shared-memory ABI between hvm-run, hvm.ko, the HRT and libhvm. */
#ifndef HVM_ABI_H
#define HVM_ABI_H

/*
 * Self-contained on purpose: included by the host launcher, the Linux module
 * (through <linux/types.h>), the freestanding HRT kernel and user programs.
 * Only fixed-width C99 types; every structure has a static size check so a
 * layout change is a compile error, not a silent mismatch between the halves.
 */
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif
#include "hvm_layout.h"

/* Bumped on any incompatible change to anything in this file or hvm_layout.h. */
#define HVM_ABI_VERSION 7u

/* "HVMSHRD1" read as a little-endian u64: first word of the shared region. */
#define HVM_ABI_MAGIC 0x31445248534d5648ull

/* The ivshmem-doorbell device QEMU exposes (Red Hat vendor, ivshmem device). */
#define HVM_PCI_VENDOR	 0x1af4u
#define HVM_PCI_DEVICE	 0x1110u
#define HVM_PCI_BAR_REGS 0 /* doorbell registers */
#define HVM_PCI_BAR_MSIX 1
#define HVM_PCI_BAR_SHM	 2 /* the shared region this file describes */

/* ivshmem BAR0 register offsets (QEMU docs/specs/ivshmem-spec). */
#define HVM_IVSHMEM_REG_INTRMASK   0x0
#define HVM_IVSHMEM_REG_INTRSTATUS 0x4
#define HVM_IVSHMEM_REG_IVPOSITION 0x8
#define HVM_IVSHMEM_REG_DOORBELL   0xc /* write (peer << 16) | vector */

/*
 * Peers on the ivshmem server.  hvm-run is peer 0 (the host); QEMU's device,
 * i.e. the guest, is peer 1.  Doorbell vectors, in either direction:
 */
#define HVM_PEER_HOST	    0u
#define HVM_PEER_GUEST	    1u
#define HVM_NR_VECTORS	    4u
#define HVM_VEC_GUEST_STAGE 0u /* guest -> host: guest_stage/exit changed */
#define HVM_VEC_HRT_EVENT   1u /* HRT -> ROS/host: log, channel completion */
#define HVM_VEC_HRT_STATE   2u /* HRT -> ROS/host: hrt_state changed */
#define HVM_VEC_SPARE	    3u

/* Upper bounds that size the fixed arrays below. */
#define HVM_MAX_HRT_CPUS   64u
#define HVM_MAX_ROS_RANGES 32u

/* Region layout.  Offsets are from the start of the region (BAR2). */
#define HVM_HEADER_OFF	  0x0ull
#define HVM_HEADER_SIZE	  0x1000ull
#define HVM_BOOTINFO_OFF  0x1000ull
#define HVM_BOOTINFO_SIZE 0x1000ull
#define HVM_LOG_OFF	  0x10000ull
#define HVM_LOG_SIZE	  0x40000ull /* struct hvm_log + ring bytes */
#define HVM_CHAN_OFF	  0x80000ull
#define HVM_CHAN_SIZE	  0x80000ull
#define HVM_IMAGE_OFF	  0x100000ull /* pristine HRT ELF as hvm-run loaded it */
#define HVM_IMAGE_SIZE	  0x700000ull
#define HVM_RUN_OFF	  0x800000ull /* 2 MiB aligned: HRT kernel + its memory */
#define HVM_REGION_MIN	  (16ull << 20)
#define HVM_REGION_MAX	  (64ull << 30)

/* HVM_IMAGE_VBASE, HVM_DIRECT_MAP_BASE, HVM_USER_TOP: hvm_layout.h. */

/*
 * Every HRT image carries this ELF note in a PT_NOTE segment: n_name
 * "HVM", n_type HVM_NOTE_ABI, a 4-byte descriptor holding the
 * HVM_ABI_VERSION it was built for.  hvm.ko refuses an image without it or
 * with another version.  In C: a const struct hvm_abi_note initialised with
 * HVM_ABI_NOTE_INIT in a section named ".note.hvm" (linked into PT_NOTE).
 */
#define HVM_NOTE_NAME "HVM"
#define HVM_NOTE_ABI  1u

struct hvm_abi_note {
	uint32_t namesz; /* 4: "HVM" and its NUL */
	uint32_t descsz; /* 4 */
	uint32_t type;	 /* HVM_NOTE_ABI */
	char name[4];	 /* HVM_NOTE_NAME */
	uint32_t abi_version;
};

#define HVM_ABI_NOTE_INIT                                                      \
	{                                                                      \
		4, 4, HVM_NOTE_ABI, HVM_NOTE_NAME, HVM_ABI_VERSION             \
	}

/* Real-mode AP trampoline page reserved in ROS RAM by memmap=. */
#define HVM_TRAMPOLINE_PHYS 0x70000ull
#define HVM_TRAMPOLINE_SIZE 0x1000ull

/* hvm_shm_header.guest_stage: how far the ROS's init got. */
enum hvm_guest_stage {
	HVM_GUEST_NONE = 0,	 /* QEMU started, nothing from the guest yet */
	HVM_GUEST_USERSPACE = 1, /* /init runs */
	HVM_GUEST_READY = 2, /* modules, shares, hvm.ko done; command starts */
	HVM_GUEST_DONE = 3,  /* command ended; guest_exit_* are valid */
	HVM_GUEST_FAILED =
		4, /* init could not set up; guest_exit_code = errno */
};

/* hvm_shm_header.guest_exit_kind */
enum hvm_exit_kind {
	HVM_EXIT_NONE = 0,
	HVM_EXIT_CODE = 1,   /* guest_exit_code = exit status 0..255 */
	HVM_EXIT_SIGNAL = 2, /* guest_exit_code = signal number */
};

/* hvm_shm_header.hrt_state: the HRT's life cycle, written by driver and HRT. */
enum hvm_hrt_state {
	HVM_HRT_EMPTY = 0,   /* no image loaded/booted */
	HVM_HRT_LOADED = 1,  /* image slot holds a valid ELF */
	HVM_HRT_BOOTING = 2, /* SIPI sent, waiting for ready */
	HVM_HRT_READY = 3,   /* HRT serves; every core's heartbeat advances */
	HVM_HRT_CRASHED = 4, /* HRT's own code faulted */
	HVM_HRT_HUNG = 5,    /* a core's heartbeat stopped, or it did not flush
			      * its TLB in time and was stopped (set by hvm.ko) */
	HVM_HRT_FAILED = 6,  /* boot failed; see hrt_error */
};

/*
 * The name of HRT state (s), as hvm.ko's sysfs "state" attribute, its log,
 * hvmctl and the tools spell it; "invalid" for a value outside the enum.
 */
static inline const char *hvm_hrt_state_name(uint32_t s)
{
	static const char *const names[] = {
		[HVM_HRT_EMPTY] = "empty",     [HVM_HRT_LOADED] = "loaded",
		[HVM_HRT_BOOTING] = "booting", [HVM_HRT_READY] = "ready",
		[HVM_HRT_CRASHED] = "crashed", [HVM_HRT_HUNG] = "hung",
		[HVM_HRT_FAILED] = "failed",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "invalid";
}

/*
 * Counters the HRT keeps in the header (relaxed increments, zeroed at each
 * HRT boot): events that cost on any host, whatever the accelerator.
 */
struct hvm_hrt_counters {
	uint64_t invocations;	  /* invocations started */
	uint64_t threads_created; /* HRT threads made by clone in process code */
	uint64_t futex_local_wakes; /* futex waiters woken by HRT threads, no Linux */
	uint64_t futex_forwarded; /* futex calls that went to Linux */
	uint64_t fwd_sleeps;	  /* forwarded-call waits that slept */
	uint64_t cr3_loads;	  /* CR3 writes for process code's contexts */
	uint64_t signals;	  /* signal handlers started on the HRT */
	uint64_t resched_ipis;	  /* wake-up IPIs between HRT cores */
	uint64_t tick_preempts; /* running threads preempted by the timer tick */
	uint64_t futex_sleeps;	/* HRT futex waits that slept */
	/* Since ABI 4: the HVM_EV_* events below, summed over all cores. */
	uint64_t pml4_syncs;	 /* HVM_EV_PML4_SYNCS */
	uint64_t tlb_flushes;	 /* HVM_EV_TLB_FLUSHES */
	uint64_t msr_writes;	 /* HVM_EV_MSR_WRITES */
	uint64_t irqs;		 /* HVM_EV_IRQS */
	uint64_t kick_ipis;	 /* HVM_EV_KICK_IPIS */
	uint64_t ros_irqs;	 /* HVM_EV_ROS_IRQS */
	uint64_t fwd_calls;	 /* HVM_EV_FWD_CALLS */
	uint64_t fwd_faults;	 /* HVM_EV_FWD_FAULTS */
	uint64_t native_threads; /* native threads made (ABI 7, hvm_api.h) */
};

/*
 * Events that cost on hardware, counted per HRT core and per invocation
 * (struct hvm_chan.ev_start/ev_run, the profile ring of hvm_prof.h).
 * cr3_loads above is HVM_EV_CR3_LOADS.
 */
enum hvm_event {
	HVM_EV_CR3_LOADS,   /* CR3 writes (process roots and the kernel's) */
	HVM_EV_PML4_SYNCS,  /* copies of a process's top-level entries */
	HVM_EV_TLB_FLUSHES, /* flush requests served, resyncs, invlpg */
	HVM_EV_MSR_WRITES,  /* wrmsr: FS base, x2APIC EOI and ICR */
	HVM_EV_IRQS,	    /* interrupts the HRT core took, but timer ticks */
	HVM_EV_KICK_IPIS,   /* of those, ROS->HRT kicks (HVM_HRT_VEC_CHAN) */
	HVM_EV_ROS_IRQS,    /* HRT->ROS interrupts (IPI or doorbell) */
	HVM_EV_FWD_CALLS,   /* system calls forwarded to Linux */
	HVM_EV_FWD_FAULTS,  /* page faults forwarded to Linux */
	HVM_EV_NR,
};

/* One stage's events; each count saturates at 65535. */
struct hvm_events {
	uint16_t n[HVM_EV_NR];
};

/*
 * The first page of the region.  hvm-run creates it before QEMU starts; the
 * fields under "guest" are written by the ROS, those under "hrt" by hvm.ko
 * and the HRT.  Single-writer fields; readers use acquire loads.
 */
struct hvm_shm_header {
	uint64_t magic;	       /* HVM_ABI_MAGIC */
	uint32_t abi_version;  /* HVM_ABI_VERSION */
	uint32_t header_size;  /* sizeof(struct hvm_shm_header) */
	uint64_t region_size;  /* bytes; a power of two */
	uint64_t bootinfo_off; /* layout, copied from the HVM_*_OFF/SIZE above */
	uint64_t bootinfo_size;
	uint64_t log_off;
	uint64_t log_size;
	uint64_t chan_off;
	uint64_t chan_size;
	uint64_t image_off;
	uint64_t image_size; /* capacity of the image slot */
	uint64_t image_len;  /* bytes of the ELF in the slot; 0 = none */
	uint64_t run_off;
	uint64_t run_size;

	/* The split as hvm-run planned it. */
	uint32_t ros_cpus;
	uint32_t hrt_cpus;
	uint64_t ros_mem_bytes;
	uint64_t trampoline_phys;
	uint32_t hrt_apic_ids[HVM_MAX_HRT_CPUS];

	/* guest: written by the ROS's /init. */
	uint32_t guest_stage;	  /* enum hvm_guest_stage */
	uint32_t guest_exit_kind; /* enum hvm_exit_kind */
	int32_t guest_exit_code;
	uint32_t guest_pad;

	/* hrt: written by hvm.ko (state, counts, error) and the HRT (heartbeat). */
	uint32_t hrt_state; /* enum hvm_hrt_state */
	uint32_t hrt_boot_count;
	int32_t hrt_error; /* negative errno of the last failed boot */
	uint32_t hrt_pad;
	uint64_t hrt_heartbeat; /* incremented by the HRT while it runs */
	uint64_t hrt_ready_tsc;

	/*
	 * Ping mailbox (added for hvm.ko, see HVM_HRT_VEC_PING_*): the driver
	 * stores a new hrt_ping_seq, then IPIs an HRT core; the HRT copies it
	 * to hrt_ping_ack (release store) before it interrupts the ROS back.
	 */
	uint64_t hrt_ping_seq; /* written by hvm.ko */
	uint64_t hrt_ping_ack; /* written by the HRT */

	struct hvm_hrt_counters hrt_counters; /* written by the HRT */

	/*
	 * Liveness of every core (ABI 4): bit n of hrt_cpus_online is set
	 * (before READY) when HRT core n (apic_ids[n]) came up; that core's
	 * timer tick (every 10 ms, interrupts on: in process code, idle, and
	 * while a thread sleeps for a forwarded reply) increments
	 * hrt_core_heartbeat[n].  hvm.ko marks a ready HRT hung when any
	 * online core's word stalls for hung_timeout_ms; hrt_heartbeat is
	 * the boot core's count, kept for display.  Zeroed by hvm.ko at boot.
	 */
	uint64_t hrt_cpus_online;
	uint64_t hrt_core_heartbeat[HVM_MAX_HRT_CPUS];

	/*
	 * Interrupt-off sections of process code (ABI 7, hvm_api.h): the
	 * TSC by which HRT core n's section must end, 0 when it has none
	 * (written by the HRT).  hvm.ko's heartbeat watch sends an NMI to a
	 * core past its deadline, which ends the section's thread: the core's
	 * own timer cannot (its interrupts are off).
	 */
	uint64_t hrt_irqoff_deadline[HVM_MAX_HRT_CPUS];
	/*
	 * NMIs hvm.ko sent to core n for it, bumped before each: the HRT
	 * takes an NMI as the watchdog's only when this moved.
	 */
	uint64_t hrt_irqoff_nmi[HVM_MAX_HRT_CPUS];
	uint64_t hrt_irqoff_ended; /* sections the HRT ended (written by it) */
	uint64_t hrt_api_objects;  /* threads, barriers, events in use */
	uint64_t hrt_native_live;  /* native threads not yet ended */
	uint64_t hrt_mem_bytes; /* HRT memory mapped in processes (2 MiB pages) */

	uint8_t reserved[4096 - 2184];
};

/* One physical range of ROS RAM, for the HRT's direct map. */
struct hvm_mem_range {
	uint64_t start;
	uint64_t size;
};

/* "HVMBOOT1" as a little-endian u64. */
#define HVM_BOOTINFO_MAGIC 0x31544f4f424d5648ull

/* hvm_bootinfo.flags */
#define HVM_BOOT_SELFTEST (1ull << 0) /* run the self-tests, report in log */

/*
 * Written by hvm.ko at HVM_BOOTINFO_OFF before it starts the first HRT core.
 *
 * Entry contract (HVM mode): the first HRT core (apic_ids[0]) enters the
 * ELF entry point in 64-bit mode, CPL 0, interrupts off, with 4-level paging
 * that maps (a) every PT_LOAD at its p_vaddr onto its load address
 * kernel_phys + (p_paddr - lowest p_paddr), (b) the whole region at
 * HVM_DIRECT_MAP_BASE + region_phys, (c) the trampoline page identity-mapped.
 * %rdi = virtual address of this record (through the direct map),
 * %rsi = HVM_BOOTINFO_MAGIC.  Until the image installs its own, hvm.ko's
 * trampoline page provides a GDT (0x08 64-bit code, 0x10 data), a TSS, a
 * small stack in %rsp (about 1 KiB; the other general registers are 0)
 * and a boot IDT for vectors 0-31 (on
 * their own stack, IST 1): an exception there is reported by hvm.ko as
 * "crashed during boot" with its vector and RIP, sets hrt_state =
 * HVM_HRT_CRASHED and halts the core.  All of it lives in the trampoline
 * page, reachable only through (c).  The driver sends INIT to all HRT
 * cores and INIT-SIPI-SIPI only to the first; the HRT starts the rest
 * itself and may overwrite the trampoline page to do so.
 */
struct hvm_bootinfo {
	uint64_t magic; /* HVM_BOOTINFO_MAGIC */
	uint32_t abi_version;
	uint32_t size; /* sizeof(struct hvm_bootinfo) */
	uint64_t flags;
	uint64_t region_phys; /* guest-physical address of BAR2 */
	uint64_t region_size;
	uint64_t kernel_phys; /* where the lowest PT_LOAD was placed */
	uint64_t kernel_end; /* physical end of the loaded image (page aligned) */
	uint64_t mem_phys;   /* free HRT memory: kernel_end .. region end */
	uint64_t mem_size;
	uint64_t tsc_khz;
	uint64_t lapic_phys;
	uint64_t trampoline_phys;
	uint64_t doorbell_phys;	 /* BAR0 + HVM_IVSHMEM_REG_DOORBELL */
	uint32_t ncpus;		 /* HRT cores, apic_ids[0] is the boot core */
	uint32_t ros_irq_vector; /* direct IPI fast path to the ROS ... */
	uint32_t ros_irq_apic_id; /* ... and the CPU it targets; 0 vector = none */
	uint32_t nr_ros_ranges;
	uint32_t apic_ids[HVM_MAX_HRT_CPUS];
	struct hvm_mem_range ros_ram[HVM_MAX_ROS_RANGES];
	char cmdline[256]; /* HRT options, NUL-terminated */
	/*
	 * Page tables below 4 GiB that identity-map the low 2 MiB (so the
	 * trampoline page), owned by hvm.ko and valid while the HRT runs: a
	 * 32-bit mov to %cr3 cannot reach tables in a region above 4 GiB, so
	 * an AP trampoline loads these, enters long mode, then its real CR3.
	 */
	uint64_t trampoline_cr3;
	uint8_t reserved[4096 - 1152];
};

/*
 * Fixed IPI vectors hvm.ko sends to HRT cores (xAPIC fixed delivery, edge).
 * The HRT installs handlers for all four on every core and EOIs them.
 *  PING_DOORBELL: hrt_ping_ack = hrt_ping_seq, then write
 *                 (HVM_PEER_GUEST << 16) | HVM_VEC_HRT_EVENT to doorbell_phys
 *                 (QEMU turns it into the ROS's MSI-X vector).
 *  PING_IPI:      hrt_ping_ack = hrt_ping_seq, then send a fixed IPI with
 *                 vector ros_irq_vector to APIC ID ros_irq_apic_id.
 *  DEBUG_HANG:    disable interrupts and spin forever (tests the HUNG path:
 *                 the core's heartbeat stops, whichever core it is).
 *  DEBUG_CRASH:   fault in the HRT's own code (ud2); the HRT's exception
 *                 handler sets hrt_state = HVM_HRT_CRASHED and halts.
 */
#define HVM_HRT_VEC_PING_DOORBELL 0xf0u
#define HVM_HRT_VEC_PING_IPI	  0xf1u
#define HVM_HRT_VEC_DEBUG_HANG	  0xf2u
#define HVM_HRT_VEC_DEBUG_CRASH	  0xf3u
/*
 * CHAN: "look at the channel area": new requests on this core's channels
 * (a halted core), ABORT ops, contexts whose flush_seq moved (TLB flush,
 * then flush_ack) or that became DEAD (end their invocations, leave them).
 * No payload: the handler rescans, so IPIs may be merged.
 */
#define HVM_HRT_VEC_CHAN	  0xf4u

/*
 * ---------------------------------------------------------------------
 * Channels (HVM_CHAN_OFF): invocation and forwarding records.
 *
 * The channel area holds a struct hvm_chan_area: one kick word per HRT
 * core, the context table, then HVM_CHAN_MAX channel records.  A channel
 * is one conversation between one ROS thread and one HRT core, owned by
 * hvm.ko's allocator (HVM_IOC_CHAN_OPEN) and mapped into the owning
 * process.  Each cache line has a single writer; a writer fills a line's
 * fields and then bumps its sequence word with a release store, the reader
 * acquires the sequence word before reading the fields.
 *
 * Invocation:
 *   ROS:  fills fn/arg/ctx/stack_top/fs_base/core_index, op = INVOKE,
 *         t_submit, then req_seq++ (release); then the core's kick count++
 *         and, if the core may be halted, an IPI (HVM_IOC_KICK).
 *   HRT:  sees req_seq != last, t_pickup; switches to the context; t_start;
 *         runs fn.  On a forwarded system call or page fault it writes
 *         nr/args, state = SYSCALL or FAULT, evt_seq++ (release) and, if
 *         flags has HVM_CHAN_F_NOTIFY, interrupts the ROS.
 *   ROS:  executes the call (or populates the page), writes reply,
 *         op = REPLY, req_seq++ (release).  The HRT resumes fn.
 *   HRT:  at the end writes result/status (and fault on a fault),
 *         t_finish, state = DONE, evt_seq++ (release), interrupts if asked.
 *   ROS:  t_seen.  A ROS that gives up (timeout, dying process) posts
 *         op = ABORT and IPIs the core; the HRT ends the invocation with
 *         status -ECANCELED.
 *
 * kick[core][] has three slots (enum hvm_kick_slot and its accessors in
 * hvm_chan.h): HVM_KICK_COUNT is the kick count (any ROS thread, atomic
 * add); HVM_KICK_BOUND is written by hvm.ko only: every open channel served
 * by that core has an index below it, so the HRT scans no further.
 * HVM_KICK_IDLE is written by the HRT: nonzero while the core's channel
 * service does not poll (it sleeps, or other HRT threads run there).  The
 * HRT stores it, fences, then rechecks the count; the ROS increments the
 * count (a locked op), then reads HVM_KICK_IDLE and sends HVM_IOC_KICK only
 * when it is set: no lost wake-up, no IPI per call.  The ROS kicks after
 * every request, replies included: a thread waiting for a reply may sleep.
 *
 * Each channel is served by one HRT thread at a time: an invocation
 * worker (one per channel, lives across invocations), or a thread that
 * offloaded code created with clone (its channel's partner is a ROS thread
 * created with it; HVM_CHAN_EXIT ends both).
 * ---------------------------------------------------------------------
 */
#define HVM_CHAN_MAX 512u
#define HVM_CTX_MAX  64u

/* hvm_chan.op */
enum hvm_chan_op {
	HVM_OP_NONE = 0,
	HVM_OP_INVOKE = 1, /* run fn(arg, core_index) in context ctx */
	HVM_OP_REPLY = 2,  /* reply to the forwarded call in nr/args */
	HVM_OP_ABORT = 3,  /* end the running invocation: -ECANCELED */
};

/* hvm_chan.state, written by the HRT */
enum hvm_chan_state {
	HVM_CHAN_IDLE = 0,
	HVM_CHAN_RUNNING = 1,
	HVM_CHAN_SYSCALL = 2, /* nr, args[0..5]: a system call to execute */
	HVM_CHAN_FAULT = 3,   /* args[0] = address, args[1] = #PF error code */
	HVM_CHAN_DONE = 4,    /* result, status (and fault) are valid */
	/*
	 * The HRT thread of this channel ended: args[0] = exit code, args[1] =
	 * signal that ended it (0: exit).  For a cloned thread the partner
	 * ends too, after set_robust_list(args[2], args[3]) when args[2] is
	 * not 0 (the HRT served the thread's own call; Linux walks the list
	 * at the partner's exit); for an invocation, the waiting thread exits
	 * (see libhvm).
	 */
	HVM_CHAN_EXIT = 5,
};

/*
 * Forwarded clone (nr = HVM_NR_CLONE): the HRT normalises clone, fork and
 * vfork to clone(args[0] = flags, args[1] = new stack, args[2] = parent
 * tid, args[3] = child tid, args[4] = tls) and puts the calling thread's
 * registers at the syscall in fault (rip = return point), its FS base,
 * MXCSR and x87 control word in cur_fs/cur_mxcsr/cur_fcw.  With
 * CLONE_THREAD the ROS answers reply = the partner's tid and reply2 = the
 * channel the new HRT thread serves (on core args[5], the HRT's suggestion,
 * when the process may use it); otherwise reply = the child's pid.
 */
#define HVM_NR_CLONE 56u

/*
 * A fault of HRT code that Linux would turn into a signal (nr =
 * HVM_NR_SIGNAL, args[0] = signal, args[1] = si_code, args[2] = si_addr):
 * the ROS answers HVM_SIGNAL_CAUGHT when the process has a handler for it
 * that may run now and has posted the signal (sig_seq), HVM_SIGNAL_FATAL
 * when the thread dies of it, HVM_SIGNAL_RETRY when another signal took
 * the channel's record first: it is posted, the HRT delivers it, and the
 * faulting instruction runs again after its handler.
 */
#define HVM_NR_SIGNAL	  1024u
#define HVM_SIGNAL_FATAL  0
#define HVM_SIGNAL_CAUGHT 1
#define HVM_SIGNAL_RETRY  2

/*
 * The mask restore of rt_sigreturn on the HRT (nr = HVM_NR_SIGRETURN,
 * args[1] = the frame's saved mask, 8 bytes): rt_sigprocmask(SIG_SETMASK,
 * args[1], NULL, 8), after which a signal already posted for the channel
 * saves and restores that mask, as Linux delivers pending signals after
 * sigreturn's.  Any other call that finds a signal posted and not yet
 * delivered is not made: the ROS answers -EINTR with the record's restart
 * set, and the call is made again after the handler (Linux would have
 * delivered the signal before the call).
 */
#define HVM_NR_SIGRETURN 1025u

/* hvm_chan.flags */
#define HVM_CHAN_F_NOTIFY    (1u << 0) /* interrupt the ROS on every event */
/*
 * Set on an invocation: no native thread of the process waits on a private
 * futex that HRT code wakes, so a wake finding no HRT waiter (and no
 * futex call of the process forwarded to Linux) ends on the HRT.
 */
#define HVM_CHAN_F_FUTEX_HRT (1u << 1)

/* What offloaded code did when it faulted (status -EFAULT etc.). */
struct hvm_fault {
	uint32_t vector; /* x86 exception vector */
	uint32_t error_code;
	uint64_t address; /* CR2 for #PF */
	uint64_t rip;
	uint64_t rsp;
	uint64_t rflags;
	uint64_t regs[16]; /* rax rbx rcx rdx rsi rdi rbp r8..r15 (rsp slot = rsp) */
};

/*
 * The signal Linux sends for x86 exception (vector) in process code: what
 * an HRT thread that faults dies of, and what hrt-exec reports.
 */
static inline int hvm_fault_signal(uint32_t vector)
{
	switch (vector) {
	case 0:		  /* #DE */
	case 16:	  /* #MF */
	case 19:	  /* #XM */
		return 8; /* SIGFPE */
	case 1:		  /* #DB */
	case 3:		  /* #BP */
		return 5; /* SIGTRAP */
	case 6:		  /* #UD */
		return 4; /* SIGILL */
	case 17:	  /* #AC */
		return 7; /* SIGBUS */
	default:
		return 11; /* SIGSEGV */
	}
}

/*
 * The reply to an HVM_CHAN_FAULT: HVM_FAULT_OK when Linux populated the
 * page, else what Linux itself would do to the thread that made the
 * access, which the HRT then does to the HRT thread (a negative errno, so
 * a reply stays "0 or -errno" like every other):
 *   HVM_FAULT_MAPERR  no mapping there: SIGSEGV, SEGV_MAPERR
 *   HVM_FAULT_ACCERR  the mapping forbids the access: SIGSEGV, SEGV_ACCERR
 *   HVM_FAULT_BUS     the mapping has no page there (past the end of its
 *                     file, a truncated shmem): SIGBUS, BUS_ADRERR
 *   HVM_FAULT_POISON  a poisoned page: SIGBUS, BUS_MCEERR_AR
 *   HVM_FAULT_AGAIN   interrupted before it was done: try the access again
 */
enum hvm_fault_reply {
	HVM_FAULT_OK = 0,
	HVM_FAULT_AGAIN = -4,	 /* -EINTR */
	HVM_FAULT_MAPERR = -12,	 /* -ENOMEM */
	HVM_FAULT_ACCERR = -13,	 /* -EACCES */
	HVM_FAULT_BUS = -14,	 /* -EFAULT */
	HVM_FAULT_POISON = -133, /* -EHWPOISON */
};

/*
 * The signal for a refused fault (reply), and its si_code in (*code):
 * Linux's numbers (asm-generic/siginfo.h).
 */
static inline int hvm_fault_reply_signal(int64_t reply, int32_t *code)
{
	switch (reply) {
	case HVM_FAULT_MAPERR:
		*code = 1; /* SEGV_MAPERR */
		return 11;
	case HVM_FAULT_BUS:
		*code = 2; /* BUS_ADRERR */
		return 7;
	case HVM_FAULT_POISON:
		*code = 4; /* BUS_MCEERR_AR */
		return 7;
	default:
		*code = 2; /* SEGV_ACCERR */
		return 11;
	}
}

struct hvm_chan {
	/* Line 0-1: written by the ROS. */
	uint64_t req_seq;
	uint32_t op;	/* enum hvm_chan_op */
	uint32_t flags; /* HVM_CHAN_F_* */
	uint64_t fn;	/* user virtual address */
	uint64_t arg;
	uint64_t core_index; /* second argument of fn */
	uint64_t stack_top;  /* user virtual address, 16-byte aligned */
	uint64_t fs_base;
	uint32_t ctx;	   /* context table index */
	uint32_t core;	   /* HRT core index that serves this channel */
	int64_t reply;	   /* result of the forwarded call */
	uint64_t t_submit; /* TSC, ROS side */
	uint64_t t_seen;   /* TSC, ROS side: completion seen */
	uint32_t mxcsr;	   /* the caller's MXCSR, fn starts with it */
	uint32_t fcw;	   /* the caller's x87 control word */
	int64_t reply2;	   /* second result (HVM_NR_CLONE: new channel) */
	/*
	 * A signal for the channel's HRT thread: the ROS fills the
	 * struct hvm_sigdesc at sig_desc (process memory), then bumps sig_seq
	 * (release); the HRT delivers it and stores sig_seq in sig_ack.
	 */
	uint64_t sig_seq;
	uint64_t sig_desc; /* user virtual address of a struct hvm_sigdesc */
	uint64_t ros_pad[1];

	/* Line 2-3: written by the HRT. */
	uint64_t evt_seq;
	uint32_t state;	       /* enum hvm_chan_state */
	int32_t status;	       /* 0 or negative errno of the invocation */
	uint64_t result;       /* fn's return value */
	uint64_t nr;	       /* forwarded system call number */
	uint64_t args[6];      /* its arguments, or fault address/error code */
	uint64_t t_pickup;     /* TSC: request seen */
	uint64_t t_start;      /* TSC: fn entered */
	uint64_t t_finish;     /* TSC: fn returned or faulted */
	uint64_t nr_forwarded; /* calls/faults forwarded in this invocation */
	uint64_t fwd_cycles;   /* TSC cycles spent waiting on the ROS */
	/*
	 * Nonzero while the HRT thread sleeps for a reply: the ROS kicks the
	 * core after replying (the HRT stores this, fences, rechecks req_seq).
	 */
	uint64_t hrt_sleeping;

	/* Line 4-6: written by the HRT, valid when state is DONE. */
	struct hvm_fault fault;
	uint64_t cur_fs;    /* HVM_NR_CLONE: the calling thread's FS base */
	uint32_t cur_mxcsr; /* ... its MXCSR and x87 control word */
	uint32_t cur_fcw;
	uint64_t sig_ack; /* the last sig_seq delivered */

	/*
	 * Line 7 (ABI 4): written by hvm.ko when it opens the channel: the
	 * HRT boot (hrt_boot_count) it belongs to and req_seq at the open;
	 * open_boot is 0 while hvm.ko rewrites the line.  The HRT takes an
	 * INVOKE only on a channel of its own boot posted after the open.  A
	 * request posted on a channel of an earlier boot (its poster has been
	 * told -ECANCELED and may have closed it; a new owner may have it
	 * now) is dropped: run, it would wait for replies nobody sends and
	 * swallow the new owner's request, or end the new owner's call with
	 * its own status.
	 */
	uint64_t open_seq;
	uint32_t open_boot;
	uint32_t open_pad;
	uint64_t ros_pad2[6];

	/*
	 * Line 8 (ABI 4): written by the HRT, valid with DONE: the events of
	 * the invocation's core from t_pickup to t_start (context load) and
	 * from t_start to DONE (run, forwarded calls; not DONE's own
	 * interrupt, sent after DONE is published).
	 */
	struct hvm_events ev_start;
	struct hvm_events ev_run;
	uint8_t hrt_pad[28];
};

/*
 * A signal to deliver to HRT code, in process memory (written by the ROS
 * before it bumps hvm_chan.sig_seq, read by the HRT).  The handler and its
 * frame follow the Linux x86-64 signal ABI.
 */
struct hvm_sigdesc {
	uint32_t signo;
	uint32_t restart;  /* 1: the interrupted call is re-issued after it */
	uint64_t handler;  /* sa_handler / sa_sigaction */
	uint64_t flags;	   /* sa_flags (SA_SIGINFO, SA_ONSTACK, ...) */
	uint64_t restorer; /* sa_restorer: the handler's return address */
	uint64_t mask;	   /* the signal mask rt_sigreturn restores */
	uint64_t ss_sp;	   /* the thread's sigaltstack */
	uint64_t ss_size;
	uint32_t ss_flags;
	uint32_t pad;
	uint8_t info[128]; /* siginfo_t */
};

/* hvm_ctx.state */
enum hvm_ctx_state {
	HVM_CTX_FREE = 0,
	HVM_CTX_BOUND = 1, /* pgd_phys valid: invocations may run */
	HVM_CTX_DEAD = 2,  /* process gone: running invocations abort */
};

/*
 * A merged-address-space context: the ROS process's top-level page table.
 * Written by hvm.ko; the HRT copies the lower 256 entries of pgd_phys into
 * its context root (and again when a forwarded fault finds one missing).
 * TLB coherence: before Linux frees or reuses pages hvm.ko bumps flush_seq
 * and waits (bounded) until every HRT core that may cache the context has
 * flushed and stored flush_seq into its flush_ack[core].
 */
struct hvm_ctx {
	uint64_t pgd_phys;
	uint32_t state; /* enum hvm_ctx_state */
	uint32_t gen;	/* bumped on every bind of this slot */
	uint64_t flush_seq;
	/*
	 * Written by the HRT (atomic or/and): bit n set while HRT core n has
	 * this context's root loaded.  A clear bit means that core holds no
	 * TLB entries of it (leaving reloads CR3), so hvm.ko need not wait.
	 */
	uint64_t hrt_active;
	/*
	 * Written by hvm.ko at bind: the bound process's PID as it sees it
	 * (what getpid returns there; nothing changes it for the life of the
	 * binding).  0: not known, and the HRT forwards getpid.
	 */
	uint32_t tgid;
	uint32_t pad32;
	uint64_t pad[3];
	uint64_t flush_ack[HVM_MAX_HRT_CPUS];
};

struct hvm_chan_area {
	uint64_t kick[HVM_MAX_HRT_CPUS][8]; /* one cache line per HRT core */
	struct hvm_ctx ctx[HVM_CTX_MAX];
	struct hvm_chan chan[HVM_CHAN_MAX];
};

/*
 * Log ring at HVM_LOG_OFF.  One writer (the HRT, under its log lock) stores
 * bytes at data[head % size] and then publishes head with a release store;
 * readers keep their own position and detect overrun by head - pos > size.
 */
struct hvm_log {
	uint64_t head; /* total bytes ever written */
	uint64_t size; /* bytes in data[] */
	uint64_t reserved[6];
	char data[];
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L

_Static_assert(sizeof(struct hvm_shm_header) == 4096, "header is one page");
_Static_assert(sizeof(struct hvm_bootinfo) == 4096, "bootinfo is one page");
_Static_assert(sizeof(struct hvm_log) == 64, "log header is a cache line");
_Static_assert(sizeof(struct hvm_hrt_counters) == 152, "counters layout");
_Static_assert(sizeof(struct hvm_events) == 18, "event counts layout");
_Static_assert(sizeof(struct hvm_abi_note) == 20, "ELF note layout");
_Static_assert(sizeof(struct hvm_chan) == 576, "a channel is 9 cache lines");
_Static_assert(sizeof(struct hvm_ctx) % 64 == 0,
	       "contexts are cache-line sized");
_Static_assert(sizeof(struct hvm_chan_area) <= HVM_CHAN_SIZE, "channels fit");
#endif

#endif /* HVM_ABI_H */
