// SPDX-License-Identifier: MIT
/* test_profile.c - stage maths, CSV/JSON output and the Chrome trace of tools/profile.c. */
#include "unit.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/profile.h"

/* 1 GHz TSC: one cycle is one nanosecond, so the expected values are exact. */
#define KHZ 1000000ull

static const struct prof_call calls[] = {
	/* id tid core submit pickup start finish seen status nfwd events */
	{ 1,
	  42,
	  0,
	  1000,
	  1100,
	  1150,
	  2150,
	  2300,
	  0,
	  1,
	  { [PROF_PICKUP_TO_START] = { [HVM_EV_CR3_LOADS] = 1 },
	    [PROF_RUN] = { [HVM_EV_FWD_CALLS] = 1 } } },
	{ 2, 42, 0, 3000, 3200, 3250, 3750, 3800, 0, 0, { { 0 } } },
	{ 3,
	  43,
	  1,
	  5000,
	  5300,
	  5310,
	  8310,
	  8410,
	  -14,
	  0,
	  { [PROF_RUN] = { [HVM_EV_IRQS] = 2 } } },
	/* pickup < submit: skipped, its events too */
	{ 4,
	  43,
	  1,
	  9000,
	  8000,
	  9100,
	  9200,
	  9300,
	  0,
	  0,
	  { [PROF_RUN] = { [HVM_EV_IRQS] = 9 } } },
};
static const struct prof_fwd fwds[] = {
	{ 1, 1, 1200, 1700 }, /* write(2) inside call 1's run */
};

UNIT_TEST(profile_stages_from_known_timestamps)
{
	struct profile p;

	assert_int_equal(profile_build(&p, calls, 4, fwds, 1, KHZ), 0);
	assert_int_equal(p.calls, 3);
	assert_int_equal(p.bad_calls, 1);
	/* submit->pickup: 100, 200, 300 */
	assert_int_equal(p.stage[PROF_SUBMIT_TO_PICKUP].min, 100);
	assert_int_equal(p.stage[PROF_SUBMIT_TO_PICKUP].p50, 200);
	assert_int_equal(p.stage[PROF_SUBMIT_TO_PICKUP].max, 300);
	/* run: 1000, 500, 3000 */
	assert_int_equal(p.stage[PROF_RUN].min, 500);
	assert_int_equal(p.stage[PROF_RUN].p50, 1000);
	assert_int_equal(p.stage[PROF_RUN].p99, 3000);
	/* finish->seen: 150, 50, 100; total: 1300, 800, 3410 */
	assert_int_equal(p.stage[PROF_FINISH_TO_SEEN].p50, 100);
	assert_int_equal(p.stage[PROF_TOTAL].max, 3410);
	assert_int_equal(p.stage[PROF_FORWARD].count, 1);
	assert_int_equal(p.stage[PROF_FORWARD].p50, 500);
	/* Events: sums and maxima per stage, total over the stages. */
	assert_int_equal(p.ev_sum[PROF_PICKUP_TO_START][HVM_EV_CR3_LOADS], 1);
	assert_int_equal(p.ev_sum[PROF_RUN][HVM_EV_IRQS], 2);
	assert_int_equal(p.ev_max[PROF_TOTAL][HVM_EV_IRQS], 2);
	assert_int_equal(p.ev_sum[PROF_TOTAL][HVM_EV_CR3_LOADS], 1);
	assert_true(profile_ev_mean(&p, PROF_RUN, HVM_EV_FWD_CALLS) > 0.33 &&
		    profile_ev_mean(&p, PROF_RUN, HVM_EV_FWD_CALLS) < 0.34);
	profile_free(&p);
}

UNIT_TEST(profile_tsc_conversion_and_errors)
{
	struct prof_call c = { 1,    1,	   0, 0, 2600,	   2600,
			       2600, 5200, 0, 0, { { 0 } } };
	struct profile p;

	/* 2.6 GHz: 2600 cycles are 1000 ns. */
	assert_int_equal(profile_build(&p, &c, 1, NULL, 0, 2600000), 0);
	assert_int_equal(p.stage[PROF_SUBMIT_TO_PICKUP].p50, 1000);
	assert_int_equal(p.stage[PROF_TOTAL].p50, 2000);
	assert_int_equal(p.nsamples[PROF_FORWARD], 0);
	profile_free(&p);
	assert_int_equal(profile_build(&p, &c, 1, NULL, 0, 0), -EINVAL);
	assert_int_equal(profile_build(&p, &c, 0, NULL, 0, KHZ), -EINVAL);
	assert_int_equal(profile_build(&p, &calls[3], 1, NULL, 0, KHZ),
			 -EINVAL);
}

static char *capture(void (*fn)(const struct profile *, FILE *),
		     const struct profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(p, f);
	fclose(f);
	return buf;
}

UNIT_TEST(profile_csv_and_json_parse_back)
{
	struct json_object *o, *stages, *st, *v, *h;
	struct profile p;
	char *csv, *js;

	assert_int_equal(profile_build(&p, calls, 4, fwds, 1, KHZ), 0);
	csv = capture(profile_print_csv, &p);
	assert_non_null(
		strstr(csv, "stage,count,min,p50,p90,p99,max,mean,cr3_loads,"));
	assert_non_null(strstr(csv, ",fwd_faults,kicks_sent,ros_sleeps\n"));
	/* run: times, then cr3 pml4 tlb msr irq(2 of 3 calls) ... fwd(1) */
	assert_non_null(
		strstr(csv, "\nrun,3,500,1000,3000,3000,3000,1500.0,0.000,"
			    "0.000,0.000,0.000,0.667,0.000,0.000,0.333,0.000,"
			    "0.000,0.000\n"));
	/* forward has no events of its own */
	assert_non_null(strstr(csv, ",,,,,,,,,,,\n"));
	js = capture(profile_print_json, &p);
	o = json_tokener_parse(js);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "stages", &stages));
	assert_int_equal(json_object_array_length(stages), PROF_NR_STAGES);
	st = json_object_array_get_idx(stages, PROF_RUN);
	assert_true(json_object_object_get_ex(st, "name", &v));
	assert_string_equal(json_object_get_string(v), "run");
	assert_true(json_object_object_get_ex(st, "p50", &v));
	assert_int_equal(json_object_get_int64(v), 1000);
	/* run samples 500, 1000, 3000 fall in [256..511], [512..1023], [2048..4095] */
	assert_true(json_object_object_get_ex(st, "histogram", &h));
	assert_int_equal(json_object_array_length(h), 3);
	assert_true(json_object_object_get_ex(st, "events", &h));
	assert_true(json_object_object_get_ex(h, "hrt_irqs", &h));
	assert_true(json_object_object_get_ex(h, "total", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(h, "max", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	json_object_put(o);
	free(csv);
	free(js);
	profile_free(&p);
}

UNIT_TEST(profile_trace_has_tracks_and_nested_slices)
{
	struct json_object *o, *ev, *e, *v, *args;
	char *buf = NULL;
	size_t len = 0, i, n;
	int hrt0 = 0, ros42 = 0, ros43 = 0, syscall_in_run = 0, invokes = 0;
	double run_ts = -1, run_end = -1;
	FILE *f = open_memstream(&buf, &len);

	n = profile_write_trace(calls, 4, fwds, 1, KHZ, f);
	fclose(f);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "traceEvents", &ev));
	assert_int_equal(json_object_array_length(ev), n);
	for (i = 0; i < n; i++) {
		const char *name, *ph;

		e = json_object_array_get_idx(ev, i);
		json_object_object_get_ex(e, "name", &v);
		name = json_object_get_string(v);
		json_object_object_get_ex(e, "ph", &v);
		ph = json_object_get_string(v);
		if (!strcmp(ph, "M") &&
		    json_object_object_get_ex(e, "args", &args) &&
		    json_object_object_get_ex(args, "name", &v)) {
			hrt0 |= !strcmp(json_object_get_string(v),
					"HRT core 0");
			ros42 |= !strcmp(json_object_get_string(v),
					 "ROS thread 42");
			ros43 |= !strcmp(json_object_get_string(v),
					 "ROS thread 43");
		}
		if (!strcmp(name, "invoke"))
			invokes++;
		if (!strcmp(name, "run") && run_ts < 0) {
			json_object_object_get_ex(e, "ts", &v);
			run_ts = json_object_get_double(v);
			json_object_object_get_ex(e, "dur", &v);
			run_end = run_ts + json_object_get_double(v);
		}
		if (!strcmp(name, "syscall")) {
			double ts, dur;

			json_object_object_get_ex(e, "ts", &v);
			ts = json_object_get_double(v);
			json_object_object_get_ex(e, "dur", &v);
			dur = json_object_get_double(v);
			syscall_in_run = run_ts >= 0 && ts >= run_ts &&
					 ts + dur <= run_end;
		}
	}
	assert_true(hrt0 && ros42 && ros43);
	assert_int_equal(invokes, 6); /* 3 good calls, a slice on each side */
	assert_true(syscall_in_run);
	json_object_put(o);
	free(buf);
}
