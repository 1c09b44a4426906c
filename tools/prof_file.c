// SPDX-License-Identifier: MIT
/* prof_file.c - parses the profile ring file libhvm writes (include/hvm_prof.h) for hvm-prof. */
#include "prof_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvm_prof.h"

static int hdr_check(const struct prof_ring_hdr *h, size_t len)
{
	if (len < sizeof(*h) || h->magic != PROF_RING_MAGIC)
		return -EINVAL;
	if (h->version != PROF_RING_VERSION ||
	    h->hdr_size != PROF_RING_HDR_SIZE ||
	    h->rec_size != sizeof(struct prof_ring_rec))
		return -EPROTO;
	if (!h->capacity || h->capacity > PROF_RING_MAX_RECORDS ||
	    len < PROF_RING_HDR_SIZE + (size_t)h->capacity * h->rec_size)
		return -EINVAL;
	return 0;
}

/* The record's events in the stages they happened in. */
static void prof_call_events(struct prof_call *c,
			     const struct prof_ring_call *r)
{
	int e;

	for (e = 0; e < HVM_EV_NR; e++) {
		c->ev[PROF_PICKUP_TO_START][e] = r->ev_start.n[e];
		c->ev[PROF_RUN][e] = r->ev_run.n[e];
	}
	c->ev[PROF_SUBMIT_TO_PICKUP][PROF_EV_KICKS_SENT] = r->kick_ipis_submit;
	c->ev[PROF_RUN][PROF_EV_KICKS_SENT] = r->kick_ipis_run;
	c->ev[PROF_RUN][PROF_EV_ROS_SLEEPS] = r->sleeps_run;
	c->ev[PROF_FINISH_TO_SEEN][PROF_EV_ROS_SLEEPS] = r->sleeps_seen;
	c->ev[PROF_FINISH_TO_SEEN][HVM_EV_ROS_IRQS] = r->ros_irq_seen;
}

int prof_ring_parse(const void *buf, size_t len, uint64_t from,
		    struct prof_data *d)
{
	const struct prof_ring_hdr *h = buf;
	const struct prof_ring_rec *recs;
	uint64_t first, i;
	size_t n;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = hdr_check(h, len);
	if (ret)
		return ret;
	recs = (const void *)((const char *)buf + PROF_RING_HDR_SIZE);
	d->tsc_khz = h->tsc_khz;
	d->head = h->head;
	d->capacity = h->capacity;
	/* Only the last (capacity) records can still be in the ring. */
	first = d->head > d->capacity ? d->head - d->capacity : 0;
	if (from > first) {
		first = from < d->head ? from : d->head;
	} else if (from < first) {
		d->lost = first - from;
	}
	n = (size_t)(d->head - first);
	d->calls = calloc(n ? n : 1, sizeof(*d->calls));
	d->fwd = calloc(n ? n : 1, sizeof(*d->fwd));
	if (!d->calls || !d->fwd) {
		prof_data_free(d);
		return -ENOMEM;
	}
	for (i = first; i < d->head; i++) {
		const struct prof_ring_rec *r = &recs[i % d->capacity];

		if (r->commit != i + 1) {
			d->torn++;
			continue;
		}
		if (r->type == PROF_REC_CALL) {
			struct prof_call *c = &d->calls[d->ncalls++];

			c->id = r->call.id;
			c->ros_tid = r->call.ros_tid;
			c->hrt_core = r->call.hrt_core;
			c->t_submit = r->call.t_submit;
			c->t_pickup = r->call.t_pickup;
			c->t_start = r->call.t_start;
			c->t_finish = r->call.t_finish;
			c->t_seen = r->call.t_seen;
			c->status = r->call.status;
			c->nr_forwarded = r->call.nr_forwarded;
			prof_call_events(c, &r->call);
		} else if (r->type == PROF_REC_FWD) {
			struct prof_fwd *f = &d->fwd[d->nfwd++];

			f->call_id = r->fwd.call_id;
			f->nr = r->fwd.nr;
			f->t_seen = r->fwd.t_seen;
			f->t_reply = r->fwd.t_reply;
		} else {
			d->torn++;
		}
	}
	return 0;
}

/* Reads all of (path) into a malloc'd buffer. */
static int read_file(const char *path, void **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	ssize_t r;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*buf = b;
	*len = got;
out:
	close(fd);
	return ret;
}

int prof_ring_load(const char *path, uint64_t from, struct prof_data *d)
{
	void *buf = NULL;
	size_t len = 0;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = read_file(path, &buf, &len);
	if (ret)
		return ret;
	ret = prof_ring_parse(buf, len, from, d);
	free(buf);
	return ret;
}

int64_t prof_ring_head(const char *path)
{
	struct prof_ring_hdr h;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) ? 0 : -EINVAL;
	close(fd);
	if (!ret && h.magic != PROF_RING_MAGIC)
		ret = -EINVAL;
	return ret ? ret : (int64_t)h.head;
}

void prof_data_free(struct prof_data *d)
{
	free(d->calls);
	free(d->fwd);
	d->calls = NULL;
	d->fwd = NULL;
	d->ncalls = d->nfwd = 0;
}
