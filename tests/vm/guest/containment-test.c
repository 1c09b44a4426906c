// SPDX-License-Identifier: MIT
/* containment-test.c - broken HRT images and fatal HRT exceptions must not take the VM down: mutants of the HRT image, NMI/#DF/#MC from offloaded code. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_test.h"
#include "hvm.h"

/*
 * Usage (also on the host: "mutate" needs no HVM):
 *   hvm-containment-test mutate KIND IN.elf OUT.elf
 *     writes a mutant of the HRT image IN and prints one line saying what
 *     hvm.ko or the HRT must do with it:
 *       data-unloaded  the RW PT_LOAD turned PT_NULL (.bss unmapped: the
 *                      first push faults)      -> crashed during boot, #PF
 *       entry-ud2      e_entry moved inside .text onto a ud2
 *                                              -> crashed during boot, #UD
 *       text-ptype     the text PT_LOAD turned PT_NOTE  -> rejected
 *       low-segment    the last PT_LOAD at 0x400000     -> rejected
 *       no-note        the PT_NOTE turned PT_NULL       -> rejected
 *       abi-version    the HVM note's version + 1       -> rejected
 *       paddr-moved    the last PT_LOAD's p_paddr + 64 KiB
 *                      (loaded, not as linked)          -> the HRT fails
 *   hvm-containment-test invoke
 *     one invocation: "ok - ..." or "not ok - ...", exit status 0/1
 *   hvm-containment-test crash VECTOR
 *     offloaded code executes int $VECTOR (2 NMI, 8 #DF, 18 #MC); the
 *     HRT's handler for it must mark the HRT crashed within 10 s
 */

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static Elf64_Phdr *phdrs(char *img, int *n)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;

	*n = eh->e_phnum;
	return (Elf64_Phdr *)(img + eh->e_phoff);
}

/* The first PT_LOAD with all of (flags), or the last PT_LOAD if flags is 0. */
static Elf64_Phdr *load_seg(char *img, uint32_t flags)
{
	Elf64_Phdr *ph, *last = NULL;
	int n, i;

	ph = phdrs(img, &n);
	for (i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (flags && (ph[i].p_flags & flags) == flags)
			return &ph[i];
		last = &ph[i];
	}
	return flags ? NULL : last;
}

static int mutate(const char *kind, const char *in, const char *out)
{
	size_t len = 0;
	char *img = read_file(in, &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph, *p;
	const char *expect;
	FILE *f;
	int n, i;

	if (!img || len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG)) {
		fprintf(stderr, "%s: not an ELF file\n", in);
		return 2;
	}
	ph = phdrs(img, &n);
	if (!strcmp(kind, "data-unloaded")) {
		p = load_seg(img, PF_W);
		if (!p)
			return 2;
		p->p_type = PT_NULL;
		expect = "crashed during boot: vector 14 (#PF)";
	} else if (!strcmp(kind, "entry-ud2")) {
		uint64_t off;

		p = load_seg(img, PF_X);
		if (!p)
			return 2;
		for (off = 0; off + 1 < p->p_filesz; off++)
			if ((unsigned char)img[p->p_offset + off] == 0x0f &&
			    (unsigned char)img[p->p_offset + off + 1] == 0x0b)
				break;
		if (off + 1 >= p->p_filesz)
			return 2;
		eh->e_entry = p->p_vaddr + off;
		printf("entry %#llx\n", (unsigned long long)eh->e_entry);
		expect = "crashed during boot: vector 6 (#UD)";
	} else if (!strcmp(kind, "text-ptype")) {
		p = load_seg(img, PF_X);
		if (!p)
			return 2;
		p->p_type = PT_NOTE;
		expect = "rejected: entry";
	} else if (!strcmp(kind, "low-segment")) {
		p = load_seg(img, 0);
		p->p_vaddr = 0x400000 + (p->p_vaddr & 0xfff);
		expect = "rejected: segment";
	} else if (!strcmp(kind, "no-note")) {
		for (i = 0; i < n; i++)
			if (ph[i].p_type == PT_NOTE)
				ph[i].p_type = PT_NULL;
		expect = "rejected: no HVM ABI note";
	} else if (!strcmp(kind, "abi-version")) {
		struct hvm_abi_note want = HVM_ABI_NOTE_INIT;
		size_t at;

		for (at = 0; at + sizeof(want) <= len; at += 4)
			if (!memcmp(img + at, &want, sizeof(want)))
				break;
		if (at + sizeof(want) > len)
			return 2;
		want.abi_version++;
		memcpy(img + at, &want, sizeof(want));
		expect = "rejected: built for HVM ABI version";
	} else if (!strcmp(kind, "paddr-moved")) {
		p = load_seg(img, 0);
		p->p_paddr += 0x10000;
		expect = "the HRT fails: image not loaded as linked";
	} else {
		fprintf(stderr, "unknown mutant %s\n", kind);
		return 2;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f)) {
		perror(out);
		return 1;
	}
	printf("%s: %s\n", kind, expect);
	free(img);
	return 0;
}

/* Not a check: the mutant, and on stdout what must become of it. */
GUEST_TEST_CMD(mutate, "mutate KIND IN OUT")
{
	return mutate(args[0], args[1], args[2]);
}

static long f_add(void *arg, unsigned int core)
{
	long *v = arg;

	(void)core;
	return v[0] + v[1];
}

GUEST_TEST(invoke)
{
	long v[2] = { 40, 2 }, r = 0;
	struct hrt_opts o = { .core = -1, .timeout_ms = 10000 };
	int rc = hrt_invoke_opts(f_add, v, &r, &o);

	check(rc == 0 && r == 42, "an invocation works", "rc %d (%s) r %ld", rc,
	      strerror(-rc), r);
	return 0;
}

static long f_int2(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	__asm__ volatile("int $2");
	return 0;
}

static long f_int8(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	__asm__ volatile("int $8");
	return 0;
}

static long f_int18(void *arg, unsigned int core)
{
	(void)arg;
	(void)core;
	__asm__ volatile("int $18");
	return 0;
}

GUEST_TEST_CMD(crash, "crash VECTOR")
{
	int vec = atoi(args[0]);
	hrt_fn fn = vec == 2	? f_int2
		    : vec == 8	? f_int8
		    : vec == 18 ? f_int18
				: NULL;
	struct hrt_opts o = { .core = -1, .timeout_ms = 5000 };
	struct hrt_info in;
	char name[128];
	long r = 0;
	int rc, i, ok;

	memset(&in, 0, sizeof(in));
	if (!fn) {
		fprintf(stderr, "crash: vector 2, 8 or 18\n");
		return 2;
	}
	rc = hrt_invoke_opts(fn, NULL, &r, &o);
	for (i = 0; i < 100; i++) {
		if (hrt_info(&in) == 0 && in.hrt_state == HVM_HRT_CRASHED)
			break;
		usleep(100 * 1000);
	}
	hrt_close();
	ok = rc != 0 && i < 100;
	/* the error it failed with is part of the name when it did */
	if (ok)
		snprintf(name, sizeof(name),
			 "int $%d in offloaded code: the call fails (%s), "
			 "the HRT is crashed",
			 vec, strerror(-rc));
	else
		snprintf(name, sizeof(name),
			 "int $%d in offloaded code: the call fails, "
			 "the HRT is crashed",
			 vec);
	check(ok, name, "rc %d state %u", rc, in.hrt_state);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct guest_test_config cfg = { .mode = GUEST_STEP };

	return guest_test_main(argc, argv, &cfg);
}
