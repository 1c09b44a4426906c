// SPDX-License-Identifier: MIT
/* profile.c - turns channel timestamps into stage statistics and traces. */
#include "profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const prof_stage_names[PROF_NR_STAGES] = {
	"submit_to_pickup", "pickup_to_start", "run",
	"finish_to_seen",   "total",	       "forward",
};

const char *const prof_event_names[PROF_NR_EVENTS] = {
	[HVM_EV_CR3_LOADS] = "cr3_loads",
	[HVM_EV_PML4_SYNCS] = "pml4_syncs",
	[HVM_EV_TLB_FLUSHES] = "tlb_flushes",
	[HVM_EV_MSR_WRITES] = "msr_writes",
	[HVM_EV_IRQS] = "hrt_irqs",
	[HVM_EV_KICK_IPIS] = "kicks_taken",
	[HVM_EV_ROS_IRQS] = "ros_irqs",
	[HVM_EV_FWD_CALLS] = "fwd_calls",
	[HVM_EV_FWD_FAULTS] = "fwd_faults",
	[PROF_EV_KICKS_SENT] = "kicks_sent",
	[PROF_EV_ROS_SLEEPS] = "ros_sleeps",
};

/* Column headers of the text report, same order. */
static const char *const prof_event_short[PROF_NR_EVENTS] = {
	"cr3",	  "pml4",    "tlb",    "msr",	   "irq",   "kick_in",
	"rosirq", "fwd_sys", "fwd_pf", "kick_out", "sleep",
};

double profile_ev_mean(const struct profile *p, int stage, int ev)
{
	return p->calls ? (double)p->ev_sum[stage][ev] / (double)p->calls : 0;
}

static void profile_add_events(struct profile *p, const struct prof_call *c)
{
	uint32_t tot[PROF_NR_EVENTS] = { 0 };
	int s, e;

	for (s = 0; s < PROF_TOTAL; s++)
		for (e = 0; e < PROF_NR_EVENTS; e++) {
			uint32_t v = c->ev[s][e];

			p->ev_sum[s][e] += v;
			if (v > p->ev_max[s][e])
				p->ev_max[s][e] = v;
			tot[e] += v;
		}
	for (e = 0; e < PROF_NR_EVENTS; e++) {
		p->ev_sum[PROF_TOTAL][e] += tot[e];
		if (tot[e] > p->ev_max[PROF_TOTAL][e])
			p->ev_max[PROF_TOTAL][e] = tot[e];
	}
}

static uint64_t tsc_ns(uint64_t cycles, uint64_t tsc_khz)
{
	/* cycles * 1e6 / khz without overflow for realistic spans */
	return (uint64_t)((unsigned __int128)cycles * 1000000u / tsc_khz);
}

static int call_ok(const struct prof_call *c)
{
	return c->t_submit <= c->t_pickup && c->t_pickup <= c->t_start &&
	       c->t_start <= c->t_finish && c->t_finish <= c->t_seen;
}

int profile_build(struct profile *p, const struct prof_call *calls,
		  size_t ncalls, const struct prof_fwd *fwd, size_t nfwd,
		  uint64_t tsc_khz)
{
	size_t i, s;

	memset(p, 0, sizeof(*p));
	if (!tsc_khz || !ncalls)
		return -EINVAL;
	p->tsc_khz = tsc_khz;
	for (s = 0; s < PROF_NR_STAGES; s++) {
		p->samples[s] =
			calloc(s == PROF_FORWARD ? (nfwd ? nfwd : 1) : ncalls,
			       sizeof(uint64_t));
		if (!p->samples[s]) {
			profile_free(p);
			return -ENOMEM;
		}
	}
	for (i = 0; i < ncalls; i++) {
		const struct prof_call *c = &calls[i];
		size_t k = p->calls;

		if (!call_ok(c)) {
			p->bad_calls++;
			continue;
		}
		p->samples[PROF_SUBMIT_TO_PICKUP][k] =
			tsc_ns(c->t_pickup - c->t_submit, tsc_khz);
		p->samples[PROF_PICKUP_TO_START][k] =
			tsc_ns(c->t_start - c->t_pickup, tsc_khz);
		p->samples[PROF_RUN][k] =
			tsc_ns(c->t_finish - c->t_start, tsc_khz);
		p->samples[PROF_FINISH_TO_SEEN][k] =
			tsc_ns(c->t_seen - c->t_finish, tsc_khz);
		p->samples[PROF_TOTAL][k] =
			tsc_ns(c->t_seen - c->t_submit, tsc_khz);
		profile_add_events(p, c);
		p->calls++;
	}
	for (i = 0; i < nfwd; i++)
		if (fwd[i].t_reply >= fwd[i].t_seen)
			p->samples[PROF_FORWARD][p->nsamples[PROF_FORWARD]++] =
				tsc_ns(fwd[i].t_reply - fwd[i].t_seen, tsc_khz);
	if (!p->calls) {
		profile_free(p);
		return -EINVAL;
	}
	for (s = 0; s < PROF_NR_STAGES; s++) {
		if (s != PROF_FORWARD)
			p->nsamples[s] = p->calls;
		if (p->nsamples[s])
			stats_summarize(p->samples[s], p->nsamples[s],
					&p->stage[s]);
	}
	return 0;
}

void profile_free(struct profile *p)
{
	size_t s;

	for (s = 0; s < PROF_NR_STAGES; s++) {
		free(p->samples[s]);
		p->samples[s] = NULL;
		p->nsamples[s] = 0;
	}
}

void profile_print_text(const struct profile *p, FILE *out)
{
	size_t s;
	int e;

	fprintf(out, "%zu calls (%zu skipped: timestamps out of order), ns:\n",
		p->calls, p->bad_calls);
	fprintf(out, "%-18s %8s %10s %10s %10s %10s %10s\n", "stage", "count",
		"min", "p50", "p90", "p99", "max");
	for (s = 0; s < PROF_NR_STAGES; s++) {
		const struct stats_summary *st = &p->stage[s];

		if (!p->nsamples[s])
			continue;
		fprintf(out, "%-18s %8zu %10llu %10llu %10llu %10llu %10llu\n",
			prof_stage_names[s], st->count,
			(unsigned long long)st->min,
			(unsigned long long)st->p50,
			(unsigned long long)st->p90,
			(unsigned long long)st->p99,
			(unsigned long long)st->max);
	}
	fprintf(out, "\nevents per call (mean; max in the JSON):\n%-18s",
		"stage");
	for (e = 0; e < PROF_NR_EVENTS; e++)
		fprintf(out, " %8s", prof_event_short[e]);
	fputc('\n', out);
	for (s = 0; s <= PROF_TOTAL; s++) {
		fprintf(out, "%-18s", prof_stage_names[s]);
		for (e = 0; e < PROF_NR_EVENTS; e++)
			fprintf(out, " %8.2f", profile_ev_mean(p, (int)s, e));
		fputc('\n', out);
	}
	for (s = 0; s < PROF_NR_STAGES; s++) {
		if (!p->nsamples[s])
			continue;
		fprintf(out, "\n%s (ns):\n", prof_stage_names[s]);
		stats_histogram(p->samples[s], p->nsamples[s], 40, out);
	}
}

void profile_print_csv(const struct profile *p, FILE *out)
{
	size_t s;
	int e;

	fprintf(out, "stage,count,min,p50,p90,p99,max,mean");
	for (e = 0; e < PROF_NR_EVENTS; e++)
		fprintf(out, ",%s", prof_event_names[e]);
	fputc('\n', out);
	for (s = 0; s < PROF_NR_STAGES; s++) {
		const struct stats_summary *st = &p->stage[s];

		if (!p->nsamples[s])
			continue;
		fprintf(out, "%s,%zu,%llu,%llu,%llu,%llu,%llu,%.1f",
			prof_stage_names[s], st->count,
			(unsigned long long)st->min,
			(unsigned long long)st->p50,
			(unsigned long long)st->p90,
			(unsigned long long)st->p99,
			(unsigned long long)st->max, st->mean);
		for (e = 0; e < PROF_NR_EVENTS; e++) {
			if (s <= PROF_TOTAL)
				fprintf(out, ",%.3f",
					profile_ev_mean(p, (int)s, e));
			else
				fputc(',', out);
		}
		fputc('\n', out);
	}
}

void profile_print_json(const struct profile *p, FILE *out)
{
	size_t s, i;
	const char *sep = "";

	fprintf(out,
		"{\"tool\":\"hvm-prof\",\"version\":2,\"unit\":\"ns\","
		"\"tsc_khz\":%llu,\"calls\":%zu,\"skipped\":%zu,\"stages\":[",
		(unsigned long long)p->tsc_khz, p->calls, p->bad_calls);
	for (s = 0; s < PROF_NR_STAGES; s++) {
		const struct stats_summary *st = &p->stage[s];
		size_t counts[65] = { 0 };
		const char *hsep = "";

		if (!p->nsamples[s])
			continue;
		for (i = 0; i < p->nsamples[s]; i++) {
			uint64_t x = p->samples[s][i];

			counts[x ? 64 - __builtin_clzll(x) : 0]++;
		}
		fprintf(out,
			"%s{\"name\":\"%s\",\"count\":%zu,\"min\":%llu,\"p50\":%llu,"
			"\"p90\":%llu,\"p99\":%llu,\"max\":%llu,\"mean\":%.1f,"
			"\"histogram\":[",
			sep, prof_stage_names[s], st->count,
			(unsigned long long)st->min,
			(unsigned long long)st->p50,
			(unsigned long long)st->p90,
			(unsigned long long)st->p99,
			(unsigned long long)st->max, st->mean);
		for (i = 0; i < 65; i++) {
			unsigned long long lo = i ? 1ull << (i - 1) : 0;
			unsigned long long hi = i == 0	  ? 0
						: i == 64 ? ~0ull
							  : (1ull << i) - 1;

			if (!counts[i])
				continue;
			fprintf(out,
				"%s{\"lo\":%llu,\"hi\":%llu,\"count\":%zu}",
				hsep, lo, hi, counts[i]);
			hsep = ",";
		}
		fprintf(out, "]");
		if (s <= PROF_TOTAL) {
			int e;

			fprintf(out, ",\"events\":{");
			for (e = 0; e < PROF_NR_EVENTS; e++)
				fprintf(out,
					"%s\"%s\":{\"total\":%llu,\"mean\":%.3f,"
					"\"max\":%u}",
					e ? "," : "", prof_event_names[e],
					(unsigned long long)p->ev_sum[s][e],
					profile_ev_mean(p, (int)s, e),
					p->ev_max[s][e]);
			fprintf(out, "}");
		}
		fprintf(out, "}");
		sep = ",";
	}
	fprintf(out, "]}\n");
}

static double us(uint64_t t, uint64_t t0, uint64_t tsc_khz)
{
	return (double)(t - t0) * 1000.0 / (double)tsc_khz;
}

/* Track ids: HRT cores 1..64, ROS threads 1000 + their index of appearance. */
#define TRACK_ROS 1000u

size_t profile_write_trace(const struct prof_call *calls, size_t ncalls,
			   const struct prof_fwd *fwd, size_t nfwd,
			   uint64_t tsc_khz, FILE *out)
{
	uint64_t t0 = ~0ull;
	uint32_t tids[256];
	size_t ntids = 0, n = 0, i, k;
	uint64_t cores_seen = 0;

	for (i = 0; i < ncalls; i++)
		if (calls[i].t_submit < t0)
			t0 = calls[i].t_submit;
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
	fprintf(out,
		"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
		"\"args\":{\"name\":\"hvm\"}}");
	n++;
	for (i = 0; i < ncalls; i++) {
		const struct prof_call *c = &calls[i];
		uint32_t ros;

		if (!call_ok(c) || !tsc_khz)
			continue;
		for (k = 0; k < ntids && tids[k] != c->ros_tid; k++)
			;
		if (k == ntids && ntids < 256) {
			tids[ntids++] = c->ros_tid;
			fprintf(out,
				",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,"
				"\"tid\":%zu,\"args\":{\"name\":\"ROS thread %u\"}}",
				TRACK_ROS + k, c->ros_tid);
			n++;
		}
		ros = (uint32_t)(TRACK_ROS + k);
		if (c->hrt_core < 64 && !(cores_seen & (1ull << c->hrt_core))) {
			cores_seen |= 1ull << c->hrt_core;
			fprintf(out,
				",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,"
				"\"tid\":%u,\"args\":{\"name\":\"HRT core %u\"}}",
				c->hrt_core + 1, c->hrt_core);
			n++;
		}
		/* ROS view: the whole call; HRT view: pickup..finish, run nested. */
		fprintf(out,
			",\n{\"name\":\"invoke\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,"
			"\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"id\":%llu,\"status\":%d}}",
			ros, us(c->t_submit, t0, tsc_khz),
			us(c->t_seen, c->t_submit, tsc_khz),
			(unsigned long long)c->id, c->status);
		fprintf(out,
			",\n{\"name\":\"invoke\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,"
			"\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"id\":%llu}}",
			c->hrt_core + 1, us(c->t_pickup, t0, tsc_khz),
			us(c->t_finish, c->t_pickup, tsc_khz),
			(unsigned long long)c->id);
		fprintf(out,
			",\n{\"name\":\"run\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,"
			"\"ts\":%.3f,\"dur\":%.3f}",
			c->hrt_core + 1, us(c->t_start, t0, tsc_khz),
			us(c->t_finish, c->t_start, tsc_khz));
		n += 3;
		for (k = 0; k < nfwd; k++) {
			const struct prof_fwd *f = &fwd[k];

			if (f->call_id != c->id || f->t_reply < f->t_seen ||
			    f->t_seen < c->t_start || f->t_reply > c->t_finish)
				continue;
			fprintf(out,
				",\n{\"name\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,"
				"\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"nr\":%lld}}",
				f->nr == ~0ull ? "page fault" : "syscall",
				c->hrt_core + 1, us(f->t_seen, t0, tsc_khz),
				us(f->t_reply, f->t_seen, tsc_khz),
				f->nr == ~0ull ? -1ll : (long long)f->nr);
			n++;
		}
	}
	fprintf(out, "\n]}\n");
	return n;
}
