/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_uapi.h - the /dev/hvm ioctl interface of hvm.ko, shared by the driver, libhvm, tools and tests. */
#ifndef HVM_UAPI_H
#define HVM_UAPI_H

/*
 * Self-contained in the style of <linux/pcitest.h>: only <linux/types.h>,
 * <linux/ioctl.h> and the shared ABI header.  Every structure has explicit
 * padding and reserved fields that must be zero, so it can grow without a new
 * ioctl number; HVM_ABI_VERSION (in hvm_abi.h) versions the whole interface
 * and HVM_IOC_INFO reports the driver's value.
 */
#include <linux/types.h>
#include <linux/ioctl.h>
#include "hvm_abi.h"

#define HVM_DEV_PATH  "/dev/hvm"
#define HVM_IOC_MAGIC 0xE8

#define HVM_CMDLINE_MAX	 256u
#define HVM_LOG_READ_MAX (64u << 10) /* bytes per HVM_IOC_LOG_READ */

/* hvm_info.flags */
#define HVM_INFO_MSIX	    (1u << 0) /* MSI-X from the doorbell works */
#define HVM_INFO_DIRECT_IPI (1u << 1) /* HRT may IPI ros_irq_vector */

/* HVM_IOC_INFO: static facts and current state. */
struct hvm_info {
	__u32 abi_version; /* HVM_ABI_VERSION of the driver */
	__u32 state;	   /* enum hvm_hrt_state */
	__u32 boot_count;  /* boots attempted since the region was created */
	__s32 last_error;  /* negative errno of the last failed boot, or 0 */
	__u32 ros_cpus;	   /* CPUs Linux has online */
	__u32 hrt_cpus;	   /* HRT cores */
	__u32 flags;	   /* HVM_INFO_* */
	__u32 irq_vector;  /* ROS vector of the HRT-event MSI-X entry, 0 none */
	__u32 irq_apic_id; /* ... and the APIC ID of the CPU it targets */
	__u32 reserved0;
	__u32 hrt_apic_ids[HVM_MAX_HRT_CPUS];
	__u32 hrt_linux_cpus[HVM_MAX_HRT_CPUS]; /* Linux CPU numbers (offline) */
	__u64 region_phys;			/* BAR2 */
	__u64 region_size;
	__u64 kernel_phys; /* loaded HRT image */
	__u64 kernel_end;
	__u64 mem_phys; /* HRT free memory */
	__u64 mem_size;
	__u64 image_len;  /* bytes of the ELF in the image slot */
	__u64 image_size; /* capacity of the slot (HVM_IOC_LOAD limit) */
	__u64 heartbeat;
	__u64 tsc_khz;
	__u64 reserved[8];
};

/* hvm_boot.flags */
#define HVM_BOOTF_SELFTEST (1ull << 0) /* sets HVM_BOOT_SELFTEST in bootinfo */
#define HVM_BOOTF_ALL	   HVM_BOOTF_SELFTEST

/*
 * HVM_IOC_BOOT boots an HRT that is not running (-EBUSY if it is booting,
 * ready or hung); HVM_IOC_REBOOT first stops it, from any state.  Both
 * return when the HRT reports ready (0), fails (its error) or the timeout
 * passes (-ETIMEDOUT).
 */
struct hvm_boot {
	__u64 flags;	  /* HVM_BOOTF_* */
	__u32 timeout_ms; /* 0 = module parameter boot_timeout_ms */
	__u32 reserved0;
	__u64 boot_ns; /* out: from the request to hrt_state == READY */
	__u64 reserved[4];
	char cmdline[HVM_CMDLINE_MAX]; /* NUL-terminated; "" = module default */
};

/* HVM_IOC_LOAD: replace the image in the slot (validated like the boot). */
struct hvm_load {
	__u64 addr;  /* user pointer to the ELF bytes */
	__u64 len;   /* 1 .. hvm_info.image_size */
	__u64 flags; /* 0 */
	__u64 reserved[2];
};

/* HVM_IOC_LOG_READ: copy HRT log bytes starting at stream position pos. */
struct hvm_log_read {
	__u64 pos;    /* in: where to start; out: position after the copy */
	__u64 buf;    /* user buffer */
	__u32 len;    /* its size, at most HVM_LOG_READ_MAX */
	__u32 copied; /* out */
	__u64 head;   /* out: total bytes the HRT has written */
	__u64 lost;   /* out: bytes overwritten before they could be read */
	__u64 reserved[2];
};

/* hvm_ping.mode: how the HRT answers. */
#define HVM_PING_DOORBELL 0u /* ivshmem doorbell -> MSI-X */
#define HVM_PING_IPI	  1u /* direct IPI to the MSI-X vector and CPU */

/* HVM_IOC_PING: IPI an HRT core, wait for its interrupt back. */
struct hvm_ping {
	__u32 mode;	  /* HVM_PING_* */
	__u32 hrt_cpu;	  /* index into the HRT cores */
	__u32 timeout_ms; /* 0 = 1000 */
	__u32 reserved0;
	__u64 rtt_ns; /* out: IPI sent -> ROS interrupt handler saw the ack */
	__u64 reserved[2];
};

/* HVM_IOC_DEBUG ops: make the HRT misbehave on purpose, for tests. */
#define HVM_DEBUG_HANG	1u /* spin with interrupts off */
#define HVM_DEBUG_CRASH 2u /* fault in HRT code */

struct hvm_debug {
	__u32 op;
	__u32 hrt_cpu;
	__u64 reserved[2];
};

struct hvm_stats {
	__u64 boots; /* boot attempts by this driver instance */
	__u64 boot_failures;
	__u64 reboots;
	__u64 loads; /* images accepted by HVM_IOC_LOAD */
	__u64 load_rejects;
	__u64 last_boot_ns;
	__u64 min_boot_ns;
	__u64 max_boot_ns;
	__u64 irqs[HVM_NR_VECTORS]; /* interrupts per doorbell vector */
	__u64 events;		    /* interrupts + state changes (poll/read) */
	__u64 pings;
	__u64 ping_timeouts;
	__u64 last_ping_ns;
	__u64 hung_detected;
	__u64 crashes_seen;
	__u64 heartbeat;
	struct hvm_hrt_counters hrt; /* the HRT's own, since its last boot */
	/* ABI 7, the aerokernel API (hvm_api.h), now: */
	__u64 api_objects;   /* native threads, barriers, events in use */
	__u64 native_live;   /* native threads not yet ended */
	__u64 irqoff_ended;  /* interrupt-off sections the watchdog ended */
	__u64 irqoff_nmis;   /* NMIs it sent for them, all cores */
	__u64 hrt_mem_bytes; /* HRT memory mapped in processes, 2 MiB pages */
};

/*
 * HVM_IOC_BIND binds the calling process's address space to a context slot
 * (struct hvm_ctx in the channel area) for as long as this file is open or
 * until HVM_IOC_UNBIND; one binding per open file (-EBUSY otherwise).
 */
struct hvm_bind {
	__u32 flags;	/* in: 0 */
	__u32 ctx;	/* out: context index for hvm_chan.ctx */
	__u32 gen;	/* out: generation of the slot */
	__u32 hrt_cpus; /* out: HRT cores */
	__u64 pgd_phys; /* out: the root the HRT merges (user copy under PTI) */
	__u64 reserved[4];
};

/*
 * HVM_IOC_CHAN_OPEN allocates a channel served by HRT core (core), owned by
 * this file until HVM_IOC_CHAN_CLOSE or close.  Its record is at
 * chan[index] of the channel area, which mmap(2) of /dev/hvm at offset 0
 * (length up to HVM_CHAN_SIZE, MAP_SHARED) maps.  The sequence words keep
 * counting across owners: read req_seq/evt_seq before the first use.
 */
struct hvm_chan_open {
	__u32 core;  /* in: HRT core index */
	__u32 index; /* out */
	__u64 reserved[2];
};

/* HVM_IOC_CHAN_CLOSE: index of a channel of this file; reserved zero. */
struct hvm_chan_ref {
	__u32 index;
	__u32 reserved;
};

/* HVM_IOC_KICK: IPI HRT core (core) so a halted core looks at its channels. */
struct hvm_kick {
	__u32 core;
	__u32 reserved;
};

/*
 * HVM_IOC_CHAN_WAIT sleeps until evt_seq of channel (index) differs from
 * (seen) or (timeout_ms) passes (0: do not sleep, just check).  Returns 0
 * with (events) = evt_seq, -ETIMEDOUT, -EINTR, or -ECANCELED when the HRT
 * is not ready or rebooted since the channel was opened.  Set
 * HVM_CHAN_F_NOTIFY in the channel's flags first, or nothing wakes you.
 */
struct hvm_chan_wait {
	__u32 index;
	__u32 timeout_ms; /* at most 600000 */
	__u64 seen;
	__u64 events; /* out */
	__u64 reserved[2];
};

#define HVM_IOC_INFO	   _IOR(HVM_IOC_MAGIC, 0x00, struct hvm_info)
#define HVM_IOC_BOOT	   _IOWR(HVM_IOC_MAGIC, 0x01, struct hvm_boot)
#define HVM_IOC_REBOOT	   _IOWR(HVM_IOC_MAGIC, 0x02, struct hvm_boot)
#define HVM_IOC_STOP	   _IO(HVM_IOC_MAGIC, 0x03)
#define HVM_IOC_LOAD	   _IOW(HVM_IOC_MAGIC, 0x04, struct hvm_load)
#define HVM_IOC_LOG_READ   _IOWR(HVM_IOC_MAGIC, 0x05, struct hvm_log_read)
#define HVM_IOC_STATS	   _IOR(HVM_IOC_MAGIC, 0x06, struct hvm_stats)
#define HVM_IOC_PING	   _IOWR(HVM_IOC_MAGIC, 0x07, struct hvm_ping)
#define HVM_IOC_DEBUG	   _IOW(HVM_IOC_MAGIC, 0x08, struct hvm_debug)
#define HVM_IOC_BIND	   _IOWR(HVM_IOC_MAGIC, 0x09, struct hvm_bind)
#define HVM_IOC_UNBIND	   _IO(HVM_IOC_MAGIC, 0x0a)
#define HVM_IOC_CHAN_OPEN  _IOWR(HVM_IOC_MAGIC, 0x0b, struct hvm_chan_open)
#define HVM_IOC_CHAN_CLOSE _IOW(HVM_IOC_MAGIC, 0x0c, struct hvm_chan_ref)
#define HVM_IOC_KICK	   _IOW(HVM_IOC_MAGIC, 0x0d, struct hvm_kick)
#define HVM_IOC_CHAN_WAIT  _IOWR(HVM_IOC_MAGIC, 0x0e, struct hvm_chan_wait)

/*
 * read(2) on /dev/hvm returns one __u64: the event counter (HRT interrupts
 * and state changes).  It blocks until the counter moves past the value this
 * file last read (unless O_NONBLOCK); poll(2) reports POLLIN when it has.
 */

#endif /* HVM_UAPI_H */
