/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_prof.h - the profile ring file libhvm appends to when HVM_PROF names it. */
#ifndef HVM_PROF_H
#define HVM_PROF_H

/*
 * Shared by libhvm (the writer) and hvm-prof (the reader); only fixed-width
 * types so both halves agree byte for byte, with static size checks.
 *
 * The file is a header page followed by (capacity) records of rec_size
 * bytes.  Writers, possibly several threads of several processes mapping
 * the same file, reserve a slot with an atomic add on head: record number
 * i lives in slot i % capacity, so the ring overwrites the oldest records
 * when full and head - capacity of them are lost.  A writer stores commit =
 * 0, fills the record, then stores commit = i + 1 with release order; a
 * reader takes a slot only if its commit matches, which rejects records
 * that were half written or that belong to another lap.
 *
 * Record fields mirror struct prof_call and struct prof_fwd of
 * tools/profile.h; times are raw TSC values, tsc_khz converts them.
 *
 * Version 2 added the events of each call (struct hvm_events, hvm_abi.h)
 * by stage: the HRT's from the channel, libhvm's own beside them.
 */
#include "hvm_abi.h"

/* "HVMPROF1" read as a little-endian u64. */
#define PROF_RING_MAGIC		  0x31464f52504d5648ull
#define PROF_RING_VERSION	  2u
#define PROF_RING_HDR_SIZE	  4096u
#define PROF_RING_DEFAULT_RECORDS 65536u
#define PROF_RING_MAX_RECORDS	  (1u << 24)

/* Environment: the ring file (profiling is off without it), its capacity. */
#define PROF_ENV_FILE	 "HVM_PROF"
#define PROF_ENV_RECORDS "HVM_PROF_RECORDS"

struct prof_ring_hdr {
	uint64_t magic;	      /* PROF_RING_MAGIC, stored last at creation */
	uint32_t version;     /* PROF_RING_VERSION */
	uint32_t hdr_size;    /* PROF_RING_HDR_SIZE: records start here */
	uint32_t rec_size;    /* sizeof(struct prof_ring_rec) */
	uint32_t capacity;    /* records in the file */
	uint64_t tsc_khz;     /* from hvm.ko, for TSC -> ns */
	uint64_t head;	      /* records ever reserved (atomic add) */
	uint64_t next_id;     /* invocation ids (atomic add), from 1 */
	uint64_t creator_pid; /* the process that created the file */
	uint8_t reserved[PROF_RING_HDR_SIZE - 56];
};

enum prof_rec_type {
	PROF_REC_NONE = 0,
	PROF_REC_CALL = 1, /* one finished invocation */
	PROF_REC_FWD = 2,  /* one forwarded system call or page fault */
};

/* nr of a forwarded page fault (a system call number otherwise). */
#define PROF_FWD_FAULT (~0ull)

struct prof_ring_call {
	uint64_t id;
	uint32_t ros_tid;
	uint32_t hrt_core;
	uint64_t t_submit;
	uint64_t t_pickup;
	uint64_t t_start;
	uint64_t t_finish;
	uint64_t t_seen;
	int32_t status;
	uint32_t nr_forwarded;
	/* Version 2: the HRT's events, from the channel (hvm_chan.ev_*). */
	struct hvm_events ev_start; /* t_pickup .. t_start */
	struct hvm_events ev_run;   /* t_start .. DONE */
	/* libhvm's side; each saturates at 65535. */
	uint16_t kick_ipis_submit; /* HVM_IOC_KICK for the request: 0 or 1 */
	uint16_t kick_ipis_run;	   /* HVM_IOC_KICK after replies */
	uint16_t sleeps_run;	   /* waits for a forwarded call that slept */
	uint16_t sleeps_seen;	   /* waits for DONE that slept */
	uint16_t ros_irq_seen;	   /* 1: DONE came with an interrupt */
	uint16_t pad;
};

struct prof_ring_fwd {
	uint64_t call_id;
	uint64_t nr;
	uint64_t t_seen;  /* ROS: forwarded request seen */
	uint64_t t_reply; /* ROS: reply posted */
	uint32_t ros_tid;
	uint32_t hrt_core;
};

/* Two cache lines, aligned, so concurrent writers never share a line. */
struct prof_ring_rec {
	uint64_t commit; /* record number + 1 once complete; 0 while written */
	uint32_t type;	 /* enum prof_rec_type */
	uint32_t pad;
	union {
		struct prof_ring_call call;
		struct prof_ring_fwd fwd;
		uint8_t bytes[112];
	};
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct prof_ring_hdr) == PROF_RING_HDR_SIZE,
	       "ring header is one page");
_Static_assert(sizeof(struct prof_ring_call) == 112, "call record layout");
_Static_assert(sizeof(struct prof_ring_rec) == 128, "records are 2 lines");
#endif

#endif /* HVM_PROF_H */
