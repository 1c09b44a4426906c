// SPDX-License-Identifier: MIT
/* region.c - creates, binds, prefaults and initialises the HRT region. */
#include "region.h"

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void region_init_header(void *base, const struct plan *p)
{
	struct hvm_shm_header *h = base;
	struct hvm_log *log = (struct hvm_log *)((char *)base + HVM_LOG_OFF);
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->abi_version = HVM_ABI_VERSION;
	h->header_size = sizeof(*h);
	h->region_size = p->region_size;
	h->bootinfo_off = HVM_BOOTINFO_OFF;
	h->bootinfo_size = HVM_BOOTINFO_SIZE;
	h->log_off = HVM_LOG_OFF;
	h->log_size = HVM_LOG_SIZE;
	h->chan_off = HVM_CHAN_OFF;
	h->chan_size = HVM_CHAN_SIZE;
	h->image_off = HVM_IMAGE_OFF;
	h->image_size = HVM_IMAGE_SIZE;
	h->run_off = HVM_RUN_OFF;
	h->run_size = p->region_size - HVM_RUN_OFF;
	h->ros_cpus = p->ros_cpus;
	h->hrt_cpus = p->hrt_cpus;
	h->ros_mem_bytes = p->ros_mem;
	h->trampoline_phys = HVM_TRAMPOLINE_PHYS;
	for (i = 0; i < p->hrt_cpus; i++)
		h->hrt_apic_ids[i] = p->hrt_apic_ids[i];
	memset(log, 0, sizeof(*log));
	log->size = HVM_LOG_SIZE - sizeof(*log);
	/* The magic last: a reader that sees it sees a complete header. */
	__atomic_store_n(&h->magic, HVM_ABI_MAGIC, __ATOMIC_RELEASE);
}

int region_load_image(void *base, const void *data, size_t len)
{
	struct hvm_shm_header *h = base;
	const unsigned char *e = data;

	if (len < 64 || memcmp(e, "\177ELF", 4) || e[4] != 2 /* ELFCLASS64 */)
		return -ENOEXEC;
	if (len > HVM_IMAGE_SIZE)
		return -EFBIG;
	memcpy((char *)base + HVM_IMAGE_OFF, data, len);
	h->image_len = len;
	__atomic_store_n(&h->hrt_state, HVM_HRT_LOADED, __ATOMIC_RELEASE);
	return 0;
}

int region_create(struct region *r, const struct plan *p, int numa_node,
		  char *note, size_t notelen)
{
	size_t off;
	long pg = sysconf(_SC_PAGESIZE);

	note[0] = '\0';
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->numa_bound = -1;
	r->size = p->region_size;

	/* 2 MiB hugepages when the host has some reserved; else normal pages. */
	r->fd = memfd_create("hvm-hrt", MFD_CLOEXEC | MFD_HUGETLB);
	if (r->fd >= 0 && ftruncate(r->fd, (off_t)r->size) == 0) {
		r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, r->fd, 0);
		if (r->base != MAP_FAILED)
			r->hugepages = 1;
	}
	if (!r->hugepages) {
		if (r->fd >= 0)
			close(r->fd);
		r->fd = memfd_create("hvm-hrt", MFD_CLOEXEC);
		if (r->fd < 0)
			return -errno;
		if (ftruncate(r->fd, (off_t)r->size) < 0)
			goto err_close;
		r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, r->fd, 0);
		if (r->base == MAP_FAILED)
			goto err_close;
	}

	/* Bind before touching: the first touch decides where pages live. */
	if (numa_node >= 0) {
		if (numa_available() < 0) {
			snprintf(note, notelen,
				 "--numa %d: this host has no NUMA support; "
				 "memory left unbound",
				 numa_node);
		} else if (numa_node > numa_max_node()) {
			snprintf(note, notelen,
				 "--numa %d: host has only node(s) 0..%d; "
				 "memory left unbound",
				 numa_node, numa_max_node());
		} else {
			numa_tonode_memory(r->base, r->size, numa_node);
			r->numa_bound = numa_node;
		}
	}
	/* Prefault so neither the HRT nor QEMU takes host faults later. */
	if (madvise(r->base, r->size, MADV_POPULATE_WRITE) < 0)
		for (off = 0; off < r->size; off += (size_t)pg)
			((volatile char *)r->base)[off] = 0;
	region_init_header(r->base, p);
	return 0;

err_close : {
	int e = -errno;

	close(r->fd);
	r->fd = -1;
	return e;
}
}

void region_destroy(struct region *r)
{
	if (r->base && r->base != MAP_FAILED)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->base = NULL;
	r->fd = -1;
}
