// SPDX-License-Identifier: MIT
/* parallel.c - parallel-for over the HRT cores with one pinned worker per core. */
#include "parallel.h"
#include "smp.h"
#include "thread.h"

struct hrt_pfor_job {
	u64 start, end;
	hrt_pfor_fn fn;
	void *arg;
};

static long hrt_pfor_worker(void *p)
{
	struct hrt_pfor_job *j = p;
	u64 i;

	for (i = j->start; i < j->end; i++)
		j->fn(i, j->arg);
	return 0;
}

int hrt_parallel_for(u64 start, u64 end, hrt_pfor_fn fn, void *arg, u32 ncores)
{
	struct hrt_pfor_job jobs[HRT_MAX_CPUS];
	struct hrt_thread *th[HRT_MAX_CPUS];
	u32 cpus[HRT_MAX_CPUS], n = 0, i, k;
	u64 len = end > start ? end - start : 0;

	for (i = 0; i < hrt_ncpus; i++)
		if (hrt_cpus[i].online)
			cpus[n++] = i;
	if (ncores && ncores < n)
		n = ncores;
	for (k = 0; k < n; k++) {
		jobs[k].start = start + len * k / n;
		jobs[k].end = start + len * (k + 1) / n;
		jobs[k].fn = fn;
		jobs[k].arg = arg;
		th[k] = hrt_thread_create(hrt_pfor_worker, &jobs[k], "pfor",
					  cpus[k], 0);
		if (!th[k]) {
			/* Run the rest of the range here rather than lose it. */
			jobs[k].end = end;
			hrt_pfor_worker(&jobs[k]);
			break;
		}
	}
	for (i = 0; i < k; i++)
		hrt_thread_join(th[i]);
	return 0;
}
