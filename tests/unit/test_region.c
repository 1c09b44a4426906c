// SPDX-License-Identifier: MIT
/* test_region.c - the HRT region: header, image slot, create and destroy. */
#include "unit.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvm_abi.h"
#include "plan.h"
#include "region.h"

/* The layout fits the smallest region without overlaps. */
_Static_assert(HVM_BOOTINFO_OFF + HVM_BOOTINFO_SIZE <= HVM_LOG_OFF, "bootinfo");
_Static_assert(HVM_LOG_OFF + HVM_LOG_SIZE <= HVM_CHAN_OFF, "log");
_Static_assert(HVM_CHAN_OFF + HVM_CHAN_SIZE <= HVM_IMAGE_OFF, "channels");
_Static_assert(HVM_IMAGE_OFF + HVM_IMAGE_SIZE <= HVM_RUN_OFF, "image");
_Static_assert(HVM_RUN_OFF < HVM_REGION_MIN, "run area");

static void *aligned_region(size_t size)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 4096, size), 0);
	memset(p, 0xa5, size);
	return p;
}

UNIT_TEST(region_header_matches_plan_and_abi)
{
	const size_t size = HVM_REGION_MIN;
	struct hvm_shm_header *h;
	struct hvm_log *log;
	struct plan p;
	char err[256];
	unsigned int i;
	void *base;

	assert_int_equal(
		plan_make(&p, 2, 3, 1ull << 30, size, err, sizeof(err)), 0);
	base = aligned_region(size);
	region_init_header(base, &p);
	h = base;
	assert_int_equal(h->magic, HVM_ABI_MAGIC);
	assert_memory_equal(&h->magic, "HVMSHRD1", 8);
	assert_int_equal(h->abi_version, HVM_ABI_VERSION);
	assert_int_equal(h->header_size, sizeof(*h));
	assert_int_equal(h->region_size, size);
	assert_int_equal(h->bootinfo_off, HVM_BOOTINFO_OFF);
	assert_int_equal(h->bootinfo_size, HVM_BOOTINFO_SIZE);
	assert_int_equal(h->log_off, HVM_LOG_OFF);
	assert_int_equal(h->log_size, HVM_LOG_SIZE);
	assert_int_equal(h->chan_off, HVM_CHAN_OFF);
	assert_int_equal(h->chan_size, HVM_CHAN_SIZE);
	assert_int_equal(h->image_off, HVM_IMAGE_OFF);
	assert_int_equal(h->image_size, HVM_IMAGE_SIZE);
	assert_int_equal(h->image_len, 0);
	assert_int_equal(h->run_off, HVM_RUN_OFF);
	assert_int_equal(h->run_size, size - HVM_RUN_OFF);
	assert_int_equal(h->ros_cpus, 2);
	assert_int_equal(h->hrt_cpus, 3);
	assert_int_equal(h->ros_mem_bytes, 1ull << 30);
	assert_int_equal(h->trampoline_phys, HVM_TRAMPOLINE_PHYS);
	for (i = 0; i < 3; i++)
		assert_int_equal(h->hrt_apic_ids[i], 2 + i);
	for (i = 3; i < HVM_MAX_HRT_CPUS; i++)
		assert_int_equal(h->hrt_apic_ids[i], 0);
	/* Everything the guest and HRT write starts at zero. */
	assert_int_equal(h->guest_stage, HVM_GUEST_NONE);
	assert_int_equal(h->guest_exit_kind, HVM_EXIT_NONE);
	assert_int_equal(h->hrt_state, HVM_HRT_EMPTY);
	assert_int_equal(h->hrt_heartbeat, 0);
	assert_int_equal(h->hrt_ping_seq, 0);
	assert_int_equal(h->hrt_ping_ack, 0);

	log = (struct hvm_log *)((char *)base + HVM_LOG_OFF);
	assert_int_equal(log->head, 0);
	assert_int_equal(log->size, HVM_LOG_SIZE - sizeof(struct hvm_log));
	free(base);
}

/* A minimal ELF64 header in a (len)-byte buffer. */
static unsigned char *fake_elf(size_t len)
{
	unsigned char *b = calloc(1, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;

	assert_non_null(b);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	return b;
}

UNIT_TEST(region_load_image_rejects_non_elf_and_oversize)
{
	const size_t size = HVM_REGION_MIN;
	struct hvm_shm_header *h;
	unsigned char *elf;
	struct plan p;
	char err[256];
	void *base;

	assert_int_equal(
		plan_make(&p, 1, 1, 512ull << 20, size, err, sizeof(err)), 0);
	base = aligned_region(size);
	region_init_header(base, &p);
	h = base;

	assert_int_equal(region_load_image(base, "#!/bin/sh\necho hi\n", 18),
			 -ENOEXEC);
	elf = fake_elf(HVM_IMAGE_SIZE + 1);
	assert_int_equal(region_load_image(base, elf, 32),
			 -ENOEXEC); /* truncated */
	elf[EI_CLASS] = ELFCLASS32;
	assert_int_equal(region_load_image(base, elf, 4096), -ENOEXEC);
	elf[EI_CLASS] = ELFCLASS64;
	elf[1] = 'X';
	assert_int_equal(region_load_image(base, elf, 4096), -ENOEXEC);
	elf[1] = 'E';
	assert_int_equal(region_load_image(base, elf, HVM_IMAGE_SIZE + 1),
			 -EFBIG);
	assert_int_equal(h->image_len, 0);
	assert_int_equal(h->hrt_state, HVM_HRT_EMPTY);

	/* Exactly the slot's size fits. */
	elf[HVM_IMAGE_SIZE - 1] = 0x77;
	assert_int_equal(region_load_image(base, elf, HVM_IMAGE_SIZE), 0);
	assert_int_equal(h->image_len, HVM_IMAGE_SIZE);
	assert_int_equal(
		((unsigned char *)base)[HVM_IMAGE_OFF + HVM_IMAGE_SIZE - 1],
		0x77);
	/* The run area right after the slot is untouched. */
	assert_int_equal(((unsigned char *)base)[HVM_RUN_OFF], 0xa5);
	free(elf);
	free(base);
}

UNIT_TEST(region_load_image_accepts_real_elf)
{
	const size_t size = HVM_REGION_MIN;
	struct hvm_shm_header *h;
	struct plan p;
	struct stat st;
	char err[256];
	void *base, *data;
	int fd;

	fd = open("/bin/ls", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	if ((uint64_t)st.st_size > HVM_IMAGE_SIZE) {
		close(fd);
		skip();
	}
	data = malloc((size_t)st.st_size);
	assert_non_null(data);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);

	assert_int_equal(
		plan_make(&p, 1, 1, 512ull << 20, size, err, sizeof(err)), 0);
	base = aligned_region(size);
	region_init_header(base, &p);
	h = base;
	assert_int_equal(region_load_image(base, data, (size_t)st.st_size), 0);
	assert_int_equal(h->image_len, (uint64_t)st.st_size);
	assert_int_equal(h->hrt_state, HVM_HRT_LOADED);
	assert_memory_equal((char *)base + HVM_IMAGE_OFF, data,
			    (size_t)st.st_size);
	/* The header survives loading. */
	assert_int_equal(h->magic, HVM_ABI_MAGIC);
	free(data);
	free(base);
}

UNIT_TEST(region_create_and_destroy)
{
	struct region r;
	struct plan p;
	struct stat st;
	char err[256], note[256] = "junk";
	struct hvm_shm_header *h;

	assert_int_equal(plan_make(&p, 1, 2, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 0);
	assert_int_equal(region_create(&r, &p, -1, note, sizeof(note)), 0);
	assert_string_equal(note, "");
	assert_true(r.fd >= 0);
	assert_non_null(r.base);
	assert_int_equal(r.size, 64ull << 20);
	assert_int_equal(r.numa_bound, -1);
	assert_int_equal(fstat(r.fd, &st), 0);
	assert_int_equal(st.st_size, 64ull << 20);
	h = region_header(&r);
	assert_int_equal(h->magic, HVM_ABI_MAGIC);
	assert_int_equal(h->region_size, 64ull << 20);
	assert_int_equal(h->run_size, (64ull << 20) - HVM_RUN_OFF);
	assert_int_equal(h->hrt_cpus, 2);
	/* Writable to the end, and the memfd shows the same bytes. */
	((volatile char *)r.base)[r.size - 1] = 42;
	{
		char c = 0;

		assert_int_equal(pread(r.fd, &c, 1, (off_t)r.size - 1), 1);
		assert_int_equal(c, 42);
	}
	region_destroy(&r);
	assert_null(r.base);
	assert_int_equal(r.fd, -1);
	region_destroy(&r); /* idempotent */
}

UNIT_TEST(region_create_missing_numa_node_notes)
{
	struct region r;
	struct plan p;
	char err[256], note[256];

	assert_int_equal(plan_make(&p, 1, 1, 512ull << 20, 16ull << 20, err,
				   sizeof(err)),
			 0);
	assert_int_equal(region_create(&r, &p, 99, note, sizeof(note)), 0);
	assert_non_null(strstr(note, "--numa 99"));
	assert_non_null(strstr(note, "unbound"));
	assert_int_equal(r.numa_bound, -1);
	assert_int_equal(region_header(&r)->magic, HVM_ABI_MAGIC);
	region_destroy(&r);
}
