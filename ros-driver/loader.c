// SPDX-License-Identifier: GPL-2.0
/* loader.c - validates an HRT ELF image and copies its segments into the run area. */
#include <linux/elf.h>
#include <linux/overflow.h>
#include <linux/string.h>

#include "ros.h"

/* More program headers than any sane kernel has; bounds the checks below. */
#define ROS_MAX_PHDRS 64

/* Sign-extended 48-bit address: the HRT runs with 4-level paging. */
static bool ros_canonical(u64 va)
{
	return ((s64)(va << 16) >> 16) == (s64)va;
}

#define elf_reject(rd, fmt, ...)                                               \
	({                                                                     \
		dev_err(&(rd)->pdev->dev, "hrt image rejected: " fmt "\n",     \
			##__VA_ARGS__);                                        \
		-ENOEXEC;                                                      \
	})

/*
 * The HVM ABI note (struct hvm_abi_note) in the PT_NOTE segments: returns
 * its version, or -1 when there is none.  Stops at the first malformed
 * note of a segment; the caller checked the program headers' bounds.
 */
static s64 ros_abi_note(const void *img, u64 len, const Elf64_Phdr *ph,
			unsigned int phnum)
{
	unsigned int i;

	for (i = 0; i < phnum; i++) {
		u64 off, end, nlen, dlen, next;

		if (ph[i].p_type != PT_NOTE || ph[i].p_offset % 4)
			continue;
		if (check_add_overflow(ph[i].p_offset, ph[i].p_filesz, &end) ||
		    end > len)
			continue;
		for (off = ph[i].p_offset; off + sizeof(Elf64_Nhdr) <= end;
		     off = next) {
			const Elf64_Nhdr *n = img + off;
			u32 v;

			nlen = ALIGN((u64)n->n_namesz, 4);
			dlen = ALIGN((u64)n->n_descsz, 4);
			next = off + sizeof(*n) + nlen + dlen;
			if (next > end)
				break;
			if (n->n_namesz != sizeof(HVM_NOTE_NAME) ||
			    n->n_type != HVM_NOTE_ABI || n->n_descsz != 4 ||
			    memcmp(n + 1, HVM_NOTE_NAME, sizeof(HVM_NOTE_NAME)))
				continue;
			memcpy(&v, (const void *)(n + 1) + nlen, sizeof(v));
			return v;
		}
	}
	return -1;
}

/*
 * Everything here comes from shared memory or from user space, so every
 * field is checked with overflow-safe arithmetic before it is used as an
 * offset.  The image is a private copy, so it cannot change under us.
 */
int ros_elf_check(struct ros_dev *rd, const void *img, u64 len, u64 room,
		  struct ros_elf_info *info)
{
	const Elf64_Ehdr *eh = img;
	const Elf64_Phdr *ph;
	u64 phend, low = U64_MAX, high = 0;
	bool entry_ok = false;
	s64 abi;
	unsigned int i, j;

	memset(info, 0, sizeof(*info));
	if (len < sizeof(*eh))
		return elf_reject(
			rd, "%llu bytes is shorter than an ELF header", len);
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return elf_reject(rd, "no ELF magic");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT)
		return elf_reject(rd,
				  "not a little-endian ELF64 version 1 file");
	if (eh->e_machine != EM_X86_64)
		return elf_reject(rd, "machine %u is not x86-64",
				  eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return elf_reject(rd, "type %u is not ET_EXEC", eh->e_type);
	if (eh->e_version != EV_CURRENT)
		return elf_reject(rd, "e_version %u", eh->e_version);
	if (eh->e_ehsize < sizeof(*eh))
		return elf_reject(rd, "e_ehsize %u too small", eh->e_ehsize);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return elf_reject(rd, "e_phentsize %u", eh->e_phentsize);
	if (eh->e_phnum == 0 || eh->e_phnum > ROS_MAX_PHDRS)
		return elf_reject(rd, "%u program headers", eh->e_phnum);
	if (check_add_overflow((u64)eh->e_phoff,
			       (u64)eh->e_phnum * sizeof(Elf64_Phdr), &phend) ||
	    phend > len || eh->e_phoff % 8)
		return elf_reject(
			rd,
			"program headers at %llu outside the %llu-byte image",
			(u64)eh->e_phoff, len);
	ph = img + eh->e_phoff;

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		u64 fend, vend, pend;

		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz)
			return elf_reject(
				rd, "segment %u: filesz %llu > memsz %llu", i,
				p->p_filesz, p->p_memsz);
		if (check_add_overflow(p->p_offset, p->p_filesz, &fend) ||
		    fend > len)
			return elf_reject(
				rd,
				"segment %u: file bytes %llu+%llu beyond the %llu-byte image",
				i, p->p_offset, p->p_filesz, len);
		if (check_add_overflow(p->p_vaddr, p->p_memsz, &vend) ||
		    check_add_overflow(p->p_paddr, p->p_memsz, &pend))
			return elf_reject(rd, "segment %u: address overflow",
					  i);
		if (!ros_canonical(p->p_vaddr) || !ros_canonical(vend - 1) ||
		    (p->p_vaddr >> 47) != ((vend - 1) >> 47))
			return elf_reject(
				rd,
				"segment %u: vaddr %#llx+%#llx not canonical",
				i, p->p_vaddr, p->p_memsz);
		/* The HRT's own area: the lower half is process code's. */
		if (p->p_vaddr < HVM_IMAGE_VBASE)
			return elf_reject(
				rd,
				"segment %u: vaddr %#llx outside the HRT image area (from %#llx)",
				i, p->p_vaddr, HVM_IMAGE_VBASE);
		/* One 4 KiB mapping per page must cover both addresses. */
		if ((p->p_vaddr ^ p->p_paddr) & ~PAGE_MASK)
			return elf_reject(
				rd,
				"segment %u: vaddr and paddr not congruent mod 4 KiB",
				i);
		/* The entry contract maps these two ranges too. */
		if (p->p_vaddr < HVM_DIRECT_MAP_BASE + rd->shm_phys +
					 rd->region_size &&
		    vend > HVM_DIRECT_MAP_BASE + rd->shm_phys)
			return elf_reject(
				rd,
				"segment %u: vaddr %#llx inside the region's direct map",
				i, p->p_vaddr);
		if (p->p_vaddr < ros_trampoline_phys + PAGE_SIZE &&
		    vend > ros_trampoline_phys)
			return elf_reject(
				rd,
				"segment %u: vaddr %#llx covers the trampoline page",
				i, p->p_vaddr);
		if (p->p_memsz > room)
			return elf_reject(
				rd,
				"segment %u: %llu bytes exceed the %llu-byte run area",
				i, p->p_memsz, room);
		for (j = 0; j < i; j++) {
			const Elf64_Phdr *q = &ph[j];

			if (q->p_type != PT_LOAD || q->p_memsz == 0)
				continue;
			if (p->p_paddr < q->p_paddr + q->p_memsz &&
			    q->p_paddr < pend)
				return elf_reject(
					rd, "segments %u and %u overlap", j, i);
			if (p->p_vaddr < q->p_vaddr + q->p_memsz &&
			    q->p_vaddr < vend)
				return elf_reject(
					rd,
					"segments %u and %u overlap in virtual memory",
					j, i);
		}
		low = min(low, p->p_paddr);
		high = max(high, pend);
		if ((p->p_flags & PF_X) && eh->e_entry >= p->p_vaddr &&
		    eh->e_entry < p->p_vaddr + p->p_filesz)
			entry_ok = true;
		info->nload++;
	}
	if (!info->nload)
		return elf_reject(rd, "no loadable segment");
	if (!entry_ok)
		return elf_reject(rd,
				  "entry %#llx is not in an executable segment",
				  (u64)eh->e_entry);
	abi = ros_abi_note(img, len, ph, eh->e_phnum);
	if (abi < 0)
		return elf_reject(rd,
				  "no HVM ABI note (PT_NOTE \"%s\" type %u)",
				  HVM_NOTE_NAME, HVM_NOTE_ABI);
	if (abi != HVM_ABI_VERSION)
		return elf_reject(
			rd,
			"built for HVM ABI version %lld, this driver has %u",
			abi, HVM_ABI_VERSION);
	if (low & ~PAGE_MASK)
		return elf_reject(rd, "lowest paddr %#llx not page aligned",
				  low);
	if (high - low > room)
		return elf_reject(rd,
				  "image spans %llu bytes, run area holds %llu",
				  high - low, room);
	info->entry = eh->e_entry;
	info->low_paddr = low;
	info->span = high - low;
	return 0;
}

/* dst is the run area; ros_elf_check() has accepted img already. */
int ros_elf_load(struct ros_dev *rd, const void *img, u64 len,
		 const struct ros_elf_info *info, void *dst)
{
	const Elf64_Ehdr *eh = img;
	const Elf64_Phdr *ph = img + eh->e_phoff;
	unsigned int i;

	/* Zero the whole span once: covers .bss and the gaps between segments. */
	memset(dst, 0, PAGE_ALIGN(info->span));
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		memcpy(dst + (p->p_paddr - info->low_paddr), img + p->p_offset,
		       p->p_filesz);
	}
	return 0;
}
