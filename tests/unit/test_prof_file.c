// SPDX-License-Identifier: MIT
/* test_prof_file.c - the profile ring: libhvm's writer (libhvm/prof.c) and hvm-prof's reader (tools/prof_file.c). */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libhvm/prof.h"
#include "../../tools/prof_file.h"

#define CAP 4u

/* A ring image of CAP slots with (head) records written so far. */
struct image {
	struct prof_ring_hdr hdr;
	struct prof_ring_rec rec[CAP];
};

static void put_call(struct image *m, uint64_t n, uint64_t id, uint64_t t0)
{
	struct prof_ring_rec *r = &m->rec[n % CAP];

	memset(r, 0, sizeof(*r));
	r->type = PROF_REC_CALL;
	r->call.id = id;
	r->call.ros_tid = 7;
	r->call.hrt_core = 1;
	r->call.t_submit = t0;
	r->call.t_pickup = t0 + 100;
	r->call.t_start = t0 + 200;
	r->call.t_finish = t0 + 1200;
	r->call.t_seen = t0 + 1300;
	r->call.nr_forwarded = 1;
	r->commit = n + 1;
}

static void put_fwd(struct image *m, uint64_t n, uint64_t id, uint64_t nr)
{
	struct prof_ring_rec *r = &m->rec[n % CAP];

	memset(r, 0, sizeof(*r));
	r->type = PROF_REC_FWD;
	r->fwd.call_id = id;
	r->fwd.nr = nr;
	r->fwd.t_seen = 10;
	r->fwd.t_reply = 60;
	r->commit = n + 1;
}

static struct image *new_image(void)
{
	struct image *m = calloc(1, sizeof(*m));

	m->hdr.magic = PROF_RING_MAGIC;
	m->hdr.version = PROF_RING_VERSION;
	m->hdr.hdr_size = PROF_RING_HDR_SIZE;
	m->hdr.rec_size = sizeof(struct prof_ring_rec);
	m->hdr.capacity = CAP;
	m->hdr.tsc_khz = 1000000;
	return m;
}

UNIT_TEST(prof_file_reads_calls_and_forwards)
{
	struct image *m = new_image();
	struct prof_data d;

	put_call(m, 0, 1, 1000);
	put_fwd(m, 1, 2, 39);
	put_call(m, 2, 2, 5000);
	m->hdr.head = 3;
	assert_int_equal(prof_ring_parse(m, sizeof(*m), 0, &d), 0);
	assert_int_equal(d.tsc_khz, 1000000);
	assert_int_equal(d.ncalls, 2);
	assert_int_equal(d.nfwd, 1);
	assert_int_equal(d.lost, 0);
	assert_int_equal(d.torn, 0);
	assert_int_equal(d.calls[1].id, 2);
	assert_int_equal(d.calls[1].t_seen - d.calls[1].t_submit, 1300);
	assert_int_equal(d.calls[0].ros_tid, 7);
	assert_int_equal(d.fwd[0].call_id, 2);
	assert_int_equal(d.fwd[0].nr, 39);
	prof_data_free(&d);

	/* from = 2: only the last call. */
	assert_int_equal(prof_ring_parse(m, sizeof(*m), 2, &d), 0);
	assert_int_equal(d.ncalls, 1);
	assert_int_equal(d.nfwd, 0);
	prof_data_free(&d);
	free(m);
}

UNIT_TEST(prof_file_counts_overwritten_and_torn_records)
{
	struct image *m = new_image();
	struct prof_data d;
	uint64_t n;

	/* 7 records in 4 slots: 0..2 overwritten; slot of 5 left half written. */
	for (n = 0; n < 7; n++)
		put_call(m, n, n + 1, 1000 * n);
	m->rec[5 % CAP].commit = 0;
	m->hdr.head = 7;
	assert_int_equal(prof_ring_parse(m, sizeof(*m), 0, &d), 0);
	assert_int_equal(d.lost, 3);
	assert_int_equal(d.torn, 1);
	assert_int_equal(d.ncalls, 3);
	assert_int_equal(d.calls[0].id, 4);
	prof_data_free(&d);

	/* A slot from an older lap (commit of record 2 in slot 2 for n = 6). */
	put_call(m, 2, 3, 0);
	assert_int_equal(prof_ring_parse(m, sizeof(*m), 0, &d), 0);
	assert_int_equal(d.torn, 2);
	prof_data_free(&d);
	free(m);
}

UNIT_TEST(prof_file_rejects_bad_images)
{
	struct image *m = new_image();
	struct prof_data d;

	assert_int_equal(prof_ring_parse(m, 100, 0, &d), -EINVAL);
	assert_int_equal(prof_ring_parse(m, sizeof(*m) - 1, 0, &d), -EINVAL);
	m->hdr.version = 99;
	assert_int_equal(prof_ring_parse(m, sizeof(*m), 0, &d), -EPROTO);
	m->hdr.version = PROF_RING_VERSION;
	m->hdr.rec_size = 64;
	assert_int_equal(prof_ring_parse(m, sizeof(*m), 0, &d), -EPROTO);
	m->hdr.rec_size = sizeof(struct prof_ring_rec);
	m->hdr.magic = 0;
	assert_int_equal(prof_ring_parse(m, sizeof(*m), 0, &d), -EINVAL);
	free(m);
	assert_int_equal(prof_ring_load("/nonexistent/ring", 0, &d), -ENOENT);
}

/* libhvm's writer, hosted: HVM_PROF names a file, records come back out. */
UNIT_TEST(prof_file_round_trip_through_libhvm_writer)
{
	char path[] = "/tmp/hvm-unit-ring.XXXXXX";
	struct hvm_chan c;
	struct hvm_prof_ros ros = { .kick_submit = 1,
				    .sleeps_seen = 2,
				    .irq_seen = 1 };
	struct prof_data d;
	uint64_t id;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd); /* empty: libhvm must initialise it */
	setenv(PROF_ENV_FILE, path, 1);
	setenv(PROF_ENV_RECORDS, "100", 1); /* rounded up to 128 */
	assert_int_equal(hvm_prof_open(2600000), 0);
	assert_non_null(hvm_prof_ring);
	assert_int_equal(hvm_prof_ring->capacity, 128);

	memset(&c, 0, sizeof(c));
	c.core = 3;
	c.t_submit = 100;
	c.t_pickup = 200;
	c.t_start = 300;
	c.t_finish = 900;
	c.t_seen = 1000;
	c.status = -14;
	c.nr_forwarded = 1;
	c.ev_start.n[HVM_EV_CR3_LOADS] = 1;
	c.ev_run.n[HVM_EV_FWD_FAULTS] = 1;
	id = hvm_prof_new_id();
	hvm_prof_fwd(3, id, PROF_FWD_FAULT, 400, 500);
	hvm_prof_call(&c, id, &ros);

	assert_int_equal(prof_ring_head(path), 2);
	assert_int_equal(prof_ring_load(path, 0, &d), 0);
	assert_int_equal(d.tsc_khz, 2600000);
	assert_int_equal(d.capacity, 128);
	assert_int_equal(d.ncalls, 1);
	assert_int_equal(d.nfwd, 1);
	assert_int_equal(d.calls[0].id, id);
	assert_int_equal(d.calls[0].hrt_core, 3);
	assert_int_equal(d.calls[0].status, -14);
	assert_int_equal(d.calls[0].ros_tid, (uint32_t)gettid());
	assert_int_equal(d.calls[0].t_seen, 1000);
	/* Events land in the stage they happened in. */
	assert_int_equal(d.calls[0].ev[PROF_PICKUP_TO_START][HVM_EV_CR3_LOADS],
			 1);
	assert_int_equal(d.calls[0].ev[PROF_RUN][HVM_EV_FWD_FAULTS], 1);
	assert_int_equal(d.calls[0].ev[PROF_RUN][HVM_EV_CR3_LOADS], 0);
	assert_int_equal(
		d.calls[0].ev[PROF_SUBMIT_TO_PICKUP][PROF_EV_KICKS_SENT], 1);
	assert_int_equal(d.calls[0].ev[PROF_FINISH_TO_SEEN][PROF_EV_ROS_SLEEPS],
			 2);
	assert_int_equal(d.calls[0].ev[PROF_FINISH_TO_SEEN][HVM_EV_ROS_IRQS],
			 1);
	assert_int_equal(d.fwd[0].nr, PROF_FWD_FAULT);
	assert_int_equal(d.fwd[0].call_id, id);
	prof_data_free(&d);
	/* A second open in the same process keeps the one mapping. */
	assert_int_equal(hvm_prof_open(1), 0);
	assert_int_equal(hvm_prof_ring->tsc_khz, 2600000);
	unsetenv(PROF_ENV_FILE);
	unsetenv(PROF_ENV_RECORDS);
	unlink(path);
}
