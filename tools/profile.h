/* SPDX-License-Identifier: MIT */
/* profile.h - offload-latency profiles: stage statistics, CSV/JSON and Chrome traces. */
#ifndef HVM_PROFILE_H
#define HVM_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvm_abi.h"
#include "stats.h"

enum prof_stage {
	PROF_SUBMIT_TO_PICKUP,
	PROF_PICKUP_TO_START,
	PROF_RUN,
	PROF_FINISH_TO_SEEN,
	PROF_TOTAL,
	PROF_FORWARD, /* each forwarded call's ROS-side round trip */
	PROF_NR_STAGES,
};

/* Events counted per call: the HRT's (enum hvm_event), then libhvm's. */
enum prof_event {
	PROF_EV_KICKS_SENT = HVM_EV_NR, /* libhvm: kick IPIs (HVM_IOC_KICK) */
	PROF_EV_ROS_SLEEPS,		/* libhvm: waits that slept */
	PROF_NR_EVENTS,
};

extern const char *const prof_event_names[PROF_NR_EVENTS];

/*
 * One invocation as libhvm recorded it: the channel's timestamps (TSC) and
 * where it ran.  Forwarded calls of an invocation are separate records.
 */
struct prof_call {
	uint64_t id;	   /* invocation number, unique per profile */
	uint32_t ros_tid;  /* ROS thread that waited for it */
	uint32_t hrt_core; /* HRT core that ran it */
	uint64_t t_submit; /* ROS: request posted */
	uint64_t t_pickup; /* HRT: request seen */
	uint64_t t_start;  /* HRT: fn entered */
	uint64_t t_finish; /* HRT: fn returned */
	uint64_t t_seen;   /* ROS: completion seen */
	int32_t status;
	uint32_t nr_forwarded;
	/* Events by stage, submit_to_pickup .. finish_to_seen. */
	uint32_t ev[PROF_TOTAL][PROF_NR_EVENTS];
};

/* One forwarded system call or page fault, timed on the ROS side. */
struct prof_fwd {
	uint64_t call_id; /* the prof_call it belongs to */
	uint64_t nr;	  /* system call number, or ~0 for a page fault */
	uint64_t t_seen;  /* ROS: forwarded request seen */
	uint64_t t_reply; /* ROS: reply posted */
};

extern const char *const prof_stage_names[PROF_NR_STAGES];

struct profile {
	uint64_t tsc_khz;
	struct stats_summary stage[PROF_NR_STAGES];
	uint64_t *samples[PROF_NR_STAGES]; /* sorted, in ns */
	size_t nsamples[PROF_NR_STAGES];
	size_t calls, bad_calls; /* bad: timestamps out of order, skipped */
	/* Events of the calls kept, by stage (total: all stages). */
	uint64_t ev_sum[PROF_TOTAL + 1][PROF_NR_EVENTS];
	uint32_t ev_max[PROF_TOTAL + 1][PROF_NR_EVENTS];
};

/*
 * Builds (p) from (ncalls) calls and (nfwd) forwarded calls, converting TSC
 * deltas to ns with (tsc_khz).  Returns 0, -EINVAL (tsc_khz 0, no calls)
 * or -ENOMEM.  profile_free() releases it.
 */
int profile_build(struct profile *p, const struct prof_call *calls,
		  size_t ncalls, const struct prof_fwd *fwd, size_t nfwd,
		  uint64_t tsc_khz);
void profile_free(struct profile *p);

/* Mean events per call of (stage) (<= PROF_TOTAL); 0 without calls. */
double profile_ev_mean(const struct profile *p, int stage, int ev);

/* Human-readable table plus a histogram per stage. */
void profile_print_text(const struct profile *p, FILE *out);
/*
 * One CSV row per stage: stage,count,min,p50,p90,p99,max,mean (ns), then
 * the mean of each event per call (empty for forward).
 */
void profile_print_csv(const struct profile *p, FILE *out);
/* The same as one JSON object, histograms included (see docs). */
void profile_print_json(const struct profile *p, FILE *out);

/*
 * Chrome trace-event JSON (Perfetto opens it): one track per HRT core and
 * per ROS thread, an "invoke" slice per call on both, "run" nested in the
 * HRT slice, forwarded calls nested in "run".  Timestamps in us from the
 * first submit.  Returns the number of events written.
 */
size_t profile_write_trace(const struct prof_call *calls, size_t ncalls,
			   const struct prof_fwd *fwd, size_t nfwd,
			   uint64_t tsc_khz, FILE *out);

#endif
