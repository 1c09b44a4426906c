// SPDX-License-Identifier: MIT
/* slab.c - small-object allocator: one-page slabs per size class, pages for the rest. */
#include "slab.h"
#include "buddy.h"
#include "list.h"
#include "log.h"
#include "string.h"
#include "sync.h"

#define HRT_SLAB_MAGIC 0x48525453u /* "SLTR": guards against freeing junk */
#define HRT_SLAB_HDR   64 /* objects start here: keeps 64-byte alignment */

struct hrt_slab {
	u32 magic;
	u32 cls;
	u32 inuse;
	u32 capacity;
	void *freelist;	      /* singly linked through the free objects */
	struct hrt_list node; /* in the class's partial list while it has room */
};

struct hrt_slab_class {
	struct hrt_spinlock lock;
	u32 size;
	struct hrt_list partial;
	u64 in_use;
	u64 pages;
};

static struct hrt_slab_class hrt_classes[HRT_SLAB_CLASSES];
static struct hrt_spinlock hrt_malloc_lock = HRT_SPINLOCK_INIT;
static struct hrt_malloc_stats hrt_mstats; /* under hrt_malloc_lock */
static bool hrt_slab_ready;

static void hrt_slab_setup(void)
{
	int i;

	for (i = 0; i < HRT_SLAB_CLASSES; i++) {
		hrt_spin_init(&hrt_classes[i].lock);
		hrt_classes[i].size = 16u << i;
		hrt_list_init(&hrt_classes[i].partial);
	}
	hrt_slab_ready = true;
}

static void hrt_mstat(int64_t bytes, int64_t large, bool fail)
{
	hrt_spin_lock(&hrt_malloc_lock);
	if (fail) {
		hrt_mstats.failures++;
	} else if (bytes > 0) {
		hrt_mstats.allocs++;
		hrt_mstats.bytes_in_use += bytes;
	} else {
		hrt_mstats.frees++;
		hrt_mstats.bytes_in_use -= -bytes;
	}
	hrt_mstats.large_pages += large;
	hrt_spin_unlock(&hrt_malloc_lock);
}

static void *hrt_malloc_large(size_t size)
{
	unsigned int order = 0;
	void *p;

	while ((PAGE_SIZE << order) < size)
		if (++order > HRT_MAX_ORDER) {
			hrt_mstat(0, 0, true);
			return NULL;
		}
	p = hrt_pages_alloc(order);
	if (!p) {
		hrt_mstat(0, 0, true);
		return NULL;
	}
	hrt_mstat(PAGE_SIZE << order, 1ll << order, false);
	return p;
}

void *hrt_malloc(size_t size)
{
	struct hrt_slab_class *c;
	struct hrt_slab *s;
	void *obj;
	int cls = 0;

	if (!hrt_slab_ready)
		hrt_slab_setup();
	if (!size)
		size = 1;
	if (size > (16u << (HRT_SLAB_CLASSES - 1)))
		return hrt_malloc_large(size);
	while ((16u << cls) < size)
		cls++;
	c = &hrt_classes[cls];

	hrt_spin_lock(&c->lock);
	if (hrt_list_empty(&c->partial)) {
		u32 i;

		s = hrt_pages_alloc(0);
		if (!s) {
			hrt_spin_unlock(&c->lock);
			hrt_mstat(0, 0, true);
			return NULL;
		}
		s->magic = HRT_SLAB_MAGIC;
		s->cls = cls;
		s->inuse = 0;
		s->capacity = (PAGE_SIZE - HRT_SLAB_HDR) / c->size;
		s->freelist = NULL;
		/* Thread the free list backwards so allocation goes up the page. */
		for (i = s->capacity; i-- > 0;) {
			void **o = (void **)((char *)s + HRT_SLAB_HDR +
					     (size_t)i * c->size);

			*o = s->freelist;
			s->freelist = o;
		}
		hrt_list_add(&s->node, &c->partial);
		c->pages++;
	}
	s = container_of(c->partial.next, struct hrt_slab, node);
	obj = s->freelist;
	s->freelist = *(void **)obj;
	if (++s->inuse == s->capacity)
		hrt_list_del(&s->node);
	c->in_use++;
	hrt_spin_unlock(&c->lock);
	hrt_mstat(c->size, 0, false);
	return obj;
}

void *hrt_zalloc(size_t size)
{
	void *p = hrt_malloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void hrt_free(void *p)
{
	struct hrt_slab_class *c;
	struct hrt_slab *s;

	if (!p)
		return;
	if (!((u64)p & (PAGE_SIZE - 1))) {
		/* Page aligned: only large allocations are (slab objects start at 64). */
		int order = hrt_pages_order_of(p);

		if (order < 0)
			hrt_panic("%s: %p is not an allocation\n", __func__, p);
		hrt_pages_free(p, order);
		hrt_mstat(-(int64_t)(PAGE_SIZE << order), -(1ll << order),
			  false);
		return;
	}
	s = (struct hrt_slab *)ALIGN_DOWN((u64)p, PAGE_SIZE);
	if (s->magic != HRT_SLAB_MAGIC || s->cls >= HRT_SLAB_CLASSES)
		hrt_panic("%s: %p is not a slab object\n", __func__, p);
	c = &hrt_classes[s->cls];
	hrt_spin_lock(&c->lock);
	*(void **)p = s->freelist;
	s->freelist = p;
	if (s->inuse-- == s->capacity)
		hrt_list_add(&s->node, &c->partial);
	c->in_use--;
	/* Give an empty slab back unless it is the class's only one with room. */
	if (!s->inuse &&
	    !(c->partial.next == &s->node && c->partial.prev == &s->node)) {
		hrt_list_del(&s->node);
		s->magic = 0;
		c->pages--;
		hrt_pages_free(s, 0);
	}
	hrt_spin_unlock(&c->lock);
	hrt_mstat(-(int64_t)c->size, 0, false);
}

void hrt_malloc_get_stats(struct hrt_malloc_stats *s)
{
	int i;

	hrt_spin_lock(&hrt_malloc_lock);
	*s = hrt_mstats;
	hrt_spin_unlock(&hrt_malloc_lock);
	s->slab_pages = 0;
	for (i = 0; i < HRT_SLAB_CLASSES; i++) {
		s->slab_pages += READ_ONCE(hrt_classes[i].pages);
		s->class_in_use[i] = READ_ONCE(hrt_classes[i].in_use);
	}
}
