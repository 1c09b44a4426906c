// SPDX-License-Identifier: MIT
/* hvm-prof.c - the offload-latency profiler: built-in workloads or any libhvm program, per-stage statistics. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvm.h"
#include "prof_file.h"
#include "hvm_prof.h"
#include "profile.h"
#include "sysprof.h"

/* Exit statuses, as --help documents them. */
#define EXIT_USAGE    1
#define EXIT_PROF     2
#define EXIT_PROGRAM  3
/* Largest ring sized from -n without --records. */
#define RING_AUTO_MAX (1ul << 20)

static const char *usage_text =
	"usage: hvm-prof [OPTIONS] null|getppid|syscall|all\n"
	"       hvm-prof [OPTIONS] -- PROGRAM [ARGS...]\n"
	"Profiles hrt_invoke latency stage by stage: submit->pickup, pickup->start,\n"
	"run, finish->seen, total, and each forwarded call's round trip.\n"
	"\n"
	"Workloads (run by hvm-prof itself):\n"
	"  null      an empty function\n"
	"  getppid   a function making one forwarded call: getppid (also: getpid)\n"
	"  syscall   a function making two forwarded calls: getppid, write to /dev/null\n"
	"  all       an empty function on every HRT core at once (hrt_invoke_all)\n"
	"With -- PROGRAM, runs any libhvm program with HVM_PROF set and analyses\n"
	"the records its calls leave in the ring.\n"
	"\n"
	"  -n N              calls (default 1000)\n"
	"  -t SECONDS        call for SECONDS instead of N times\n"
	"  -w, --wait MODE   poll, block, spin (spin, then block) or default\n"
	"  -c, --core N      HRT core for null/getppid/syscall (default: any)\n"
	"      --warmup N    unrecorded calls first (default 10)\n"
	"      --json[=FILE] JSON statistics on stdout instead of text, or into FILE\n"
	"      --csv[=FILE]  CSV, one row per stage, likewise\n"
	"      --trace FILE  Chrome trace JSON (Perfetto, chrome://tracing)\n"
	"      --ring FILE   ring file to use and keep (default: a temporary file)\n"
	"      --records N   ring capacity in records (default: enough for -n)\n"
	"      --load FILE   only analyse an existing ring file\n"
	"      --syscalls    every forwarded call and fault in the ring, of\n"
	"                    every thread and process, summed per system call\n"
	"                    like strace -c (also for a program under\n"
	"                    hrt-exec --profile, whose invocation never ends),\n"
	"                    instead of the invocation report; --json and\n"
	"                    --csv then carry this table\n"
	"  -q, --quiet       no text report\n"
	"  -h, --help\n"
	"\n"
	"Exit status: 0 done; 1 bad usage; 2 nothing to profile (no HRT, no\n"
	"calls, I/O error); 3 PROGRAM failed (its profile, if any, is still\n"
	"reported).\n";

enum workload { WL_NONE, WL_NULL, WL_GETPPID, WL_SYSCALL, WL_ALL };

struct opts {
	enum workload wl;
	unsigned long n;
	double seconds;
	enum hrt_wait_mode wait;
	const char *wait_name;
	int core;
	unsigned long warmup;
	const char *json, *csv, *trace, *ring, *load, *wl_name;
	bool json_stdout, csv_stdout, quiet, keep_ring, syscalls;
	unsigned long records;
	char **argv; /* PROGRAM ARGS after -- */
};

static int devnull = -1;

static long null_fn(void *arg, unsigned int core)
{
	(void)arg;
	return core;
}

/*
 * One forwarded system call, the cheapest: getppid (getpid is served on
 * the HRT, hvm_fwd.h, so it no longer reaches Linux).
 */
static long getppid_fn(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	return syscall(SYS_getppid);
}

/* Two forwarded system calls: the cheapest (getppid) and one with a buffer. */
static long syscall_fn(void *arg, unsigned int core)
{
	long pid = syscall(SYS_getppid);

	(void)arg;
	(void)core;
	if (write(devnull, "x", 1) != 1)
		return -errno;
	return pid;
}

static int die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "hvm-prof: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (hvm-prof --help for usage)\n");
	return EXIT_USAGE;
}

static bool parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && *s && !*end && s[0] != '-';
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "wait", required_argument, NULL, 'w' },
		{ "core", required_argument, NULL, 'c' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "json", optional_argument, NULL, 'J' },
		{ "csv", optional_argument, NULL, 'C' },
		{ "trace", required_argument, NULL, 'T' },
		{ "ring", required_argument, NULL, 'R' },
		{ "records", required_argument, NULL, 'r' },
		{ "load", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "syscalls", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int ch, i, nopt = argc;

	/* Options end at "--": what follows is PROGRAM's, untouched. */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			nopt = i;
			o->argv = &argv[i + 1];
			break;
		}

	o->n = 1000;
	o->wait = HRT_WAIT_DEFAULT;
	o->wait_name = "default";
	o->core = -1;
	o->warmup = 10;
	while ((ch = getopt_long(nopt, argv, "n:t:w:c:qh", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'n':
			if (!parse_ulong(optarg, &o->n) || !o->n)
				return die_usage(
					"-n wants a positive count, not '%s'",
					optarg);
			break;
		case 't':
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds > 0))
				return die_usage(
					"-t wants seconds > 0, not '%s'",
					optarg);
			break;
		case 'w':
			o->wait_name = optarg;
			if (!strcmp(optarg, "poll"))
				o->wait = HRT_WAIT_POLL;
			else if (!strcmp(optarg, "block"))
				o->wait = HRT_WAIT_BLOCK;
			else if (!strcmp(optarg, "spin"))
				o->wait = HRT_WAIT_SPIN_BLOCK;
			else if (!strcmp(optarg, "default"))
				o->wait = HRT_WAIT_DEFAULT;
			else
				return die_usage(
					"unknown wait mode '%s' (poll, block, spin, default)",
					optarg);
			break;
		case 'c':
			if (!parse_ulong(optarg, &v) || v >= HVM_MAX_HRT_CPUS)
				return die_usage("bad HRT core '%s'", optarg);
			o->core = (int)v;
			break;
		case 'W':
			if (!parse_ulong(optarg, &o->warmup))
				return die_usage("bad warmup count '%s'",
						 optarg);
			break;
		case 'J':
			if (optarg)
				o->json = optarg;
			else
				o->json_stdout = true;
			break;
		case 'C':
			if (optarg)
				o->csv = optarg;
			else
				o->csv_stdout = true;
			break;
		case 'T':
			o->trace = optarg;
			break;
		case 'R':
			o->ring = optarg;
			o->keep_ring = true;
			break;
		case 'r':
			if (!parse_ulong(optarg, &o->records) || !o->records)
				return die_usage("bad record count '%s'",
						 optarg);
			break;
		case 'L':
			o->load = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'S':
			o->syscalls = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fprintf(stderr, "hvm-prof --help for usage\n");
			return EXIT_USAGE;
		}
	}
	if (o->json_stdout && o->csv_stdout)
		return die_usage("%s",
				 "--json and --csv cannot both go to stdout");
	if (o->load) {
		if (optind < nopt || o->argv)
			return die_usage(
				"%s", "--load takes no workload nor program");
		return 0;
	}
	if (o->argv) {
		if (optind < nopt)
			return die_usage(
				"'%s' before --: a workload or a program, not both",
				argv[optind]);
		if (!o->argv[0])
			return die_usage("%s", "no PROGRAM after --");
		return 0;
	}
	if (optind >= nopt)
		return die_usage("%s", "no workload nor program given");
	if (optind + 1 < nopt)
		return die_usage(
			"unexpected '%s' after the workload (PROGRAM needs --)",
			argv[optind + 1]);
	o->wl_name = argv[optind];
	if (!strcmp(argv[optind], "null"))
		o->wl = WL_NULL;
	else if (!strcmp(argv[optind], "getppid") ||
		 !strcmp(argv[optind], "getpid")) /* its older name */
		o->wl = WL_GETPPID;
	else if (!strcmp(argv[optind], "syscall"))
		o->wl = WL_SYSCALL;
	else if (!strcmp(argv[optind], "all"))
		o->wl = WL_ALL;
	else
		return die_usage(
			"unknown workload '%s' (null, getppid, syscall, all; or -- PROGRAM)",
			argv[optind]);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One workload call; returns its status (0 or negative errno). */
static int one_call(const struct opts *o, const struct hrt_opts *ho)
{
	long ret;
	int r;

	switch (o->wl) {
	case WL_NULL:
		return hrt_invoke_opts(null_fn, NULL, &ret, ho);
	case WL_GETPPID:
		r = hrt_invoke_opts(getppid_fn, NULL, &ret, ho);
		return r ? r : ret < 0 ? (int)ret : 0;
	case WL_SYSCALL:
		r = hrt_invoke_opts(syscall_fn, NULL, &ret, ho);
		return r ? r : ret < 0 ? (int)ret : 0;
	case WL_ALL:
		r = hrt_invoke_all(null_fn, NULL, 0, NULL, ho);
		return r < 0 ? r : 0;
	default:
		return -EINVAL;
	}
}

/*
 * Runs the workload in this process with profiling on; (*from) receives
 * the ring position after the warm-up calls.  Returns an exit status.
 */
static int run_workload(const struct opts *o, unsigned int *ncores,
			uint64_t *from, unsigned long *calls)
{
	struct hrt_opts ho = { .core = o->core, .wait = o->wait };
	struct hrt_info info;
	unsigned long i, failed = 0;
	int r, first_err = 0;
	int64_t head;
	double end;

	if (o->wl == WL_SYSCALL) {
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull < 0) {
			fprintf(stderr, "hvm-prof: /dev/null: %s\n",
				strerror(errno));
			return EXIT_PROF;
		}
	}
	r = hrt_info(&info);
	if (r) {
		fprintf(stderr, "hvm-prof: cannot use the HRT: %s\n",
			strerror(-r));
		return EXIT_PROF;
	}
	*ncores = info.hrt_cores;
	if (o->core >= 0 && (unsigned int)o->core >= info.hrt_cores) {
		fprintf(stderr, "hvm-prof: no HRT core %d (there are %u)\n",
			o->core, info.hrt_cores);
		return EXIT_USAGE;
	}
	for (i = 0; i < o->warmup; i++)
		one_call(o, &ho);
	head = prof_ring_head(getenv(PROF_ENV_FILE));
	if (head < 0) {
		fprintf(stderr, "hvm-prof: libhvm wrote no profile ring: %s\n",
			strerror((int)-head));
		return EXIT_PROF;
	}
	*from = (uint64_t)head;
	end = o->seconds > 0 ? now_s() + o->seconds : 0;
	for (i = 0; end ? now_s() < end : i < o->n; i++) {
		r = one_call(o, &ho);
		if (r) {
			failed++;
			if (!first_err)
				first_err = r;
		}
	}
	*calls = i;
	if (failed) {
		fprintf(stderr,
			"hvm-prof: %lu of %lu calls failed, first: %s\n",
			failed, i, strerror(-first_err));
		if (failed == i)
			return EXIT_PROF;
	}
	return 0;
}

/* Runs PROGRAM with HVM_PROF set; returns an exit status. */
static int run_program(const struct opts *o)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hvm-prof: fork: %s\n", strerror(errno));
		return EXIT_PROF;
	}
	if (pid == 0) {
		execvp(o->argv[0], o->argv);
		fprintf(stderr, "hvm-prof: cannot run %s: %s\n", o->argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "hvm-prof: waitpid: %s\n",
				strerror(errno));
			return EXIT_PROF;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "hvm-prof: %s exited with status %d\n",
			o->argv[0], WEXITSTATUS(status));
	else
		fprintf(stderr, "hvm-prof: %s was killed by signal %d\n",
			o->argv[0], WTERMSIG(status));
	return EXIT_PROGRAM;
}

/* Opens (path) for writing, or explains why not. */
static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fprintf(stderr, "hvm-prof: %s: %s\n", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "hvm-prof: writing %s failed\n", path);
		return EXIT_PROF;
	}
	return 0;
}

static int report(const struct opts *o, const struct prof_data *d,
		  const char *what)
{
	struct sysprof_row *rows;
	struct profile p;
	size_t nrows;
	FILE *f;
	int r, rc = 0;

	if (o->syscalls) {
		r = sysprof_build(d->fwd, d->nfwd, d->tsc_khz, &rows, &nrows);
		if (r) {
			fprintf(stderr, "hvm-prof: %s\n", strerror(-r));
			return EXIT_PROF;
		}
		/* With --syscalls, --json and --csv carry this table. */
		if (o->json_stdout) {
			sysprof_print_json(rows, nrows, stdout);
		} else if (o->csv_stdout) {
			sysprof_print_csv(rows, nrows, stdout);
		} else if (!o->quiet) {
			printf("hvm-prof: %s: %zu forwarded calls and faults, "
			       "%llu lost (overwritten)\n",
			       what, d->nfwd, (unsigned long long)d->lost);
			sysprof_print_text(rows, nrows, stdout);
		}
		if (o->json && (f = open_out(o->json))) {
			sysprof_print_json(rows, nrows, f);
			rc = close_out(f, o->json);
		} else if (o->json) {
			rc = EXIT_PROF;
		}
		if (o->csv && (f = open_out(o->csv))) {
			sysprof_print_csv(rows, nrows, f);
			rc = rc ? rc : close_out(f, o->csv);
		} else if (o->csv) {
			rc = EXIT_PROF;
		}
		free(rows);
		return rc;
	}
	r = profile_build(&p, d->calls, d->ncalls, d->fwd, d->nfwd, d->tsc_khz);
	if (r) {
		fprintf(stderr, "hvm-prof: %s: %s\n", what,
			r == -EINVAL ? "no complete offloaded calls to analyse"
				     : strerror(-r));
		return EXIT_PROF;
	}
	if (o->json_stdout)
		profile_print_json(&p, stdout);
	else if (o->csv_stdout)
		profile_print_csv(&p, stdout);
	else if (!o->quiet) {
		printf("hvm-prof: %s\n", what);
		printf("ring: %llu records written, %zu calls, %zu forwarded, %llu lost "
		       "(overwritten), %llu incomplete; TSC %llu kHz\n",
		       (unsigned long long)d->head, d->ncalls, d->nfwd,
		       (unsigned long long)d->lost, (unsigned long long)d->torn,
		       (unsigned long long)d->tsc_khz);
		profile_print_text(&p, stdout);
	}
	if (o->json && (f = open_out(o->json))) {
		profile_print_json(&p, f);
		rc = rc ? rc : close_out(f, o->json);
	} else if (o->json) {
		rc = EXIT_PROF;
	}
	if (o->csv && (f = open_out(o->csv))) {
		profile_print_csv(&p, f);
		rc = rc ? rc : close_out(f, o->csv);
	} else if (o->csv) {
		rc = EXIT_PROF;
	}
	if (o->trace && (f = open_out(o->trace))) {
		profile_write_trace(d->calls, d->ncalls, d->fwd, d->nfwd,
				    d->tsc_khz, f);
		rc = rc ? rc : close_out(f, o->trace);
	} else if (o->trace) {
		rc = EXIT_PROF;
	}
	profile_free(&p);
	return rc;
}

/* Enough ring for the records -n calls leave, unless --records says. */
static unsigned long ring_records(const struct opts *o, unsigned int ncores)
{
	unsigned long per_call = o->wl == WL_SYSCALL   ? 3
				 : o->wl == WL_GETPPID ? 2
				 : o->wl == WL_ALL     ? ncores
						       : 1;

	unsigned long n;

	if (o->records)
		return o->records;
	if (o->seconds > 0 || !o->wl)
		return PROF_RING_DEFAULT_RECORDS;
	n = (o->n + o->warmup) * per_call + 64;
	/* 128 MiB at most: the ROS keeps /tmp in RAM; beyond, keep the latest. */
	return n < RING_AUTO_MAX ? n : RING_AUTO_MAX;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct hrt_info info;
	struct prof_data d;
	unsigned int ncores = HVM_MAX_HRT_CPUS;
	unsigned long calls = 0;
	uint64_t from = 0;
	char ring[64], what[256], recs[32];
	int rc, r;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (o.load) {
		r = prof_ring_load(o.load, 0, &d);
		if (r) {
			fprintf(stderr, "hvm-prof: %s: %s\n", o.load,
				r == -EINVAL ? "not a profile ring file"
				: r == -EPROTO
					? "ring of another format version"
					: strerror(-r));
			return EXIT_PROF;
		}
		snprintf(what, sizeof(what), "ring file %s", o.load);
		rc = report(&o, &d, what);
		prof_data_free(&d);
		return rc;
	}
	if (!o.ring) {
		snprintf(ring, sizeof(ring), "/tmp/hvm-prof.%d.ring",
			 (int)getpid());
		o.ring = ring;
	}
	/* libhvm joins an existing ring: start from an empty one. */
	if (unlink(o.ring) && errno != ENOENT) {
		fprintf(stderr, "hvm-prof: %s: %s\n", o.ring, strerror(errno));
		return EXIT_PROF;
	}
	if (o.wl) {
		/* Size the ring by the core count, before profiling is switched on. */
		r = hrt_info(&info);
		if (r) {
			fprintf(stderr, "hvm-prof: cannot use the HRT: %s\n",
				strerror(-r));
			return EXIT_PROF;
		}
		ncores = info.hrt_cores;
		hrt_close(); /* the next use reopens, and maps the ring */
	}
	snprintf(recs, sizeof(recs), "%lu", ring_records(&o, ncores));
	if (setenv(PROF_ENV_FILE, o.ring, 1) ||
	    setenv(PROF_ENV_RECORDS, recs, 1)) {
		fprintf(stderr, "hvm-prof: setenv: %s\n", strerror(errno));
		return EXIT_PROF;
	}
	if (o.wl) {
		rc = run_workload(&o, &ncores, &from, &calls);
		if (rc)
			goto out;
		snprintf(what, sizeof(what),
			 "workload %s, %lu calls, wait %s, %u HRT core(s)",
			 o.wl_name, calls, o.wait_name, ncores);
	} else {
		rc = run_program(&o);
		snprintf(what, sizeof(what), "program %s", o.argv[0]);
	}
	/* From here on, a failed PROGRAM's status wins over a missing profile. */
	r = prof_ring_load(o.ring, from, &d);
	if (r == -ENOENT) {
		fprintf(stderr,
			"hvm-prof: %s made no offloaded calls (no profile ring)\n",
			o.wl ? "the workload" : o.argv[0]);
		rc = rc ? rc : EXIT_PROF;
		goto out;
	} else if (r) {
		fprintf(stderr, "hvm-prof: %s: %s\n", o.ring, strerror(-r));
		rc = rc ? rc : EXIT_PROF;
		goto out;
	}
	r = report(&o, &d, what);
	prof_data_free(&d);
	if (r && !rc)
		rc = r;
out:
	if (!o.keep_ring)
		unlink(o.ring);
	return rc;
}
