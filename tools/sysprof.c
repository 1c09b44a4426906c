// SPDX-License-Identifier: MIT
/* sysprof.c - a whole program's forwarded calls and faults, per system call, as strace -c sums them. */
#include "sysprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hvm_prof.h"
#include "sysnames.h" /* generated from <asm/unistd_64.h> (tools/build.mk) */

const char *sysprof_name(uint64_t nr, char *buf, size_t len)
{
	if (nr == PROF_FWD_FAULT)
		return "(page fault)";
	if (nr < sizeof(sysprof_names) / sizeof(sysprof_names[0]) &&
	    sysprof_names[nr])
		return sysprof_names[nr];
	snprintf(buf, len, "syscall_%llu", (unsigned long long)nr);
	return buf;
}

static int cmp_fwd(const void *a, const void *b)
{
	const struct prof_fwd *x = a, *y = b;
	uint64_t dx = x->t_reply - x->t_seen, dy = y->t_reply - y->t_seen;

	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return (dx > dy) - (dx < dy);
}

static int cmp_row(const void *a, const void *b)
{
	const struct sysprof_row *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return (x->nr > y->nr) - (x->nr < y->nr);
}

static double ns_of(const struct prof_fwd *f, uint64_t tsc_khz)
{
	uint64_t d = f->t_reply >= f->t_seen ? f->t_reply - f->t_seen : 0;

	return tsc_khz ? (double)d * 1e6 / (double)tsc_khz : 0;
}

int sysprof_build(const struct prof_fwd *fwd, size_t n, uint64_t tsc_khz,
		  struct sysprof_row **rows, size_t *nrows)
{
	struct prof_fwd *s = malloc((n ? n : 1) * sizeof(*s));
	struct sysprof_row *r = malloc((n ? n : 1) * sizeof(*r));
	size_t i = 0, j, k = 0;

	if (!s || !r) {
		free(s);
		free(r);
		return -ENOMEM;
	}
	memcpy(s, fwd, n * sizeof(*s));
	/* By call, then by duration: each run's percentiles are indexes. */
	qsort(s, n, sizeof(*s), cmp_fwd);
	while (i < n) {
		struct sysprof_row *row = &r[k++];
		double total = 0;

		for (j = i; j < n && s[j].nr == s[i].nr; j++)
			total += ns_of(&s[j], tsc_khz);
		row->nr = s[i].nr;
		row->calls = j - i;
		row->total_ns = total;
		row->mean_ns = total / (double)(j - i);
		/* Nearest rank: the ceil(p * n)-th smallest. */
		row->p50_ns =
			ns_of(&s[i + ((j - i) * 50 + 99) / 100 - 1], tsc_khz);
		row->p99_ns =
			ns_of(&s[i + ((j - i) * 99 + 99) / 100 - 1], tsc_khz);
		i = j;
	}
	free(s);
	qsort(r, k, sizeof(*r), cmp_row);
	*rows = r;
	*nrows = k;
	return 0;
}

void sysprof_print_text(const struct sysprof_row *rows, size_t nrows, FILE *out)
{
	double all = 0;
	uint64_t calls = 0;
	char buf[32];
	size_t i;

	for (i = 0; i < nrows; i++) {
		all += rows[i].total_ns;
		calls += rows[i].calls;
	}
	fprintf(out, "forwarded to Linux, by call (Linux's serve time):\n");
	fprintf(out,
		"%% time     seconds  usecs/call   p50 us   p99 us     calls "
		"syscall\n");
	fprintf(out,
		"------ ----------- ----------- -------- -------- --------- "
		"----------------\n");
	for (i = 0; i < nrows; i++)
		fprintf(out, "%6.2f %11.6f %11.1f %8.1f %8.1f %9llu %s\n",
			all > 0 ? 100.0 * rows[i].total_ns / all : 0,
			rows[i].total_ns / 1e9, rows[i].mean_ns / 1e3,
			rows[i].p50_ns / 1e3, rows[i].p99_ns / 1e3,
			(unsigned long long)rows[i].calls,
			sysprof_name(rows[i].nr, buf, sizeof(buf)));
	fprintf(out,
		"------ ----------- ----------- -------- -------- --------- "
		"----------------\n");
	fprintf(out, "100.00 %11.6f %11s %8s %8s %9llu total\n", all / 1e9, "",
		"", "", (unsigned long long)calls);
}

void sysprof_print_csv(const struct sysprof_row *rows, size_t nrows, FILE *out)
{
	char buf[32];
	size_t i;

	fprintf(out, "syscall,nr,calls,total_ns,mean_ns,p50_ns,p99_ns\n");
	for (i = 0; i < nrows; i++)
		fprintf(out, "%s,%lld,%llu,%.0f,%.0f,%.0f,%.0f\n",
			sysprof_name(rows[i].nr, buf, sizeof(buf)),
			rows[i].nr == PROF_FWD_FAULT ? -1ll
						     : (long long)rows[i].nr,
			(unsigned long long)rows[i].calls, rows[i].total_ns,
			rows[i].mean_ns, rows[i].p50_ns, rows[i].p99_ns);
}

void sysprof_print_json(const struct sysprof_row *rows, size_t nrows, FILE *out)
{
	char buf[32];
	size_t i;

	fprintf(out, "{\"syscalls\": [");
	for (i = 0; i < nrows; i++)
		fprintf(out,
			"%s\n  {\"name\": \"%s\", \"nr\": %lld, \"calls\": %llu, "
			"\"total_ns\": %.0f, \"mean_ns\": %.0f, \"p50_ns\": %.0f, "
			"\"p99_ns\": %.0f}",
			i ? "," : "",
			sysprof_name(rows[i].nr, buf, sizeof(buf)),
			rows[i].nr == PROF_FWD_FAULT ? -1ll
						     : (long long)rows[i].nr,
			(unsigned long long)rows[i].calls, rows[i].total_ns,
			rows[i].mean_ns, rows[i].p50_ns, rows[i].p99_ns);
	fprintf(out, "\n]}\n");
}
