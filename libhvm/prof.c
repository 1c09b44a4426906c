// SPDX-License-Identifier: MIT
/* prof.c - libhvm's profile ring writer: one record per invocation and per forwarded call. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "prof.h"

struct prof_ring_hdr *hvm_prof_ring;
static struct prof_ring_rec *hvm_prof_recs;
static uint64_t hvm_prof_mask;
static __thread uint32_t hvm_prof_tid;

static uint32_t prof_capacity(void)
{
	const char *s = secure_getenv(PROF_ENV_RECORDS);
	unsigned long n = s ? strtoul(s, NULL, 0) : PROF_RING_DEFAULT_RECORDS;
	uint32_t cap = 64;

	/* A power of two, so a slot is a mask away from the record number. */
	while (cap < n && cap < PROF_RING_MAX_RECORDS)
		cap <<= 1;
	return cap;
}

/* Does (h) describe a ring this library can append to? */
static int prof_hdr_usable(const struct prof_ring_hdr *h, off_t size)
{
	return h->magic == PROF_RING_MAGIC && h->version == PROF_RING_VERSION &&
	       h->hdr_size == PROF_RING_HDR_SIZE &&
	       h->rec_size == sizeof(struct prof_ring_rec) && h->capacity &&
	       !(h->capacity & (h->capacity - 1)) &&
	       h->capacity <= PROF_RING_MAX_RECORDS &&
	       size >= (off_t)(PROF_RING_HDR_SIZE +
			       (uint64_t)h->capacity * h->rec_size);
}

int hvm_prof_open(uint64_t tsc_khz)
{
	const char *path = secure_getenv(PROF_ENV_FILE);
	struct prof_ring_hdr h, *map;
	struct stat st;
	uint32_t cap;
	size_t size;
	int fd, ret = 0;
	bool fresh;

	if (!path || !*path ||
	    __atomic_load_n(&hvm_prof_ring, __ATOMIC_ACQUIRE))
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* Several processes may share one ring: one of them creates it. */
	if (flock(fd, LOCK_EX) || fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	fresh = st.st_size < (off_t)sizeof(h) ||
		pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
		!prof_hdr_usable(&h, st.st_size);
	cap = fresh ? prof_capacity() : h.capacity;
	size = PROF_RING_HDR_SIZE + (size_t)cap * sizeof(struct prof_ring_rec);
	if (fresh && (ftruncate(fd, 0) || ftruncate(fd, (off_t)size))) {
		ret = -errno;
		goto out;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	if (fresh) {
		map->version = PROF_RING_VERSION;
		map->hdr_size = PROF_RING_HDR_SIZE;
		map->rec_size = sizeof(struct prof_ring_rec);
		map->capacity = cap;
		map->tsc_khz = tsc_khz;
		map->next_id = 1;
		map->creator_pid = (uint64_t)getpid();
		/* A reader trusts nothing before the magic. */
		__atomic_store_n(&map->magic, PROF_RING_MAGIC,
				 __ATOMIC_RELEASE);
	}
	hvm_prof_recs =
		(struct prof_ring_rec *)((char *)map + PROF_RING_HDR_SIZE);
	hvm_prof_mask = cap - 1;
	__atomic_store_n(&hvm_prof_ring, map, __ATOMIC_RELEASE);
out:
	flock(fd, LOCK_UN);
	close(fd);
	return ret;
}

uint64_t hvm_prof_new_id(void)
{
	return __atomic_fetch_add(&hvm_prof_ring->next_id, 1, __ATOMIC_RELAXED);
}

static uint32_t prof_tid(void)
{
	/* Cached: gettid is a system call, and the hot loop should not pay it. */
	if (!hvm_prof_tid)
		hvm_prof_tid = (uint32_t)syscall(SYS_gettid);
	return hvm_prof_tid;
}

/* Reserves the next slot and marks it incomplete; returns its number. */
static struct prof_ring_rec *prof_reserve(uint64_t *n)
{
	uint64_t i =
		__atomic_fetch_add(&hvm_prof_ring->head, 1, __ATOMIC_RELAXED);
	struct prof_ring_rec *r = &hvm_prof_recs[i & hvm_prof_mask];

	__atomic_store_n(&r->commit, 0, __ATOMIC_RELAXED);
	/* commit = 0 must be visible before any field of the new record. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*n = i;
	return r;
}

static void prof_commit(struct prof_ring_rec *r, uint64_t n)
{
	__atomic_store_n(&r->commit, n + 1, __ATOMIC_RELEASE);
}

static uint16_t prof_sat(uint32_t v)
{
	return v > 0xffff ? 0xffff : (uint16_t)v;
}

void hvm_prof_call(const struct hvm_chan *c, uint64_t id,
		   const struct hvm_prof_ros *ros)
{
	uint64_t n;
	struct prof_ring_rec *r = prof_reserve(&n);

	r->type = PROF_REC_CALL;
	r->call.id = id;
	r->call.ros_tid = prof_tid();
	r->call.hrt_core = c->core;
	r->call.t_submit = c->t_submit;
	r->call.t_pickup = c->t_pickup;
	r->call.t_start = c->t_start;
	r->call.t_finish = c->t_finish;
	r->call.t_seen = c->t_seen;
	r->call.status = c->status;
	r->call.nr_forwarded = (uint32_t)c->nr_forwarded;
	r->call.ev_start = c->ev_start;
	r->call.ev_run = c->ev_run;
	r->call.kick_ipis_submit = prof_sat(ros->kick_submit);
	r->call.kick_ipis_run = prof_sat(ros->kick_run);
	r->call.sleeps_run = prof_sat(ros->sleeps_run);
	r->call.sleeps_seen = prof_sat(ros->sleeps_seen);
	r->call.ros_irq_seen = prof_sat(ros->irq_seen);
	r->call.pad = 0;
	prof_commit(r, n);
}

void hvm_prof_fwd(uint32_t core, uint64_t id, uint64_t nr, uint64_t t_seen,
		  uint64_t t_reply)
{
	uint64_t n;
	struct prof_ring_rec *r = prof_reserve(&n);

	r->type = PROF_REC_FWD;
	r->fwd.call_id = id;
	r->fwd.nr = nr;
	r->fwd.t_seen = t_seen;
	r->fwd.t_reply = t_reply;
	r->fwd.ros_tid = prof_tid();
	r->fwd.hrt_core = core;
	prof_commit(r, n);
}

void hvm_prof_atfork_child(void)
{
	hvm_prof_tid = 0;
}
